"""Run by tests/test_sources_hf.py under ``torchrun --nproc-per-node 2`` (gloo, CPU): a real
2-process Trainer run that writes, from process 0, the lr of every group before every update."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.helpers.hf_trainer import run_trainer  # noqa: E402


def main() -> None:
    import torch.distributed as dist

    args, n, out = json.loads(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    result = run_trainer(args, n, out)
    if not dist.is_initialized() or dist.get_rank() == 0:
        (out / "lrplot_result.json").write_text(json.dumps({k: result[k] for k in ("seen", "max_steps", "logged")}))
    # leave the gloo group before the interpreter tears down: a process that exits with it still open
    # can abort in its C++ teardown ("terminate called without an active exception", exit -6), as the
    # Accelerate loop did (tests/helpers/accelerate_loop.py)
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
    # and skip the C++ static teardown altogether: a rank still aborted in it once the group was gone (CI),
    # after its result was written; what the test checks is in the file
    import os

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
