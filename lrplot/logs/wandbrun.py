"""W&B runs as W&B writes them locally: ``run-<id>.wandb`` (wandb ≥ 0.10) and ``wandb-history.jsonl``.

A W&B run folder (``wandb/offline-run-<date>-<id>/`` or ``wandb/run-<date>-<id>/``) holds the run's
transaction log ``run-<id>.wandb``: since wandb 0.2x (read here in 0.31.0) the only local copy of
the history, no ``wandb-history.jsonl`` is written. Older wandb also wrote ``files/wandb-history.jsonl``
(one JSON object per ``wandb.log`` call); it is read where it is the run's only log.

The ``.wandb`` file is a LevelDB-style log (wandb-core ``core/pkg/leveldb``, the format the
``wandb.sdk.internal.datastore`` of older wandb read): a 7-byte header ``:W&B``, 0xBEE1, version 0,
then 32 KiB blocks of chunks, each ``crc32 (u32) length (u16) type (u8)`` and its data (FULL, or
FIRST/MIDDLE/LAST pieces of one record), the CRC a plain CRC-32 over the type byte and the data.
Every chunk's CRC is checked here; a chunk that fails it is one error line at its byte offset
(``--log-skip-corrupt``: skipped with the rest of its block, and named); a last record cut short (a
run still writing, or killed) ends the file quietly, as ``wandb leet inspect`` does. Each record is
wandb's own ``Record`` protobuf message, parsed by the class wandb ships
(``wandb.proto.wandb_internal_pb2``, the ``wandb`` extra); only its ``history`` records are parsed,
each ``HistoryItem``'s ``value_json`` read by ``json`` (exact float64). Files over 1 MB are read in
bulk by :mod:`.wandbbulk` with the same result.

Why not ``wandb leet inspect --json`` (wandb-core, the supported command to print a ``.wandb``
file's records): it prints every record as JSON, ≈ 30 µs per record, 45 s for a 700k-point run;
lrplot reads the same records in a few seconds. tests/test_logs_wandb.py checks that both give the
same values, and the wandb-core inspector's verdict on corrupt and cut files.

Steps: W&B's own ``_step`` counts ``wandb.log`` calls from 0. Lightning's WandbLogger adds
``trainer/global_step`` and transformers' WandbCallback ``train/global_step``; where a run logs one
of them it is the step. How each counts: :mod:`lrplot.logs.conventions` (the rows of ``wandb``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import Location
from ..limits import MAX_LOG_STEP
from .folders import ByteAllowance
from . import LogError, Raw, classify, log_step, read_log_text, walk
from .wandbframe import HEADER, records
from .wandbselect import choose, run_id

if TYPE_CHECKING:  # pragma: no cover
    from ..curves import Curves

LOOKS_FOR = {"wandb": "a W&B run (run-<id>.wandb, wandb-history.jsonl)"}
FINDS = {"wandb": "W&B runs (run-<id>.wandb)"}
SELECTS_RUNS = True
SKIPS_CORRUPT = True  # --log-skip-corrupt: corrupt chunks and records, JSONL lines that are no JSON
STEP_KEYS = ("trainer/global_step", "train/global_step", "_step")  # the first one a run logs is its step
HISTORY = "wandb-history.jsonl"


def _is_run_file(name: str) -> bool:
    return (name.startswith("run-") and name.endswith(".wandb")) or name == HISTORY


def _runs(folder: Path) -> list[Path]:
    """The logs of the runs below ``folder``: each run's ``.wandb`` file, else its history jsonl."""
    found = walk(folder, _is_run_file, 4)
    wandb_dirs = {p.parent for p in found if p.suffix == ".wandb"}
    return [p for p in found if p.suffix == ".wandb" or p.parent.parent not in wandb_dirs]


def find(folder: Path, fmt: str) -> Path | None:
    return folder if _runs(folder) else None


def detect_file(path: Path, fmt: str) -> bool:
    if path.name == HISTORY:
        return True
    if path.suffix != ".wandb":
        return False
    try:
        with path.open("rb") as fh:
            return fh.read(len(HEADER)) == HEADER
    except OSError:
        return False


def allowance() -> ByteAllowance:
    """The bytes of W&B run files one --log may read, all runs together."""
    from ..limits import MAX_STORE_BYTES

    return ByteAllowance(MAX_STORE_BYTES, "a W&B run file", "the W&B run files",
                         hint="name one run folder or run file")


def _record_items(parse, DecodeError, path: Path, damaged: list[str] | None):
    """The (key, value_json) items of one record's history, parsed by wandb's ``Record`` class;
    None for a record that is no history record (or not one at all, skipped into ``damaged``)."""
    def items(data: bytes, at: int) -> list[tuple[str, str]] | None:
        # protobuf writers (Go's, which wandb-core is, and Python's) write fields in number order:
        # num (field 1, a varint) first, then the record's kind; history is field 2 (tag byte 0x12)
        i = 0
        if data[:1] == b"\x08":
            i = 1
            while i < len(data) and data[i] & 0x80:
                i += 1
            i += 1
        if data[i:i + 1] != b"\x12":
            return None
        try:
            parsed = parse(data).history.item
        except (DecodeError, RecursionError):
            if damaged is None:
                raise LogError(f"record at byte {at} is not a W&B record (the file is corrupt)",
                               location=Location(str(path)), hint="pass --log-skip-corrupt to skip it") from None
            damaged.append(f"{path}: record at byte {at} is not a W&B record (the file is corrupt); skipped")
            return None
        out = []
        for item in parsed:
            nested = item.nested_key
            name = item.key or (nested[0] if len(nested) == 1 else ".".join(nested))
            text = item.value_json
            if not text:  # the typed fields of HistoryItem (number, integer), where a writer used them
                kind = item.WhichOneof("value")
                text = repr(float(getattr(item, kind))) if kind in ("number", "integer") else ""
            out.append((name, text))
        return out
    return items


def _history(path: Path, key: str | None, budget: ByteAllowance,
             damaged: list[str] | None = None) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], list[str]]:
    """{key: (history record numbers, values)} of the lr-like and step keys of a ``.wandb`` file's
    history, and every key it logged. Large files are read in bulk (:mod:`.wandbbulk`), with the
    same result."""
    try:
        from google.protobuf.message import DecodeError
        from wandb.proto import wandb_internal_pb2
    except ImportError:
        raise LogError("reading W&B run files needs the wandb package",
                       hint="pip install '.[wandb]' in the lrplot checkout (or pip install wandb)") from None
    from .wandbbulk import history, numbers

    buf = budget.read(path)
    items = _record_items(wandb_internal_pb2.Record.FromString, DecodeError, path, damaged)
    wanted: dict[str, bool] = {}

    def want(name: str) -> bool:
        if name not in wanted:
            wanted[name] = name in STEP_KEYS or classify(name, key) is not None
        return wanted[name]

    if buf[:len(HEADER)] == HEADER:
        bulk = history(buf, path, want, items)
        if bulk is not None:
            return bulk
    texts: dict[str, tuple[list[int], list[str], list[int]]] = {}  # key -> rows, value_json, record offsets
    found: dict[str, None] = {}
    row = 0
    for at, data in records(buf, path, damaged):
        got = items(data, at)
        if got is None:
            continue
        for name, text in got:
            found.setdefault(name)
            if text and want(name):
                rows, values, where = texts.setdefault(name, ([], [], []))
                rows.append(row)
                values.append(text)
                where.append(at)
        row += 1
    columns = {}
    for name, (rows, values, where) in texts.items():
        keep, parsed = numbers(name, values, where, path)
        columns[name] = (np.array(rows, np.int64)[keep], parsed[keep])
    return columns, list(found)


def _jsonl(path: Path, key: str | None,
           damaged: list[str] | None = None) -> tuple[dict[str, tuple[list[int], list[float]]], list[str]]:
    """The same from an older wandb's ``wandb-history.jsonl`` (one JSON object per line)."""
    text = read_log_text(path)
    keep: dict[str, bool] = {}
    columns: dict[str, tuple[list[int], list[float]]] = {}
    row = 0
    lines = text.splitlines()
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError as exc:
            if line_no == len(lines) and not text.endswith(("\n", "\r")):
                break  # a last line without its line end: a live run's record still being written, as in .wandb
            if damaged is None:
                raise LogError(f"not valid JSON: {exc.msg}", location=Location(str(path), line_no, exc.colno),
                               hint="pass --log-skip-corrupt to skip the line (every verdict then names it)") from None
            damaged.append(f"{path}:{line_no}:{exc.colno}: not valid JSON: {exc.msg}; line skipped")
            continue
        except RecursionError:
            raise LogError("nested too deeply", location=Location(str(path), line_no)) from None
        if not isinstance(entry, dict):
            raise LogError("a history line must be a JSON object", location=Location(str(path), line_no))
        for name, value in entry.items():
            wanted = keep.get(name)
            if wanted is None:
                wanted = keep[name] = name in STEP_KEYS or classify(name, key) is not None
                if wanted:
                    columns[name] = ([], [])
            if not wanted or isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            try:
                number = float(value)
            except OverflowError:
                raise LogError(f"{name}: {str(value)[:20]}... is beyond any float",
                               location=Location(str(path), line_no)) from None
            rows, values = columns[name]
            rows.append(row)
            values.append(number)
        row += 1
    return columns, list(keep)


def _raws(path: Path, run: str, key: str | None, budget: ByteAllowance,
          damaged: list[str] | None) -> tuple[list[Raw], str, list[str], tuple[int, int] | None]:
    if path.suffix == ".wandb":
        columns, found = _history(path, key, budget, damaged)
    else:
        lists, found = _jsonl(path, key, damaged)
        columns = {k: (np.array(r, np.int64), np.array(v, np.float64)) for k, (r, v) in lists.items()}
    step_key = next((k for k in STEP_KEYS if len(columns.get(k, ((), ()))[0])), None)
    if step_key is None:
        return [], "_step", found, None
    step_rows, step_values = columns[step_key]
    # a row's step is the last value of the step key in it (as a dict of the row would keep it)
    last = np.r_[step_rows[1:] != step_rows[:-1], True]
    step_rows, step_values = step_rows[last], step_values[last]
    where = Location(str(path))
    raws = []
    for name, (rows, values) in columns.items():
        if name in STEP_KEYS and classify(name, key) is None:
            continue
        at = np.searchsorted(step_rows, rows)
        placed = at < len(step_rows)
        placed[placed] = step_rows[at[placed]] == rows[placed]  # a wandb.log call without the step key: off the axis
        steps = step_values[at[placed]]
        wrong = ~(np.isfinite(steps) & (steps == np.floor(steps)) & (steps >= 0) & (steps <= MAX_LOG_STEP))
        if wrong.any():
            s = float(steps[np.flatnonzero(wrong)[0]])
            log_step(int(s) if math.isfinite(s) and s.is_integer() else s, where, f"{step_key}")
        raws.append(Raw(run, name, steps.astype(np.int64), values[placed]))
    span = (float(step_values.min()), float(step_values.max())) if len(step_values) else (-1.0, -1.0)
    # the first and last step of every row (wandb's last _step), not only the lr's; one beyond them is refused above
    span = (int(span[0]), int(span[1])) if 0 <= span[0] <= span[1] <= MAX_LOG_STEP else None
    return raws, step_key, [k for k in found if k not in STEP_KEYS], span


def _joined(raws: list[Raw]) -> list[Raw]:
    """One Raw per (run, key): a resumed run's files concatenated in order (a step logged again
    keeps the value logged last)."""
    out: dict[tuple[str, str], Raw] = {}
    for raw in raws:
        had = out.get((raw.run, raw.key))
        out[(raw.run, raw.key)] = raw if had is None else Raw(
            raw.run, raw.key, np.concatenate([had.steps, raw.steps]), np.concatenate([had.values, raw.values]))
    return list(out.values())


def _placed(read: list[tuple[Path, list[Raw], tuple[int, int] | None]],
            own_step: frozenset[Path] = frozenset()) -> tuple[dict[Path, str], dict[Path, int], dict[str, dict]]:
    """Each file's run label, the steps its values move by, and what its run's LogInfo says of them.

    A later folder of an id counting its steps from where an earlier one did (at or below its first step):
    resumed offline, wandb counts ``_step`` from 0 again, as it knows no earlier step there (online, the
    server's last ``_step`` + 1 is the run's ``starting_step``). Where its run record says the process asked
    to resume (``resume="allow"`` or ``"must"``), it is placed after the earlier folders' last step, as wandb
    places a run resumed online, and joined with them. Otherwise (``resume=True``, a run started anew under
    the id) each folder is read as a run of its own, joined their later steps would overwrite the earlier
    ones; verify tries the later one from where the earlier ones end (:func:`lrplot.verify.resumed.compare`).
    A run's first folder read whose record asked to resume and whose steps are wandb's own ``_step``
    (``own_step``: a trainer's global step goes on in a resumed run) may be a later folder given alone (its
    earlier ones not read): its LogInfo's ``resumes`` is ("", None), where it resumed unknown (verify finds it)."""
    from .wandbselect import resume_asked

    ids: dict[str, list[tuple[Path, list[Raw], tuple[int, int] | None]]] = {}
    for file, raws, last in read:
        ids.setdefault(run_id(file), []).append((file, raws, last))
    labels: dict[Path, str] = {}
    shift: dict[Path, int] = {}
    info: dict[str, dict] = {}
    for rid, items in ids.items():
        starts: list[int] = []
        end, prev, apart, placed, resumes, first = 0, None, False, [], {}, None
        for file, raws, span in items:  # span: the file's first and last step, of every row
            steps = [r.steps for r in raws if len(r.steps)]
            if not steps:
                continue
            lo, hi = min(int(s.min()) for s in steps), max(int(s.max()) for s in steps)
            lo, hi = (lo, hi) if span is None else (min(lo, span[0]), max(hi, span[1]))
            if starts and lo <= min(starts):
                if resume_asked(file):
                    shift[file] = end
                    placed.append(f"{file.parent.name} resumed the run offline and counts _step from 0 again: its "
                                  f"steps placed after {prev.parent.name}'s last _step {end - 1}, as wandb places a "
                                  f"run resumed online (its _step s is step s + {end} here)")
                else:
                    apart = True
                    resumes[file.parent.name] = (prev.parent.name, end)
            first = file if first is None else first
            starts.append(lo)
            end, prev = max(end, hi + shift.get(file, 0) + 1), file
        for file, _, _ in items:
            labels[file] = file.parent.name if apart else rid
        for label in {labels[f] for f, _, _ in items}:
            notes = [n for n in placed if not apart or n.startswith(label)]
            alone = (("", None) if first in own_step and label == labels[first] and resume_asked(first) else None)
            info[label] = {"placed": "; ".join(notes), "resumes": resumes.get(label, alone)}
    return labels, shift, info


def read(path: Path, fmt: str, key: str | None, run: str | None = None,
         skip_corrupt: bool = False) -> "Curves":  # noqa: F821
    files = _runs(path) if path.is_dir() else [path]
    if not files:
        raise LogError("no W&B run in this folder", location=Location(str(path)))
    if run is not None:
        files = choose(files, run, path)
    # one run resumed in several folders (the same id) is one run: its files in the order written
    names = [run_id(f) for f in files]
    by_step: dict[str, list[Raw]] = {}
    found: list[str] = []
    budget = allowance()
    damaged: list[str] = []
    read = []
    for file, name in zip(files, names):
        raws, step_key, keys, last = _raws(file, name, key, budget, damaged if skip_corrupt else None)
        read.append((file, raws, step_key, last))
        found.extend(keys)
    labels, shift, info = _placed([(file, raws, last) for file, raws, _, last in read],
                                  frozenset(file for file, _, step_key, _ in read if step_key == "_step"))
    several = len(set(labels.values())) > 1
    for file, raws, step_key, _ in read:
        by_step.setdefault(step_key, []).extend(Raw(labels[file] if several else "", r.key, r.steps + shift.get(file, 0),
                                                    r.values, r.group) for r in raws)
    if not found and key is None:  # wandb-core writes a run's records in blocks: a live run's file may hold none yet
        raise LogError("no history record in this W&B run file yet (wandb writes them in blocks as the run goes on, "
                       "all of them when it finishes)", location=Location(str(path)), hint="read it again later")
    from .apart import built_apart
    from .conventions import written_by

    rule = written_by(found, "wandb")  # torchtitan 0.2.2's plain "lr" at its 1-based step, named by its other keys
    parts = [(_joined(raws), {"step": step_key, "damaged": damaged, "rule": rule if step_key == "_step" else None})
             for step_key, raws in by_step.items()]
    # runs stepping on different keys: each by its own convention, in the files' order
    order = list(dict.fromkeys(labels[file] if several else "" for file, *_ in read))
    curves = built_apart(parts, fmt, path, key=key, found=found, order=order)
    return _noted(curves, info, labels) if any(i["placed"] or i["resumes"] for i in info.values()) else curves


def _noted(curves: "Curves", info: dict[str, dict], labels: dict[Path, str]) -> "Curves":  # noqa: F821
    """Each trace's LogInfo with what :func:`_placed` says of its run's steps."""
    from dataclasses import replace

    sole = next(iter(set(labels.values()))) if len(set(labels.values())) == 1 else None
    traces = []
    for trace in curves.schedules:
        said = info.get(sole if sole is not None else trace.name.split(" · ")[0])
        if said and (said["placed"] or said["resumes"]):
            log = replace(trace.meta["log"], placed=said["placed"], resumes=said["resumes"])
            trace = replace(trace, meta={**trace.meta, "log": log})
        traces.append(trace)
    return replace(curves, schedules=tuple(traces))
