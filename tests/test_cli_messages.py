"""The messages a new user meets describe the problem they actually have (issue: 'messages that
describe the wrong problem'), and --help reads like a well-made CLI at 80 columns."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from tests.helpers import forked
from tests.helpers.paths import ROOT

SCHEDULES = "steps: 50\nschedules:\n  - name: a\n    scheduler: {type: CosineAnnealingLR, T_max: 50}\n"
SEQUENTIAL = ("steps: 50\nscheduler:\n  type: SequentialLR\n  milestones: [5]\n  schedulers:\n"
              "    - {type: LinearLR, total_iters: 5}\n    - {type: CosineAnnealingLR, T_max: 45}\n")


@pytest.mark.parametrize("text,args,expected", [
    (SCHEDULES, ["--set", "scheduler.T_max=5"],
     "--set scheduler.T_max: this spec lists 'schedules:', so it has no top-level 'scheduler'; set one "
     "schedule's: --set schedules[0].scheduler.T_max=... (schedules: a)"),
    (SEQUENTIAL, ["--set", "schedulers[1].T_max=5"],
     "--set schedulers[1].T_max: unknown key 'schedulers'; did you mean 'scheduler.schedulers[1].T_max'?"),
    (SEQUENTIAL, ["--set", "schedules[0].name=x"],
     "--set schedules[0].name: this spec has one 'scheduler:', not a 'schedules:' list; set it with "
     "--set scheduler.KEY=VALUE"),
    (SEQUENTIAL, ["-o", "out/"], "lrplot: out: is a folder, not a figure file; name a file in it, e.g. out/name.png"),
    ("steps: 10\noptimizer: {type: Adam}\nfields: [momentun]\nscheduler: {type: OneCycleLR, max_lr: 1, total_steps: 10}\n",
     [], "s.yaml:3:10: the param groups have no field 'momentun'; did you mean 'momentum'?"),
    ("steps: 10\nscheduler:\n\ttype: StepLR\n", [],
     "s.yaml:3:1: not valid YAML: found character '\\t' that cannot start any token; YAML indents with spaces, "
     "never tabs: replace the tab with spaces"),
    ("steps: 10\nscheduler:\n  type: StepLR\n   step_size: 2\n", [],
     "s.yaml:4:13: not valid YAML: mapping values are not allowed here; this line is indented deeper than the "
     "key above it (or a value holds ': ': quote it); line keys of one mapping up at the same column"),
    ("steps: 10\nscheduler:\n  type: StepLR\n step_size: 2\n", [],
     "s.yaml:4:2: not valid YAML: expected <block end>, but found '<block mapping start>'; this line is "
     "indented less than the block it belongs to: line it up with the keys above it"),
])
def test_message_names_the_real_problem(cli, tmp_path, text, args, expected):
    (tmp_path / "s.yaml").write_text(text)
    (tmp_path / "out").mkdir()
    result = cli("s.yaml", *args, "-q")
    assert result.exit_code in (1, 2)
    assert result.stderr == expected + "\n"


def test_resume_and_state_refuse_bad_at_before_any_work(cli, tmp_path):
    (tmp_path / "s.yaml").write_text(SEQUENTIAL)
    result = cli("resume", "s.yaml", "--at", "-1")
    assert result.exit_code == 2 and "'--at'" in result.stderr and len(result.stderr.splitlines()) == 1
    result = cli("state", "s.yaml")
    assert result.exit_code == 2 and "Missing option '--at'" in result.stderr


def test_verify_without_log_says_how_the_log_is_named(cli, tmp_path):
    """'lrplot verify plan.yaml run.csv', the log as a second argument: the missing --log says how to name it."""
    (tmp_path / "s.yaml").write_text(SEQUENTIAL)
    (tmp_path / "run.csv").write_text("step,lr\n0,0.1\n")
    for args in (("s.yaml", "run.csv"), ("s.yaml",)):
        result = cli("verify", *args)
        assert result.exit_code == 2 and result.stderr == (
            "lrplot verify: Missing option '--log': the training log is named with it (lrplot verify PLAN --log LOG) "
            "(see 'lrplot verify --help')\n"), result.stderr


def run(*args: str, columns: int = 80) -> subprocess.CompletedProcess:
    """``python -m lrplot ARGS`` in a child forked from a server that imported lrplot once (tests/helpers/forked.py)."""
    env = {**os.environ, "COLUMNS": str(columns), "PYTHONPATH": str(ROOT)}
    return forked.run(args, text=True, env=env, cwd=ROOT)


@pytest.mark.slow
def test_no_arguments_prints_help_alone():
    result = run()
    assert result.returncode == 2 and result.stderr == ""
    assert result.stdout.startswith("Usage: lrplot [OPTIONS] COMMAND [ARGS]...")


@pytest.mark.slow
@pytest.mark.parametrize("command", ["", "plot", "check", "resume", "state", "gallery", "schema", "verify"])
def test_help_reads_well_at_80_columns(command):
    result = run(*([command] if command else []), "--help")
    assert result.returncode == 0
    text = result.stdout
    assert all(len(line) <= 80 for line in text.splitlines())
    assert not re.search(r"<(bool|str|int|path|list\[Path\]|int range|float)>", text)  # no Python type names
    assert "{SPEC}" not in text and "..." not in text.replace("SPEC...", "").replace("[ARGS]...", "")


def test_a_misspelt_command_is_named_not_read_as_a_missing_spec(cli, tmp_path):
    # said "chek: no such file", a spec that was never meant
    r = cli("chek", "s.yaml")
    assert r.exit_code == 2 and r.stderr == "lrplot: chek: no such command or spec file; did you mean 'check'?\n"
    assert cli("cosine").stderr == "cosine: no such file\n"  # far from every command: a spec
    (tmp_path / "chek").write_text(SEQUENTIAL)  # a spec file of that name is read as one
    assert cli("chek", "-q", "-o", "c.png").exit_code == 0


@pytest.mark.parametrize("args, flag", [(["--log-format", "csv"], "--log-format"), (["--log-key", "lr"], "--log-key"),
                                        (["--log-skip-corrupt"], "--log-skip-corrupt"), (["--log-run", "x"], "--log-run")])
def test_a_log_option_without_a_log_is_refused(cli, tmp_path, args, flag):
    # was accepted and ignored: a figure without the log the user meant to read, and no word of it
    (tmp_path / "s.yaml").write_text(SEQUENTIAL)
    r = cli("s.yaml", *args, "-q")
    assert r.exit_code == 2 and r.stderr == (f"lrplot: {flag} needs --log: it tells how to read a training log, and "
                                             f"none is given; add --log LOG, or leave {flag} out\n")
    assert not (tmp_path / "s.png").exists()


@pytest.mark.parametrize("args, flag, name", [(["s.yaml", "-o", "x.png/"], "-o", "x.png"),
                                              (["s.yaml", "--output=x.html/"], "--output", "x.html"),
                                              (["s.yaml", "-ox.svg/"], "-o", "x.svg"),
                                              (["s.yaml", "--data", "x.csv/"], "--data", "x.csv"),
                                              (["verify", "s.yaml", "--log", "log.csv", "-o", "x.svg/"], "-o", "x.svg"),
                                              (["schema", "-o", "x.json/"], "-o", "x.json")])
def test_an_output_file_with_a_trailing_slash_is_refused(cli, tmp_path, args, flag, name):
    # a path loses its trailing slash: -o x.png/ (a folder meant) wrote the file x.png
    (tmp_path / "s.yaml").write_text(SEQUENTIAL)
    (tmp_path / "log.csv").write_text("step,lr\n0,0.1\n")
    r = cli(*args, "-q") if args[0] == "s.yaml" else cli(*args)
    assert r.exit_code == 2 and r.stderr == (f"lrplot: {flag} {name}/: no such folder (a trailing slash names one); "
                                             f"to write the file, leave the slash out: {flag} {name}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.csv", "s.yaml"]
    (tmp_path / f"{name}").mkdir()  # an existing folder is refused as one, by every command alike (schema said
    r = cli(*args, "-q") if args[0] == "s.yaml" else cli(*args)  # "cannot write: Is a directory", exit 1)
    what, suffix = {"--data": ("data", "csv"), "schema": ("schema", "json")}.get(args[0] if args[0] == "schema" else flag,
                                                                                ("figure", "png"))
    assert (r.exit_code, r.stderr) == (2, f"lrplot: {name}: is a folder, not a {what} file; name a file in it, "
                                          f"e.g. {name}/name.{suffix}\n")


def test_verify_refuses_a_global_batch_the_log_does_not_use(cli, tmp_path):
    # a log counted in updates: --global-batch was accepted and ignored, as if the run had been compared at that batch
    (tmp_path / "s.yaml").write_text("steps: 3\nscheduler: {type: StepLR, step_size: 2}\n")
    (tmp_path / "log.csv").write_text("step,lr\n0,0.1\n1,0.1\n2,0.010000000000000002\n")
    assert cli("verify", "s.yaml", "--log", "log.csv").exit_code == 0  # the log follows the plan (0.1 x 0.1 in float64)
    r = cli("verify", "s.yaml", "--log", "log.csv", "--global-batch", "32")
    # a plain loop's steps do not say what they count: refused as no count of samples seen at 32 per update
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", (
        "lrplot: --global-batch 32 does not fit the log: lr's steps (a plain loop: they do not say what they "
        "count) are not all multiples of 32 (step 1), as samples seen at 32 per update would be; give the run's "
        "samples per update, or leave --global-batch out (its steps are then read as updates)\n"))


def test_a_warning_wrapped_over_lines_is_one_whole_line(capsys):
    """Composer's warmup warning (composer/optim/scheduler.py, mosaicml 0.32.1, textwrap.dedent of three lines) was
    cut after its first line: 'If you specified warmup as a fraction of total'. A second paragraph stays out."""
    from lrplot.cli.report import _warning_line

    message = ("The warmup duration is 0. If you specified warmup as a fraction of total\ntraining duration, take "
               "note that the warmup duration is calculated in the\nsame unit as the trainer's max_duration "
               "parameter.\n\nDetails follow.")
    _warning_line(UserWarning(message), UserWarning, "x.py", 1)
    assert capsys.readouterr().err == (
        "lrplot: warning: The warmup duration is 0. If you specified warmup as a fraction of total training "
        "duration, take note that the warmup duration is calculated in the same unit as the trainer's max_duration "
        "parameter.\n")


@pytest.mark.parametrize("args, line", [
    (["s.yaml", "-o", ""], "lrplot: -o '': the output path is empty; name a file"),
    (["s.yaml", "--output="], "lrplot: --output '': the output path is empty; name a file"),
    (["s.yaml", "-o", "x.png", "--data", ""], "lrplot: --data '': the output path is empty; name a file"),
    (["gallery", "s.yaml", "-o", ""], "lrplot: -o '': the output path is empty; name a folder"),
    (["verify", "s.yaml", "--log", ""], "lrplot: --log '': the path is empty; name the training log"),
    (["schema", "-o", ""], "lrplot: -o '': the output path is empty; name a file"),
    (["", "-o", "x.png"], "lrplot: '': an input path is empty; name a spec or config file"),
])
def test_an_empty_path_is_refused_as_empty(cli, tmp_path, args, line):
    # '' is the path '.': "-o ''" was told ".: is a folder, not a figure file", and a gallery's -o '' aimed at
    # the current folder
    (tmp_path / "s.yaml").write_text(SEQUENTIAL)
    r = cli(*args)
    assert (r.exit_code, r.stderr) == (2, line + "\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]


def test_an_empty_value_of_an_option_that_is_no_path_is_not_an_input(cli, tmp_path):
    (tmp_path / "s.yaml").write_text(SEQUENTIAL)
    r = cli("s.yaml", "--title", "", "-o", "x.svg", "-q")
    assert r.exit_code == 0, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml", "x.svg"]
