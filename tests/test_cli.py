"""The command line, driven in-process (CliRunner); real processes only where the process is
the subject (lazy imports, python -m, the installed script)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lrplot.engine import simulate
from lrplot.spec import load_spec

from tests.helpers.paths import CONFIGS, ROOT

COSINE = CONFIGS / "cosine.yaml"


def test_draws_png_named_after_the_spec_and_prints_its_path(cli, tmp_path):
    result = cli(COSINE, "-q")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "cosine.png\n"
    assert (tmp_path / "cosine.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name, magic", [("out.svg", b"<?xml"), ("out.pdf", b"%PDF"), ("out.png", b"\x89PNG")])
def test_format_from_suffix(cli, tmp_path, name, magic):
    result = cli(COSINE, "-o", name, "-q")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / name).read_bytes().startswith(magic)


def test_csv_data_matches_simulation_exactly(cli, tmp_path):
    result = cli(CONFIGS / "two_groups.yaml", "--data", "out.csv", "-o", "fig.svg", "-q")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["fig.svg", "out.csv"]
    rows = list(csv.reader((tmp_path / "out.csv").open()))
    assert rows[0] == ["schedule", "group", "field", "step", "value"]
    curves = simulate(load_spec(CONFIGS / "two_groups.yaml"))
    sc = curves.schedules[0]
    assert len(rows) - 1 == 2 * sc.steps
    for row in rows[1:]:
        assert row[0] == "two_groups"
        assert float(row[4]) == sc.values[(int(row[1]), row[2])][int(row[3])]


def test_json_data(cli, tmp_path):
    assert cli(COSINE, "--data", "out.json", "-q").exit_code == 0
    data = json.loads((tmp_path / "out.json").read_text())
    lr = data["schedules"]["cosine"]["groups"][0]["fields"]["lr"]
    assert len(lr) == 200 and lr[0] == 0.1


def test_summary_table_on_stderr_unless_quiet(cli):
    result = cli(CONFIGS / "step.yaml")
    assert "peak (step)" in result.stderr and "30, 60" in result.stderr
    assert "peak" not in cli(CONFIGS / "step.yaml", "-q").stderr


@pytest.mark.parametrize("body, expected", [
    ("steps: 10\nscheduler: {type: CosineAnealingLR}\n",
     "spec.yaml:2:19: unknown scheduler 'CosineAnealingLR'; did you mean 'CosineAnnealingLR'?"),
    ("steps: 10\nscheduler: {type: StepLR, step_size: 2, gama: 0.5}\n",
     "spec.yaml:2:41: StepLR has no argument 'gama'; did you mean 'gamma'? valid: StepLR(step_size, gamma=0.1, last_epoch=-1)"),
    ("steps: 10\nscheduler: {type: LambdaLR, lr_lambda: \"epoch **\"}\n",
     "spec.yaml:2:41: lr_lambda is not a valid expression: invalid syntax"),
    ("steps: 10\nscheduler:\n  type: StepLR\n  step_size: 2\n  step_size: 3\n",
     "spec.yaml:5:3: duplicate key 'step_size' (first given at line 4); remove one of them"),
    ("stpes: 10\nscheduler: {type: StepLR, step_size: 2}\n",
     "spec.yaml:1:1: unknown key 'stpes'; did you mean 'steps'?"),
    ("steps: [\n", "spec.yaml:2:1: not valid YAML: expected the node content, but found '<stream end>'"),
])
def test_bad_specs_get_one_located_line_and_exit_1(cli, write_spec, body, expected):
    result = cli(write_spec(body).name, "-q")  # as typed, relative to the working folder
    assert result.exit_code == 1
    assert result.stderr == expected + "\n"  # one line, no traceback
    assert not list(write_spec("x").parent.glob("*.png"))  # nothing written


def test_1e_3_is_a_number_end_to_end(cli, write_spec, tmp_path):
    path = write_spec("steps: 10\noptimizer: {type: SGD, lr: 1e-3}\nscheduler: {type: LinearLR, start_factor: 5e-1}\n")
    assert cli(path, "--data", "d.json", "-q").exit_code == 0
    lr = json.loads((tmp_path / "d.json").read_text())["schedules"]["spec"]["groups"][0]["fields"]["lr"]
    assert lr[0] == 1e-3 * 5e-1


@pytest.mark.parametrize("args, code, message", [
    (["missing.yaml"], 1, "missing.yaml: no such file"),
    ([COSINE, "-o", "out.jpg"], 2, "lrplot: out.jpg: unknown figure format '.jpg'; use one of .png, .svg, .pdf, .html"),
    ([COSINE, "-o", "nope/out.png"], 1, "lrplot: nope/out.png: the folder nope does not exist; create it first"),
    ([COSINE, "--data", "out.xlsx"], 2, "lrplot: out.xlsx: unknown data format '.xlsx'; use one of .csv, .json"),
    ([COSINE, "--layout", "mosaic"], 2, "lrplot: unknown layout 'mosaic'; use one of auto, overlay, grid, fields, groups"),
    ([COSINE, "--size", "big"], 2, "lrplot: size 'big': expected WIDTHxHEIGHT in inches, each 1 to 100, e.g. 8x4.5"),
    ([COSINE, "--bogus"], 2, "lrplot plot: No such option: --bogus (Possible options: --log, --log-run) (see 'lrplot plot --help')"),
    ([COSINE, "--set", "scheduler.T_mx=5"], 1,
     "--set scheduler.T_mx: CosineAnnealingLR has no argument 'T_mx'; did you mean 'T_max'? valid: "
     "CosineAnnealingLR(T_max, eta_min=0.0, last_epoch=-1)"),
])
def test_usage_and_input_errors(cli, args, code, message):
    result = cli(*args, "-q")
    assert result.exit_code == code
    assert result.stderr == message + "\n"


def test_refuses_to_overwrite_its_input(cli, tmp_path):
    spec = tmp_path / "in.svg"
    spec.write_text(COSINE.read_text())
    result = cli(spec, "-o", spec, "-q")
    assert result.exit_code == 2 and "refusing to overwrite an input file" in result.stderr
    assert spec.read_text() == COSINE.read_text()


def test_failed_run_keeps_the_previous_good_figure(cli, write_spec, tmp_path):
    good = write_spec("steps: 10\nscheduler: {type: StepLR, step_size: 2}\n", "s.yaml")
    assert cli(good, "-o", "fig.png", "-q").exit_code == 0
    before = (tmp_path / "fig.png").read_bytes()
    bad = write_spec("steps: 10\nscheduler: {type: StepLR, step_size: 0}\n", "b.yaml")  # fails mid-run
    assert cli(bad, "-o", "fig.png", "-q").exit_code == 1
    assert (tmp_path / "fig.png").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_spec_named_like_a_command_stays_reachable(cli, tmp_path):
    (tmp_path / "schema").write_text(COSINE.read_text())
    result = cli("./schema", "-o", "s.png", "-q")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "s.png").exists()
    schema = cli("schema")
    assert json.loads(schema.stdout)["title"] == "lrplot spec"


def test_several_files_overlay_with_unique_labels(cli, tmp_path):
    result = cli(CONFIGS / "cosine.yaml", CONFIGS / "step.yaml", "--data", "d.csv", "-q")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == "cosine_vs_step.png"
    names = {row[0] for row in list(csv.reader((tmp_path / "d.csv").open()))[1:]}
    assert names == {"cosine", "step"}


def test_theme_both_writes_light_and_dark(cli, tmp_path):
    result = cli(COSINE, "--theme", "both", "-o", "c.svg", "-q")
    assert result.stdout.splitlines() == ["c.light.svg", "c.dark.svg"]
    assert (tmp_path / "c.light.svg").read_bytes() != (tmp_path / "c.dark.svg").read_bytes()


def test_version_and_help(cli):
    from lrplot import __version__

    assert cli("--version").stdout == f"lrplot {__version__}\n"
    result = cli("--help")
    assert result.exit_code == 0
    for command in ("plot", "schema"):
        assert command in result.stdout


# --- real processes: where the process itself is the subject --------------------------------------

def _run(*args, **kw):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=120, **kw)


@pytest.mark.slow
@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_do_not_import_torch_or_matplotlib(flag):
    # printed by an exit handler: lrplot runs them, then leaves without finalizing (lrplot.tricks.exit_now)
    code = ("import atexit, sys, runpy; sys.argv = ['lrplot', %r]\n"
            "atexit.register(lambda: print('HEAVY', sorted(m for m in ('torch', 'matplotlib', 'numpy', 'pydantic')"
            " if m in sys.modules)))\n"
            "runpy.run_module('lrplot', run_name='__main__')\n"
            % flag)
    out = _run("-c", code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "HEAVY []"


@pytest.mark.slow
@pytest.mark.parametrize("how", [["--no-figure"], ["-o", "none"]])
def test_data_without_a_figure_never_imports_matplotlib(tmp_path, how):
    code = ("import atexit, sys, runpy; sys.argv = ['lrplot', %r, '--data', %r, '-q', '--no-cache', *%r]\n"
            "atexit.register(lambda: print('MPL', 'matplotlib' in sys.modules))\n"
            "runpy.run_module('lrplot', run_name='__main__')\n" % (str(COSINE), str(tmp_path / "c.csv"), how))
    out = _run("-c", code, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [str(tmp_path / "c.csv"), "MPL False"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv"]  # no figure file, no "none"
    rows = (tmp_path / "c.csv").read_text().splitlines()
    assert rows[:2] == ["schedule,group,field,step,value", "cosine,0,lr,0,0.1"] and len(rows) == 201


@pytest.mark.slow
def test_python_dash_m(tmp_path):
    out = _run("-m", "lrplot", str(COSINE), "-o", str(tmp_path / "m.svg"), "-q")
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"{tmp_path / 'm.svg'}\n" and (tmp_path / "m.svg").exists()
    bad = _run("-m", "lrplot", str(tmp_path / "none.yaml"))
    assert bad.returncode == 1 and bad.stderr == f"{tmp_path / 'none.yaml'}: no such file\n"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("lrplot") is None, reason="lrplot is not installed as a script")
def test_installed_script(tmp_path):
    out = subprocess.run(["lrplot", "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("lrplot ")


def test_figure_to_standard_output(cli, tmp_path):
    result = cli(COSINE, "-o", "-", "--format", "svg", "-q")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("<?xml") and "<svg" in result.stdout
    assert not list(tmp_path.glob("*.svg"))
    png = cli(COSINE, "-o", "-", "-q")  # CliRunner's stdout is not a terminal
    assert png.exit_code == 0 and png.stdout_bytes.startswith(b"\x89PNG")


def test_no_figure_writes_the_numbers_and_the_summary_only(cli, tmp_path):
    result = cli(COSINE, "--no-figure", "--data", "out.json")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "out.json\n" and "peak (step)" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]
    assert cli(COSINE, "-o", "none", "-q").stdout == "" and not list(tmp_path.glob("*.png"))


@pytest.mark.parametrize("args, message", [
    (["--no-figure", "-o", "x.png"], "lrplot: -o x.png names a figure, but --no-figure draws none; "
                                     "leave -o out, or drop --no-figure"),
    (["-o", "none", "--format", "svg"], "lrplot: --format svg names a figure format, but no figure is drawn "
                                        "(--no-figure or -o none); leave --format out, or drop --no-figure"),
    # each was accepted and did nothing: --theme both wrote neither NAME.light nor NAME.dark
    (["-o", "none", "--theme", "both"], "lrplot: --theme both changes the figure, but no figure is drawn (-o none); "
                                        "leave --theme out, or drop -o none to draw one"),
    (["--no-figure", "--style", "ggplot"], "lrplot: --style ggplot changes the figure, but no figure is drawn "
                                           "(--no-figure); leave --style out, or drop --no-figure to draw one"),
    *[(["-o", "none", *given], f"lrplot: {given[0]} changes the figure, but no figure is drawn (-o none); "
                               f"leave {given[0]} out, or drop -o none to draw one")
      for given in (["--layout", "grid"], ["--x", "epoch"], ["--log-y"], ["--title", "T"], ["--size", "4x3"],
                    ["--dpi", "300"], ["--no-legend"], ["--annotate", "none"], ["--xlim", "0,10"], ["--ylim", "0,1"],
                    ["--no-inset"])],
])
def test_no_figure_refuses_a_figure_option(cli, tmp_path, args, message):
    result = cli(COSINE, *args, "--data", "x.csv")
    assert result.exit_code == 2 and result.stderr.splitlines() == [message]
    assert not list(tmp_path.iterdir())  # refused before any work: not even the numbers


def test_no_figure_takes_the_figures_defaults_said_aloud(cli, tmp_path):
    result = cli(COSINE, "-o", "none", "--theme", "light", "--layout", "auto", "--dpi", "150", "--data", "x.csv", "-q")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv"]


def test_binary_figure_to_a_terminal_is_refused(tmp_path):
    from lrplot.errors import UsageError
    from lrplot.output import plan_figures

    with pytest.raises(UsageError, match="refusing to write a binary PNG figure to the terminal"):
        plan_figures(Path("-"), [COSINE], "light", None, "png", stdout_is_tty=True)
    (svg,) = plan_figures(Path("-"), [COSINE], "light", None, "svg", stdout_is_tty=True)
    assert svg.path is None and svg.fmt == "svg"
    with pytest.raises(UsageError, match="--format pdf does not match the output name out.png"):
        plan_figures(Path("out.png"), [COSINE], "light", None, "pdf", stdout_is_tty=False)


def test_nan_values_are_reported_and_still_drawn(cli, write_spec, tmp_path):
    path = write_spec('steps: 6\nscheduler: {type: LambdaLR, lr_lambda: "inf * 0 if epoch > 2 else 1"}\n')
    result = cli(path.name, "-o", "n.svg", "-q")
    assert result.exit_code == 0
    assert result.stderr == ("lrplot: warning: 'spec' lr of group 0 is NaN or infinite at 3 step(s), first at "
                             "step 3; drawn where finite\n")
    assert (tmp_path / "n.svg").stat().st_size > 1000


def test_spec_named_check_is_reachable_as_dot_slash(cli, tmp_path):
    (tmp_path / "check").write_text(COSINE.read_text())
    result = cli("./check", "-o", "c.svg", "-q")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "c.svg\n"
    assert cli("check", "./check").stdout.splitlines()[-1].startswith("1 schedule(s) checked")


def test_presentation_options(cli, tmp_path):
    import struct

    result = cli(COSINE, "-o", "small.png", "--size", "4x3", "--dpi", "100", "--title", "Mine", "--no-legend", "-q")
    assert result.exit_code == 0, result.stderr
    width, height = struct.unpack(">II", (tmp_path / "small.png").read_bytes()[16:24])
    assert (width, height) == (400, 300)
    style = tmp_path / "mine.mplstyle"
    style.write_text("axes.facecolor: 123456\n")
    for name in ("ggplot", str(style)):
        assert cli(COSINE, "-o", "s.svg", "--style", name, "-q").exit_code == 0
    assert "#123456" in (tmp_path / "s.svg").read_text()


def test_library_api_is_importable_from_the_package(tmp_path):
    import lrplot

    curves = lrplot.simulate(lrplot.load_spec(COSINE))
    fig = lrplot.render(curves, title="API")
    assert fig._suptitle.get_text() == "API"
    assert lrplot.save_figure(fig, tmp_path / "api.svg").exists()
