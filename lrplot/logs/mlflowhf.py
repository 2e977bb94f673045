"""Which runs of an MLflow store transformers' Trainer wrote (its MLflowCallback), and how they are read.

MLflowCallback (transformers 5.23 ``integrations/integration_utils.py``) logs the run's params at setup, the
Trainer's ``TrainingArguments`` (and the model's config, ``transformers_version`` among it, when the model has
one), then each ``logs`` dict the Trainer logs, the entry ``log_history`` gets, with
``log_metrics(step=state.global_step)``: the lr an update used at the step counting it (:data:`HF_MLFLOW`),
the next update's before 4.51. A run whose params hold the TrainingArguments fields below is read so; any
other run as a plain loop's, as before.
"""

from __future__ import annotations

import re
from pathlib import Path

from . import Raw
from .conventions import HF_MLFLOW, HF_MLFLOW_BEFORE_4_51, Convention

ARGS = ("lr_scheduler_type", "logging_steps", "gradient_accumulation_steps")  # TrainingArguments fields
PARAMS = (*ARGS, "transformers_version")


def writer(params: dict[str, str]) -> tuple[Convention, Convention | None] | None:
    """(the convention, a second reading when the version is not recorded) of a Trainer's run, else None."""
    if not all(k in params for k in ARGS):
        return None
    m = re.match(r"(\d+)\.(\d+)", params.get("transformers_version", ""))
    if m is None:
        return HF_MLFLOW, HF_MLFLOW_BEFORE_4_51
    return (HF_MLFLOW_BEFORE_4_51 if (int(m[1]), int(m[2])) < (4, 51) else HF_MLFLOW), None


def sqlite_params(con, run_id: str) -> dict[str, str]:
    import sqlite3

    try:
        rows = con.execute(f"SELECT key, value FROM params WHERE run_uuid = ? AND key IN ({', '.join('?' * len(PARAMS))})",
                           (run_id, *PARAMS)).fetchall()
    except sqlite3.Error:  # a store without a params table: no Trainer's run
        return {}
    return {str(k): str(v) for k, v in rows}


def file_params(folder: Path) -> dict[str, str]:
    out = {}
    for name in PARAMS:
        try:
            out[name] = (folder / "params" / name).read_text("utf-8", errors="replace")[:200].strip()
        except OSError:
            continue
    return out


def curves(raws: list[Raw], fmt: str, path: Path, key: str | None, found: list[str],
           writers: dict[str, tuple[Convention, Convention | None] | None]):
    """The store's Curves: each run by its writer's convention (``writers``: run label -> :func:`writer`)."""
    from .apart import built_apart

    kinds = list(dict.fromkeys(writers.get(r.run) for r in raws))
    parts = [([r for r in raws if writers.get(r.run) == kind], {} if kind is None else {"rule": kind[0], "other": kind[1]})
             for kind in kinds]
    return built_apart(parts, fmt, path, key=key, found=found, order=list(dict.fromkeys(r.run for r in raws)))
