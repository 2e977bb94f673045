"""Record the lr of every update of t5_base_pretraining.json (WarmupDecayLR, 500,000 updates) as DeepSpeed's
engine steps it: tests/helpers/deepspeed_engine.py's ``engine_loop``, DeepSpeed's own scheduler class driven
with the engine's calls (500,000 ``optimizer.step()`` take seconds; the test compares with this record).

    python tests/data/deepspeed/regenerate.py      # deepspeed 0.19.8 (the test extra) and torch importable

writes t5_base_pretraining.engine.json beside this file: the number of updates, the sha256 of every lr as
little-endian float64 (``deepspeed_engine.digest``), and the values themselves at SAMPLE (the warmup, its end,
every 1000th update, the last ones), which show where a curve differs and which the test re-checks against
the installed DeepSpeed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from tests.helpers.deepspeed_engine import digest, engine_loop  # noqa: E402

UPDATES = 500_000
SAMPLE = sorted({*range(0, 200), *range(9_990, 10_011), *range(0, UPDATES, 1000), *range(UPDATES - 10, UPDATES)})


def main() -> None:
    import deepspeed
    import torch

    config = json.loads((HERE / "t5_base_pretraining.json").read_text())
    lrs = engine_loop(config, UPDATES)
    record = {"config": "t5_base_pretraining.json", "deepspeed": deepspeed.__version__,
              "torch": torch.__version__, "updates": UPDATES, "sha256": digest(lrs),
              "sample": {str(i): lrs[i] for i in SAMPLE}}
    (HERE / "t5_base_pretraining.engine.json").write_text(json.dumps(record, indent=0) + "\n")


if __name__ == "__main__":
    main()
