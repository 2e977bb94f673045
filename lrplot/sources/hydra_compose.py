"""A Hydra primary config (one with a ``defaults:`` list) -> the composed config, by Hydra itself.

``hydra.initialize_config_dir(<the file's folder>)`` + ``hydra.compose(<its stem>, overrides)``
(hydra-core 1.3.8, ``version_base="1.3"``) compose it exactly as ``python train.py k=v`` would, with
``--set`` items as Hydra overrides. The result is handed back as a :class:`~lrplot.sources.Document`
whose data is the composed config (interpolations unresolved: the Hydra reader resolves only the
keys it reads) and whose SourceMap points every key at the file it came from: Hydra's own defaults
list (what ``--info defaults`` prints: the one its compose built, kept as it passes, see
:func:`_kept_defaults`) says which file was merged at which package, in merge order, so
``model.optimizer.lr`` is located in ``model/mnist.yaml`` (or at ``--set model.optimizer.lr``).
Nothing is instantiated. A logging plugin the tree names but this environment lacks
(hydra-colorlog) is composed without (:mod:`.hydra_plugins`), said in a note.

Composition reads YAML only, except a ``hydra.searchpath`` entry ``pkg://some.package`` or
``structured://some.module``, which imports it: refused unless ``--allow-import some.package``
(lrplot's one allow rule, :meth:`lrplot.imports.Allowance.allows_package`). Hydra composes with
guarded config sources (:mod:`.hydra_guard`), so that check, and lrplot's file limits on every
file Hydra reads, apply to the search path Hydra actually uses, however it was written.
"""

from __future__ import annotations

import re
import warnings
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

from ..errors import Location, MissingLibraryError, SpecError, first_line
from . import hydra_plugins as plugins
from .hydra_messages import NAME, default_group, missing_config, near_key, set_location as _set_location, yaml_error

if TYPE_CHECKING:  # pragma: no cover
    from ..imports import Allowance
    from . import Document

VERSION_BASE = "1.3"
_CONFIG = rf"^(?:optional\s+)?/?{NAME}(?:@[\w\-.]*)?$"  # a config entry; compiled on first use (re's cache)


def is_primary(data: Any) -> bool:
    """A mapping whose ``defaults`` is a list in Hydra's form: ``_self_``, ``group: option``
    (``override``/``optional`` prefixes, ``@package``; option a name, a list of names or null),
    or a config name. Cheap: no import."""
    if not isinstance(data, dict):
        return False
    entries = data.get("defaults")
    if not isinstance(entries, list) or not entries:
        return False
    for entry in entries:
        if isinstance(entry, str):
            if entry != "_self_" and not re.match(_CONFIG, entry):
                return False
        elif isinstance(entry, dict) and len(entry) == 1:
            (key, value), = entry.items()
            if not isinstance(key, str) or default_group(key) is None:
                return False
            if not (value is None or isinstance(value, str)
                    or isinstance(value, list) and all(isinstance(v, str) for v in value)):
                return False
        else:
            return False
    return True


def _parse_overrides(items: tuple[str, ...]) -> list[Any]:
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    from ..limits import MAX_YAML_DEPTH
    from ..yamlio import nesting_depth

    parser = OverridesParser.create()
    parsed = []
    for item in items:
        key = item.partition("=")[0].strip() or item
        if nesting_depth(item) > MAX_YAML_DEPTH:  # Hydra's parser and OmegaConf recurse per level
            raise SpecError(f"the value is nested too deeply; at most {MAX_YAML_DEPTH} levels",
                            location=_set_location(key))
        try:
            parsed.extend(parser.parse_overrides([item]))
        except HydraException as exc:
            raise SpecError(f"not a Hydra override: {first_line(exc)}", location=_set_location(key),
                            hint="write key.path=value, group=option, +new.key=value or ~key "
                                 "(Hydra's override grammar)") from None
    return parsed


@contextmanager
def _kept_defaults() -> Iterator[list[Any]]:
    """The defaults lists Hydra's config loader builds while inside, kept as they pass.

    ``ConfigLoaderImpl._load_configuration_impl`` builds the list by calling its module's
    ``create_defaults_list`` (hydra-core 1.3.8: config_loader_impl.py:253, the same arguments as
    ``compute_defaults_list``, :569-585), then merges its files; the list itself is not returned.
    Computing it again for the source map cost as much as a third of a compose (the whole tree's
    files loaded once more), so the name is wrapped while composing and the list kept. If a later
    Hydra stops calling it there, nothing is kept and :func:`_source_map` computes it as before
    (tests/test_dependency_shapes.py checks the call is there)."""
    from hydra._internal import config_loader_impl

    original = config_loader_impl.create_defaults_list
    kept: list[Any] = []

    def keeping(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        kept.append(result)
        return result

    config_loader_impl.create_defaults_list = keeping
    try:
        yield kept
    finally:
        config_loader_impl.create_defaults_list = original


def _source_map(doc: Document, loader: Any, parsed: list[Any], kept: list[Any]) -> Any:
    """Key path -> location in the file Hydra merged it from (later files win, as in the merge),
    then the value overrides at ``--set``. ``kept``: the defaults list the compose built, if any."""
    from hydra.types import RunMode

    from ..spec import read_text
    from ..yamlio import SourceMap, load_yaml

    source = SourceMap(str(doc.path))
    try:
        defaults = (kept[-1] if kept else
                    loader.compute_defaults_list(doc.path.stem, list(doc.overrides), RunMode.RUN)).defaults
    except Exception:  # noqa: BLE001 - provenance only improves locations: fall back to the primary file
        defaults = []
    for default in defaults:
        path = default.config_path
        package = default.package or ""
        if path is None or package == "hydra" or package.startswith("hydra."):
            continue
        if path == doc.path.stem and default.primary:
            file_source = doc.source
        else:
            file = doc.path.parent / f"{path.removesuffix('.yaml')}.yaml"  # (a defaults entry may name the file)
            if not file.is_file():
                continue  # from another search path entry or the ConfigStore: located at the primary file
            try:
                _, file_source = load_yaml(read_text(file, "config", pipe_ok=False), str(file))
            except SpecError:
                continue
        prefix = tuple(package.split(".")) if package else ()
        for table, mine in ((file_source.keys, source.keys), (file_source.values, source.values),
                            (file_source.text_start, source.text_start)):
            for key_path, location in table.items():
                if not prefix and key_path[:1] in (("defaults",), ("hydra",)):
                    continue
                mine[prefix + key_path] = location
    for o in parsed:
        if o.is_delete() or o.package is not None:
            continue
        key_path = tuple(o.key_or_group.split("."))
        if key_path[:1] == ("hydra",) or _is_group(loader, o.key_or_group):
            continue
        source.override(key_path, _set_location(o.key_or_group))
    return source


def _is_group(loader: Any, key: str) -> bool:
    try:
        return bool(loader.get_group_options(key))
    except Exception:  # noqa: BLE001
        return False


def compose(doc: Document, allowance: Allowance) -> tuple[Document, list[str]]:
    """The composed config of the primary config ``doc`` (``doc.overrides`` as Hydra overrides),
    and the notes of the composition (a logging plugin composed without, :mod:`.hydra_plugins`)."""
    try:
        import hydra  # noqa: F401 - hydra-core itself, not only omegaconf
        from hydra.core.global_hydra import GlobalHydra
        from hydra.version import VersionBase
    except ImportError as exc:
        raise MissingLibraryError(
            f"this Hydra config has a defaults list, and composing it needs hydra-core ({first_line(exc)}; "
            "omegaconf alone reads only composed configs)", package="hydra-core",
            location=doc.source.key(("defaults",)),
            hint="pip install hydra-core (or '.[hydra]' in the lrplot checkout), or give lrplot the composed config: "
                 "'python train.py --cfg job > composed.yaml'") from None
    if doc.path.suffix != ".yaml":
        raise SpecError(f"Hydra composes '.yaml' files only, not '{doc.path.suffix}'",
                        location=Location(str(doc.path)), hint=f"rename it to {doc.path.stem}.yaml")
    from .hydra_guard import guarded

    parsed = _parse_overrides(doc.overrides)
    # lrplot may be called inside a Hydra app (its GlobalHydra initialized, its version_base set):
    # compose in a cleared GlobalHydra, then give the app back exactly what it had.
    app_hydra = GlobalHydra.instance().hydra if GlobalHydra.instance().is_initialized() else None
    app_base = VersionBase.instance().version_base
    GlobalHydra.instance().clear()
    from ..reads import recording

    try:
        with recording(f"a file Hydra read for {doc.path.name}"), \
                guarded(doc, allowance, list(doc.overrides)) as spent:
            try:
                return _compose(doc, parsed)
            except SpecError:
                if spent.over is None:
                    raise
                raise SpecError(f"the hydra section: {spent.over.message}", location=doc.source.key(("hydra",)),
                                hint=spent.over.hint) from None
    finally:
        GlobalHydra.instance().clear()
        if app_hydra is not None:
            GlobalHydra.instance().initialize(app_hydra)
        VersionBase.instance().version_base = app_base


def _compose(doc: Document, parsed: list[Any]) -> tuple[Document, list[str]]:
    from dataclasses import replace

    import hydra
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import OmegaConf

    config_dir = str(doc.path.parent.resolve())
    with warnings.catch_warnings(), hydra.initialize_config_dir(config_dir=config_dir, version_base=VERSION_BASE,
                                                                 job_name="lrplot"):
        warnings.simplefilter("ignore")
        loader = GlobalHydra.instance().config_loader()
        with plugins.stubs() as stubbed:
            with _kept_defaults() as kept:
                cfg = _compose_tree(doc, parsed, loader, stubbed)
            source = _source_map(doc, loader, parsed, kept)
    data = OmegaConf.to_container(cfg, resolve=False)
    return replace(doc, data=data, source=source), [plugins.note(stubbed)] if stubbed else []


def _compose_tree(doc: Document, parsed: list[Any], loader: Any, stubbed: list) -> Any:
    """Hydra's compose; a missing logging plugin's config stubbed and composed again."""
    import hydra
    import yaml
    from hydra.errors import HydraException, MissingConfigException
    from omegaconf.errors import OmegaConfBaseException

    while True:
        try:
            return hydra.compose(config_name=doc.path.stem, overrides=list(doc.overrides))
        except MissingConfigException as exc:
            missing = plugins.missing_logging_plugin(exc)
            if missing is None or missing in stubbed:
                raise missing_config(doc, exc, loader, parsed) from None
            plugins.add(stubbed, *missing)
        except (HydraException, OmegaConfBaseException) as exc:
            lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
            message = lines[0].rstrip(".") if lines else type(exc).__name__
            hint = lines[1] if len(lines) > 1 and lines[1].startswith("To ") else None
            where = Location(str(doc.path))
            quoted = re.search(r"override '([^']+)'", message)
            if quoted:
                where = _set_location(quoted.group(1))
                hint = near_key(doc, quoted.group(1)) or hint
            raise SpecError(f"Hydra cannot compose it: {message}", location=where,
                            hint=hint or "fix the config or the --set override Hydra names") from None
        except yaml.YAMLError as exc:  # a file of the tree is not YAML (Hydra loads it with PyYAML)
            raise yaml_error(doc, exc) from None
        except (ValueError, TypeError, OSError) as exc:  # what else Hydra lets through from odd input
            raise SpecError(f"Hydra cannot compose it: {first_line(exc, type(exc).__name__)}",
                            location=Location(str(doc.path)), hint="fix the config tree") from None
