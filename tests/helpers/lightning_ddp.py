"""Run by tests/test_sources_lightning.py under torchrun (2 CPU processes, gloo): a real
LightningCLI fit with strategy ddp; each rank writes the lr its optimizer used before every update."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.helpers.lightning_runs import dict_cli, run_cli  # noqa: E402

if __name__ == "__main__":
    config, out = sys.argv[1], Path(sys.argv[2])
    recorded, _ = run_cli(config, out.parent, dict_cli("step", 1), devices=2, strategy="ddp")
    import torch.distributed as dist

    out.with_suffix(f".rank{dist.get_rank()}.json").write_text(json.dumps(recorded))
