"""Sphinx extension: ``extensions = ["lrplot.sphinxext"]`` and the ``.. lrplot::`` directive.

::

    .. lrplot:: ../configs/warmup_cosine.yaml
       :layout: grid
       :theme: both
       :caption: Linear warmup then cosine.

    .. lrplot::

       steps: 300
       scheduler: {type: OneCycleLR, max_lr: 0.1, total_steps: 300}

The argument is a spec (or training config) path relative to the document; without one the
content is the spec. Options mirror the CLI: ``layout``, ``x``, ``log-y``, ``annotate``, ``set``
(one ``key.path=value`` per line), ``size``, ``theme`` (light, dark, a style, or ``both``: one
HTML ``<picture>`` whose dark image is a ``prefers-color-scheme: dark`` source, so every theme shows
one image, alabaster included; other builders get the light image), ``title``, ``dpi``, ``no-legend``, plus ``alt``, ``caption`` and ``formats``
(``png,svg``: the first is shown, the others linked; ``html``: the self-contained interactive page,
copied to the output's ``_lrplot/`` folder and shown in an ``<iframe>`` when first, else linked;
with ``theme: both`` the one page follows the reader's colour scheme); a training config's budget:
``dataset-size``, ``devices``, ``batch-size`` (as the CLI's ``--dataset-size`` ...). Config values: ``lrplot_formats`` (default
``["png"]``), ``lrplot_allow_import`` (names import-path types may import, as ``--allow-import``).

Images are written to ``<doctreedir>/lrplot/`` under a content hash (see :mod:`lrplot.docfigures`)
and copied by Sphinx to the build's ``_images/``: a rebuild with nothing changed renders nothing.
A bad spec stops the build with the spec's ``file:line`` and the document's line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from . import __version__
from .errors import LrplotError

logger = logging.getLogger(__name__)


def _failed(env: Any) -> dict[str, str]:
    """Documents whose lrplot figures failed: re-read on every build, and the build fails."""
    if not hasattr(env, "lrplot_failed"):
        env.lrplot_failed = {}
    return env.lrplot_failed


class _Options(dict):
    """The directive's options, letting an unknown one through to :meth:`LrplotDirective.run`, which
    refuses it in one located line with a did-you-mean (docutils printed 'unknown option' over several
    lines, the whole directive quoted, and no option it takes)."""

    def __getitem__(self, name: str) -> Any:
        return super().get(name, directives.unchanged)


class LrplotDirective(SphinxDirective):
    """``.. lrplot:: [path]`` with the CLI's options; inline YAML as content."""

    optional_arguments = 1
    final_argument_whitespace = True
    has_content = True
    option_spec = _Options({
        "layout": directives.unchanged_required,
        "x": directives.unchanged_required,
        "log-y": directives.flag,
        "annotate": directives.unchanged,
        "set": directives.unchanged,
        "size": directives.unchanged_required,
        "theme": directives.unchanged_required,
        "title": directives.unchanged,
        "dpi": directives.unchanged_required,
        "no-legend": directives.flag,
        "no-inset": directives.flag,
        "xlim": directives.unchanged_required,
        "ylim": directives.unchanged_required,
        "alt": directives.unchanged,
        "caption": directives.unchanged,
        "formats": directives.unchanged_required,
        "dataset-size": directives.positive_int,
        "devices": directives.positive_int,
        "batch-size": directives.positive_int,
    })

    def run(self) -> list[nodes.Node]:
        from . import docmemo
        from .text import did_you_mean

        env = self.env
        unknown = next((name for name in self.options if not dict.__contains__(self.option_spec, name)), None)
        if unknown is not None:
            hint = did_you_mean(unknown, list(self.option_spec)) or f"options: {', '.join(self.option_spec)}"
            logger.error(f"lrplot: unknown option ':{unknown}:'; {hint}", location=(env.docname, self.lineno),
                         type="lrplot")
            _failed(env)[env.docname] = f"{os.path.relpath(env.doc2path(env.docname), env.srcdir)}:{self.lineno}"
            return []
        doc_file = env.doc2path(env.docname)
        doc_dir = Path(doc_file).parent
        out_dir = Path(self.config.lrplot_cache_dir or Path(self.env.app.doctreedir) / "lrplot")
        key = docmemo.memo_key({
            "document": os.path.abspath(doc_file), "arguments": list(self.arguments),
            "content": list(self.content), "options": sorted((k, str(v)) for k, v in self.options.items()),
            "formats": list(self.config.lrplot_formats), "allow_import": list(self.config.lrplot_allow_import),
        })
        memo = docmemo.lookup(out_dir, key)
        if memo is not None:  # unchanged directive, files and images: the spec is not read again
            return self._from_memo(memo, out_dir, doc_dir)
        return self._run(doc_file, doc_dir, out_dir, key)

    def _from_memo(self, memo: dict[str, Any], out_dir: Path, doc_dir: Path) -> list[nodes.Node]:
        from .docfigures import DocFigure, Image

        for dep in memo["deps"]:
            self.env.note_dependency(dep)
        images = [Image(theme, fmt, out_dir / name, False) for theme, fmt, name in memo["images"]]
        stats = getattr(self.env.app, "_lrplot_stats", None)
        if stats is not None:
            stats.cached += len(images)
            stats.paths.extend(im.path for im in images)
        figure = DocFigure({}, tuple(memo["themes"]), tuple(memo["formats"]), caption=memo["caption"])
        return self._nodes(memo["alt"], figure, images, doc_dir)

    def _run(self, doc_file: Any, doc_dir: Path, out_dir: Path, key: str) -> list[nodes.Node]:
        from . import docmemo
        from .docfigures import load_doc_source, located, parse_options, render_images, spec_files
        from .imports import allowed_imports

        env = self.env
        doc_rel = os.path.relpath(doc_file, env.srcdir)
        inline_offset = None
        deps: list[str] = []
        read: list[Path] = []
        try:
            raw = dict(self.options)
            from .sources import BudgetInputs

            budget = BudgetInputs(raw.pop("dataset-size", None), raw.pop("devices", None), raw.pop("batch-size", None))
            for flag in ("log-y", "no-legend", "no-inset"):
                if flag in raw:
                    raw[flag] = True
            figure = parse_options(raw, self.config.lrplot_formats)
            allowance = allowed_imports(self.config.lrplot_allow_import, way="sphinx")
            if self.arguments:
                if "\n".join(self.content).strip():
                    raise LrplotError("give a spec path or inline YAML, not both")
                rel, abs_path = env.relfn2path(self.arguments[0], env.docname)
                path = Path(abs_path)
                env.note_dependency(rel)
                deps.append(rel)
                read.append(path)
                before = docmemo.digests(read)
                source = load_doc_source(path=path, base_dir=doc_dir, name=str(path), overrides=figure.overrides,
                                         allow_import=allowance, budget=budget)
            else:
                text = "\n".join(self.content)
                if not text.strip():
                    raise LrplotError("no spec: give a path argument or inline YAML content")
                inline_offset = self.content_offset + 1
                before = {}
                source = load_doc_source(text=text + "\n", base_dir=doc_dir, name=doc_rel,
                                         overrides=figure.overrides, budget=budget)  # for its budget:
                if source.spec.title is None:
                    figure.render.setdefault("title", "")  # the caption speaks for an inline spec
            spec = source.spec
            for dep in spec_files(spec):
                env.note_dependency(str(dep))
                deps.append(str(dep))
            before.update(docmemo.digests(spec.input_files()))  # the spec reads them when simulated
            stats = env.app._lrplot_stats if hasattr(env.app, "_lrplot_stats") else None
            images = render_images(spec, figure, out_dir, allow_import=allowance,
                                   stats=stats)
        except LrplotError as exc:
            line, message = located(exc, self.lineno, inline_offset, inline_name=doc_rel)
            logger.error(message, location=(env.docname, line), type="lrplot")
            _failed(env)[env.docname] = f"{doc_rel}:{line}"
            return []
        for image in images:
            if image.rendered:
                logger.info("lrplot: rendered %s", image.path.name)
        from .docfigures import default_alt
        from .walk import import_paths, local_files

        alt = figure.alt or default_alt(spec)
        if source.kind == "lrplot" and not import_paths(spec) and not local_files(spec):
            docmemo.store(out_dir, key, before=before, images=images, alt=alt, figure=figure, deps=deps)
        return self._nodes(alt, figure, images, doc_dir)

    def _nodes(self, alt: str, figure: Any, images: list, doc_dir: Path) -> list[nodes.Node]:
        shown = [im for im in images if im.fmt == figure.formats[0]]
        pictures: list[nodes.Node] = []
        for im in shown:
            if im.fmt == "html":  # the interactive page, in a frame (HTML builders; others say where it is)
                pictures.append(lrplot_page("", source=str(im.path), alt=alt, embed=True))
                continue
            uri = os.path.relpath(im.path, doc_dir).replace(os.sep, "/")
            node = nodes.image(uri=uri, alt=alt)
            node["candidates"] = {"*": uri}
            pictures.append(node)
        if len(pictures) > 1:  # theme: both -> light and dark, one <picture>
            pictures = [lrplot_picture("", *pictures)]
        links = [im for im in images if im.fmt != figure.formats[0]]
        if figure.caption:
            fig = nodes.figure("", *pictures, classes=["lrplot"])
            caption = nodes.caption(figure.caption, "")
            caption += self.parse_inline(figure.caption, lineno=self.lineno)[0]
            fig += caption
            out: list[nodes.Node] = [fig]
        else:
            container = nodes.container("", *pictures, classes=["lrplot"])
            out = [container]
        if links:
            from sphinx import addnodes

            para = nodes.paragraph(classes=["lrplot-formats"])
            for i, im in enumerate(links):
                if i:
                    para += nodes.Text(" · ")
                if im.fmt == "html":  # a page to open, not to download
                    para += lrplot_page("", source=str(im.path), alt=alt, embed=False)
                    continue
                label = im.fmt.upper() + (f" ({im.theme})" if len(figure.themes) > 1 else "")
                target = os.path.relpath(im.path, doc_dir).replace(os.sep, "/")
                ref = addnodes.download_reference("", "", reftarget=target, refdoc=self.env.docname,
                                                  refexplicit=True)
                ref += nodes.literal(label, label)
                para += ref
            out.append(para)
        return out


class lrplot_picture(nodes.General, nodes.Element):  # noqa: N801 (docutils names nodes in lower case)
    """A light and a dark image (its two children, kept as images so that Sphinx copies both)."""


def _visit_picture_html(self: Any, node: lrplot_picture) -> None:
    """``<picture>``: the dark image as a ``prefers-color-scheme: dark`` source, the light one as
    the ``<img>`` every browser and theme shows otherwise."""
    import posixpath
    from urllib.parse import quote

    light, dark = node.children
    uri = dark["uri"]
    src = posixpath.join(self.builder.imgpath, quote(self.builder.images[uri])) if uri in self.builder.images else uri
    self.body.append(f'<picture class="lrplot-picture"><source srcset="{self.attval(src)}" '
                     'media="(prefers-color-scheme: dark)">')
    light.walkabout(self)
    self.body.append("</picture>")
    raise nodes.SkipNode


class lrplot_page(nodes.General, nodes.Inline, nodes.Element):  # noqa: N801
    """The interactive page (``formats: html``): ``source`` is the page lrplot wrote; HTML builders
    copy it to ``_lrplot/`` in the output and show it in an ``<iframe>`` (``embed``) or link it."""


PAGES = "_lrplot"  # the output folder the pages are copied to (a page's name is its content hash)


def _visit_page_html(self: Any, node: lrplot_page) -> None:
    import shutil

    from sphinx.util.osutil import relative_uri

    from .docfigures import PAGE_HEIGHT

    source = Path(node["source"])
    target = Path(self.builder.outdir) / PAGES / source.name
    if not target.is_file() or target.stat().st_size != source.stat().st_size:  # named by content: same size, same page
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    src = relative_uri(self.builder.get_target_uri(self.builder.current_docname), f"{PAGES}/{source.name}")
    if node["embed"]:
        self.body.append(f'<iframe class="lrplot-page" src="{self.attval(src)}" title="{self.attval(node["alt"])}" '
                         f'loading="lazy" style="width: 100%; height: {PAGE_HEIGHT}px; border: 0;"></iframe>')
    else:
        self.body.append(f'<a class="reference external lrplot-page" href="{self.attval(src)}">'
                         '<code class="literal">interactive page</code></a>')
    raise nodes.SkipNode


def _visit_page_other(self: Any, node: lrplot_page) -> None:
    """Builders without pages (LaTeX, text, ...): the figure's words stand alone; list an image
    format first (``formats: png,html``) to show a picture there."""
    raise nodes.SkipNode


def _visit_picture_other(self: Any, node: lrplot_picture) -> None:
    """Builders without colour schemes (LaTeX, text, ...): the light image."""
    node.children[0].walkabout(self)
    raise nodes.SkipNode


def _init_stats(app: Any) -> None:
    from .docfigures import Stats

    app._lrplot_stats = Stats()


def _report(app: Any, exception: Exception | None) -> None:
    stats = getattr(app, "_lrplot_stats", None)
    if stats is not None and exception is None:
        logger.info("lrplot: %d figure(s) rendered, %d from cache", stats.rendered, stats.cached)
    failed = _failed(app.env) if app.env is not None else {}
    if exception is None and failed:
        # an ERROR alone does not fail a build without -W; a wrong figure must
        logger.info("lrplot: %d document(s) with a figure that could not be made: %s",
                    len(failed), ", ".join(sorted(failed.values())))
        app.statuscode = app.statuscode or 1


def _purge(app: Any, env: Any, docname: str) -> None:
    _failed(env).pop(docname, None)


def _merge(app: Any, env: Any, docnames: Any, other: Any) -> None:
    _failed(env).update({d: v for d, v in _failed(other).items() if d in docnames})


def _outdated(app: Any, env: Any, added: Any, changed: Any, removed: Any) -> list[str]:
    return [d for d in _failed(env) if d not in removed]


def setup(app: Any) -> dict[str, Any]:
    app.add_config_value("lrplot_formats", ["png"], "env")
    app.add_config_value("lrplot_allow_import", [], "env")
    app.add_config_value("lrplot_cache_dir", None, "env")
    app.add_directive("lrplot", LrplotDirective)
    other = (_visit_picture_other, None)
    app.add_node(lrplot_picture, html=(_visit_picture_html, None), latex=other, text=other, man=other,
                 texinfo=other)
    no_page = (_visit_page_other, None)
    app.add_node(lrplot_page, html=(_visit_page_html, None), latex=no_page, text=no_page, man=no_page,
                 texinfo=no_page)
    app.connect("builder-inited", _init_stats)
    app.connect("build-finished", _report)
    app.connect("env-merge-info", _merge)
    app.connect("env-purge-doc", _purge)
    app.connect("env-get-outdated", _outdated)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
