"""Record the two real 2-process CPU runs that the suite compares lrplot's ``devices: 2`` budgets with
(tests/helpers/distributed.py: a LightningCLI fit with strategy ddp, an HF Trainer under torchrun), each
run as it was in the tests, under ``python -m torch.distributed.run --nproc_per_node 2`` (gloo, CPU).

    python tests/data/distributed/regenerate.py      # the test extra installed (lightning, transformers, ...)

writes lightning_ddp.json and hf_torchrun.json beside this file: the versions, the sha256 of the files the
run executes and its inputs (the tests fail while any differs from what is installed), and the result.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from tests.helpers.distributed import provenance, run_hf_torchrun, run_lightning_ddp  # noqa: E402


def main() -> None:
    for name, run in (("lightning_ddp", run_lightning_ddp), ("hf_torchrun", run_hf_torchrun)):
        with tempfile.TemporaryDirectory() as folder:
            result = run(Path(folder))
        record = {**provenance(name), "result": result}
        (HERE / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")
        print(f"{name}.json: {json.dumps(result)[:120]}")


if __name__ == "__main__":
    main()
