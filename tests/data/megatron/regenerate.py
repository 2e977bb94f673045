"""Record the lr and weight decay of every iteration of the two long Megatron references (BERT 340M's script,
1,000,000 iterations; the GPT YAML's batch ramp-up, 70,000,000 samples) as Megatron-LM's training loop steps
Megatron-Core's own OptimizerParamScheduler: tests/helpers/megatron_loop.py's ``megatron_loop`` (the loops take
seconds; tests/test_sources_megatron.py compares lrplot's curves with these records).

    python tests/data/megatron/regenerate.py      # megatron-core 0.16.1 (the test extra) and torch importable

writes <config>.loop.json beside this file for each: the number of iterations, the sha256 of every lr and of
every weight decay as little-endian float64 (``megatron_loop.digest``), and at SAMPLE iterations (the start,
the warmup's end, every 1000th and the one after it, the last ones) the samples consumed before it, its lr and
weight decay, which show where a curve differs and which the test re-checks against the installed Megatron.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from tests.helpers.megatron_loop import digest, megatron_loop, references  # noqa: E402


def sample(iterations: int) -> list[int]:
    every = {j for i in range(0, iterations, 1000) for j in (i, i + 1)}
    return sorted(i for i in {*range(200), *every, *range(iterations - 10, iterations)} if i < iterations)


def main() -> None:
    import megatron.core
    import torch

    for name, (config, overrides, args, dp) in references(HERE).items():
        consumed: list[int] = []
        lrs, wds = megatron_loop(args, dp, consumed)
        record = {"config": config.name, "overrides": overrides, "megatron_core": megatron.core.__version__,
                  "torch": torch.__version__, "data_parallel": dp, "iterations": len(lrs),
                  "lr_sha256": digest(lrs), "wd_sha256": digest(wds),
                  "sample": {str(i): [consumed[i], lrs[i], wds[i]] for i in sample(len(lrs))}}
        rows = record.pop("sample")  # one sampled iteration a line
        text = json.dumps(record, indent=0)[:-2] + ',\n"sample": {\n'
        text += ",\n".join(f"{json.dumps(i)}: {json.dumps(row)}" for i, row in rows.items()) + "\n}\n}\n"
        (HERE / f"{name}.loop.json").write_text(text)


if __name__ == "__main__":
    main()
