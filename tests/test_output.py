"""Output planning: which files a plot writes, refused before any work when they cannot be written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lrplot.errors import OutputError, UsageError
from lrplot.output import default_output, plan_figures, write_atomic, write_text_atomic


def plan(output, specs=("a.yaml",), theme="light", style=None, fmt=None, tty=False):
    return plan_figures(None if output is None else Path(output), [Path(s) for s in specs], theme, style, fmt, tty)


def test_default_names_come_from_the_spec_stems(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert [str(t) for t in plan(None)] == ["a.png"]
    assert [str(t) for t in plan(None, specs=("x/a.yaml", "y/b.yaml", "z/a.yaml"))] == ["a_vs_b.png"]
    assert default_output([Path("c" * 200 + ".yaml")]).name == "c" * 120 + ".png"


def test_theme_both_writes_a_light_and_a_dark_file(tmp_path):
    targets = plan(tmp_path / "fig.svg", theme="both")
    assert [(t.path.name, t.theme, t.fmt) for t in targets] == [("fig.light.svg", "light", "svg"),
                                                               ("fig.dark.svg", "dark", "svg")]


@pytest.mark.parametrize("kwargs,message", [
    ({"output": "-", "fmt": "png", "tty": True}, "refusing to write a binary PNG figure to the terminal"),
    ({"output": "-", "theme": "both"}, "--theme both writes two files; it cannot write to standard output"),
    ({"output": "f.png", "fmt": "svg"}, "--format svg does not match the output name f.png"),
    ({"output": "f.txt"}, "f.txt: unknown figure format '.txt'"),
    ({"output": "f.png", "theme": "sepia"}, "--theme sepia: use light, dark or both"),
    ({"output": "a.yaml.png", "specs": ("a.yaml.png",)}, "a.yaml.png: refusing to overwrite an input file"),
])
def test_impossible_targets_are_refused_up_front(tmp_path, monkeypatch, kwargs, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError) as exc:
        plan(**kwargs)
    assert exc.value.message.startswith(message)


def test_standard_output_in_svg_is_fine_on_a_terminal():
    (target,) = plan("-", fmt="svg", tty=True)
    assert target.path is None and target.fmt == "svg" and str(target) == "-"


def test_missing_folder_and_folder_as_file(tmp_path):
    with pytest.raises(OutputError, match="the folder .* does not exist"):
        plan(tmp_path / "nope" / "f.png")
    with pytest.raises(UsageError, match="is a folder, not a figure file"):
        plan(tmp_path)


def test_atomic_write_replaces_whole_or_not_at_all(tmp_path):
    path = tmp_path / "out.csv"
    write_text_atomic(path, "first\n")

    def fail(fh):
        fh.write(b"half")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        write_atomic(path, fail)
    assert path.read_text() == "first\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]  # no temporary left behind


def test_a_missing_folder_is_said_alike_by_every_writer(cli, tmp_path):
    # schema -o and save_figure write without planning first: they said "cannot write: No such file or directory"
    result = cli("schema", "-o", "nope/schema.json")
    assert result.exit_code == 1
    assert result.stderr == "lrplot: nope/schema.json: the folder nope does not exist; create it first\n"
    with pytest.raises(OutputError) as err:
        write_text_atomic(tmp_path / "nope" / "x.txt", "x")
    assert str(err.value) == f"{tmp_path / 'nope' / 'x.txt'}: the folder {tmp_path / 'nope'} does not exist; create it first"


def test_format_names_are_read_as_suffixes_are_whatever_their_case():
    # -o x.PNG was a PNG while --format PNG was refused ("--format PNG: use png, svg, pdf, html or term")
    assert plan("-", fmt="PNG") == plan("-", fmt="png")
    assert [t.fmt for t in plan("x.svg", fmt="SVG")] == ["svg"]
    with pytest.raises(UsageError) as err:
        plan("-", fmt="JPG")
    assert str(err.value) == "--format jpg: use png, svg, pdf, html or term"


def test_standard_output_is_said_so_where_it_takes_no_file(cli, tmp_path):
    # --data - said "-: unknown data format '(none)'; use one of .csv, .json"
    (tmp_path / "s.yaml").write_text("steps: 10\nscheduler: {type: StepLR, step_size: 3}\n")
    r = cli("s.yaml", "--data", "-", "-q")
    assert r.exit_code == 2 and r.stderr == "lrplot: -: standard output takes no data file here; name a file, e.g. name.csv\n"
    r = cli("resume", "s.yaml", "--at", "5", "-o", "-")
    assert r.exit_code == 2 and r.stderr == "lrplot: -: standard output takes no figure file here; name a file, e.g. name.png\n"


def test_a_theme_beside_a_style_is_refused():
    # --theme dark --style bmh drew bmh alone; --theme both --style bmh wrote one file, not two
    for theme in ("dark", "both"):
        with pytest.raises(UsageError) as err:
            plan("x.png", theme=theme, style="bmh")
        assert str(err.value) == f"--theme {theme} and --style bmh: a style replaces the theme; give one of them"
    assert [(t.path, t.theme) for t in plan("x.png", style="bmh")] == [(Path("x.png"), "bmh")]


def test_verify_reads_o_none_as_plot_does(cli, tmp_path):
    # -o none (no figure, as plot and --no-figure) was refused: "none: unknown figure format '(none)'; use one of ..."
    (tmp_path / "s.yaml").write_text("steps: 3\nscheduler: {type: StepLR, step_size: 2}\n")
    (tmp_path / "log.csv").write_text("step,lr\n0,0.1\n1,0.1\n2,0.010000000000000002\n")
    r = cli("verify", "s.yaml", "--log", "log.csv", "-o", "none")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "lr: follows the plan (3 of 3 logged steps)\n", "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.csv", "s.yaml"]  # no file named none


@pytest.mark.slow  # resume's first optimizer step imports torch._dynamo
def test_resume_reads_o_none_as_plot_does(cli, tmp_path):
    (tmp_path / "s.yaml").write_text("steps: 3\nscheduler: {type: StepLR, step_size: 2}\n")
    r = cli("resume", "s.yaml", "--at", "2", "--method", "full", "-o", "none", "--json")
    assert (r.exit_code, r.stderr) == (0, "") and [(x["method"], x["at"], x["status"]) for x in json.loads(r.stdout)[0]["results"]] \
        == [("full", 2, "identical")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]


def test_a_spec_whose_name_is_not_text_is_drawn_and_exported_under_its_escaped_name(cli, tmp_path):
    # a file name with a byte no encoding decodes (bad\xff.yaml): its name, the schedule's, held a lone surrogate
    # that the SVG and CSV writers cannot encode: "internal error: UnicodeEncodeError", exit 70
    name = os.fsdecode(b"bad\xff.yaml")
    (tmp_path / name).write_text("steps: 2\nscheduler: {type: StepLR, step_size: 1}\n")
    r = cli(name, "-o", "x.svg", "--data", "x.csv", "-q")
    assert (r.exit_code, r.stderr) == (0, "")
    assert (tmp_path / "x.csv").read_text() == ("schedule,group,field,step,value\nbad\\udcff,0,lr,0,0.1\n"
                                                "bad\\udcff,0,lr,1,0.010000000000000002\n")
    assert "bad\\udcff" in (tmp_path / "x.svg").read_text()


def test_a_file_where_the_folder_should_be_is_named_as_a_file(cli, tmp_path, monkeypatch):
    # -o a.png/x.png beside an existing a.png said "the folder a.png does not exist"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.png").write_bytes(b"keep")
    spec = tmp_path / "s.yaml"
    spec.write_text("steps: 5\nscheduler: {type: StepLR, step_size: 1}\n")
    for args, target in ((["-o", "a.png/x.png"], "a.png/x.png"), (["-o", "none", "--data", "a.png/sub/x.csv"], "a.png/sub/x.csv")):
        result = cli(spec, *args, "-q")
        assert (result.exit_code, result.stderr) == (1, f"lrplot: {target}: a.png is a file, not a folder; "
                                                         "write into a folder, or move it away\n")
    result = cli("schema", "-o", "a.png/schema.json")
    assert (result.exit_code, result.stderr) == (1, "lrplot: a.png/schema.json: a.png is a file, not a folder; "
                                                    "write into a folder, or move it away\n")
    with pytest.raises(OutputError) as err:
        write_text_atomic(tmp_path / "a.png" / "x.txt", "x")
    assert str(err.value) == f"{tmp_path / 'a.png' / 'x.txt'}: {tmp_path / 'a.png'} is a file, not a folder; " \
                             "write into a folder, or move it away"
    assert (tmp_path / "a.png").read_bytes() == b"keep" and sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "s.yaml"]
