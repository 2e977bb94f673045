"""Figures for documentation builds (Sphinx, MkDocs): a spec and CLI-like options -> image files,
rendered once per content: a rebuild with nothing changed renders nothing.

Both doc-tool integrations go through here, so a directive and a fenced block accept the same
options as the command line and produce the same bytes as ``lrplot SPEC -o FILE`` with them.
Each image is named by a hash of everything it depends on: the spec's key as the curve cache
builds it (:func:`lrplot.cache.spec_key`: the validated spec, title included here, the files it
reads, the code its import paths name, the versions of lrplot, torch, numpy and Python) plus the
options, the theme, the format and matplotlib's version. An existing file with that name is the
figure, nothing is re-rendered, if it is a regular file whose bytes hash to the digest lrplot wrote
beside it (``NAME.sha256``): a planted file or symbolic link is rendered over.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from .errors import Location, LrplotError, SpecError, UsageError

if TYPE_CHECKING:  # pragma: no cover
    from .figure import RenderOptions
    from .spec import Spec

# Option names as the CLI spells them (and the Sphinx directive / MkDocs block accept).
OPTIONS = ("layout", "x", "log-y", "annotate", "set", "size", "theme", "alt", "caption", "formats",
           "title", "dpi", "no-legend", "xlim", "ylim", "no-inset")
# the options a directive or block takes beyond OPTIONS: the budget of a training config (or a spec's budget:)
BUDGET_OPTIONS = ("dataset-size", "devices", "batch-size")
FORMATS = ("png", "svg", "pdf", "html")  # html: the interactive page, embedded in an iframe when shown
PAGE_HEIGHT = 560  # px of the iframe an embedded page is shown in (its plot fits the frame's height)


@dataclass(frozen=True)
class DocFigure:
    """What one directive or fenced block asks for."""

    render: dict[str, Any]                  # RenderOptions keyword arguments (checked)
    themes: tuple[str, ...] = ("light",)     # ("light", "dark") for theme: both
    formats: tuple[str, ...] = ("png",)      # the first is shown, the others are linked
    overrides: tuple[str, ...] = ()          # --set
    alt: str | None = None
    caption: str | None = None


@dataclass(frozen=True)
class Image:
    theme: str
    fmt: str
    path: Path
    rendered: bool  # False: it was already there (cache hit)


@dataclass
class Stats:
    rendered: int = 0
    cached: int = 0
    paths: list[Path] = field(default_factory=list)


def parse_options(raw: Mapping[str, Any], default_formats: Iterable[str] = ("png",)) -> DocFigure:
    """Options as given in a document (text values; flags as None/True) -> DocFigure.
    Unknown names and bad values are UsageErrors with a did-you-mean."""
    from .figure import RenderOptions
    from .text import did_you_mean

    for name in raw:
        if name not in OPTIONS:
            raise UsageError(f"unknown option '{name}'", hint=did_you_mean(name, OPTIONS)
                             or f"options are {', '.join(OPTIONS)}")
    render: dict[str, Any] = {}
    for name in ("layout", "x", "annotate", "size", "title", "xlim", "ylim"):
        if raw.get(name) is not None:
            render[name] = str(raw[name]).strip()
    if "log-y" in raw:
        render["log_y"] = _flag("log-y", raw["log-y"])
    if "no-legend" in raw:
        render["legend"] = not _flag("no-legend", raw["no-legend"])
    if "no-inset" in raw:
        render["inset"] = not _flag("no-inset", raw["no-inset"])
    if raw.get("dpi") is not None:
        try:
            render["dpi"] = int(str(raw["dpi"]).strip())
        except ValueError:
            shown = str(raw["dpi"]) if len(str(raw["dpi"])) <= 20 else f"{str(raw['dpi'])[:20]}..."
            raise UsageError(f"dpi '{shown}': expected a whole number") from None
    theme = str(raw.get("theme") or "light").strip()
    themes = ("light", "dark") if theme == "both" else (theme,)
    for t in themes:
        RenderOptions(theme=t)  # unknown themes fail here, with a did-you-mean
    checked = RenderOptions(**render)
    from .figure import check_raster

    check_raster(checked.size, checked.dpi, "png")  # before anything is drawn (a build's memory)
    formats = _split(raw.get("formats")) if raw.get("formats") else list(default_formats)
    for f in formats:
        if f not in FORMATS:
            raise UsageError(f"unknown figure format '{f}'", hint=did_you_mean(f, FORMATS)
                             or f"use a comma list of {', '.join(FORMATS)}")
    if "html" in formats:  # the page draws no marks, no --xlim ...: refused as the CLI refuses -o x.html with them
        from .views import not_drawn

        missing = not_drawn("html", checked)
        if missing is not None:
            raise UsageError(f"{missing[0]} is not drawn in the page (--formats html): {missing[1]}",
                             hint=f"leave {missing[0]} out, or html out of --formats")
    overrides = raw.get("set") or ()
    if isinstance(overrides, str):
        overrides = [line.strip() for part in overrides.splitlines() for line in part.split(";") if line.strip()]
    return DocFigure(render, themes, tuple(dict.fromkeys(formats)), tuple(overrides),
                     _text(raw.get("alt")), _text(raw.get("caption")))


def _flag(name: str, value: Any) -> bool:
    if value is None or value is True or str(value).strip().lower() in ("", "true", "yes", "1"):
        return True
    if value is False or str(value).strip().lower() in ("false", "no", "0"):
        return False
    raise UsageError(f"{name}: a flag takes no value (or true/false), not '{value}'")


def _split(value: Any) -> list[str]:
    items = value if isinstance(value, (list, tuple)) else str(value).replace(",", " ").split()
    return [str(v).strip().lower().lstrip(".") for v in items if str(v).strip()]


def _text(value: Any) -> str | None:
    return None if value is None else " ".join(str(value).split())


def load_doc_spec(*, path: Path | None = None, text: str | None = None, base_dir: Path,
                  name: str, overrides: Iterable[str] = (), allow_import: Any = None) -> "Spec":
    """The spec of a directive: a file (any input lrplot reads, with the site's ``allow_import``) or
    inline YAML text, whose relative paths (metric CSVs, local modules) are relative to the
    document's folder."""
    return load_doc_source(path=path, text=text, base_dir=base_dir, name=name, overrides=overrides,
                           allow_import=allow_import).spec


def load_doc_source(*, path: Path | None = None, text: str | None = None, base_dir: Path,
                    name: str, overrides: Iterable[str] = (), allow_import: Any = None, budget: Any = None) -> Any:
    """:func:`load_doc_spec` with the kind of input read (a :class:`lrplot.sources.Source`); ``budget``:
    the training config's :class:`~lrplot.sources.BudgetInputs` (``--dataset-size``, ``--devices``)."""
    from .pipeline import Reading, load_source
    from .sources import BudgetInputs

    reading = Reading(tuple(overrides), budget=budget or BudgetInputs(), allow_import=allow_import)
    if path is not None:
        return load_source(Path(path), reading)
    # a file name in the document's folder: relative paths resolve there; the name shows in errors
    return load_source(_as_text(text or ""), reading, name=name, base_dir=base_dir)


def _as_text(text: str) -> str:
    """Inline spec text, read as text even when it is one word (then it is a located error)."""
    return text if "\n" in text else text + "\n"


def read_block(text: str, name: str, base_dir: Path, default_formats: Iterable[str] = ("png",),
               allow_import: Any = None) -> tuple["Spec", DocFigure, Path | None]:
    """A fenced block's YAML: option keys (``layout``, ``theme``, ``caption``, ...) and either
    ``path:`` (a spec file relative to ``base_dir``) or the spec's own keys. Errors are located
    in the block (``name``, lines of the block)."""
    from .spec import spec_from_data
    from .yamlio import load_yaml

    data, source = load_yaml(text, name)
    if not isinstance(data, dict):
        raise SpecError("an lrplot block holds YAML keys: path: FILE or a spec, and options",
                        location=Location(name, 1))
    options = {k: data.pop(k) for k in list(data) if k in OPTIONS and k != "title"}
    figure = parse_options(options, default_formats)
    budget = _budget_inputs({k: data.pop(k) for k in list(data) if k in BUDGET_OPTIONS}, source)
    path = data.pop("path", None)
    _misspelt_option(data, source, path is not None)
    if path is not None:
        if data:
            key = next(iter(data))
            raise SpecError(f"'{key}': a block with 'path:' takes options only, the spec is in the file",
                            location=source.key((key,)))
        where = (base_dir / str(path)).resolve()
        if not where.is_file():
            kind = _kind(where)
            problem = "no such file" if kind is None else f"is {kind}, not a spec file"
            raise SpecError(f"path '{path}': {problem} (looked for {where})", location=source.value(("path",)))
        return load_doc_source(path=where, base_dir=base_dir, name=str(where), overrides=figure.overrides,
                               allow_import=allow_import, budget=budget).spec, figure, where
    spec = spec_from_data(data, source, figure.overrides, file=base_dir / f"{Path(name).stem}.yaml", inputs=budget)
    if spec.title is None:
        figure.render.setdefault("title", "")
    return spec, figure, None


def _misspelt_option(data: dict, source: Any, has_path: bool) -> None:
    """Refuse a block's key that reads as a misspelt option (``layuot``, ``no_legend``): it was told that a
    ``path:`` block takes options only, or that a spec has no such key, naming the spec's keys."""
    from .spec.models import Spec
    from .text import TYPO_RATIO, did_you_mean

    for key in data:
        if has_path or key not in Spec.model_fields:
            hint = did_you_mean(str(key), OPTIONS + BUDGET_OPTIONS, cutoff=TYPO_RATIO)
            if hint is not None:
                raise SpecError(f"unknown option '{key}'; {hint}", location=source.key((key,)))


def _budget_inputs(raw: dict[str, Any], source: Any) -> Any:
    """A block's ``dataset-size``, ``devices``, ``batch-size`` (the CLI's ``--dataset-size`` ...), checked."""
    from .sources import BudgetInputs

    for key, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SpecError(f"{key}: {value!r}: expected a whole number of at least 1", location=source.value((key,)))
    return BudgetInputs(raw.get("dataset-size"), raw.get("devices"), raw.get("batch-size"))


def _kind(path: Path) -> str | None:
    """What a path that is not a regular file is (None: nothing there)."""
    import stat

    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):
        return None
    return ("a folder" if stat.S_ISDIR(mode) else "a pipe" if stat.S_ISFIFO(mode) else
            "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file")


@functools.lru_cache(maxsize=1)
def _matplotlib_version() -> str:
    """Read once per process: importlib.metadata scans every installed distribution (5 ms a call,
    a tenth of a cached figure's cost in a doc rebuild)."""
    from importlib.metadata import version

    return version("matplotlib")


def figure_key(spec: "Spec", opts: "RenderOptions", fmt: str) -> str:
    """The content hash an image is stored under: the spec's key (:func:`lrplot.cache.spec_key`,
    the code it imports included) plus what the image adds."""
    from .cache import spec_key

    data = {
        **spec_key(spec, code=True),
        "options": {k: sorted(v) if isinstance(v, frozenset) else v for k, v in asdict(opts).items()},
        "image": fmt,
        "matplotlib": _matplotlib_version(),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:32]


def spec_files(spec: "Spec") -> list[Path]:
    """The files a spec reads besides itself (for the doc tool's dependency tracking)."""
    from .walk import local_files

    return list(spec.input_files()) + [file for _, file in local_files(spec)]


def render_images(spec: "Spec", figure: DocFigure, out_dir: Path, *, allow_import: Any = (),
                  stats: Stats | None = None) -> list[Image]:
    """Every (theme, format) image of ``figure`` in ``out_dir``, rendering only the missing ones;
    simulated at most once (through the curves cache, as the CLI does). The interactive page
    (``html``) is one file whatever the themes: with ``theme: both`` it follows the reader's
    colour scheme (its Image's theme is ``both``)."""
    from .figure import RenderOptions
    from .output import FigureTarget, write_atomic
    from .findings import figure_facts
    from .pipeline import render_all, simulate

    out_dir.mkdir(parents=True, exist_ok=True)
    base = RenderOptions(**figure.render)
    page_theme = "both" if len(figure.themes) > 1 else figure.themes[0]
    wanted = [(theme, fmt) for theme in figure.themes for fmt in figure.formats if fmt != "html"]
    wanted += [(page_theme, "html")] if "html" in figure.formats else []
    images = []
    for theme, fmt in wanted:
        opts = base.replace(theme=theme if fmt != "html" else base.theme)
        path = out_dir / f"lrplot-{figure_key(spec, opts, fmt if fmt != 'html' else f'html-{theme}')}.{fmt}"
        images.append(Image(theme, fmt, path, not sound_image(path)))
    missing = [FigureTarget(im.path, im.theme, im.fmt) for im in images if im.rendered]
    if missing:  # simulated once (through the curves cache, as the CLI), each theme drawn once
        curves = simulate([spec], allow_import=allow_import, cache=True)
        curves, _, notes = figure_facts([spec], curves)  # the metric, what check would say
        for target, blob in zip(missing, render_all(curves, missing, base.replace(notes=base.notes + notes))):
            write_atomic(target.path, lambda fh, blob=blob: fh.write(blob))
            _seal(target.path)
    if stats is not None:
        for im in images:
            stats.rendered += im.rendered
            stats.cached += not im.rendered
            stats.paths.append(im.path)
    return images


from .docmemo import _digest_path, _regular_bytes, sound_image  # noqa: E402 (one place: the memo checks them too)


def _seal(path: Path) -> None:
    from .output import write_atomic

    blob = _regular_bytes(path)
    if blob is not None:
        write_atomic(_digest_path(path), lambda fh: fh.write(hashlib.sha256(blob).hexdigest().encode()))


def default_alt(spec: "Spec") -> str:
    """The alt text when none is given: the spec's title, else its scheduler types."""
    names = [n.type.split(":")[-1] for s in spec.schedule_list() for n in s.schedulers]
    return f"Learning-rate schedule: {spec.title or ', '.join(dict.fromkeys(names))}"


def as_written(text: str, what: str = "directive") -> str:
    """``text`` with each option named as a document writes it, not as the CLI flag the shared checks
    name: ``--xlim`` is ``:xlim:`` in a Sphinx directive; in a MkDocs block it is the key with its value,
    ``xlim: 0,5``, where the flag is followed by its value, else the key named, ``'xlim:'`` (a bare
    ``xlim:`` before a comma or a word of the sentence reads as a stray colon)."""
    import re

    names = OPTIONS + BUDGET_OPTIONS
    flags = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    text = re.sub(r"(?<![\w-])--style(?![\w-])", "--theme", text)  # a document's theme takes a style file too
    found = re.compile(rf"(?<![\w-])--({flags})(?![\w-])(?= (\S+))?")
    if what == "directive":
        return found.sub(r":\1:", text)
    return found.sub(lambda m: f"{m[1]}:" if _a_value(m[1], m[2]) else f"'{m[1]}:'", text)


def _a_value(name: str, word: str | None) -> bool:
    """Whether ``word``, after the CLI flag ``--name`` in a message, is the flag's value (``--size 9x6``,
    ``--x epoch``, ``--set KEY``, ``--dataset-size N``) and not the sentence going on (``--size for``)."""
    import re

    from .figure.options import ANNOTATIONS, LAYOUTS
    from .output import THEME_CHOICES

    if word is None or name in ("log-y", "no-legend", "no-inset"):  # flags take no value
        return False
    bare = word.rstrip(",;:.)")
    if name == "set":  # a key path, any word: steps, scheduler.T_max=5 (the sentence's own words are few)
        return bare not in ("the", "a", "an", "on", "as", "beside", "to", "or", "and", "is", "for", "in", "with")
    words = {"x": ("step", "epoch"), "layout": LAYOUTS, "annotate": (*ANNOTATIONS, "none"), "theme": THEME_CHOICES,
             "formats": FORMATS}
    return bool(re.search(r"[\d=.,~'\"/{}\[\]<>]", bare) or re.fullmatch(r"[A-Z][A-Z_]*", bare)
                or bare in words.get(name, ()))


def located(exc: Exception, line: int | None, inline_offset: int | None = None,
            what: str = "directive", inline_name: str | None = None) -> tuple[int | None, str]:
    """(document line, message) for an error of a figure whose directive starts at ``line``.
    The message names the spec's ``file:line:col``; for inline YAML (``inline_offset``: the
    document line of the spec's first line, or of a MkDocs block's first line) the document line is
    the spec line's own."""
    loc = getattr(exc, "location", None)
    text = getattr(exc, "message", str(exc))
    hint = getattr(exc, "hint", None)
    if hint:
        text = f"{text}; {hint}"
    text = as_written(text, what)
    if loc is None:
        return line, f"lrplot: {text}"
    if loc.line is None and loc.path.startswith("--"):  # '--set KEY': the document's set option, not the CLI's
        return line, f"lrplot: {as_written(exc.format() if isinstance(exc, LrplotError) else f'{loc}: {text}', what)}"
    if inline_offset is not None and loc.line is not None and (inline_name is None or loc.path == inline_name):
        where = f"line {loc.line}" + (f":{loc.col}" if loc.col else "")
        # a block is one YAML text, its keys and a spec's alike (and a path: block holds no spec): its own lines
        kind = "block" if what == "block" else "inline spec"
        return inline_offset + loc.line - 1, f"lrplot: {text} ({kind} {where}; the figure's {what} is at line {line})"
    return line, f"lrplot: {loc}: {text}"


__all__ = ["DocFigure", "Image", "OPTIONS", "SpecError", "Stats", "as_written", "figure_key", "load_doc_spec", "located",
           "parse_options", "render_images", "spec_files"]
