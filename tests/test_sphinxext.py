"""The Sphinx directive, through a real ``sphinx-build -W`` of a small project: the HTML, the images
(byte-equal to the CLI's), the content-hash cache (a rebuild renders nothing) and the errors."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.helpers import forked
from tests.helpers.installed import require
from tests.helpers.paths import CONFIGS, ROOT

pytestmark = pytest.mark.slow
require("sphinx")


def env():
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join([str(ROOT), e.get("PYTHONPATH", "")])
    return e


def sphinx(src: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    """``python -m sphinx -W -b html ...`` in a child forked from a process that imported lrplot, torch and
    matplotlib (tests/helpers/forked.py): a real build in its own process, without 2 s of imports each."""
    return forked.run(["-W", "--no-color", "-b", "html", *extra, str(src), str(out)], module="sphinx", cwd=src.parent,
                      env=env(), text=True, timeout=600)


def cli(*args: str, cwd: Path) -> None:
    """The CLI in this process (the build is the child process; the bytes compared are the CLI's either way),
    its output files named under ``cwd``."""
    from typer.testing import CliRunner

    from lrplot.cli import app

    at = args.index("-o") + 1
    args = (*args[:at], str(cwd / args[at]), *args[at + 1:])
    result = CliRunner().invoke(app, [*args, "-q"], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def rendered(proc) -> int:
    return len(re.findall(r"^lrplot: rendered lrplot-", proc.stdout, re.M))


@pytest.fixture
def project(tmp_path):
    shutil.copy(CONFIGS / "warmup_cosine.yaml", tmp_path / "warmup_cosine.yaml")
    src = tmp_path / "src"
    (src / "guide").mkdir(parents=True)
    (src / "conf.py").write_text('extensions = ["lrplot.sphinxext"]\nproject = "t"\nhtml_theme = "furo"\n')
    (src / "index.rst").write_text(textwrap.dedent("""\
        Schedules
        =========

        .. toctree::

           guide/page

        .. lrplot:: ../warmup_cosine.yaml
           :layout: grid
           :theme: both
           :alt: Warmup then cosine
           :caption: Linear warmup then *cosine*.

        .. lrplot::
           :annotate: peak,final
           :formats: svg,png

           steps: 300
           scheduler: {type: OneCycleLR, max_lr: 0.1, total_steps: 300}
        """))
    (src / "guide" / "page.rst").write_text(textwrap.dedent("""\
        Page
        ====

        .. lrplot:: ../../warmup_cosine.yaml
           :log-y:
           :size: 6x3
           :set: scheduler.milestones=[40]
                 steps=450
        """))
    return tmp_path


def images(html: str) -> list[tuple[str, str, str]]:
    return re.findall(r'<img alt="([^"]*)" (?:class="([^"]*)" )?src="([^"]+)"', html)


def test_build_then_rebuilds_emit_images_alt_caption_theme_classes_html_pages_and_render_only_what_changed(project):
    """One project, built once from scratch (a parallel build: the directive is parallel-safe), then
    rebuilt: the first build's HTML and images, what each rebuild renders, then a page of ``formats: html``
    figures (a Sphinx build is what costs, so the rebuilds continue from the first build instead of each
    test building its own)."""
    proc = sphinx(project / "src", project / "out", "-j", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "parallel_read_safe" not in proc.stderr
    out = project / "out"
    html = (out / "index.html").read_text()
    imgs = images(html)
    assert [(alt, cls) for alt, cls, _ in imgs] == [
        ("Warmup then cosine", ""), ("Learning-rate schedule: OneCycleLR", "")]
    # theme: both is one <picture>, its dark image the source for a dark colour scheme (any theme)
    (dark,) = re.findall(r'<picture class="lrplot-picture"><source srcset="([^"]+)" '
                         r'media="\(prefers-color-scheme: dark\)"><img alt="Warmup then cosine" src="'
                         + re.escape(imgs[0][2]) + r'" />\s*</picture>', html)
    for src in [dark] + [src for _, _, src in imgs]:
        assert src.startswith("_images/") and (out / src).is_file()
    assert dark != imgs[0][2] and imgs[1][2].endswith(".svg")  # formats: svg first -> the SVG is shown, the PNG linked
    assert re.search(r'href="_downloads/[0-9a-f]+/lrplot-[0-9a-f]+\.png"', html)
    assert re.search(r"<figcaption>\s*<p><span class=\"caption-text\">Linear warmup then <em>cosine</em>\.</span>",
                     html)

    # the same bytes as the CLI with the same options
    cli(str(project / "warmup_cosine.yaml"), "-o", "cli.png", "--layout", "grid", "--theme", "both", cwd=project)
    assert (out / imgs[0][2]).read_bytes() == (project / "cli.light.png").read_bytes()
    assert (out / dark).read_bytes() == (project / "cli.dark.png").read_bytes()
    page = (out / "guide" / "page.html").read_text()
    ((_, _, src),) = images(page)
    cli(str(project / "warmup_cosine.yaml"), "-o", "page.png", "--log-y", "--size", "6x3",
        "--set", "scheduler.milestones=[40]", "--set", "steps=450", cwd=project)
    assert (out / "guide" / src).resolve().read_bytes() == (project / "page.png").read_bytes()
    assert rendered(proc) == 5  # light, dark, svg, png, the page's png

    # a rebuild with nothing changed renders nothing
    again = sphinx(project / "src", project / "out")
    assert again.returncode == 0 and rendered(again) == 0
    fresh = sphinx(project / "src", project / "out", "-E")  # every document re-read: the images are cached
    assert fresh.returncode == 0 and rendered(fresh) == 0, fresh.stdout
    assert "lrplot: 0 figure(s) rendered, 5 from cache" in fresh.stdout
    # a change to the spec file re-reads the documents using it and renders only what changed
    spec = project / "warmup_cosine.yaml"
    spec.write_text(spec.read_text().replace("title: Linear warmup + cosine", "title: Changed"))
    changed = sphinx(project / "src", project / "out")
    assert changed.returncode == 0 and rendered(changed) == 3, changed.stdout

    # formats: html embeds the interactive page and links it second (the page rewritten: only it is re-read)
    (project / "src" / "guide" / "page.rst").write_text(textwrap.dedent("""\
        Page
        ====

        .. lrplot:: ../../warmup_cosine.yaml
           :formats: html,png
           :theme: both
           :alt: Warmup then cosine

        .. lrplot:: ../../warmup_cosine.yaml
           :formats: png,html
        """))
    pages = sphinx(project / "src", project / "out")
    assert pages.returncode == 0, pages.stdout + pages.stderr
    page = (out / "guide" / "page.html").read_text()
    (src,) = re.findall(r'<iframe class="lrplot-page" src="([^"]+)" title="Warmup then cosine" loading="lazy" '
                        r'style="width: 100%; height: 560px; border: 0;"></iframe>', page)
    assert re.fullmatch(r"\.\./_lrplot/lrplot-[0-9a-f]{32}\.html", src)
    # the page is the CLI's, byte for byte: one file following the reader's colour scheme
    cli(str(project / "warmup_cosine.yaml"), "-o", "cli.html", "--theme", "both", cwd=project)
    assert (out / "guide" / src).resolve().read_bytes() == (project / "cli.html").read_bytes()
    assert 'data-theme="auto"' in (project / "cli.html").read_text()
    # listed second, the page is linked (opened, not downloaded), beside the shown PNG
    (link,) = re.findall(r'<a class="reference external lrplot-page" href="([^"]+)"><code class="literal">'
                         r"interactive page</code></a>", page)
    assert link.startswith("../_lrplot/") and (out / "guide" / link).resolve().is_file() and link != src
    (light_png,) = [s for _, _, s in images(page)]
    cli(str(project / "warmup_cosine.yaml"), "-o", "cli.png", cwd=project)
    assert (out / "guide" / light_png).resolve().read_bytes() == (project / "cli.png").read_bytes()
    # a rebuild with everything re-read renders nothing: the page is cached like the images
    again = sphinx(project / "src", project / "out", "-E")
    assert again.returncode == 0 and rendered(again) == 0, again.stdout


def test_bad_specs_and_options_fail_the_build_each_with_its_locations(project):
    """Three documents, each with one kind of bad figure, in one build (--keep-going: every error is
    reported; a Sphinx build is what costs): a bad spec file (the spec's file:line:col and the document's
    line), a bad inline spec (the document's line of the bad key), a bad option (a did-you-mean)."""
    (project / "bad.yaml").write_text("steps: 10\nscheduler: {type: StepLR, stepsize: 2}\n")
    src = project / "src"
    (src / "guide" / "page.rst").write_text("Page\n====\n\nText.\n\n.. lrplot:: ../../bad.yaml\n")
    (src / "guide" / "inline.rst").write_text(
        "Inline\n======\n\n.. lrplot::\n   :annotate: peak\n\n   steps: 10\n   scheduler: {type: StepLR, stepsize: 2}\n")
    (src / "guide" / "option.rst").write_text("Option\n======\n\n.. lrplot:: ../../warmup_cosine.yaml\n"
                                              "   :layout: gird\n")
    (src / "guide" / "name.rst").write_text("Name\n====\n\n.. lrplot:: ../../warmup_cosine.yaml\n   :layuot: grid\n")
    # the index without its figures: the bad ones are the subject, the good ones (four renders) the first test's
    (src / "index.rst").write_text("Schedules\n=========\n\n.. toctree::\n\n   guide/page\n   guide/inline\n"
                                   "   guide/option\n   guide/name\n")
    proc = sphinx(src, project / "out", "--keep-going")
    assert proc.returncode == 1
    bad = project / "bad.yaml"
    assert f"guide/page.rst:6: ERROR: lrplot: {bad}:2:27: StepLR has no argument 'stepsize'" in proc.stderr
    assert re.search(r"guide/inline\.rst:8: ERROR: lrplot: StepLR has no argument 'stepsize'.*"
                     r"\(inline spec line 2:27; the figure's directive is at line 4\)", proc.stderr), proc.stderr
    assert "guide/option.rst:4: ERROR: lrplot: unknown layout 'gird'; did you mean 'grid'?" in proc.stderr
    # a misspelt option name: docutils said 'unknown option: "layuot"' over six lines quoting the directive
    said = [line for line in proc.stderr.splitlines() if "layuot" in line]
    assert len(said) == 1 and said[0].endswith(
        "guide/name.rst:4: ERROR: lrplot: unknown option ':layuot:'; did you mean 'layout'? [lrplot]"), proc.stderr
    # the failure is not forgotten by a rebuild
    assert sphinx(src, project / "out").returncode == 1
