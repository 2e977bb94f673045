"""What every output calls a curve and its axes: the figure, the page (``-o x.html``), terminal text and the
``--data`` exports name the same curves alike, and never two of them by one name."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import torch

from lrplot.figure import RenderOptions
from lrplot.views.html import decode, payload
from lrplot.views.terminal import render_text


def torch_cosine(steps: int, lr: float) -> list[float]:
    """The lr of every update of CosineAnnealingLR(T_max=steps), as a training loop reads it."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


@pytest.fixture
def plan_and_log_named_lr(tmp_path):
    """A spec ``lr.yaml`` (its schedule is named ``lr``, after the file) and a CSV log of an ``lr`` column
    (the log's series is named ``lr`` too), leaving the plan at step 30."""
    plan = torch_cosine(60, 0.1)
    (tmp_path / "lr.yaml").write_text("steps: 60\noptimizer: {type: SGD, lr: 0.1}\n"
                                      "scheduler: {type: CosineAnnealingLR, T_max: 60}\n")
    logged = {t: plan[t] if t < 30 else plan[t] / 2 for t in range(0, 60, 3)}
    (tmp_path / "log.csv").write_text("step,lr\n" + "".join(f"{t},{v!r}\n" for t, v in logged.items()))
    return plan, logged


def test_a_plan_and_a_log_of_one_name_are_both_drawn_and_exported(cli, tmp_path, plan_and_log_named_lr):
    # before: the PNG was an internal error (exit 70: the plan drawn at the log's 20 steps), --data x.json kept
    # only the log (the plan's 'lr' overwritten by the log's 'lr'), the CSV's rows of both said schedule 'lr'
    plan, logged = plan_and_log_named_lr
    result = cli("lr.yaml", "--log", "log.csv", "-o", "x.png", "--data", "x.json", "-q")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "x.json").read_text())
    assert list(data["schedules"]) == ["lr", "lr (log)"]
    assert data["schedules"]["lr"]["groups"][0]["fields"]["lr"] == plan
    assert data["schedules"]["lr (log)"]["groups"][0]["fields"]["lr"] == {"steps": list(logged),
                                                                           "values": list(logged.values())}
    assert cli("lr.yaml", "--log", "log.csv", "-o", "none", "--data", "x.csv", "-q").exit_code == 0
    with open(tmp_path / "x.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [float(r["value"]) for r in rows if r["schedule"] == "lr"] == plan
    assert {int(r["step"]): float(r["value"]) for r in rows if r["schedule"] == "lr (log)"} == logged
    result = cli("verify", "lr.yaml", "--log", "log.csv", "-o", "v.png")
    assert result.exit_code == 1 and result.stdout.splitlines()[-1] == "v.png"


def test_a_plan_and_a_log_of_one_name_in_the_figure_the_page_and_the_terminal(tmp_path, plan_and_log_named_lr):
    import lrplot
    from lrplot.logs import load_log
    from lrplot.pipeline import overlay_log

    plan, logged = plan_and_log_named_lr
    spec = lrplot.load_spec(tmp_path / "lr.yaml")
    curves = overlay_log(lrplot.simulate(spec), [spec], load_log(tmp_path / "log.csv"))
    fig = lrplot.render(curves)
    (axis,) = fig.axes
    lines = {line.get_label(): line for line in axis.get_lines() if not line.get_label().startswith("_")}
    assert sorted(lines) == ["logged", "lr"]
    assert list(lines["lr"].get_ydata()) == plan  # the plan at its 60 steps, not at the log's 20
    assert dict(zip(lines["logged"].get_xdata(), lines["logged"].get_ydata())) == logged
    page = payload(curves, RenderOptions())
    assert [s["label"] for s in page["series"]] == ["lr", "logged"] and page["n"] == 60
    assert [s["points"] for s in page["series"]] == [False, True]
    assert list(decode(page["series"][0]["data"])) == plan
    text = render_text(curves, RenderOptions(), width=60).splitlines()
    assert "      - lr   - logged" in text
    # the words under the chart name the points as its legend does ('lr (log): the log leaves ...' named neither)
    assert text[-1] == "      'logged' leaves the plan at steps 30-57"


def test_the_page_names_a_log_and_a_field_as_the_figure_does(cli, tmp_path):
    # the page's legend said 'lr' for the logged points (the figure: 'logged') and 'momentum' for AdamW's
    # betas[0] (the figure: 'beta1'), its right axis 'momentum' too
    import lrplot

    spec = {"steps": 50, "optimizer": {"type": "AdamW", "lr": 0.01}, "fields": ["lr", "momentum"],
            "scheduler": {"type": "OneCycleLR", "max_lr": 0.01, "total_steps": 50}}
    curves = lrplot.simulate(lrplot.load_spec(spec))
    fig = lrplot.render(curves, layout="overlay")  # the page's layout: lr left, beta1 on a twin axis
    figure_labels = sorted(t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts())
    page = payload(curves, RenderOptions())
    assert sorted(s["label"] for s in page["series"]) == figure_labels == ["beta1", "lr"]
    assert (page["leftLabel"], page["right"]) == ("learning rate", [{"scale": "other", "label": "beta1"}])
    assert sorted(ax.get_ylabel() for ax in fig.axes) == ["beta1", "learning rate"]


def test_a_page_of_fields_without_lr_draws_them_on_its_left_axis():
    # fields: [momentum]: the series went on the right axis (unlabelled) and the left axis, labelled
    # 'momentum', had no series and drew no ticks
    import lrplot

    spec = {"steps": 40, "optimizer": {"type": "SGD", "lr": 0.1, "momentum": 0.9}, "fields": ["momentum"],
            "scheduler": {"type": "OneCycleLR", "max_lr": 0.1, "total_steps": 40}}
    curves = lrplot.simulate(lrplot.load_spec(spec))
    page = payload(curves, RenderOptions())
    assert [s["scale"] for s in page["series"]] == ["lr"]  # the left axis's scale
    assert (page["leftLabel"], page["right"]) == ("momentum", [])
    momentum = curves.schedules[0].values[(0, "momentum")]
    assert np.array_equal(decode(page["series"][0]["data"]), momentum)
    spec["fields"] = ["momentum", "weight_decay"]
    spec["optimizer"]["weight_decay"] = 0.01
    page = payload(lrplot.simulate(lrplot.load_spec(spec)), RenderOptions())
    assert [s["scale"] for s in page["series"]] == ["lr", "other"]
    assert (page["leftLabel"], page["right"]) == ("momentum", [{"scale": "other", "label": "weight decay"}])
    # lr, momentum and weight decay: each field on an axis of its own (momentum 0.85-0.95 and a weight decay of
    # 0.01 shared one 0-0.95 axis, where both lay flat)
    spec["fields"] = ["lr", "momentum", "weight_decay"]
    page = payload(lrplot.simulate(lrplot.load_spec(spec)), RenderOptions())
    assert [s["scale"] for s in page["series"]] == ["lr", "other", "other1"]
    assert page["right"] == [{"scale": "other", "label": "momentum"}, {"scale": "other1", "label": "weight decay"}]


def _opened(browser, html):
    """The page in Chromium, its script done, and the errors it raises."""
    page = browser.new_page(viewport={"width": 1000, "height": 700})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(html.as_uri())
    page.wait_for_function("window.lrplot && window.lrplot.ready", timeout=30000)
    return page, errors


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_the_page_in_chromium_labels_a_momentum_only_chart_and_hovers_its_values(browser, cli, tmp_path):
    (tmp_path / "m.yaml").write_text("steps: 40\noptimizer: {type: AdamW, lr: 0.01}\nfields: [momentum]\n"
                                     "scheduler: {type: OneCycleLR, max_lr: 0.01, total_steps: 40}\n")
    assert cli("m.yaml", "-o", "m.html", "--data", "m.json", "-q").exit_code == 0
    beta1 = json.loads((tmp_path / "m.json").read_text())["schedules"]["m"]["groups"][0]["fields"]["momentum"]
    page, errors = _opened(browser, tmp_path / "m.html")
    # the left axis holds the curve (its scale has a range) and says what it is; no empty axis on the right
    axes = page.evaluate("window.lrplot.plot.axes.map(a => [a.label || '', a.scale, a.side])")
    assert axes == [["step", "x", 2], ["beta1", "lr", 3]]
    lo, hi = page.evaluate("[window.lrplot.plot.scales.lr.min, window.lrplot.plot.scales.lr.max]")
    assert lo <= min(beta1) < max(beta1) <= hi
    assert page.evaluate("window.lrplot.plot.data[1]") == beta1
    where = page.evaluate("(() => { const u = window.lrplot.plot; const r = u.over.getBoundingClientRect();"
                          " return [r.left + u.valToPos(17, 'x'), r.top + r.height / 2]; })()")
    page.mouse.move(*where)
    assert page.text_content(".u-legend .u-series:nth-child(1) .u-value") == "step 17"
    assert float(page.text_content(".u-legend .u-series:nth-child(2) .u-value")) == beta1[17]
    assert errors == []


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_the_page_in_chromium_gives_each_field_its_own_axis(browser, cli, tmp_path):
    (tmp_path / "f.yaml").write_text("steps: 40\noptimizer: {type: SGD, lr: 0.1, momentum: 0.9, weight_decay: 0.01}\n"
                                     "fields: [lr, momentum, weight_decay]\n"
                                     "scheduler: {type: OneCycleLR, max_lr: 0.1, total_steps: 40}\n")
    assert cli("f.yaml", "-o", "f.html", "--data", "f.json", "-q").exit_code == 0
    fields = json.loads((tmp_path / "f.json").read_text())["schedules"]["f"]["groups"][0]["fields"]
    page, errors = _opened(browser, tmp_path / "f.html")
    axes = page.evaluate("window.lrplot.plot.axes.map(a => [a.label || '', a.scale, a.side])")
    assert axes == [["step", "x", 2], ["learning rate", "lr", 3], ["momentum", "other", 1],
                    ["weight decay", "other1", 1]]
    ranges = {}
    for scale, field in (("lr", "lr"), ("other", "momentum"), ("other1", "weight_decay")):
        lo, hi = ranges[field] = page.evaluate(f"[window.lrplot.plot.scales.{scale}.min, "
                                               f"window.lrplot.plot.scales.{scale}.max]")
        assert lo <= min(fields[field]) <= max(fields[field]) <= hi
    assert ranges["momentum"][0] > 0.5 and ranges["weight_decay"][1] < 0.5  # not one axis from 0.01 to 0.95
    assert page.evaluate("window.lrplot.plot.data.slice(1)") == [fields["lr"], fields["momentum"],
                                                                  fields["weight_decay"]]
    assert errors == []


@pytest.mark.parametrize("width", [40, 60, 100, 200])
def test_terminal_text_keeps_its_legend_and_notes_in_the_width(width):
    # at 40 columns the legend of four schedules (49 characters) and the no-colour note (83) ran past the edge:
    # the terminal wrapped them to its left edge, under the axis labels
    from lrplot.curves import Curves, ScheduleTrace

    def trace(name, values):
        return ScheduleTrace(name, "X", len(values), "step", None, ("0",), ("lr",), {(0, "lr"): np.asarray(values)})

    names = ["cosine", "warmup+cosine", "step", "one-cycle"]
    curves = Curves(tuple(trace(n, np.linspace(0.1, 0.01 * (i + 1), 50)) for i, n in enumerate(names)))
    lines = render_text(curves, RenderOptions(), width=width).splitlines()
    assert max(len(line) for line in lines) <= width
    axis = next(i for i, line in enumerate(lines) if line.lstrip().startswith("\u2514"))
    under = lines[axis + 2:]  # below the axis and its step labels
    assert all(line.startswith("      ") for line in under)
    keys = [key for line in under if line.strip().startswith("- ") for key in line.strip().split("   ")]
    assert keys == [f"- {n}" for n in names]
    said = " ".join(line.strip() for line in under if not line.strip().startswith("- "))
    assert said == "(no colours here, so the curves look alike: FORCE_COLOR=1 colours them)"
