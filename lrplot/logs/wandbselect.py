"""Which runs of a W&B folder ``--log-run`` chooses: a run's id, its folder's name, or its name
(``wandb.init(name=...)``, the name the W&B page shows), as an MLflow store's runs are chosen by id
or run name. A name several runs share is refused with their ids; one run resumed into several
folders keeps one id, so its name chooses all of them."""

from __future__ import annotations

from pathlib import Path

from ..errors import Location
from . import LogError

_HEAD = 2 * 32768  # the run record comes first among a run's records (wandb-core writes it at init)


def run_id(file: Path) -> str:
    return file.stem[4:] if file.suffix == ".wandb" else file.parent.parent.name.rsplit("-", 1)[-1]


def run_record(file: Path):
    """The run's ``RunRecord``, read by wandb's ``Record`` class from the file's first two blocks; None
    for an older wandb's history jsonl, or when no run record is there."""
    if file.suffix != ".wandb":
        return None
    from wandb.proto import wandb_internal_pb2

    from .wandbframe import records

    try:
        with file.open("rb") as fh:
            head = fh.read(_HEAD)
    except OSError:
        return None
    for _, data in records(head, file, []):  # a chunk damaged there is left to the reading of the whole file
        try:
            record = wandb_internal_pb2.Record.FromString(data)
        except Exception:  # noqa: BLE001 - protobuf's DecodeError and friends: not this run's record
            continue
        if record.WhichOneof("record_type") == "run":
            return record.run
    return None


def run_name(file: Path) -> str | None:
    """The run's display name (``wandb.init(name=...)``) from its run record."""
    record = run_record(file)
    return (record.display_name or None) if record is not None else None


def resume_asked(file: Path) -> bool:
    """Did the run's process ask to resume it (``wandb.init(resume="allow" | "must")``)? The run record's
    ``resume``; wandb writes ``resumed`` and ``starting_step`` (the last ``_step`` + 1) only when the
    server resumed it, never offline, and ``resume=True`` ("auto") leaves ``resume`` false."""
    record = run_record(file)
    return bool(record is not None and record.resume)


def choose(files: list[Path], run: str, path: Path) -> list[Path]:
    """The run files of ``--log-run RUN``: by id or folder name, else by the runs' names."""
    chosen = [f for f in files if run in (run_id(f), f.parent.name, f.parent.parent.name, f.stem)]
    if chosen:
        return chosen
    names = {f: run_name(f) for f in files}
    named = [f for f in files if names[f] == run]
    ids = list(dict.fromkeys(run_id(f) for f in named))
    if len(ids) > 1:
        raise LogError(f"--log-run {run}: {len(ids)} runs are named so ({', '.join(ids[:8])})",
                       location=Location(str(path)), hint="name the run by its id")
    if named:
        return named
    from ..text import did_you_mean

    ids = list(dict.fromkeys(run_id(f) for f in files))
    raise LogError(f"--log-run {run}: no such W&B run here ({len(ids)} runs: {', '.join(ids[:8])})",
                   location=Location(str(path)),
                   hint=did_you_mean(run, [*ids, *filter(None, names.values())]) or "name a run by its id or name")
