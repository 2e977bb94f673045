"""Write the MMEngine logs of tests/test_logs_mmengine_accum.py with the REAL MMEngine Runner (0.10.7, CPU):

    python tests/data/logs/mmengine-accum/regenerate.py

The Runner of tests/helpers/mmengine_runner.py (``train_logged``: its LoggerHook every iteration, LocalVisBackend, an
optimizer step pre-hook recording the lr each update used) trains ``config.py``: 30 iterations of batch 4 with
``accumulative_counts=2`` (the optimizer updates every 2nd iteration, the param schedulers step every
iteration). ``ok/``: as configured; ``twice/``: a second ParamSchedulerHook (the schedulers stepped twice per
iteration). Each keeps ``vis_data/scalars.json`` and the text log's ``(train)`` lines (the lines lrplot
reads: the log's header is the machine's environment), and ``used.json``.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3]))

from tests.helpers.mmengine_runner import train_logged  # noqa: E402


def main() -> None:
    for case, twice in (("ok", False), ("twice", True)):
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp) / case
            used = train_logged(HERE / "config.py", work, 20, twice=twice)
            (run,) = [p for p in work.iterdir() if p.is_dir()]
            out = HERE / case / "20261207_000000"
            shutil.rmtree(HERE / case, ignore_errors=True)
            (out / "vis_data").mkdir(parents=True)
            shutil.copy(run / "vis_data" / "scalars.json", out / "vis_data" / "scalars.json")
            lines = (run / f"{run.name}.log").read_text().splitlines(keepends=True)
            (out / "20261207_000000.log").write_text("".join(line for line in lines if "(train)" in line))
            (HERE / case / "used.json").write_text(json.dumps(used) + "\n")


if __name__ == "__main__":
    main()
