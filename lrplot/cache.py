"""A disk cache of simulated curves: keys, loads and stores entries (``lrplot.simulate(..., cache=True)`` uses it).

Changing a title, theme, size, layout or output format is the daily loop of figure makers; the
curves do not change, and simulating them costs the torch import (seconds). Each spec's curves are
stored under a key made of everything they depend on:

- the validated spec, dumped exactly (:func:`exact`: every scalar with its type, floats by repr, so
  NaN, inf, -inf, -0.0 and 1 vs 1.0 are all distinct keys; ``--set`` overrides are applied before
  validation, so they are part of it), without ``title`` (presentation only: re-applied on a hit);
- the spec file's stem (schedule names and sources derive from it);
- the content (SHA-256) of every file the spec reads (metric CSVs), read once: the simulation
  parses the very text that was hashed (:meth:`lrplot.spec.Spec.read_input`);
- the versions of lrplot (with a stamp of its files: :func:`code_stamp`), torch (read from its version.py or package metadata, without importing
  it), numpy and Python, and the cache format.

Specs naming an import-path scheduler or optimizer (a type containing ':') are never cached: the
code behind them can change without the spec changing.

Entries live in ``$LRPLOT_CACHE_DIR``, else ``$XDG_CACHE_HOME/lrplot``, else ``~/.cache/lrplot``,
as one ``.npz`` per key (float64 arrays plus a JSON header echoing the key; no pickles), written
atomically. An entry that is not a regular file (a symbolic link), cannot be read, has another
format version, does not echo the very key asked for, or whose payload (schedules and arrays) does
not hash to the digest in its header is ignored and replaced: it is never trusted. Entries over :data:`MAX_CACHE_ENTRY_BYTES`
are not stored. Removing the folder is always safe.

This module imports neither torch nor matplotlib; numpy only when an entry is read or written.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .limits import MAX_CACHE_ENTRY_BYTES

if TYPE_CHECKING:  # pragma: no cover
    from .curves import ScheduleTrace
    from .spec import Spec

FORMAT = 5  # 2: ScheduleTrace.meta holds field_labels (beta1); 3: the spec keyed with exact(), type-tagged;
# 4: the header holds a digest of the payload (its schedules and every array), checked before use;
# 5: meta holds first_update (a spec resumed with last_epoch)
ENV_DIR = "LRPLOT_CACHE_DIR"


def cache_dir() -> Path:
    """Where entries are stored (not created until something is written)."""
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "lrplot"


def _dist_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


_VERSION_LINE = re.compile(r"""^__version__\s*=\s*['"]([^'"]+)['"]""", re.M)


def torch_version() -> str | None:
    """torch's version without importing torch: its ``torch/version.py`` (1 ms), else the package
    metadata (~25 ms: it scans every installed distribution)."""
    return module_version("torch", "version.py", "__version__")


def module_version(name: str, file: str, variable: str, dist: str | None = None) -> str | None:
    """The version of package ``name`` without importing it: ``variable = '...'`` in its ``file``,
    else its package metadata (``dist``, default ``name``)."""
    import importlib.util

    try:
        found = importlib.util.find_spec(name)
        if found is not None and found.origin:
            pattern = _VERSION_LINE if variable == "__version__" else re.compile(
                rf"""^{re.escape(variable)}\s*=\s*['"]([^'"]+)['"]""", re.M)
            m = pattern.search((Path(found.origin).parent / file).read_text("utf-8"))
            if m:
                return m.group(1)
    except (OSError, ImportError, ValueError, UnicodeDecodeError):
        pass
    return _dist_version(dist or name)


def _digest(spec: Spec, path: Path) -> str | None:
    """SHA-256 of the input's text as the simulation will parse it (read once, see Spec.read_input)."""
    from .errors import LrplotError

    try:
        return hashlib.sha256(spec.read_input(path).encode("utf-8", "surrogatepass")).hexdigest()
    except LrplotError:
        return None


def exact(value: Any) -> Any:
    """``value`` as JSON that tells apart everything torch could: each scalar tagged with its
    type (``1`` and ``1.0``, ``true`` and ``1``), floats by ``repr`` (NaN, ``inf``, ``-inf``,
    ``-0.0`` and ``0.0`` all differ; JSON itself has no NaN/inf), mappings in their order."""
    if value is None:
        return None
    if isinstance(value, bool):
        return ["bool", value]
    if isinstance(value, int):
        return ["int", str(value)]
    if isinstance(value, float):
        return ["float", repr(value)]
    if isinstance(value, str):
        return ["str", value]
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, [exact(v) for v in value]]
    if isinstance(value, dict):
        return ["dict", [[exact(k), exact(v)] for k, v in value.items()]]
    raise TypeError(f"cannot key a {type(value).__name__}")  # simulate, do not cache


def spec_key(spec: Spec, *, code: bool = False) -> dict[str, Any] | None:
    """Everything ``spec``'s curves depend on, as JSON-able data: the one builder of cache keys.

    For the curves cache (``code`` False): None when they must not be cached (the spec names code
    by an import path, or a file it reads cannot be read: the simulation reports that). For an
    image of the doc figures (``code`` True, its own keys added by the caller): the code each
    import path names is keyed by what can be known of it without running it (a local file's
    SHA-256, a package's installed version), the title is kept, an unreadable file is keyed as
    None (the render that follows reports it), and a key is always returned."""
    from .walk import import_paths  # with the spec models: a plot memo's run reads no spec (lrplot.plotmemo)

    data = spec.model_dump(mode="python")
    imported = import_paths(spec)
    if imported and not code:
        return None
    if not code:
        data.pop("title", None)
    files = []  # in schedule order; the paths themselves are in the spec
    for path in spec.input_files():
        digest = _digest(spec, path)
        if digest is None and not code:
            return None
        files.append(digest)
    key = {
        "format": FORMAT,
        "spec": exact(data),
        "stem": spec.stem,
        "files": files,
        **versions(),
        "python": list(sys.version_info[:2]),
    }
    if code:
        key["imports"] = [[t, _code_version(spec, t)] for t in imported]
    return key


def versions() -> dict[str, str]:
    """The versions every stored result depends on (lrplot's, torch's, numpy's), read without importing
    torch or numpy: one list for the curve cache's keys and the plot memo's. lrplot's is its version
    and :func:`code_stamp`: a working tree changed under the same version string is other code."""
    return {"lrplot": __version__, "lrplot_code": code_stamp(), "torch": torch_version(), "numpy": _numpy_version()}


@functools.lru_cache(maxsize=1)
def code_stamp() -> str:
    """Which lrplot code this process runs: a digest of the name, size and modification time of every
    file of the package (``__pycache__`` aside), as Python's own ``.pyc`` check stamps a source (about
    1 ms; the code a process runs is what it imported, so once per process)."""
    root = Path(__file__).parent
    digest = hashlib.sha256()
    folders = [root]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in sorted(entries, key=lambda e: e.name):
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name != "__pycache__":
                            folders.append(Path(entry.path))
                        continue
                    info = entry.stat(follow_symlinks=False)
                    name = Path(entry.path).relative_to(root).as_posix()
                    digest.update(f"{name}\0{info.st_size}\0{info.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
        except OSError:
            digest.update(f"{folder}: unreadable\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _code_version(spec: Spec, type_name: str) -> str | None:
    """What can be known of the code an import path names without importing it: a local file's
    SHA-256, else the installed version of its package (None: unknown)."""
    module = type_name.split(":")[0]
    if module.endswith(".py"):
        try:
            return hashlib.sha256((spec.base_dir / module).read_bytes()).hexdigest()
        except OSError:
            return None
    return _package_version(module.split(".")[0])


def _package_version(top: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    for dist in _distributions().get(top, [top]):
        try:
            return version(dist)
        except PackageNotFoundError:
            continue
    return None


@functools.lru_cache(maxsize=1)
def _distributions() -> dict[str, list[str]]:
    """The installed distributions providing each top-level package, read once per process: the
    scan reads every installed distribution's file list (0.15 to 0.4 s, and a documentation build
    keys a figure with it for each import path). The version itself is read at each use, so a
    package upgraded while a process runs keys its figures with its new version."""
    from importlib.metadata import packages_distributions

    return packages_distributions()


def _numpy_version() -> str:
    import numpy  # needed anyway, to read or write the entry

    return numpy.__version__


def _canonical(key: dict[str, Any]) -> str:
    return json.dumps(key, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def entry_path(key: dict[str, Any], folder: Path | None = None) -> Path:
    name = hashlib.sha256(_canonical(key).encode()).hexdigest()[:40]
    return (folder or cache_dir()) / f"{name}.npz"


# --- reading and writing entries ---------------------------------------------------------------

def load(key: dict[str, Any], folder: Path | None = None) -> list[ScheduleTrace] | None:
    """The cached curves for ``key``, or None when there is no sound entry."""
    path = entry_path(key, folder)
    try:
        blob = _regular_bytes(path)
        return None if blob is None else _read(blob, key)
    except Exception:  # corrupt, truncated, foreign: never trusted, recomputed
        return None


def _regular_bytes(path: Path) -> bytes | None:
    """The bytes of ``path`` if it is a regular file of at most an entry's size (never through a
    symbolic link: an entry is a file lrplot wrote, not one planted to point elsewhere)."""
    from .output import regular_bytes

    return regular_bytes(path, 2 * MAX_CACHE_ENTRY_BYTES)


def payload_digest(schedules: Any, arrays: dict[str, Any]) -> str:
    """SHA-256 of an entry's payload: its schedules (names, groups, events, meta) and every array
    (name, dtype, shape, bytes). Kept in the header; an entry whose payload does not hash to it
    was not written by lrplot as it is and is never used."""
    h = hashlib.sha256(_canonical(schedules).encode())
    for name in sorted(arrays):
        a = arrays[name]
        h.update(f"|{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _read(blob: bytes, key: dict[str, Any]) -> list[ScheduleTrace] | None:
    import io

    import numpy as np

    from .curves import Event, ScheduleTrace

    with np.load(io.BytesIO(blob), allow_pickle=False) as archive:
        header = json.loads(str(archive["header"][()]))
        if header.get("format") != FORMAT or _canonical(header.get("key")) != _canonical(key):
            return None
        arrays = {name: archive[name] for name in archive.files if name != "header"}
    if payload_digest(header["schedules"], arrays) != header.get("digest"):
        return None
    out = []
    for s in header["schedules"]:
        steps = s["steps"]
        values = {}
        for g, field, name in s["arrays"]:
            array = arrays[name]
            if array.dtype != np.float64 or array.shape != (steps,):
                return None
            values[(g, field)] = array
        groups, fields = tuple(s["groups"]), tuple(s["fields"])
        if set(values) != {(g, f) for g in range(len(groups)) for f in fields}:
            return None
        out.append(ScheduleTrace(
            name=s["name"], scheduler=s["scheduler"], steps=steps, interval=s["interval"],
            steps_per_epoch=s["steps_per_epoch"], groups=groups, fields=fields, values=values,
            source=s["source"], events=tuple(Event(*e) for e in s["events"]), meta=s["meta"]))
    return out


def store(key: dict[str, Any], curves: list[ScheduleTrace], folder: Path | None = None) -> bool:
    """Write an entry (atomically); False when it was not written. A cache that cannot be written
    never fails a run."""
    import numpy as np

    arrays: dict[str, Any] = {}
    schedules = []
    for s in curves:
        names = []
        for (g, field), values in s.values.items():
            name = f"a{len(arrays)}"
            arrays[name] = np.ascontiguousarray(values, dtype=np.float64)
            names.append([g, field, name])
        schedules.append({
            "name": s.name, "scheduler": s.scheduler, "steps": s.steps, "interval": s.interval,
            "steps_per_epoch": s.steps_per_epoch, "groups": list(s.groups), "fields": list(s.fields),
            "source": s.source, "events": [[e.step, e.label, e.kind] for e in s.events], "meta": s.meta,
            "arrays": names,
        })
    if sum(a.nbytes for a in arrays.values()) > MAX_CACHE_ENTRY_BYTES:
        return False
    try:
        digest = payload_digest(json.loads(json.dumps(schedules, allow_nan=False)), arrays)  # as it will be read
        header = json.dumps({"format": FORMAT, "key": key, "schedules": schedules, "digest": digest},
                            allow_nan=False)
    except (TypeError, ValueError):  # meta that JSON cannot hold: do not cache
        return False
    path = entry_path(key, folder)
    from .errors import LrplotError
    from .output import write_atomic

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, lambda fh: np.savez(fh, header=np.array(header), **arrays))
    except (OSError, LrplotError):
        return False
    return True
