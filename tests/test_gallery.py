"""The committed gallery is exactly what the code renders today."""

from __future__ import annotations

import re
import shlex
from importlib.metadata import version

import pytest
from typer.testing import CliRunner

from lrplot.cli import app

from lrplot.errors import OutputError
from lrplot.gallery import MARKER, build_gallery, gallery_configs

from tests.helpers.paths import CONFIGS, ROOT

GALLERY = ROOT / "gallery"


def config_imports():
    """The --allow-import values the configs need (the gallery is made with all of them): the paths
    of the two local example modules, and mmengine (reading an MMEngine config runs it); the libraries'
    scheduler modules are trusted."""
    from lrplot.sources import load_input
    from tests.helpers.configs import import_needs

    from tests.helpers.timm_stub import install_timm_stub

    install_timm_stub()  # the timm args.yaml reader runs timm's real factory, without torchvision
    # Reading an MMEngine config runs it, so the gallery is made allowing mmengine.
    reading = frozenset({"mmengine"})
    names = {a for p, inputs in gallery_configs(CONFIGS)
             for a in import_needs(load_input(p, inputs=inputs, allow_import=reading).spec)[0]}
    return sorted(names | reading)


def gallery_command(readme) -> str:
    """The ``lrplot gallery ...`` command a README states (an indented line, or inline code)."""
    found = re.search(r"^ {4}(lrplot gallery .+)$|`(lrplot gallery [^`]+)`", readme.read_text(), re.M)
    assert found, f"{readme} states no lrplot gallery command"
    return found.group(1) or found.group(2)


def test_readme_quotes_the_gallerys_own_command():
    assert gallery_command(ROOT / "README.md") == gallery_command(GALLERY / "README.md")


@pytest.mark.slow
def test_regenerating_the_gallery_changes_nothing(tmp_path, monkeypatch):
    stamp = re.search(r"matplotlib (\S+?)\.\s*$", (GALLERY / "README.md").read_text(), re.M)
    if stamp is None or stamp.group(1) != version("matplotlib"):
        pytest.skip("PNG/SVG bytes are only stable within one matplotlib version; the gallery was rendered "
                    f"with {stamp.group(1) if stamp else 'an unknown version'}, this is {version('matplotlib')}")
    from tests.helpers.configs import importable

    unrendered = re.findall(r"needs the `(\w+)` package", (GALLERY / "README.md").read_text())
    if any(importable(name) for name in unrendered):
        pytest.skip(f"the gallery was made without {', '.join(unrendered)}, which this machine has")
    out = tmp_path / "gallery"
    from tests.helpers.timm_stub import install_timm_stub

    install_timm_stub()  # timm's real scheduler code without torchvision (the configs' imports: the command's)
    # the command gallery/README.md states (and README.md quotes), into a temporary folder
    args = shlex.split(gallery_command(GALLERY / "README.md"))[1:]
    args[args.index("-o") + 1] = str(out)
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{out / 'README.md'} ({len(gallery_configs(CONFIGS))} configs)\n"
    assert len(gallery_configs(CONFIGS)) > len(list(CONFIGS.glob("*.yaml")))
    fresh = sorted(p.name for p in out.iterdir())
    committed = sorted(p.name for p in GALLERY.iterdir())
    assert fresh == committed, "regenerate with: lrplot gallery configs/ -o gallery/"
    for name in fresh:
        if name == "README.md":
            # the index links configs relative to the gallery folder, which differs in tmp
            continue
        assert (out / name).read_bytes() == (GALLERY / name).read_bytes(), \
            f"{name} is stale: regenerate with: lrplot gallery configs/ -o gallery/"


def test_index_lists_every_config_under_its_title():
    text = (GALLERY / "README.md").read_text()
    assert MARKER in text
    assert "## Cosine annealing\n\n[`cosine.yaml`](../configs/cosine.yaml) · [SVG](cosine.svg)\n\n" \
           "![Cosine annealing](cosine.png)" in text
    for config, _ in gallery_configs(CONFIGS):
        assert f"(../configs/{config.relative_to(CONFIGS).as_posix()})" in text
    assert "![hf_sft](frameworks-hf_sft.png)" in text
    assert config_imports() == sorted([str(CONFIGS / "accelerated_schedules.py"), "mmengine",
                                       str(CONFIGS / "my_schedules.py")])
    assert ("\n    lrplot gallery configs/ -o gallery/ --allow-import mmengine --allow-import "
            "configs/accelerated_schedules.py --allow-import configs/my_schedules.py\n") in text


def test_refuses_a_folder_that_is_not_a_gallery(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="exists and is not an lrplot gallery"):
        build_gallery(CONFIGS, tmp_path)


def test_stale_figures_are_removed(tmp_path):
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "a.yaml").write_text("steps: 10\nscheduler: {type: StepLR, step_size: 2}\n")
    (configs / "b.yaml").write_text("steps: 10\nscheduler: {type: StepLR, step_size: 3}\n")
    out = tmp_path / "g"
    build_gallery(configs, out)
    (configs / "b.yaml").unlink()
    build_gallery(configs, out)
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "a.png", "a.svg"]


def test_gallery_command(cli, tmp_path):
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "a.yaml").write_text("title: A\nsteps: 10\nscheduler: {type: StepLR, step_size: 2}\n")
    result = cli("gallery", "configs", "-o", "out")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "out/README.md (1 configs)\n"
    assert "## A" in (tmp_path / "out" / "README.md").read_text()


# --- all-or-nothing, failures listed, only lrplot's own files touched (issue 9) ------------------

GOOD = "title: A\nsteps: 10\nscheduler: {type: StepLR, step_size: 2}\n"
BAD = "steps: 10\nscheduler:\n  type: MultiStepLR\n  milestones: 3, 6\n"


def _folder(tmp_path, **configs):
    folder = tmp_path / "specs"
    folder.mkdir(exist_ok=True)
    for name, text in configs.items():
        (folder / f"{name}.yaml").write_text(text)
    return folder


def _listing(folder):
    return sorted(p.name for p in folder.iterdir())


def test_a_failing_config_is_listed_the_rest_rendered_and_the_rerun_works(cli, tmp_path):
    _folder(tmp_path, a=GOOD, b=BAD)
    r = cli("gallery", "specs", "-o", "out")
    assert r.exit_code == 1
    assert r.stdout == "out/README.md (2 configs, 1 failed: listed in the index)\n"
    assert r.stderr.strip() == ("specs/b.yaml:4:15: MultiStepLR milestones: expected a list of integers, got the text "
                                "'3, 6'; write [3, 6]")
    assert _listing(tmp_path / "out") == ["README.md", "a.png", "a.svg"]
    index = (tmp_path / "out" / "README.md").read_text()
    assert "## Not rendered: errors\n\n- `b.yaml`: specs/b.yaml:4:15: MultiStepLR milestones" in index
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left
    (tmp_path / "specs" / "b.yaml").write_text(GOOD.replace("A", "B"))
    r = cli("gallery", "specs", "-o", "out")  # never "not an lrplot gallery"
    assert r.exit_code == 0, r.stderr
    assert _listing(tmp_path / "out") == ["README.md", "a.png", "a.svg", "b.png", "b.svg"]
    assert "Not rendered" not in (tmp_path / "out" / "README.md").read_text()


def test_yml_specs_are_drawn_and_same_stems_keep_their_suffix(cli, tmp_path):
    # before: a.yml was skipped without a word ("1 configs"), and a.yaml beside a.json in frameworks/
    # wrote one figure over the other, the index showing the same image under both
    _folder(tmp_path, a=GOOD)
    (tmp_path / "specs" / "b.yml").write_text(GOOD.replace("A", "B"))
    (tmp_path / "specs" / "frameworks").mkdir()
    (tmp_path / "specs" / "frameworks" / "x.yaml").write_text(GOOD.replace("A", "X1"))
    (tmp_path / "specs" / "frameworks" / "x.yml").write_text(GOOD.replace("A", "X2"))
    r = cli("gallery", "specs", "-o", "out")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "out/README.md (4 configs)\n"
    assert _listing(tmp_path / "out") == ["README.md", "a.png", "a.svg", "b.png", "b.svg", "frameworks-x.yaml.png",
                                          "frameworks-x.yaml.svg", "frameworks-x.yml.png", "frameworks-x.yml.svg"]
    out = tmp_path / "out"
    assert (out / "frameworks-x.yaml.svg").read_bytes() != (out / "frameworks-x.yml.svg").read_bytes()


def test_a_config_whose_package_is_missing_is_said_on_the_command_line_too(cli, tmp_path):
    _folder(tmp_path, a=GOOD, b='steps: 10\nscheduler: {type: "nopkg_lrplot_x.sched:Foo"}\n')
    r = cli("gallery", "specs", "-o", "out", "--allow-import", "nopkg_lrplot_x")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "out/README.md (2 configs, 1 not rendered for a missing package)\n"
    assert r.stderr == "specs/b.yaml: not rendered: it needs the nopkg_lrplot_x package, which is not installed\n"
    assert _listing(tmp_path / "out") == ["README.md", "a.png", "a.svg"]
    assert "it needs the `nopkg_lrplot_x` package" in (tmp_path / "out" / "README.md").read_text()


def test_regenerating_with_a_failure_leaves_no_stale_readme(cli, tmp_path):
    _folder(tmp_path, a=GOOD, b=GOOD.replace("A", "B"))
    assert cli("gallery", "specs", "-o", "out").exit_code == 0
    (tmp_path / "specs" / "b.yaml").write_text(BAD)
    assert cli("gallery", "specs", "-o", "out").exit_code == 1
    index = (tmp_path / "out" / "README.md").read_text()
    assert "![B]" not in index and "- `b.yaml`: " in index
    assert _listing(tmp_path / "out") == ["README.md", "a.png", "a.svg"]  # b's old figures went with it


def test_files_lrplot_did_not_write_are_never_deleted(cli, tmp_path):
    _folder(tmp_path, a=GOOD, b=GOOD)
    assert cli("gallery", "specs", "-o", "out").exit_code == 0
    (tmp_path / "out" / "mine.png").write_bytes(b"my own figure")
    (tmp_path / "out" / "notes.svg").write_text("<svg/>")
    (tmp_path / "specs" / "b.yaml").unlink()
    assert cli("gallery", "specs", "-o", "out").exit_code == 0
    assert _listing(tmp_path / "out") == ["README.md", "a.png", "a.svg", "mine.png", "notes.svg"]
    assert (tmp_path / "out" / "mine.png").read_bytes() == b"my own figure"
    (tmp_path / "specs" / "mine.yaml").write_text(GOOD)  # would overwrite the user's mine.png
    r = cli("gallery", "specs", "-o", "out")
    assert r.exit_code == 1
    assert r.stderr.strip() == ("lrplot: out/mine.png: exists and was not written by lrplot gallery; "
                                "move it away, or choose another folder")
    assert (tmp_path / "out" / "mine.png").read_bytes() == b"my own figure"


def test_an_interrupted_run_leaves_the_gallery_as_it_was(tmp_path, monkeypatch):
    configs = _folder(tmp_path, a=GOOD, b=GOOD.replace("A", "B"))
    out = tmp_path / "out"
    build_gallery(configs, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (configs / "c.yaml").write_text(GOOD.replace("A", "C"))
    import lrplot.figure

    real = lrplot.figure.render_themed
    calls = []

    def interrupted(curves, figures, opts):  # each config's figure: a, b, then c interrupted
        calls.append(figures)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(curves, figures, opts)

    monkeypatch.setattr(lrplot.figure, "render_themed", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_gallery(configs, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert _listing(tmp_path) == ["out", "specs"]  # no temporary folder left
    monkeypatch.undo()
    build_gallery(configs, out)
    assert _listing(out) == ["README.md", "a.png", "a.svg", "b.png", "b.svg", "c.png", "c.svg"]


def test_the_readme_describes_the_folders_and_command_the_user_ran(cli, tmp_path):
    _folder(tmp_path, a=GOOD)
    (tmp_path / "docs").mkdir()
    r = cli("gallery", "specs", "-o", "docs/figs")
    assert r.exit_code == 0, r.stderr
    index = (tmp_path / "docs" / "figs" / "README.md").read_text()
    assert "Every spec of [`specs/`](../../specs) drawn by lrplot" in index
    assert "    lrplot gallery specs/ -o docs/figs/\n" in index
    assert "configs/" not in index
    assert "[`a.yaml`](../../specs/a.yaml)" in index


def test_a_gallery_output_that_is_a_file_is_one_line(cli, tmp_path):
    _folder(tmp_path, a=GOOD)
    (tmp_path / "out").write_text("a file")
    r = cli("gallery", "specs", "-o", "out")
    assert r.exit_code == 1
    assert r.stderr == "lrplot: out: is a file, not a folder; choose a folder for the gallery\n"
    assert (tmp_path / "out").read_text() == "a file"


# --- the look of a gallery: --formats (the page too), --theme, --set, through plot's pipeline -----

def test_formats_theme_and_set_are_drawn_as_plot_draws_them(cli, tmp_path):
    _folder(tmp_path, a=GOOD)
    r = cli("gallery", "specs", "-o", "out", "--formats", "png,svg,html", "--theme", "both", "--set", "steps=20")
    assert r.exit_code == 0, r.stderr
    assert _listing(tmp_path / "out") == ["README.md", "a.dark.png", "a.dark.svg", "a.html", "a.light.png",
                                          "a.light.svg"]
    index = (tmp_path / "out" / "README.md").read_text()
    assert "    lrplot gallery specs/ -o out/ --formats png,svg,html --theme both --set steps=20\n" in index
    assert ("[`a.yaml`](../specs/a.yaml) · [PNG (dark)](a.dark.png) · [SVG (light)](a.light.svg) · "
            "[SVG (dark)](a.dark.svg) · [interactive page](a.html)\n\n![A](a.light.png)\n") in index
    # each file is the one `lrplot plot` writes for the same spec, options and theme (bytes ==)
    for name, args in (("a.dark.png", ["--theme", "dark"]), ("a.light.svg", []), ("a.html", ["--theme", "both"])):
        suffix = name.rsplit(".", 1)[1]
        assert cli("specs/a.yaml", "--set", "steps=20", "-o", f"p.{suffix}", "-q", *args).exit_code == 0
        assert (tmp_path / "out" / name).read_bytes() == (tmp_path / f"p.{suffix}").read_bytes(), name
    # a regeneration with fewer formats removes the files it no longer writes, and says its own command
    assert cli("gallery", "specs", "-o", "out", "--formats", "html").exit_code == 0
    assert _listing(tmp_path / "out") == ["README.md", "a.html"]
    index = (tmp_path / "out" / "README.md").read_text()
    assert "[`a.yaml`](../specs/a.yaml) · [interactive page](a.html)\n" in index and "![A]" not in index


@pytest.mark.parametrize("args, message", [
    (["--formats", "png,gif"], "lrplot: --formats png,gif: use a comma list of png, svg, pdf, html"),
    (["--theme", "solarized"], "lrplot: --theme solarized: use light, dark or both"),
])
def test_a_bad_look_is_one_line_before_any_work(cli, tmp_path, args, message):
    _folder(tmp_path, a=GOOD)
    r = cli("gallery", "specs", "-o", "out", *args)
    assert r.exit_code == 2 and r.stderr == message + "\n"
    assert _listing(tmp_path) == ["specs"]


def test_a_set_a_config_cannot_take_is_that_configs_located_error(cli, tmp_path):
    _folder(tmp_path, a=GOOD)
    r = cli("gallery", "specs", "-o", "out", "--set", "scheduler.step_size=ten")
    assert r.exit_code == 1
    assert r.stderr == "--set scheduler.step_size: StepLR step_size: expected an integer, got the text 'ten'\n"
    assert "## Not rendered: errors" in (tmp_path / "out" / "README.md").read_text()
