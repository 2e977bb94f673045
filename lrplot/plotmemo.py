"""The plot memo: ``lrplot plot`` run again on unchanged input files neither reads nor validates them.

The curves cache (:mod:`lrplot.cache`) is keyed by the validated spec, so even a run that only
changes the title or theme parses the YAML and validates it with the spec models (PyYAML, the
models' import, the validation: ≈ 80 ms, an eighth of such a run). The plot memo is a first
level in front of it, keyed by the raw inputs of one plot:

- every SPEC path as given and resolved, with the SHA-256 of its bytes (a regular file, never
  read through a symbolic link, at most :data:`~lrplot.limits.MAX_SPEC_BYTES`);
- every option that changes what is read: ``--set``, ``--from``, the budget inputs, ``--allow-import``;
- every ``LRPLOT_*`` environment variable;
- the versions of lrplot (and the stamp of its code: :func:`lrplot.cache.code_stamp`), torch, numpy,
  Python, pydantic and PyYAML (the last two decide how the bytes are read and validated; each read
  from its version file, without importing it).

Its entry holds what the figure and the command's lines are made of once the inputs are read:
the curves as drawn (the metric each schedule is fed included), the warning lines of the plan's
findings, the figure's footnotes, the budget lines, and every other file the run reads (metric
CSVs) with its SHA-256, compared again at each use. Presentation options (title, theme, size,
layout, format, outputs) are not in it: they are checked and applied as on any run.

An entry is written only by a run that read nothing but lrplot specs from files, with no import
paths (whose curves the curves cache keeps anyway), no ``--log``, no Python warning while reading,
and whose files hashed the same before reading and after the run. It is stored as a curves-cache
entry (:func:`lrplot.cache.store`: the payload's digest checked on reading, never trusted
otherwise) keyed by the raw key and the lines, and found through a small JSON file named by the
raw key. Anything missing, different or unreadable: the inputs are read as on any run.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from . import cache as _cache
from .limits import MAX_CSV_BYTES, MAX_SPEC_BYTES

if TYPE_CHECKING:  # pragma: no cover
    from .curves import Curves
    from .sources import Source

FORMAT = 1


def _regular(path: Path | str, limit: int) -> bytes | None:
    from .output import regular_bytes

    return regular_bytes(Path(path), limit)


def _digest(path: Path | str, limit: int) -> str | None:
    blob = _regular(path, limit)
    return None if blob is None else hashlib.sha256(blob).hexdigest()


def raw_key(paths: Iterable[Path], overrides: Iterable[str], kind: str | None, budget: Iterable[Any],
            allow_import: Any) -> dict[str, Any] | None:
    """The key of a plot of ``paths`` read with these options; None when a path is not a regular
    file lrplot would read (the run reads it and says why)."""
    files = []
    for path in paths:
        digest = _digest(path, MAX_SPEC_BYTES)
        if digest is None:
            return None
        files.append([str(path), str(Path(path).resolve()), digest])
    if not files:
        return None
    return {
        "plotmemo": FORMAT,
        "cache": _cache.FORMAT,
        "files": files,
        "set": list(overrides),
        "from": kind,
        "budget": list(budget),
        "allow_import": repr(allow_import),
        "env": sorted([k, v] for k, v in os.environ.items() if k.startswith("LRPLOT_")),
        **_cache.versions(),
        "pydantic": _cache.module_version("pydantic", "version.py", "VERSION"),
        "yaml": _cache.module_version("yaml", "__init__.py", "__version__", "PyYAML"),
        "python": list(sys.version_info[:3]),
    }


def plot_key(paths: Iterable[Path], reading: Any) -> dict[str, Any] | None:
    """:func:`raw_key` of a plot of ``paths`` read as ``reading`` (a :class:`lrplot.pipeline.Reading`) says."""
    budget = reading.budget
    return raw_key(paths, reading.overrides, reading.kind, [budget.dataset_size, budget.devices, budget.batch_size],
                   reading.allow_import)


def _record_path(key: dict[str, Any]) -> Path:
    return _cache.cache_dir() / f"plot-{_cache.entry_path(key).stem}.json"


@dataclass(frozen=True)
class Recalled:
    """A plot's inputs as read before: see the module's docstring."""

    curves: Curves
    warnings: tuple[str, ...]
    notes: tuple[str, ...]
    budget: tuple[str, ...]
    inputs: tuple[tuple[Path, str], ...]


def recall(key: dict[str, Any] | None) -> Recalled | None:
    """The memo of ``key`` if it is whole and still true (its other input files unchanged)."""
    if key is None:
        return None
    try:
        record = json.loads(_cache._regular_bytes(_record_path(key)) or b"null")
        entry = record["entry"]
        if _cache._canonical(entry["raw"]) != _cache._canonical(key):
            return None
        lines = entry["lines"]
        inputs = [(str(p), str(what), digest) for p, what, digest in lines["inputs"]]
        for path, _, digest in inputs:
            if digest is None or _digest(path, max(MAX_SPEC_BYTES, MAX_CSV_BYTES)) != digest:
                return None
        traces = _cache.load(entry)
        if traces is None:
            return None
        from .curves import Curves

        traces = [_tupled(t) for t in traces]
        return Recalled(Curves(tuple(traces), lines["title"]), tuple(map(str, lines["warnings"])),
                        tuple(map(str, lines["notes"])), tuple(map(str, lines["budget"])),
                        tuple((Path(p), what) for p, what, _ in inputs))
    except Exception:  # corrupt, truncated, foreign: never trusted, read again
        return None


def _tupled(trace: Any) -> Any:
    """The metric as :func:`lrplot.findings.with_metrics` makes it, (steps, values, name) (JSON made it a list)."""
    from dataclasses import replace

    metric = trace.meta.get("metric")
    if metric is None:
        return trace
    steps, values, name = metric
    return replace(trace, meta={**trace.meta, "metric": (list(steps), list(values), name)})


def memoisable(sources: list[Source]) -> bool:
    """Whether a run that read these sources may be memoised: lrplot spec files only, each with a
    curves-cache key (no import paths, every file it reads readable)."""
    return bool(sources) and all(s.kind == "lrplot" and s.spec.file is not None and _cache.spec_key(s.spec) is not None
                                 for s in sources)


def store(key: dict[str, Any], curves: Curves, sources: list[Source], *, warnings: Iterable[str],
          notes: Iterable[str], budget: Iterable[str], inputs: Iterable[tuple[Path, str]]) -> bool:
    """Write the memo of a run whose spec files hashed to ``key`` before they were read; nothing if
    one of them hashes otherwise now, or another input file (a metric CSV) is not now the very
    text the simulation parsed."""
    for given, _, digest in key["files"]:
        if _digest(given, MAX_SPEC_BYTES) != digest:
            return False
    spec_files = {str(given) for given, _, _ in key["files"]}
    read = {}
    for source in sources:
        for path in source.spec.input_files():
            read[str(path)] = source.spec.read_input(path)  # read once: the text the curves came from
    listed = []
    for path, what in inputs:
        if str(path) in spec_files:
            digest = _digest(path, MAX_SPEC_BYTES)
        else:
            blob = _regular(path, MAX_CSV_BYTES)
            try:
                if blob is None or str(path) not in read or blob.decode("utf-8-sig") != read[str(path)]:
                    return False
            except UnicodeDecodeError:
                return False
            digest = hashlib.sha256(blob).hexdigest()
        if digest is None:
            return False
        listed.append([str(path), what, digest])
    entry = {"raw": key, "lines": {"title": curves.title, "warnings": list(warnings), "notes": list(notes),
                                   "budget": list(budget), "inputs": listed}}
    try:
        json.dumps(entry, allow_nan=False)
    except (TypeError, ValueError):
        return False
    if not _cache.store(entry, list(curves.schedules)):
        return False
    from .errors import LrplotError
    from .output import write_atomic

    text = json.dumps({"entry": entry}).encode()
    try:
        write_atomic(_record_path(key), lambda fh: fh.write(text))
    except (OSError, LrplotError):
        return False
    return True
