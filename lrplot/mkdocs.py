"""MkDocs plugin: ``plugins: [lrplot]`` turns fenced ```` ```lrplot ```` blocks into figures.

::

    ```lrplot
    path: ../configs/warmup_cosine.yaml   # relative to the page; or the spec's keys inline
    layout: grid
    theme: both
    caption: Linear warmup then cosine.
    ```

A block is YAML: the CLI's options (``layout``, ``x``, ``log-y``, ``annotate``, ``set``, ``size``,
``theme``, ``dpi``, ``no-legend``, ``formats``; a training config's ``dataset-size``, ``devices``, ``batch-size``)
plus ``alt`` and ``caption``, and either ``path:``
or the spec itself. ``formats: [html]`` embeds the self-contained interactive page in an
``<iframe>`` (listed after another format: a link to open it); with ``theme: both`` the one page
follows the reader's colour scheme. ``theme: both`` emits one ``<picture>``: the dark image as a
``prefers-color-scheme: dark`` source, the light one as its ``<img>`` (every theme shows one
image, MkDocs' default included). Images are rendered into a content-hash cache (``cache_dir``, default
``.cache/lrplot`` next to mkdocs.yml), so a rebuild with nothing changed renders nothing, and
added to the site as ``assets/lrplot/...``. A bad spec stops the build with the spec's and the
page's ``file:line``. Plugin options: ``formats`` (default ``[png]``), ``allow_import``,
``cache_dir``.

Why a plugin and not a ``pymdownx.superfences`` custom fence: a fence formatter only returns HTML;
it cannot add image files to the site, see the page's path, or fail the build with a location. A
plugin is one line in ``mkdocs.yml`` and works with or without superfences.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.utils import get_relative_url

from .errors import LrplotError

log = get_plugin_logger(__name__)

_OPENER = re.compile(r"(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*lrplot[ \t]*")


@dataclass(frozen=True)
class Fence:
    """One ```` ```lrplot ```` block of a page: ``text[start:end]`` (opening line to closing fence)."""

    start: int
    end: int
    line: int    # of the opening fence, 1-based
    indent: str
    body: str    # the lines between the fences, as written


def fences(text: str) -> list[Fence]:
    """Every lrplot block of ``text``, in one pass over its lines: a block runs from its opening
    fence to the first line holding the same fence at the same indent; an unclosed fence runs to
    the end of the page (as in Markdown), so nothing after it is a block."""
    found: list[Fence] = []
    lines = text.split("\n")
    starts = [0]
    for ln in lines[:-1]:
        starts.append(starts[-1] + len(ln) + 1)
    i = 0
    while i < len(lines):
        m = _OPENER.fullmatch(lines[i])
        if m is None:
            i += 1
            continue
        closer = re.compile(re.escape(m["indent"]) + re.escape(m["fence"]) + r"[ \t]*")
        j = next((j for j in range(i + 1, len(lines)) if closer.fullmatch(lines[j])), None)
        if j is None:
            break
        found.append(Fence(starts[i], starts[j] + len(lines[j]), i + 1, m["indent"], "\n".join(lines[i + 1:j])))
        i = j + 1
    return found
ASSETS = "assets/lrplot"


class LrplotConfig(Config):
    formats = c.ListOfItems(c.Type(str), default=["png"])
    allow_import = c.ListOfItems(c.Type(str), default=[])
    cache_dir = c.Optional(c.Type(str))


class LrplotPlugin(BasePlugin[LrplotConfig]):
    def on_config(self, config: Any) -> Any:
        root = Path(config.config_file_path).parent if config.config_file_path else Path.cwd()
        self.cache = Path(self.config.cache_dir) if self.config.cache_dir else root / ".cache" / "lrplot"
        if not self.cache.is_absolute():
            self.cache = root / self.cache
        self.blocks: dict[str, list[tuple[Any, list]]] = {}
        self.rendered = 0
        return config

    def on_files(self, files: Files, config: Any) -> Files:
        """Render every block of every page now, so the images are site files MkDocs copies."""
        from .docfigures import Stats, located, read_block, render_images
        from .imports import allowed_imports

        added: set[str] = set()
        stats = Stats()
        for page_file in files.documentation_pages():
            text = page_file.content_string
            blocks = []
            for m in fences(text):
                line = m.line
                body = "\n".join(ln[len(m.indent):] for ln in m.body.split("\n"))
                doc = page_file.src_uri
                base = Path(page_file.abs_src_path).parent
                name = f"{doc}:lrplot@{line}"
                try:
                    allowance = allowed_imports(self.config.allow_import, way="mkdocs")
                    spec, figure, _ = read_block(body + "\n", name, base, self.config.formats, allowance)
                    images = render_images(spec, figure, self.cache, allow_import=allowance,
                                           stats=stats)
                except LrplotError as exc:
                    doc_line, message = located(exc, line, line + 1, what="block", inline_name=name)
                    raise PluginError(f"{doc}:{doc_line}: {message}") from None
                for im in images:
                    if im.rendered:
                        log.info("rendered %s", im.path.name)
                    uri = f"{ASSETS}/{im.path.name}"
                    if uri not in added:
                        added.add(uri)
                        files.append(File.generated(config, uri, abs_src_path=str(im.path)))
                blocks.append((figure, images, spec))
            if blocks:
                self.blocks[page_file.src_uri] = blocks
        self.rendered = stats.rendered
        if stats.rendered or stats.cached:
            log.info("%d figure(s) rendered, %d from cache", stats.rendered, stats.cached)
        return files

    def on_page_markdown(self, markdown: str, page: Any, config: Any, files: Files) -> str:
        blocks = iter(self.blocks.get(page.file.src_uri, ()))
        parts, done = [], 0
        for m in fences(markdown):
            found = next(blocks, None)
            if found is None:  # another plugin added this block after on_files: leave it as code
                break
            figure, images, spec = found
            parts += [markdown[done:m.start], m.indent + _html(figure, images, spec, page.url)]
            done = m.end
        return "".join(parts) + markdown[done:]


def _html(figure: Any, images: list, spec: Any, page_url: str) -> str:
    from .docfigures import default_alt

    alt = html.escape(figure.alt or default_alt(spec), quote=True)
    first = figure.formats[0]
    both = len(figure.themes) > 1
    srcs = {im.theme: html.escape(get_relative_url(f"{ASSETS}/{im.path.name}", page_url), quote=True)
            for im in images if im.fmt == first}
    if first == "html":  # the interactive page (one file, whatever the themes) in a frame
        from .docfigures import PAGE_HEIGHT

        (src,) = srcs.values()
        imgs = [f'<iframe class="lrplot-page" src="{src}" title="{alt}" loading="lazy" '
                f'style="width: 100%; height: {PAGE_HEIGHT}px; border: 0;"></iframe>']
    elif both:  # one <picture>: every theme shows one image, the dark one where the reader's system is dark
        imgs = [f'<picture class="lrplot-picture"><source srcset="{srcs["dark"]}" '
                f'media="(prefers-color-scheme: dark)"><img src="{srcs["light"]}" alt="{alt}"></picture>']
    else:
        imgs = [f'<img src="{src}" alt="{alt}">' for src in srcs.values()]
    parts = ['<figure class="lrplot">', *imgs]
    if figure.caption:
        parts.append(f"<figcaption>{html.escape(figure.caption)}</figcaption>")
    links = [im for im in images if im.fmt != first]
    if links:
        parts.append('<p class="lrplot-formats">' + " · ".join(_link(im, both, page_url) for im in links) + "</p>")
    parts.append("</figure>")
    return "\n".join(parts)


def _link(image: Any, both: bool, page_url: str) -> str:
    """A link to one more format: a download, or the interactive page to open."""
    href = get_relative_url(f"{ASSETS}/{image.path.name}", page_url)
    if image.fmt == "html":
        return f'<a class="lrplot-page" href="{href}">interactive page</a>'
    return f'<a href="{href}" download>{image.fmt.upper()}{f" ({image.theme})" if both else ""}</a>'
