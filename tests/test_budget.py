"""lrplot/budget.py's counting, through a plain spec's ``budget:``, against the Hugging Face Trainer's
own: ``Trainer.set_initial_training_values`` (transformers 5.23.0, trainer.py:2487-2555) on the
Trainer's own train dataloader (one process), or on torch's ``BatchSampler`` sharded by accelerate's
``BatchSamplerShard`` as ``accelerate.data_loader.prepare_data_loader`` gives process 0 (several
processes), and ``TrainingArguments.get_warmup_steps`` (training_args.py:2154) for the warmup. A grid
of sizes, batch sizes, devices, drop_last both ways, accumulation that does not divide the batches,
fractional epochs."""

from __future__ import annotations

import itertools

import pytest

from lrplot.errors import LrplotError
from lrplot.spec import parse_spec
from tests.helpers.installed import require

require("transformers", "accelerate")  # imported where a test runs them: collecting this module stays cheap

ACCUMULATION = (1, 3, 4)
EPOCHS = (1, 2.5, 3)


def _counted(n: int, batch: int, devices: int, drop_last: bool, accumulation: int, epochs: float,
             warmup: str) -> tuple[int, int, int]:
    spec = parse_spec(f"budget: {{epochs: {epochs}, dataset_size: {n}, batch_size: {batch}, accumulation: "
                      f"{accumulation}, devices: {devices}, drop_last: {str(drop_last).lower()}, {warmup}}}\n"
                      "scheduler: {type: ConstantLR}\n", "s.yaml")
    return spec.steps, spec.steps_per_epoch, spec.step_budget.warmup


def _args(tmp, batch: int, drop_last: bool, accumulation: int = 1, epochs: float = 1, warmup: float = 0):
    from transformers import TrainingArguments

    return TrainingArguments(output_dir=str(tmp), per_device_train_batch_size=batch, dataloader_drop_last=drop_last,
                             gradient_accumulation_steps=accumulation, num_train_epochs=epochs, warmup_steps=warmup,
                             use_cpu=True, report_to="none", remove_unused_columns=False, disable_tqdm=True)


def _trainer(tmp, n: int, args):
    from transformers import Trainer

    from tests.helpers.hf_trainer import _Data, _model

    return Trainer(model=_model(), args=args, train_dataset=_Data(n))


def _reference(trainer, loader, args) -> tuple[int, int, int]:
    """(max_steps, num_update_steps_per_epoch, warmup) as the Trainer computes them."""
    _, per_epoch, _, _, _, _, max_steps = trainer.set_initial_training_values(args, loader)
    return max_steps, per_epoch, args.get_warmup_steps(max_steps)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_one_process_counts_as_the_trainer_does_on_its_own_dataloader(tmp_path):
    """The Trainer's own ``get_train_dataloader`` (one process: no sharding) for each size, batch
    size and drop_last; then every accumulation, epoch count and warmup on it."""
    compared = past_end = 0
    for n, batch, drop_last in itertools.product((7, 101, 1000), (3, 8), (False, True)):
        trainer = _trainer(tmp_path, n, _args(tmp_path, batch, drop_last))
        loader = trainer.get_train_dataloader()
        if len(loader) == 0:  # the Trainer refuses to train on nothing (max_steps must be set); so does lrplot
            with pytest.raises(LrplotError, match="make no full batch"):
                _counted(n, batch, 1, drop_last, 1, 1, "warmup_ratio: 0.1")
            continue
        for accumulation, epochs, (warmup, said) in itertools.product(
                ACCUMULATION, EPOCHS, ((0.1, "warmup_ratio: 0.1"), (2, "warmup_steps: 2"))):
            expected = _reference(trainer, loader, _args(tmp_path, batch, drop_last, accumulation, epochs, warmup))
            if expected[2] > expected[0]:  # the Trainer warms up past its end; lrplot refuses such a budget
                with pytest.raises(LrplotError, match=r"budget.warmup_steps gives 2 warmup updates, more than the run's"):
                    _counted(n, batch, 1, drop_last, accumulation, epochs, said)
                past_end += 1
                continue
            assert _counted(n, batch, 1, drop_last, accumulation, epochs, said) == expected, \
                (n, batch, drop_last, accumulation, epochs, said)
            compared += 1
    assert (compared, past_end) == (191, 7)  # 11 dataloaders (7 examples make no batch of 8 with drop_last) x 18


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_several_processes_count_as_the_trainer_does_on_process_0(tmp_path):
    """Process 0's dataloader as accelerate shards it (its one batch more when the batches do not
    divide evenly), given to the Trainer's own arithmetic."""
    from accelerate.data_loader import BatchSamplerShard
    from torch.utils.data import BatchSampler, DataLoader, SequentialSampler

    from tests.helpers.hf_trainer import _Data

    trainer = _trainer(tmp_path, 8, _args(tmp_path, 1, False))
    compared = refused = 0
    for n, batch, devices, drop_last in itertools.product((1, 7, 10, 64, 101, 1000), (1, 3, 8), (2, 3, 8),
                                                          (False, True)):
        shard = BatchSamplerShard(BatchSampler(SequentialSampler(range(n)), batch, drop_last), devices, 0)
        loader = DataLoader(_Data(n), batch_sampler=shard)
        for accumulation, epochs in itertools.product(ACCUMULATION, EPOCHS[:2]):
            if len(loader) == 0:  # the Trainer would train on nothing: lrplot says so
                with pytest.raises(LrplotError, match="make no full batch"):
                    _counted(n, batch, devices, drop_last, accumulation, epochs, "warmup_ratio: 0.1")
                refused += 1
                continue
            expected = _reference(trainer, loader, _args(tmp_path, batch, drop_last, accumulation, epochs, 0.1))
            assert _counted(n, batch, devices, drop_last, accumulation, epochs, "warmup_ratio: 0.1") == expected, \
                (n, batch, devices, drop_last, accumulation, epochs)
            compared += 1
    assert compared + refused == 648 and compared > 500
