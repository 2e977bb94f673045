"""The MkDocs plugin, through a real ``mkdocs build --strict``: HTML, image files (byte-equal to the
CLI's), the cache, and a located error."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from tests.helpers import forked
from tests.helpers.installed import require
from tests.helpers.paths import CONFIGS, ROOT

pytestmark = pytest.mark.slow
require("mkdocs")


def env(tmp_path: Path) -> dict:
    paths = [str(ROOT)]
    if not any(ep.name == "lrplot" for ep in entry_points(group="mkdocs.plugins")):
        # this checkout is not installed (lrplot is installed from elsewhere): declare the
        # plugin's entry point, exactly as pyproject.toml does, in a throwaway dist-info
        shim = tmp_path / "shim" / "lrplot_entry_point-0.dist-info"
        shim.mkdir(parents=True, exist_ok=True)
        (shim / "METADATA").write_text("Metadata-Version: 2.1\nName: lrplot-entry-point\nVersion: 0\n")
        (shim / "entry_points.txt").write_text("[mkdocs.plugins]\nlrplot = lrplot.mkdocs:LrplotPlugin\n")
        paths.append(str(shim.parent))
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join([*paths, e.get("PYTHONPATH", "")])
    return e


def test_pyproject_declares_the_entry_point():
    text = (ROOT / "pyproject.toml").read_text()
    assert '[project.entry-points."mkdocs.plugins"]\nlrplot = "lrplot.mkdocs:LrplotPlugin"' in text


@pytest.fixture
def site(tmp_path):
    shutil.copy(CONFIGS / "warmup_cosine.yaml", tmp_path / "warmup_cosine.yaml")
    (tmp_path / "docs" / "guide").mkdir(parents=True)
    (tmp_path / "mkdocs.yml").write_text("site_name: t\nplugins:\n  - lrplot\n")
    (tmp_path / "docs" / "index.md").write_text(textwrap.dedent("""\
        # Home

        ```lrplot
        path: ../warmup_cosine.yaml
        theme: both
        layout: grid
        caption: Linear warmup then cosine.
        alt: Warmup then cosine
        ```

        ```lrplot
        steps: 300
        scheduler: {type: OneCycleLR, max_lr: 0.1, total_steps: 300}
        formats: [svg, png]
        ```
        """))
    (tmp_path / "docs" / "guide" / "page.md").write_text(
        "# Page\n\n```lrplot\npath: ../../warmup_cosine.yaml\nlog-y: true\nsize: 6x3\n```\n")
    return tmp_path


def build(root: Path) -> subprocess.CompletedProcess:
    """``python -m mkdocs build --strict`` in ``root``, in a child forked from a process that imported lrplot,
    torch and matplotlib (tests/helpers/forked.py): a real build in its own process, without 2 s of imports."""
    return forked.run(["build", "--strict"], module="mkdocs", cwd=root, env=env(root), text=True, timeout=600)


def cli(*args: str) -> None:
    """The CLI in this process (the build is the child process; the bytes compared are the CLI's either way)."""
    from typer.testing import CliRunner

    from lrplot.cli import app

    result = CliRunner().invoke(app, [*args, "-q"], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def test_mkdocs_build_strict_writes_figures_html_and_interactive_pages(site):
    """One site built, rebuilt (all from the cache), then rebuilt with a page of ``formats: [html, ...]``
    figures (a build is what costs: one site for all three)."""
    proc = build(site)
    assert proc.returncode == 0, proc.stderr
    out = site / "site"
    index = (out / "index.html").read_text()
    # theme: both is one <picture>, its dark image the source for a dark colour scheme (any theme)
    (dark, light), = re.findall(r'<picture class="lrplot-picture"><source srcset="([^"]+)" '
                                r'media="\(prefers-color-scheme: dark\)"><img src="([^"]+)" '
                                r'alt="Warmup then cosine"></picture>', index)
    imgs = re.findall(r'<img src="([^"]+)" alt="([^"]*)">', index)
    assert [alt for _, alt in imgs] == ["Warmup then cosine", "Learning-rate schedule: OneCycleLR"]
    assert imgs[0][0] == light and imgs[1][0].endswith(".svg")
    assert "<figcaption>Linear warmup then cosine.</figcaption>" in index
    for src in (dark, light, imgs[1][0]):
        assert (out / src).is_file()
    cli(str(site / "warmup_cosine.yaml"), "-o", str(site / "cli.png"), "--layout", "grid", "--theme", "both")
    assert (out / light).read_bytes() == (site / "cli.light.png").read_bytes()
    assert (out / dark).read_bytes() == (site / "cli.dark.png").read_bytes()
    page = (out / "guide" / "page" / "index.html").read_text()
    (src,) = re.findall(r'<img src="([^"]+)"', page)
    assert src.startswith("../../assets/lrplot/") and (out / "guide" / "page" / src).resolve().is_file()
    assert proc.stderr.count("lrplot: rendered lrplot-") == 5

    again = build(site)
    assert again.returncode == 0 and "lrplot: rendered" not in again.stderr
    assert "0 figure(s) rendered, 5 from cache" in again.stderr

    # formats: [html, ...] embeds the interactive page and links it second (the page rewritten, rebuilt)
    (site / "docs" / "guide" / "page.md").write_text(
        "# Page\n\n```lrplot\npath: ../../warmup_cosine.yaml\nformats: [html, png]\ntheme: both\nalt: Warmup\n```\n\n"
        "```lrplot\npath: ../../warmup_cosine.yaml\nformats: [png, html]\n```\n")
    pages = build(site)
    assert pages.returncode == 0, pages.stderr
    page_dir = site / "site" / "guide" / "page"
    page = (page_dir / "index.html").read_text()
    (src,) = re.findall(r'<iframe class="lrplot-page" src="([^"]+)" title="Warmup" loading="lazy" '
                        r'style="width: 100%; height: 560px; border: 0;"></iframe>', page)
    assert re.fullmatch(r"\.\./\.\./assets/lrplot/lrplot-[0-9a-f]{32}\.html", src)
    cli(str(site / "warmup_cosine.yaml"), "-o", str(site / "cli.html"), "--theme", "both")
    # copied as it is (not a page MkDocs templates): the CLI's bytes, one file for both colour schemes
    assert (page_dir / src).resolve().read_bytes() == (site / "cli.html").read_bytes()
    (link,) = re.findall(r'<a class="lrplot-page" href="([^"]+)">interactive page</a>', page)
    assert link != src and (page_dir / link).resolve().read_bytes().startswith(b"<!DOCTYPE html>")
    assert len(re.findall(r'<img src="[^"]+\.png"', page)) == 1  # the second block's PNG


def without_figures_before(site: Path) -> None:
    """The home page without its figures: the failing page's error is the subject, and the four renders
    of the home page built before it (1.5 s of CPU a build) are the first test's."""
    (site / "docs" / "index.md").write_text("# Home\n\nText.\n")


def test_bad_block_fails_the_build_with_the_page_line(site):
    without_figures_before(site)
    (site / "docs" / "guide" / "page.md").write_text(
        "# Page\n\nText.\n\n```lrplot\nsteps: 10\nscheduler: {type: StepLR, stepsize: 2}\n```\n")
    proc = build(site)
    assert proc.returncode == 1
    assert re.search(r"guide/page\.md:7: lrplot: StepLR has no argument 'stepsize'.*\(block line 2:27; "
                     r"the figure's block is at line 5\)", proc.stderr), proc.stderr


def test_path_block_error_names_the_spec_file(site):
    without_figures_before(site)
    (site / "bad.yaml").write_text("steps: 10\nscheduler: {type: StepLR, step_size: 2, gama: 2}\n")
    (site / "docs" / "guide" / "page.md").write_text("# Page\n\n```lrplot\npath: ../../bad.yaml\n```\n")
    proc = build(site)
    assert proc.returncode == 1
    assert f"guide/page.md:3: lrplot: {(site / 'bad.yaml').resolve()}:2:41: StepLR has no argument 'gama'" \
        in proc.stderr, proc.stderr


# --- the fence scan (issue 18) --------------------------------------------------------------------

def test_fences_are_found_in_one_pass_and_an_unclosed_fence_ends_the_page():
    from lrplot.mkdocs import fences

    text = "# t\n\n```lrplot\npath: a.yaml\n```\n\n  ~~~~ lrplot\n  steps: 3\n\n  ~~~~\n```lrplot\nx: 1\n````\n"
    found = fences(text)
    assert [(f.line, f.indent, f.body) for f in found] == [(3, "", "path: a.yaml"), (7, "  ", "  steps: 3\n")]
    assert text[found[0].start:found[0].end] == "```lrplot\npath: a.yaml\n```"
    assert text[found[1].start:found[1].end] == "  ~~~~ lrplot\n  steps: 3\n\n  ~~~~"
    # 20,000 unclosed fences: the first runs to the end of the page (no block), found in one pass
    # (the regex scan was quadratic: each unclosed fence searched the rest of the page)
    assert fences("```lrplot\n" * 20_000) == []
    assert [f.line for f in fences("```lrplot\n```\n" + "```lrplot\n" * 20_000)] == [1]


def test_a_pipe_as_a_block_path_is_named_as_a_pipe(tmp_path):
    import os

    from lrplot.docfigures import read_block
    from lrplot.errors import SpecError

    os.mkfifo(tmp_path / "p.yaml")
    with pytest.raises(SpecError) as exc:
        read_block("path: p.yaml\n", "page.md:lrplot@3", tmp_path)
    assert exc.value.format() == (f"page.md:lrplot@3:1:7: path 'p.yaml': is a pipe, not a spec file (looked for "
                                  f"{tmp_path / 'p.yaml'})")


def test_a_block_names_its_own_keys_and_gives_a_training_configs_budget(tmp_path):
    # a block's set: error said "--set scheduler.T_maxx: ..." and a training config needing the training-set size said
    # "add --dataset-size N": flags a MkDocs block does not have, and no way to give the size in one
    from lrplot.docfigures import located, read_block, render_images
    from lrplot.errors import LrplotError
    from lrplot.pipeline import Reading, load_source
    from lrplot.sources import BudgetInputs

    orpo = ROOT / "tests" / "data" / "published" / "alignment-handbook_llama3-8b_orpo_config_v1.0.yaml"  # see test_sources_trl

    def message(block):
        with pytest.raises(LrplotError) as exc:
            render_images(*read_block(block, "page.md:lrplot@3", tmp_path)[:2], tmp_path / "cache")
        return located(exc.value, 3, 4, what="block", inline_name="page.md:lrplot@3")

    assert message(f"path: {CONFIGS / 'cosine.yaml'}\nset: [scheduler.T_maxx=5]\n") == (
        3, "lrplot: set: scheduler.T_maxx: CosineAnnealingLR has no argument 'T_maxx'; did you mean 'T_max'? "
           "valid: CosineAnnealingLR(T_max, eta_min=0.0, last_epoch=-1)")
    assert message(f"path: {orpo}\n") == (3, f"lrplot: {orpo}:29:19: needs the training-set size; add dataset-size: N")
    assert message(f"path: {orpo}\ndataset-size: many\n") == (
        5, "lrplot: dataset-size: 'many': expected a whole number of at least 1 (block line 2:15; the figure's "
           "block is at line 3)")
    spec, _, _ = read_block(f"path: {orpo}\ndataset-size: 1000\ndevices: 2\n", "page.md:lrplot@3", tmp_path)
    assert spec == load_source(orpo, Reading(budget=BudgetInputs(1000, 2))).spec  # as --dataset-size 1000 --devices 2
    inline, _, _ = read_block("budget: {epochs: 1, batch_size: 4}\ndataset-size: 10\nscheduler: {type: StepLR, step_size: 2}\n",
                              "page.md:lrplot@3", tmp_path)
    assert (inline.steps, inline.steps_per_epoch) == (3, 3)  # 10 examples / 4 a batch: 3 updates (a spec's budget:)
