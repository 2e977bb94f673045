"""axolotl configs that give ``batch_size`` (not gradient_accumulation_steps): the update count `==` axolotl's
OWN validate_config + normalize_config + calculate_total_num_steps run on the same file
(tests/helpers/axolotl_normalize.py), and the curve `==` a REAL transformers Trainer given the
TrainingArguments axolotl builds from that count. Also the world-size rule of that count (``ddp: false``).

What axolotl does with such a file (axolotl 067b021c, src/axolotl/): its schema fills
gradient_accumulation_steps with its default 1 (utils/schemas/training.py:71), so normalize_config's
``gradient_accumulation_steps or batch_size // micro_batch_size`` keeps 1 and ``batch_size`` stays as given
(utils/config/__init__.py:202-207), times the data-parallel world size (lines 222-230);
calculate_total_num_steps divides by it (utils/trainer.py:519-522). The Trainer then steps after every
micro-batch (gradient_accumulation_steps 1) for that many updates (core/builders/base.py:677).

Published configs, unedited, in tests/data/published/axolotl/examples/archived/, all from
axolotl-ai-cloud/axolotl @ 067b021c8b87a9e5e380b9173c704cf7340e30f5 (examples/archived/...):
cerebras/qlora.yml (batch_size 4, micro 4), falcon/config-7b-lora.yml (2, 1), replit-3b/config-lora.yml (8, 1;
lr_scheduler and optimizer null). (examples/archived/redpajama/config-3b.yml gives batch_size too, but axolotl's
schema refuses its ``tokens:`` mapping, a key of no schedule that lrplot does not validate.)
"""

from __future__ import annotations

import pytest

from lrplot.errors import LrplotError
from lrplot.sources import BudgetInputs, load_input
from tests.helpers.installed import installed, require
from tests.helpers.paths import ROOT

require("transformers", "accelerate")

ARCHIVED = ROOT / "tests" / "data" / "published" / "axolotl" / "examples" / "archived"
CEREBRAS = ARCHIVED / "cerebras" / "qlora.yml"
FALCON = ARCHIVED / "falcon" / "config-7b-lora.yml"
REPLIT = ARCHIVED / "replit-3b" / "config-lora.yml"
BASE = "base_model: x\nlearning_rate: 0.001\nnum_epochs: 1\n"


@pytest.fixture
def axolotl_count(monkeypatch):
    """axolotl's own count for a file: (normalized cfg, total_num_steps); see tests/helpers/axolotl_normalize.py."""
    missing = [name for name in ("axolotl", "datasets") if not installed(name)]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)}")
    from tests.helpers.axolotl_normalize import axolotl_count as count

    return lambda path, n, world_size=1: count(path, n, monkeypatch, world_size)


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("path, n, devices", [
    (CEREBRAS, 37, 1), (FALCON, 37, 1), (REPLIT, 37, 1), (REPLIT, 200, 3), (FALCON, 50, 2)],
    ids=["cerebras", "falcon", "replit", "replit_3_devices", "falcon_2_devices"])
def test_the_count_is_axolotls_own(axolotl_count, path, n, devices):
    cfg, total = axolotl_count(path, n, devices)
    source = load_input(path, inputs=BudgetInputs(dataset_size=n, devices=devices if devices > 1 else None))
    assert source.kind == "axolotl"
    assert source.budget.updates == total
    assert source.budget.told_value("accumulation") == cfg.gradient_accumulation_steps == 1


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("path", [FALCON, REPLIT], ids=["falcon", "replit"])
def test_the_curve_is_a_real_trainer_over_axolotls_count(tmp_path, axolotl_count, path):
    from lrplot.engine import simulate
    from tests.helpers.hf_trainer import run_trainer

    n = 20
    cfg, total = axolotl_count(path, n)
    warmup = int(cfg.warmup_ratio * total)  # core/builders/base.py:242-244 (both give warmup_ratio 0.1)
    args = {"max_steps": total, "warmup_steps": 2 if warmup == 1 else warmup, "learning_rate": cfg.learning_rate,
            "lr_scheduler_type": cfg.lr_scheduler or "cosine", "per_device_train_batch_size": cfg.micro_batch_size,
            "gradient_accumulation_steps": cfg.gradient_accumulation_steps, "weight_decay": cfg.weight_decay or 0.0}
    real = run_trainer(args, n, tmp_path / "out")
    source = load_input(path, inputs=BudgetInputs(dataset_size=n))
    by_group = [s.values.tolist() for s in simulate(source.spec, allow_import=None).series() if s.field == "lr"]
    assert [list(step) for step in zip(*by_group)] == real["seen"] and len(real["seen"]) == total


def test_a_batch_size_config_says_what_decides_its_count():
    source = load_input(FALCON, inputs=BudgetInputs(dataset_size=37))
    assert source.budget.text == "37 examples x 4 epochs / (batch_size 2 x 1 device) = 74 updates; warmup 7 steps"
    assert ("batch_size 2 counts the updates; the Trainer steps after every micro-batch: axolotl's schema fills "
            "gradient_accumulation_steps with its default 1 (src/axolotl/utils/schemas/training.py:71), which "
            "normalize_config keeps") in source.notes
    assert [str(a) for a in source.assumptions][-1] == (
        "world size 1 assumed (no --devices): the global batch is batch_size x the data-parallel world size; add "
        "--devices N for N processes")


@pytest.mark.parametrize("body, expected", [
    (BASE + "micro_batch_size: 2\ngradient_accumulation_steps: 2\nbatch_size: 8\n",
     "x.yaml:6:13: axolotl refuses batch_size beside gradient_accumulation_steps: 'please set only one of "
     "gradient_accumulation_steps or batch_size'; remove one of the two"),
    (BASE + "batch_size: 8\n",
     "x.yaml:4:13: axolotl refuses batch_size without micro_batch_size: 'At least two of micro_batch_size, "
     "gradient_accumulation_steps, batch_size must be set'; set micro_batch_size"),
    (BASE + "micro_batch_size: 2\nbatch_size: 2.5\n",
     "x.yaml:5:13: batch_size must be a whole number > 0, not 2.5"),
])
def test_what_axolotl_refuses_is_one_line(write_spec, body, expected):
    path = write_spec(body, "x.yaml")
    with pytest.raises(LrplotError) as info:
        load_input(path, inputs=BudgetInputs(dataset_size=10))
    assert info.value.format() == str(path.parent / expected)


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("extra", ["", "ddp: false\n", "ddp: false\nfsdp_config: {fsdp_version: 2}\n"],
                         ids=["ddp_default", "ddp_false", "ddp_false_fsdp"])
def test_ddp_false_is_counted_as_axolotl_counts_it(write_spec, axolotl_count, extra):
    """normalize_config multiplies the batch by the world size only with fsdp, fsdp_config or ddp (which
    defaults to world_size != 1; utils/config/__init__.py:224-230)."""
    path = write_spec("base_model: x\nlearning_rate: 0.001\nnum_epochs: 1\nmicro_batch_size: 2\n"
                      "gradient_accumulation_steps: 2\ndatasets: [{path: x, type: alpaca}]\n" + extra, "x.yaml")
    _, total = axolotl_count(path, 100, 2)
    assert load_input(path, inputs=BudgetInputs(dataset_size=100, devices=2)).budget.updates == total
