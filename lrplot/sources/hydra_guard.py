"""Hydra's config sources, guarded: what Hydra's composition reads and imports passes lrplot's rules.

Hydra reads a config tree through one config source per search path entry, made from the entry's
scheme by Hydra's ``SourcesRegistry`` (``file://`` and plain folders: ``FileConfigSource``;
``pkg://``: ``ImportlibResourcesConfigSource``, which imports the package; ``structured://``:
``StructuredConfigSource``, which imports the module). While lrplot composes, :func:`guarded`
puts subclasses of these three in the registry, so the checks hold for the search path Hydra
ACTUALLY uses, whatever produced it (a literal list, an interpolation, ``oc.create``, a
``--set`` override Hydra applies or ignores), at the moment Hydra uses it:

* a ``pkg://`` or ``structured://`` entry the config gave (``hydra.searchpath`` in the primary
  file or on the command line) is refused before anything is imported, unless its package is
  allowed (:meth:`lrplot.imports.Allowance.allows_package`); Hydra's own ``hydra.conf`` and the
  entries of installed Hydra plugins (environment, not config) are Hydra's;
* every file Hydra loads is read first through :func:`lrplot.spec.read_text` (a regular file, at
  most the size of a config: no pipe, no device, nothing huge) and checked by
  :func:`lrplot.yamlio.check_expansion` (no nesting or aliases that would never finish loading),
  and must lie inside its search path folder (``data: ../../elsewhere`` is refused).

Only the files Hydra reads are read: a file of the tree no defaults list names is never opened.
And a value OmegaConf reads from the environment (``${oc.env:VAR}``) is never printed in an error
line, which names the variable instead, and resolving one key is bounded (:func:`omegaconf_guarded`).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from ..errors import ImportNotAllowedError, Location, SpecError

if TYPE_CHECKING:  # pragma: no cover
    from ..imports import Allowance
    from . import Document

# Hydra's provider names for the entries of hydra.searchpath (ConfigLoaderImpl._process_config_searchpath)
FROM_FILE = "hydra.searchpath in main"
FROM_COMMAND_LINE = "hydra.searchpath in command-line"
HYDRAS_OWN = "hydra.conf"


def _where(doc: Document, provider: str, entry: str) -> Location:
    """Where the search path entry ``entry`` was given: the --set override, or its line in the file."""
    if provider == FROM_COMMAND_LINE:
        return Location("--set hydra.searchpath")
    hydra_node = doc.data.get("hydra") if isinstance(doc.data, dict) else None
    entries = hydra_node.get("searchpath") if isinstance(hydra_node, dict) else None
    if isinstance(entries, list) and entry in entries:
        return doc.source.value(("hydra", "searchpath", entries.index(entry)))
    return doc.source.value(("hydra", "searchpath"))  # an interpolation: its line (or the nearest key's)


def _refuse_import(doc: Document, allowance: Allowance, provider: str, scheme: str, path: str) -> None:
    """Refuse the ``scheme://path`` entry a config gave unless its package may be imported."""
    import sys

    from ..imports import within

    package = path.replace("/", ".").rstrip(".")
    if provider not in (FROM_FILE, FROM_COMMAND_LINE):
        return  # the entries of Hydra itself and of installed Hydra plugins
    named = bool(package) and all(p.isidentifier() for p in package.split("."))
    if named and (within(package, HYDRAS_OWN) or allowance.allows_package(package)):
        return
    entry = f"{scheme}://{path}"
    where = _where(doc, provider, entry)
    what = "imports the Python package" if scheme == "pkg" else "imports the Python module"
    top = package.split(".")[0]
    if not named or top in sys.stdlib_module_names:
        raise ImportNotAllowedError(f"hydra.searchpath entry '{entry}' names no package that holds configs",
                                    location=where, hint="remove it, or point it at a folder (file://...)")
    raise ImportNotAllowedError(
        f"hydra.searchpath entry '{entry}' {what} '{package}' to read its configs, and a config alone may "
        "not run code", location=where,
        hint=f"to allow it, {allowance.how_to_allow(package)}; or point the search path at the folder "
             f"(file://...) holding the configs of {top}")


def _guarded_types(doc: Document, allowance: Allowance, overrides: list[str]) -> dict[str, type]:
    """The three config source types of Hydra, guarded (same names: Hydra checks some by name)."""
    from hydra._internal.core_plugins.file_config_source import FileConfigSource as HydraFile
    from hydra._internal.core_plugins.importlib_resources_config_source import (
        ImportlibResourcesConfigSource as HydraPkg)
    from hydra._internal.core_plugins.structured_config_source import StructuredConfigSource as HydraStructured

    from ..limits import MAX_SPEC_BYTES
    from ..spec import read_text
    from ..yamlio import check_expansion

    read: list[tuple[Path, str]] = []  # the files read so far, to locate a config named from one of them

    def named_at(name: str) -> Location:
        """Where the defaults entry or the --set override naming the config ``name`` (``group/option``)
        stands: the first one holding the longest tail of the name."""
        parts = name.split("/")
        for option in ("/".join(parts[i:]) for i in range(len(parts))):
            for item in overrides:
                if option in item.partition("=")[2]:
                    return Location(f"--set {item.partition('=')[0].strip()}")
            for file, text in read:
                for number, line in enumerate(text.splitlines(), 1):
                    if option in line:
                        return Location(str(file), number, line.index(option) + 1)
        return Location(str(doc.path))

    class FileConfigSource(HydraFile):
        def _inside(self, config_path: str, normalize: bool) -> str:
            name = self._normalize_file_name(config_path) if normalize else config_path
            root = os.path.realpath(self.path)
            full = os.path.realpath(os.path.join(self.path, name))
            if full != root and not full.startswith(root.rstrip(os.sep) + os.sep):
                raise SpecError(f"the config '{config_path}' is outside its config folder {self.path} "
                                f"(it resolves to {full})", location=named_at(config_path.removesuffix(".yaml")),
                                hint="name configs inside the config folder (no '..', no link leading out), "
                                     "or add their folder to hydra.searchpath")
            return full

        def is_config(self, config_path: str) -> bool:
            self._inside(config_path, True)
            return super().is_config(config_path)

        def is_group(self, config_path: str) -> bool:
            self._inside(config_path, False)
            return super().is_group(config_path)

        def load_config(self, config_path: str) -> Any:
            full = Path(self._inside(config_path, True))
            if full.exists():
                shown = doc.path.parent / full.relative_to(doc.path.parent.resolve()) \
                    if full.is_relative_to(doc.path.parent.resolve()) else full
                text = read_text(shown, "config", MAX_SPEC_BYTES, pipe_ok=False)
                check_expansion(text, str(shown))
                read.append((shown, text))
            return super().load_config(config_path)

    class ImportlibResourcesConfigSource(HydraPkg):
        def __init__(self, provider: str, path: str) -> None:
            _refuse_import(doc, allowance, provider, "pkg", path.partition("://")[2])
            super().__init__(provider, path)

    class StructuredConfigSource(HydraStructured):
        def __init__(self, provider: str, path: str) -> None:
            if path.partition("://")[2]:  # "structured://" alone is Hydra's schema source: no import
                _refuse_import(doc, allowance, provider, "structured", path.partition("://")[2])
            super().__init__(provider, path)

    return {"file": FileConfigSource, "pkg": ImportlibResourcesConfigSource, "structured": StructuredConfigSource}


class ResolutionTooLarge(SpecError):
    """OmegaConf's resolution of one key went past MAX_INTERPOLATIONS or MAX_INTERPOLATED_CHARS."""


class Spent:
    """What one guarded resolution has cost so far; ``over`` once it went past the limits;
    ``refused``: why lrplot's evaluator refused an ``${eval:...}`` expression."""

    def __init__(self) -> None:
        self.interpolations = self.chars = 0
        self.over: ResolutionTooLarge | None = None
        self.refused: SpecError | None = None


def _evaluate(spent: Spent) -> Any:
    """The ``eval`` resolver projects register as Python's ``eval`` (``${eval:'${a} // ${b}'}``,
    lightning-hydra-template's descendants), answered by lrplot's own expression evaluator
    (:mod:`lrplot.expr`: numbers, arithmetic, comparisons, a few math functions; never Python's
    eval). What it refuses is kept in ``spent.refused`` (OmegaConf wraps the resolver's error)."""
    from ..expr import compile_expression

    def evaluate(text: Any) -> Any:
        try:
            return compile_expression(text, ("_",), what="the expression")(None)
        except SpecError as exc:
            spent.refused = exc
            raise
    return evaluate


@contextmanager
def omegaconf_guarded() -> Iterator[Spent]:
    """While OmegaConf resolves (for lrplot's reader, or inside Hydra's composition):

    * each ``${oc.env:VAR}`` value it returns is registered with :func:`lrplot.errors.said_by_name`,
      so no later error line prints it;
    * the interpolations it evaluates are counted, with the characters they produce: OmegaConf
      resolves an interpolation again at every use (no cache), so '${a}${a}' chains double the
      work per level, however the keys are written (``${x.${name}}`` too). Past
      MAX_INTERPOLATIONS or MAX_INTERPOLATED_CHARS, :class:`ResolutionTooLarge` stops it (OmegaConf
      may wrap it in its own error: the yielded :class:`Spent` keeps it as ``over``);
    * ``${eval:...}`` is evaluated by lrplot's expression evaluator (:func:`_evaluate`), whatever
      ``eval`` resolver the process had (given back after).
    """
    from omegaconf import OmegaConf
    from omegaconf.base import Container
    from omegaconf.basecontainer import BaseContainer
    from omegaconf.resolvers import oc

    from ..errors import said_by_name
    from ..limits import MAX_INTERPOLATED_CHARS, MAX_INTERPOLATIONS

    evaluate = Container._resolve_interpolation_from_parse_tree
    spent = Spent()

    def bounded(self: Any, *args: Any, **kwargs: Any) -> Any:
        if spent.over is not None:
            raise spent.over
        spent.interpolations += 1
        result = evaluate(self, *args, **kwargs)
        value = result._value() if hasattr(result, "_value") else result
        spent.chars += len(value) if isinstance(value, str) else 0
        if spent.interpolations > MAX_INTERPOLATIONS or spent.chars > MAX_INTERPOLATED_CHARS:
            spent.over = ResolutionTooLarge(
                f"resolving it goes through more than {MAX_INTERPOLATIONS:,} interpolations or "
                f"{MAX_INTERPOLATED_CHARS:,} characters (OmegaConf resolves an interpolation again each time it is "
                "used)", hint="write the value out, or interpolate a value fewer times")
            raise spent.over
        return result

    def env(key: str, *default: Any) -> Any:
        value = oc.env(key, *default)
        said_by_name(value, key)
        return value

    OmegaConf.register_new_resolver("oc.env", env, replace=True)
    app_eval = BaseContainer._resolvers.get("eval")  # a resolver the calling process registered
    OmegaConf.register_new_resolver("eval", _evaluate(spent), replace=True)
    Container._resolve_interpolation_from_parse_tree = bounded  # type: ignore[method-assign]
    try:
        yield spent
    finally:
        Container._resolve_interpolation_from_parse_tree = evaluate  # type: ignore[method-assign]
        OmegaConf.register_new_resolver("oc.env", oc.env, replace=True)
        BaseContainer._resolvers.pop("eval", None)
        if app_eval is not None:
            BaseContainer._resolvers["eval"] = app_eval


@contextmanager
def guarded(doc: Document, allowance: Allowance, overrides: list[str]) -> Iterator[Spent]:
    """Hydra composes with the guarded config sources inside this block; Hydra's own come back after."""
    from hydra._internal.sources_registry import SourcesRegistry
    from hydra.core.plugins import Plugins

    Plugins.instance()  # registers Hydra's own sources first (it would refuse replacing ours later)
    registry = SourcesRegistry.instance()
    saved = dict(registry.types)
    registry.types.update(_guarded_types(doc, allowance, overrides))
    try:
        with omegaconf_guarded() as spent:
            yield spent
    finally:
        registry.types.clear()
        registry.types.update(saved)
