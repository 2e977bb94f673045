"""The world size a count assumes when no ``--devices`` is given, named where it changes the curve.

Without ``--devices`` a reader counts the updates of ONE process. Where the count comes from the
dataset size (batches per epoch sharded over the processes, or a global batch of per-device x
devices), the summary (the budget lines printed before the table) and the figure's footnote name that
assumption with the flag that settles it, in one line made in one place (``lrplot.budget.world_note``,
added by ``Source``). Where ``max_steps`` (or a single-device recipe) decides the count, or
``--devices`` is given, there is no such line. With ``--devices 4`` the counts equal the framework's
own arithmetic: the HF Trainer's ``set_initial_training_values`` (transformers 5.23.0,
trainer.py:2487) on the dataloader accelerate's ``BatchSamplerShard`` gives process 0, and timm's
train.py on torch's ``DistributedSampler`` (both driven for real below).
"""

from __future__ import annotations

import pytest

from lrplot.findings import footnotes
from lrplot.sources import BudgetInputs, budget_lines, load_input
from tests.helpers.paths import ROOT

TORCHTUNE = ROOT / "tests" / "data" / "torchtune"
ADD = "; add --devices N for N processes"
HF_LINE = ("world size 1 assumed (no --devices): accelerate shards each epoch's batches over the processes "
           "(BatchSamplerShard)" + ADD)
AXOLOTL_LINE = ("world size 1 assumed (no --devices): the global batch is micro_batch_size x accumulation x the "
                "data-parallel world size" + ADD)
TIMM_LINE = ("world size 1 assumed (no --devices): torch's DistributedSampler gives each process ceil(N / world "
             "size) examples (train.py)" + ADD)
TORCHTUNE_LINE = ("world size 1 assumed (no --devices): a distributed recipe's sampler splits the dataset over its "
                  "data-parallel ranks" + ADD)
GRPO_LINE = ("world size 1 assumed (no --devices): the GRPO recipe splits the prompts over its ranks, which sets "
             "the scheduler's horizon" + ADD)

HF = "learning_rate: 1e-3\nlr_scheduler_type: cosine\nper_device_train_batch_size: 4\nnum_train_epochs: 2\n"
AXOLOTL = ("base_model: x\nsequence_len: 512\nlearning_rate: 0.01\nmicro_batch_size: 2\ngradient_accumulation_steps: 2\n"
           "num_epochs: 1\n")
TIMM = "sched: cosine\nepochs: 3\nbatch_size: 8\nlr: 0.1\nwarmup_epochs: 0\n"


def said(source, name: str) -> tuple[list[str], tuple[str, ...]]:
    """(the summary's budget lines, the figure's footnote lines) for one source."""
    return budget_lines([source], [name]), footnotes([], [source])


def world_lines(source, name: str) -> list[str]:
    summary, foot = said(source, name)
    return [line for line in (*summary, *foot) if "world size" in line]


@pytest.mark.parametrize("body, name, inputs, line", [
    (HF, "sft.yaml", {"dataset_size": 101}, HF_LINE),
    (AXOLOTL, "lora.yml", {"dataset_size": 100}, AXOLOTL_LINE),
    (AXOLOTL + "max_steps: 20\n", "lora.yml", {"dataset_size": 1000},  # axolotl trains min(count, max_steps)
     AXOLOTL_LINE.replace(ADD, ", and fewer updates than max_steps can result" + ADD)),
    (TIMM, "args.yaml", {"dataset_size": 1000}, TIMM_LINE),
    (TIMM.replace("lr: 0.1\n", "lr_base: 0.1\n"), "args.yaml", {"dataset_size": 1000},
     TIMM_LINE.replace(ADD, ", and lr_base is scaled by the global batch, batch_size x world size" + ADD)),
])
def test_a_count_for_one_process_is_named_in_the_summary_and_the_footnote(request, write_spec, body, name, inputs,
                                                                          line):
    if name == "args.yaml":
        request.getfixturevalue("real_timm")
    source = load_input(write_spec(body, name), inputs=BudgetInputs(**inputs))
    summary, foot = said(source, name)
    assert f"{name}: {line}" in summary
    assert line in foot  # "assumed" is in it and it names the flag: the footnote adds neither
    assert world_lines(source, name) == [f"{name}: {line}", line]  # once each


@pytest.mark.parametrize("body, name, inputs", [
    (HF, "sft.yaml", {"dataset_size": 101, "devices": 4}),
    (HF + "max_steps: 30\n", "sft.yaml", {"dataset_size": 101}),     # max_steps decides the count
    (HF + "max_steps: 30\n", "sft.yaml", {}),
    (HF + "accelerator_config: {split_batches: true}\n", "sft.yaml", {"dataset_size": 101}),  # process 0 has all
    (AXOLOTL, "lora.yml", {"dataset_size": 100, "devices": 4}),
    (AXOLOTL + "max_steps: 20\nrl: dpo\n", "lora.yml", {"dataset_size": 1000}),  # preference RL: max_steps is it
    (TIMM, "args.yaml", {"dataset_size": 1000, "devices": 4}),
])
def test_no_line_where_the_world_size_is_given_or_does_not_count(request, write_spec, body, name, inputs):
    if name == "args.yaml":
        request.getfixturevalue("real_timm")
    source = load_input(write_spec(body, name), inputs=BudgetInputs(**inputs))
    assert world_lines(source, name) == []


@pytest.mark.parametrize("config, inputs, line", [
    ("11B_lora_multi_dataset.yaml", {"dataset_size": 1000}, TORCHTUNE_LINE),  # tune run ..._distributed_...
    ("3B_full_grpo.yaml", {"dataset_size": 100}, GRPO_LINE),
    ("1B_lora_single_device.yaml", {"dataset_size": 1000}, None),            # one rank: nothing assumed
    ("11B_lora_multi_dataset.yaml", {"dataset_size": 1000, "devices": 2}, None),
    ("3B_full_grpo.yaml", {"dataset_size": 100, "devices": 4}, None),
])
def test_published_torchtune_recipes(config, inputs, line):
    source = load_input(TORCHTUNE / config, inputs=BudgetInputs(**inputs))
    assert world_lines(source, config) == ([f"{config}: {line}", line] if line else [])


def test_a_readers_own_richer_line_stands_alone():
    """A reader's own note settled by --devices stands; the shared one is not added beside it."""
    from lrplot.sources import Source
    from lrplot.budget import Budget, Told, assumption
    from lrplot.spec import parse_spec

    spec = parse_spec("steps: 10\nscheduler: {type: ConstantLR}\n", "s.yaml")
    budget = Budget("10 updates", 10, told=(Told("devices", 1, "default"),), world="a sampler shards it")
    own = assumption("world size 1: each rank's DefaultSampler takes ceil(N / world size) examples", "--devices N")
    assert Source("mmengine", spec, budget, (own,)).assumptions == (own,)
    added = Source("x", spec, budget).assumptions
    assert [str(a) for a in added] == ["world size 1 assumed (no --devices): a sampler shards it" + ADD]


def test_timm_counts_with_devices_as_its_distributed_loader(real_timm, write_spec):
    """timm's training loader (timm/data/loader.py: a DistributedSampler, drop_last=True) for 4
    processes, and train.py's updates per epoch over it."""
    import torch

    data = torch.utils.data.TensorDataset(torch.zeros(1001))
    sampler = torch.utils.data.distributed.DistributedSampler(data, num_replicas=4, rank=0)
    loader = torch.utils.data.DataLoader(data, batch_size=8, sampler=sampler, drop_last=True)
    source = load_input(write_spec(TIMM, "args.yaml"), inputs=BudgetInputs(dataset_size=1001, devices=4))
    assert source.budget.updates_per_epoch == len(loader) == 31
    assert source.budget.updates == 3 * len(loader)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_hf_counts_with_devices_as_the_trainer_on_process_0(tmp_path, write_spec):
    """The HF reader with --devices 4 against ``Trainer.set_initial_training_values`` on process 0's
    dataloader as accelerate shards it (``BatchSamplerShard``, accelerate 1.15.0)."""
    from accelerate.data_loader import BatchSamplerShard
    from torch.utils.data import BatchSampler, DataLoader, SequentialSampler
    from transformers import Trainer, TrainingArguments

    from tests.helpers.hf_trainer import _Data, _model

    trainer = None
    for n, batch, accumulation, drop_last in ((101, 4, 1, False), (101, 4, 3, True), (1000, 8, 4, False),
                                              (37, 3, 2, False)):
        args = TrainingArguments(output_dir=str(tmp_path), per_device_train_batch_size=batch,
                                 gradient_accumulation_steps=accumulation, dataloader_drop_last=drop_last,
                                 num_train_epochs=2, use_cpu=True, report_to="none", disable_tqdm=True,
                                 remove_unused_columns=False)
        trainer = trainer or Trainer(model=_model(), args=args, train_dataset=_Data(n))
        shard = BatchSamplerShard(BatchSampler(SequentialSampler(range(n)), batch, drop_last), 4, 0)
        loader = DataLoader(_Data(n), batch_sampler=shard)
        _, per_epoch, _, _, _, _, max_steps = trainer.set_initial_training_values(args, loader)
        body = (f"learning_rate: 1e-3\nper_device_train_batch_size: {batch}\ngradient_accumulation_steps: "
                f"{accumulation}\ndataloader_drop_last: {str(drop_last).lower()}\nnum_train_epochs: 2\n")
        source = load_input(write_spec(body, "sft.yaml"), inputs=BudgetInputs(dataset_size=n, devices=4))
        assert (source.budget.updates, source.budget.updates_per_epoch) == (max_steps, per_epoch), (n, batch)
        assert world_lines(source, "sft.yaml") == []
