"""pytorch-accelerated placeholders the library combines arithmetically (issue 9):
``PER_PROCESS_NUM_UPDATE_STEPS_PER_EPOCH * num_warmup_epochs`` is evaluated as the Trainer does,
against the real Trainer and the library's own placeholder-resolution code."""

from __future__ import annotations

import functools
from types import SimpleNamespace

import pytest

from lrplot.engine import simulate
from lrplot.errors import SpecError
from lrplot.spec import load_spec
from tests.helpers.installed import require

require("pytorch_accelerated")

ALLOW = ["pytorch_accelerated"]


@pytest.fixture(autouse=True)
def _no_env_allow_list(monkeypatch):
    monkeypatch.delenv("LRPLOT_ALLOW_IMPORT", raising=False)


def _lrplot_lrs(write_spec, steps, per, args):
    path = write_spec(f"""
        steps: {steps}
        steps_per_epoch: {per}
        optimizer: {{type: SGD, lr: 0.1}}
        scheduler:
          type: 'pytorch_accelerated.schedulers:WSDLrScheduler.create_scheduler_fn'
          {args}
    """)
    return simulate(load_spec(path), allow_import=ALLOW).schedules[0].values[(0, "lr")].tolist()


@pytest.mark.slow
def test_wsd_warmup_epochs_match_the_real_trainer(write_spec):
    """Run pytorch-accelerated's Trainer for real (CPU, a 2->1 linear model, 8 samples, batch 2:
    4 updates per epoch, 5 epochs) and record the lr of every update with a step pre-hook."""
    import torch
    from pytorch_accelerated import Trainer
    from pytorch_accelerated.schedulers import WSDLrScheduler
    from torch import nn
    from torch.utils.data import TensorDataset

    torch.manual_seed(0)
    model = nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer_lrs = []
    opt.register_step_pre_hook(lambda o, args, kwargs: trainer_lrs.append(o.param_groups[0]["lr"]))
    trainer = Trainer(model=model, loss_func=nn.MSELoss(), optimizer=opt, callbacks=())
    trainer.train(train_dataset=TensorDataset(torch.randn(8, 2), torch.randn(8, 1)), num_epochs=5,
                  per_device_batch_size=2, create_scheduler_fn=WSDLrScheduler.create_scheduler_fn(num_warmup_epochs=2))
    assert len(trainer_lrs) == 20
    ours = _lrplot_lrs(write_spec, 20, 4, "num_warmup_epochs: 2")
    assert ours == trainer_lrs
    # the warmup really spans two epochs (8 updates), not one: lr reaches 0.1 at update 9
    assert trainer_lrs.index(0.1, 1) == 9


@pytest.mark.parametrize("build", [
    lambda P: P.NUM_EPOCHS * 3,
    lambda P: P.PER_PROCESS_NUM_UPDATE_STEPS_PER_EPOCH * 2,
    lambda P: P.NUM_UPDATE_STEPS_PER_EPOCH + 1,
    lambda P: P.NUM_UPDATE_STEPS_PER_EPOCH * 1.5,
    lambda P: P.TRAIN_DATALOADER_LEN,
])
def test_placeholder_arithmetic_is_what_the_librarys_own_resolution_gives(build):
    """The library's replace_trainer_placeholder_values (which evals the text against a trainer)
    is the reference; lrplot computes the same number without eval."""
    from pytorch_accelerated.trainer import TrainerPlaceholderValues as P
    from pytorch_accelerated.trainer import replace_trainer_placeholder_values

    from lrplot.engine.build import _fill_placeholders
    from lrplot.spec import parse_spec

    steps, per = 30, 7
    epochs = -(-steps // per)
    fake_trainer = SimpleNamespace(
        run_config=SimpleNamespace(num_epochs=epochs, num_update_steps_per_epoch=per,
                                   num_local_update_steps_per_epoch=per),
        _train_dataloader=[None] * per)

    def target(optimizer, n):
        return n

    factory = functools.partial(target, n=build(P))
    reference = replace_trainer_placeholder_values(fake_trainer, factory).keywords["n"]
    spec = parse_spec("steps: 30\nscheduler: {type: 'x.y:z'}\n", "s.yaml")
    placeholders = {"NUM_EPOCHS": epochs, "NUM_UPDATE_STEPS_PER_EPOCH": per,
                    "PER_PROCESS_NUM_UPDATE_STEPS_PER_EPOCH": per, "TRAIN_DATALOADER_LEN": per}
    ours = _fill_placeholders(spec, spec.scheduler, factory, placeholders).keywords["n"]
    assert ours == reference and type(ours) is type(reference)


def test_placeholder_combined_with_another_placeholder_is_one_located_line():
    from pytorch_accelerated.trainer import TrainerPlaceholderValues as P

    from lrplot.engine.build import _fill_placeholders
    from lrplot.spec import parse_spec

    spec = parse_spec("steps: 30\nscheduler: {type: 'x.y:z'}\n", "s.yaml")
    factory = functools.partial(lambda optimizer, n: n, n=P.NUM_EPOCHS * P.NUM_EPOCHS)
    with pytest.raises(SpecError) as e:
        _fill_placeholders(spec, spec.scheduler, factory, {"NUM_EPOCHS": 3})
    assert e.value.format().startswith("s.yaml:2:12: ")
