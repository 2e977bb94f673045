"""The views that are not matplotlib figures: terminal text (``-o -`` on a terminal, ``--format term``)
and the interactive HTML page (``-o plan.html``), the page tested in a real headless Chromium."""

from __future__ import annotations

import base64
import json
import re
import zlib
from dataclasses import replace

import numpy as np
import pytest

from lrplot.curves import Curves, ScheduleTrace
from lrplot.figure import RenderOptions
from lrplot.views import render_view
from lrplot.views.html import payload
from lrplot.views.terminal import render_text

BRAILLE = re.compile("[\u2800-\u28ff]")


def trace(name, values, *, steps_per_epoch=None, at=None, style="line", groups=("g0",), field="lr"):
    values = np.asarray(values, dtype=float)
    return ScheduleTrace(name, "X", int(at[-1]) + 1 if at is not None else len(values), "step", steps_per_epoch,
                         groups, (field,), {(0, field): values},
                         at=None if at is None else {(0, field): np.asarray(at, dtype=np.int64)}, style=style)


def dots(text: str) -> list[tuple[int, int]]:
    """(dot row, dot column) of every braille dot drawn, rows counted from the top of the plot."""
    bits = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
    rows = [line.split("\u2502", 1)[1] for line in text.splitlines() if "\u2502" in line]
    out = []
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            if BRAILLE.match(ch):
                code = ord(ch) - 0x2800
                out += [(r * 4 + y, c * 2 + x) for x in range(2) for y in range(4) if code & bits[x][y]]
    return sorted(out)


# --- terminal text -------------------------------------------------------------------------------------

def test_a_constant_curve_is_one_row_of_dots_at_the_top_and_the_axis_starts_at_zero():
    text = render_text(Curves((trace("c", [0.1] * 50),)), RenderOptions(), width=40, height=5)
    lines = text.splitlines()
    assert lines[0].split("\u2502")[0].strip() == "0.1" and lines[4].split("\u2502")[0].strip() == "0"
    assert {r for r, _ in dots(text)} == {0} and len(dots(text)) == 2 * (40 - 6)  # every dot column: one line
    assert lines[-1].split() == ["0", "49", "steps"]


@pytest.mark.parametrize("at, label", [(None, "step 0"), ([10], "step 10")])
def test_a_one_step_run_names_its_step_with_its_unit(at, label):
    # the axis said "0" at both ends, with no unit: "0 ... 0"
    text = render_text(Curves((trace("c", [0.1], at=at),)), RenderOptions(), width=40, height=5)
    lines = text.splitlines()
    assert lines[-2] == " " * 5 + "\u2514" + "\u2500" * 34  # gutter "0.05 ", then the axis
    assert lines[-1] == " " * 6 + label
    assert dots(text) == [(0, 0)]  # the one value, at the top, over the label


def test_a_step_drop_keeps_its_vertical_edge_between_columns():
    # StepLR-like: 0.1 for 30 steps then 0.01; 200 steps on 20 dot columns: the drop lies inside one column
    values = [0.1] * 30 + [0.01] * 170
    text = render_text(Curves((trace("s", values),)), RenderOptions(), width=14, height=5)
    found = dots(text)
    drop_col = round(30 / 199 * 19)  # the dot column holding steps 29 and 30
    rows_at_drop = {r for r, c in found if c == drop_col}
    assert min(rows_at_drop) == 0 and max(rows_at_drop) >= 17, text  # the whole edge from 0.1 down to 0.01


def test_colours_only_when_allowed(monkeypatch):
    curves = Curves((trace("a", [1.0, 0.5]), trace("b", [0.5, 1.0])))
    plain = render_text(curves, RenderOptions(), width=30, height=4, colour=False)
    coloured = render_text(curves, RenderOptions(), width=30, height=4, colour=True)
    assert "\x1b[" not in plain and "FORCE_COLOR=1 colours them" in plain
    assert "\x1b[38;2;0;114;178m" in coloured and "\x1b[38;2;213;94;0m" in coloured  # the light theme's first two
    from lrplot.views.terminal import colours_allowed

    class Tty:
        def isatty(self):
            return True

    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert colours_allowed(Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not colours_allowed(Tty())


def test_format_term_draws_the_spec_in_the_terminal(cli, write_spec):
    spec = write_spec("""
        steps: 100
        optimizer: {type: SGD, lr: 0.1}
        scheduler: {type: StepLR, step_size: 50, gamma: 0.1}
    """)
    result = cli(spec, "--format", "term", "-q")
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "\u2502" in line]
    assert rows[0].split("\u2502")[0].strip() == "0.1" and len(rows) == 12
    assert "refusing" not in result.output


def test_format_term_with_a_file_is_refused_in_one_line(cli, write_spec):
    spec = write_spec("steps: 10\noptimizer: {type: SGD, lr: 0.1}\n")
    result = cli(spec, "--format", "term", "-o", "x.png")
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == (
        "lrplot: --format term draws in the terminal; it writes no file; leave -o out, or use -o -")


def test_standard_output_on_a_terminal_draws_text_instead_of_refusing(tmp_path):
    from lrplot.output import plan_figures

    [target] = plan_figures(__import__("pathlib").Path("-"), [tmp_path / "a.yaml"], "light", None, None,
                            stdout_is_tty=True)
    assert (target.path, target.fmt) == (None, "term")
    [target] = plan_figures(__import__("pathlib").Path("-"), [tmp_path / "a.yaml"], "light", None, None,
                            stdout_is_tty=False)
    assert target.fmt == "png"  # piped: the PNG bytes, as before


# --- the HTML page ---------------------------------------------------------------------------------

def decode(entry) -> np.ndarray:
    from lrplot.views.html import decode as stored

    return stored(entry["data"])


def test_the_stored_form_is_exact_for_every_bit_pattern_and_small_for_a_smooth_curve():
    from lrplot.views.html import _encode

    rng = np.random.default_rng(0)
    odd = np.concatenate([rng.standard_normal(1000) * 1e300, [np.nan, np.inf, -np.inf, -0.0, 0.0, 5e-324],
                          rng.integers(-2**63, 2**63 - 1, 1000, dtype=np.int64).view("<f8")])
    back = decode({"data": _encode(odd)})
    assert back.view("<i8").tolist() == odd.view("<i8").tolist()  # bit for bit, NaN payloads and -0.0 too
    smooth = np.cos(np.linspace(0, np.pi, 100_000)) * 0.05 + 0.05
    plain = len(base64.b64encode(zlib.compress(smooth.astype("<f8").tobytes(), 6)))
    assert len(_encode(smooth)) < plain / 2  # differences' high bytes repeat: deflate packs them


def test_the_page_holds_every_value_exactly_and_a_logged_run_at_its_own_steps():
    plan = trace("plan", np.cos(np.linspace(0, 3, 300)) * 0.1 + 0.1000000000000001, steps_per_epoch=30)
    log = trace("log", [0.2, 0.15, 0.05], at=[0, 150, 299], style="points")
    data = payload(Curves((plan, log)), RenderOptions())
    assert data["n"] == 300 and data["stepsPerEpoch"] == 30
    first, second = data["series"]
    assert np.array_equal(decode(first), plan.values[(0, "lr")])  # bit for bit
    logged = decode(second)
    assert logged[[0, 150, 299]].tolist() == [0.2, 0.15, 0.05] and np.isnan(logged).sum() == 297
    assert (first["points"], second["points"]) == (False, True)


# a log of 49 points whose steps reach 10**9 (one every factor of ~1.5), beside a plan of 100 updates
SPARSE_STEPS = sorted({round(10 ** (9 * i / 49)) for i in range(50)})
SPARSE_LRS = [float(0.1 * (1 + np.cos(np.pi * i / (len(SPARSE_STEPS) - 1))) / 2) for i in range(len(SPARSE_STEPS))]


def test_a_sparse_log_reaching_step_1e9_holds_only_its_points():
    from lrplot.views.html import decode as stored

    from tests.helpers.bounds import MB, peak_memory

    plan = trace("plan", np.cos(np.linspace(0, np.pi, 100)) * 0.05 + 0.05)
    log = trace("log", SPARSE_LRS, at=SPARSE_STEPS, style="points")
    with peak_memory() as peak:  # one float64 per step of the range would be 8 GB
        data = payload(Curves((plan, log)), RenderOptions())
        page = render_view(Curves((plan, log)), "html", RenderOptions(), "light")
    steps = sorted(set(range(100)) | set(SPARSE_STEPS))
    assert len(SPARSE_STEPS) == 49 and len(steps) == 100 + 39  # 10 of the log's steps fall inside the plan
    assert (data["x0"], data["n"]) == (0, len(steps)) and stored(data["steps"]).tolist() == steps
    first, second = (decode(s) for s in data["series"])
    assert first[:100].tolist() == plan.values[(0, "lr")].tolist() and np.isnan(first[100:]).all()
    at = np.searchsorted(steps, SPARSE_STEPS)
    assert second[at].tolist() == SPARSE_LRS and np.isnan(second).sum() == len(steps) - len(SPARSE_STEPS)
    assert peak.bytes < 2 * MB and len(page) < 100_000  # the page: 56 kB of it are uPlot and its CSS
    dense = payload(Curves((plan, trace("log", [0.2, 0.1], at=[0, 99], style="points"))), RenderOptions())
    assert "steps" not in dense and dense["n"] == 100  # every step has a value: no steps stored


def test_the_page_is_self_contained_deterministic_and_follows_the_theme():
    curves = Curves((trace("a", [0.1, 0.05, 0.0]),), title="A <b> title")
    page = render_view(curves, "html", RenderOptions(), "both").decode()
    assert page == render_view(curves, "html", RenderOptions(), "both").decode()
    assert '<html lang="en" data-theme="auto">' in page and "prefers-color-scheme: dark" in page
    assert "<title>A &lt;b&gt; title</title>" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # nothing fetched at view time
    assert 'data-theme="dark"' in render_view(curves, "html", RenderOptions(), "dark").decode()


def test_plot_writes_one_page_for_theme_both(cli, write_spec):
    spec = write_spec("steps: 20\noptimizer: {type: SGD, lr: 0.1}\nscheduler: {type: StepLR, step_size: 5}\n")
    result = cli(spec, "-o", "plan.html", "--theme", "both", "-q")
    assert result.exit_code == 0, result.output
    page = (spec.parent / "plan.html").read_text()
    assert 'data-theme="auto"' in page and not (spec.parent / "plan.light.html").exists()


# --- in a real browser ----------------------------------------------------------------------------

# the headless Chromium: the ``browser`` fixture of conftest.py


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_the_page_in_chromium_hovers_the_exact_value_zooms_and_resets(browser, cli, write_spec):
    spec = write_spec("""
        steps: 400
        steps_per_epoch: 100
        optimizer: {type: SGD, lr: 0.1}
        scheduler: {type: CosineAnnealingLR, T_max: 400, eta_min: 0.001}
    """)
    assert cli(spec, "-o", "plan.html", "--data", "plan.json", "-q").exit_code == 0
    data = json.loads((spec.parent / "plan.json").read_text())
    lr = next(iter(data["schedules"].values()))["groups"][0]["fields"]["lr"]
    page = browser.new_page(viewport={"width": 1000, "height": 700})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((spec.parent / "plan.html").as_uri())
    page.wait_for_function("window.lrplot && window.lrplot.ready", timeout=30000)
    assert errors == []
    assert page.evaluate("window.lrplot.plot.data[1]") == lr  # every value the page decoded, exactly

    def client_x(step):
        return page.evaluate(f"(() => {{ const u = window.lrplot.plot; const r = u.over.getBoundingClientRect();"
                             f" return r.left + u.valToPos({step}, 'x'); }})()")

    middle_y = page.evaluate("(() => { const r = window.lrplot.plot.over.getBoundingClientRect();"
                             " return r.top + r.height / 2; })()")
    page.mouse.move(client_x(123), middle_y)
    shown = page.text_content(".u-legend .u-series:nth-child(2) .u-value")
    x_shown = page.text_content(".u-legend .u-series:nth-child(1) .u-value")
    assert x_shown == "step 123 \u00b7 epoch 1.23"
    assert float(shown) == lr[123]  # the very float64 lrplot recorded

    page.mouse.move(client_x(100), middle_y)
    page.mouse.down()
    page.mouse.move(client_x(200), middle_y, steps=5)
    page.mouse.up()
    lo, hi = page.evaluate("[window.lrplot.plot.scales.x.min, window.lrplot.plot.scales.x.max]")
    assert 99 <= lo <= 101 and 199 <= hi <= 201
    page.mouse.dblclick(client_x(150), middle_y)  # reset: the figure's x range, a margin either side of 0-399
    assert page.evaluate("[window.lrplot.plot.scales.x.min, window.lrplot.plot.scales.x.max]") == pytest.approx(
        [-7.98, 406.98], abs=1e-9)
    assert errors == []


def test_the_page_shows_the_x_range_the_figure_shows():
    """The page drew x from the first step to the last exactly, the last points on the chart's right edge (hard to
    hover, half a marker cut off); it carries the figure's x range (a margin either side) for its script."""
    import lrplot

    plan = lrplot.simulate(lrplot.load_spec({"steps": 3000, "scheduler": {"type": "CosineAnnealingLR", "T_max": 3000}}))
    log = trace("log", SPARSE_LRS, at=SPARSE_STEPS, style="points")
    for curves in (plan, Curves((trace("one", [0.1]),)), Curves((trace("plan", [0.1] * 10), log))):
        (axis,) = lrplot.render(curves).axes
        assert payload(curves, RenderOptions())["xRange"] == list(axis.get_xlim())
    assert payload(plan, RenderOptions())["xRange"] == pytest.approx([-59.98, 3058.98], abs=1e-9)
    page = render_view(plan, "html", RenderOptions(), "light").decode()
    # the script takes that range where the page spans every step, and keeps what a zoom dragged over
    assert ("const whole = (u, lo, hi) => lo === xs[0] && hi === xs[xs.length - 1] ? spec.xRange.slice() : [lo, hi];"
            in page and "scales: Object.assign({x: {time: false, range: whole}," in page)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_the_page_in_chromium_hovers_the_last_step_at_the_right_edge(browser, cli, write_spec):
    # 3000 steps over ~850 px: the last pixel column showed step 2999, the one left of it 2992, two left 2988
    spec = write_spec("steps: 3000\nscheduler: {type: CosineAnnealingLR, T_max: 3000}\n")
    assert cli(spec, "-o", "plan.html", "--data", "plan.json", "-q").exit_code == 0
    lr = next(iter(json.loads((spec.parent / "plan.json").read_text())["schedules"].values()))["groups"][0]["fields"]["lr"]
    page = browser.new_page(viewport={"width": 1000, "height": 700})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((spec.parent / "plan.html").as_uri())
    page.wait_for_function("window.lrplot && window.lrplot.ready", timeout=30000)
    assert page.evaluate("[window.lrplot.plot.scales.x.min, window.lrplot.plot.scales.x.max]") == pytest.approx(
        [-59.98, 3058.98], abs=1e-9)
    right, y = page.evaluate("(() => { const r = window.lrplot.plot.over.getBoundingClientRect();"
                             " return [r.right, r.top + r.height / 2]; })()")
    for back in (1, 3, 6):  # pixels left of the chart's right edge
        page.mouse.move(right - back, y)
        assert page.text_content(".u-legend .u-series:nth-child(1) .u-value") == "step 2999"
        assert float(page.text_content(".u-legend .u-series:nth-child(2) .u-value")) == lr[2999]
    assert errors == []


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_the_page_of_a_sparse_log_in_chromium_hovers_the_trainers_step(browser, cli, tmp_path):
    (tmp_path / "plan.yaml").write_text("steps: 100\nscheduler: {type: CosineAnnealingLR, T_max: 100}\n")
    (tmp_path / "log.csv").write_text("step,lr\n" + "".join(f"{t},{v!r}\n" for t, v in zip(SPARSE_STEPS, SPARSE_LRS)))
    assert cli("plan.yaml", "--log", "log.csv", "-o", "plan.html", "-q").exit_code == 0
    page = browser.new_page(viewport={"width": 1000, "height": 700})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((tmp_path / "plan.html").as_uri())
    page.wait_for_function("window.lrplot && window.lrplot.ready", timeout=30000)
    xs, planned, logged = page.evaluate("window.lrplot.plot.data")
    assert xs == sorted(set(range(100)) | set(SPARSE_STEPS))
    assert {x: v for x, v in zip(xs, logged) if v is not None} == dict(zip(SPARSE_STEPS, SPARSE_LRS))
    assert [v is None for v in planned] == [x >= 100 for x in xs]
    step = SPARSE_STEPS[-2]  # 655128557
    where = page.evaluate(f"(() => {{ const u = window.lrplot.plot; const r = u.over.getBoundingClientRect();"
                          f" return [r.left + u.valToPos({step}, 'x'), r.top + r.height / 2]; }})()")
    page.mouse.move(*where)
    assert page.text_content(".u-legend .u-series:nth-child(1) .u-value") == f"step {step}"
    assert float(page.text_content(".u-legend .u-series:nth-child(3) .u-value")) == SPARSE_LRS[-2]
    assert errors == []


def test_the_readme_example_page_is_what_lrplot_writes_today(cli, tmp_path):
    from tests.helpers.paths import ROOT

    result = cli(ROOT / "configs" / "cosine.yaml", "-o", tmp_path / "cosine.html", "--theme", "both", "-q")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cosine.html").read_bytes() == (ROOT / "examples" / "cosine.html").read_bytes(), (
        "regenerate with: lrplot configs/cosine.yaml -o examples/cosine.html --theme both")


def test_the_page_says_what_the_figures_footnote_says(cli, tmp_path):
    import html as html_text

    from tests.helpers.paths import CONFIGS

    result = cli(CONFIGS / "cosine.yaml", "--set", "scheduler.T_max=50", "--set", "steps=500", "-o", "bad.html",
                 "--no-cache")
    assert result.exit_code == 0, result.output
    notes = re.findall(r'<div class="lrplot-note" style="font-size: 12px; margin-top: 4px;">(.*)</div>',
                       (tmp_path / "bad.html").read_text())
    warned = [line.split(": ", 2)[2] for line in result.stderr.splitlines() if line.startswith(str(CONFIGS))]
    assert [html_text.unescape(n) for n in notes] == [f"\u26a0 {w}" for w in warned]  # the lines plot warns
    assert len(notes) == 3 and notes[2].endswith("[rebound]")
    page = render_view(Curves((trace("a", [0.1, 0.05]),)), "html", RenderOptions(notes=("a <b> & c",)), "light")
    assert '<div class="lrplot-note" style="font-size: 12px; margin-top: 4px;">a &lt;b&gt; &amp; c</div>' \
        in page.decode()


def test_title_option_wins_over_the_specs_title_as_on_a_figure():
    # the page and the terminal put the spec's title first, so --title was silently ignored there
    curves = Curves((trace("a", [0.1, 0.05, 0.0]),), title="From the spec")
    assert payload(curves, RenderOptions(title="Mine"))["title"] == "Mine"
    assert payload(curves, RenderOptions())["title"] == "From the spec"
    assert render_text(curves, RenderOptions(title="Mine"), width=40).splitlines()[0] == "Mine"
    assert render_text(curves, RenderOptions(), width=40).splitlines()[0] == "From the spec"


@pytest.mark.parametrize("args, line", [
    (["-o", "p.html", "--xlim", "5,10"], "lrplot: --xlim is not drawn in a page (.html): it shows the whole run; "
                                         "leave --xlim out, or write a figure: -o NAME.png, .svg or .pdf"),
    (["--format", "term", "--layout", "grid"], "lrplot: --layout is not drawn in terminal text (--format term): it "
                                               "overlays every curve in one chart; leave --layout out, or write a "
                                               "figure: -o NAME.png, .svg or .pdf"),
    (["-o", "p.html", "--x", "epoch"], "lrplot: --x is not drawn in a page (.html): its x axis counts steps; leave --x "
                                       "out, or write a figure: -o NAME.png, .svg or .pdf"),
    (["--format", "term", "--size", "4x3"], "lrplot: --size is not drawn in terminal text (--format term): it takes "
                                            "the size of the window or terminal; leave --size out, or write a figure: "
                                            "-o NAME.png, .svg or .pdf"),
])
def test_an_option_a_view_does_not_draw_is_refused(cli, write_spec, args, line):
    # before: exit 0 and the option silently ignored (the page showed the whole run for --xlim 5,10)
    spec = write_spec("steps: 20\nsteps_per_epoch: 5\nscheduler: {type: StepLR, step_size: 5}\n")
    result = cli(spec, *args, "-q")
    assert result.exit_code == 2 and result.stderr == line + "\n"
    assert not (spec.parent / "p.html").exists()


def test_options_a_view_draws_or_has_anyway_are_accepted(cli, write_spec):
    spec = write_spec("steps: 20\nscheduler: {type: StepLR, step_size: 5}\n")
    for extra in (["--annotate", "none", "--no-inset", "--layout", "overlay"], ["--log-y", "--title", "T"]):
        assert cli(spec, "-o", "p.html", *extra, "-q").exit_code == 0
        assert cli(spec, "--format", "term", *extra, "-q").exit_code == 0


def test_terminal_text_says_why_a_log_axis_is_linear():
    zero = Curves((trace("a", [0.1, 0.05, 0.0]),))
    text = render_text(zero, RenderOptions(log_y=True), width=100)
    assert text.splitlines()[-1] == ("      (--log-y: a curve reaches 0 or below, which a log axis cannot show, so this "
                                     "axis is linear)")
    assert render_text(zero, RenderOptions(log_y=True), width=40).splitlines()[-3:] == [  # in the width
        "      (--log-y: a curve reaches 0 or",
        "      below, which a log axis cannot",
        "      show, so this axis is linear)"]
    assert "--log-y" not in render_text(Curves((trace("a", [0.1, 0.05, 0.01]),)), RenderOptions(log_y=True), width=40)
    assert "--log-y" not in render_text(zero, RenderOptions(), width=40)


def test_the_page_says_what_its_log_axis_cannot_show():
    zero = Curves((trace("a", [0.1, 0.05, 0.0]),))
    note = ('<div class="lrplot-note" style="font-size: 12px; margin-top: 4px;">\u26a0 \'a\' lr of group g0 '
            'is 0 or below at 1 step(s), first at step 2: not on this log axis; draw without --log-y to see it</div>')
    assert note in render_view(zero, "html", RenderOptions(log_y=True), "light").decode()
    assert "log axis" not in render_view(zero, "html", RenderOptions(), "light").decode()


def test_verify_writes_the_page_plot_writes_for_the_same_overlay_and_says_where_it_diverges(cli, tmp_path):
    # verify -o x.html was refused (".png, .svg, .pdf") while plot --log -o x.html wrote the page; the page draws
    # no red bands, so it says the diverging steps in words. StepLR(5, 0.5) from lr 0.1: 0.1 x5, then 0.05 x5
    # (halving is exact); the log doubles steps 6 and 7.
    (tmp_path / "plan.yaml").write_text("steps: 10\nscheduler: {type: StepLR, step_size: 5, gamma: 0.5}\n")
    logged = [0.1] * 5 + [0.05, 0.1, 0.1, 0.05, 0.05]
    (tmp_path / "log.csv").write_text("step,lr\n" + "".join(f"{t},{v!r}\n" for t, v in enumerate(logged)))
    result = cli("verify", "plan.yaml", "--log", "log.csv", "-o", "v.html")
    assert result.exit_code == 1 and result.stdout.splitlines()[-1] == "v.html"
    assert cli("plan.yaml", "--log", "log.csv", "-o", "p.html", "-q").exit_code == 0
    page = (tmp_path / "v.html").read_bytes()
    assert page == (tmp_path / "p.html").read_bytes()
    assert page.count(b'class="lrplot-note"') == 1
    assert b'margin-top: 4px;">\'logged\' leaves the plan at steps 6-7</div>\n' in page  # as the legend names it


def test_terminal_text_says_where_a_log_leaves_the_plan():
    # it drew the logged points but not the red band a figure shades: the divergence went unsaid
    plan = trace("plan", [0.1] * 10)
    log = replace(trace("lr", [0.1, 0.2, 0.1, 0.2], at=[0, 4, 5, 9], style="points"), spans=((4, 4), (9, 9)))
    lines = render_text(Curves((plan, log)), RenderOptions(), width=60).splitlines()
    assert lines[-1].strip() == "'logged' leaves the plan at steps 4, 9" and lines[-1].startswith(" ")
    assert "leaves the plan" not in render_text(Curves((plan, replace(log, spans=()))), RenderOptions(), width=60)


def test_terminal_text_draws_each_field_on_its_own_scale():
    # lr (0..0.1) and momentum (0.85..0.95) on one 0..0.95 axis: both groups' lr lay flat along the bottom row
    from lrplot.engine import simulate
    from lrplot.spec import parse_spec

    from tests.helpers.figures import TWO_FIELDS

    text = render_text(simulate(parse_spec(TWO_FIELDS, "s.yaml")), RenderOptions(), width=80, height=8)
    lines = text.splitlines()
    assert lines[0] == "two groups, lr and momentum" and text.count("two groups, lr and momentum") == 1
    assert [line for line in lines if not line.startswith(" ") and "\u2502" not in line][1:] == ["learning rate",
                                                                                               "momentum"]
    charts = text.split("\nmomentum\n")
    lr_rows = [line for line in charts[0].splitlines() if "\u2502" in line]
    assert lr_rows[0].split("\u2502")[0].strip() == "0.1" and lr_rows[0].split("\u2502")[1].strip()  # the peak at the top
    momentum_rows = [line for line in charts[1].splitlines() if "\u2502" in line]
    assert [r.split("\u2502")[0].strip() for r in momentum_rows if r.split("\u2502")[0].strip()] == ["0.95", "0.9", "0.85"]
    assert "- backbone   - head" in charts[0] and "backbone = head" not in charts[0]
