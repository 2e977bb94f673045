"""A Hydra project that names its scheduler and optimizer by its OWN registry key (``_name_``), not Hydra's
``_target_``: said as that, in one located line with the overrides that give lrplot the class, not 'the config
names no scheduler; add one'.

Published tree, unedited: state-spaces/s4@e757cef57d89e448c413de7325ed5601aceaac13, the configs/ files Hydra
reads for config.yaml with experiment=cifar/s4-cifar (tests/data/published/s4/configs/): scheduler/cosine_warmup.yaml
gives ``scheduler: {_name_: cosine_warmup, ...}`` and ``train.interval: step``, optimizer/adamw.yaml
``optimizer: {_name_: adamw, ...}``. The project's src/utils/registry.py maps them (lines 3 and 17) to
torch.optim.AdamW and transformers.get_cosine_schedule_with_warmup; train.py:456-546 (configure_optimizers)
builds ``utils.instantiate(registry.scheduler, self.hparams.scheduler, optimizer)`` and returns it with
``"interval": self.hparams.train.interval`` (line 543), so Lightning steps it after every optimizer update.
"""

from __future__ import annotations

import pytest

from tests.helpers.installed import require

require("hydra")

from lrplot.errors import SpecError  # noqa: E402
from lrplot.sources import BudgetInputs, load_input  # noqa: E402
from tests.helpers.paths import ROOT  # noqa: E402

S4 = "tests/data/published/s4/configs"
EXPERIMENT = "experiment=cifar/s4-cifar"
SCHEDULER = ("+scheduler._target_=transformers.get_cosine_schedule_with_warmup", "~scheduler._name_")
OPTIMIZER = ("+optimizer._target_=torch.optim.AdamW", "~optimizer._name_")


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # locations are printed relative to the working folder


@pytest.mark.parametrize("overrides, expected", [
    ((EXPERIMENT,),
     f"{S4}/scheduler/cosine_warmup.yaml:6:11: 'scheduler' names its class by '_name_: cosine_warmup', a key of the "
     "project's own registry, not by Hydra's '_target_', which lrplot reads; give the class the registry maps "
     "'cosine_warmup' to: --set '+scheduler._target_=CLASS' --set '~scheduler._name_'"),
    ((EXPERIMENT, *SCHEDULER),
     f"{S4}/optimizer/adamw.yaml:2:9: 'optimizer' names its class by '_name_: adamw', a key of the project's own "
     "registry, not by Hydra's '_target_', which lrplot reads; give the class the registry maps 'adamw' to: --set "
     "'+optimizer._target_=CLASS' --set '~optimizer._name_'"),
], ids=["scheduler", "optimizer"])
def test_a_registry_name_is_said_with_the_overrides_that_give_the_class(overrides, expected):
    with pytest.raises(SpecError) as info:
        load_input(f"{S4}/config.yaml", inputs=BudgetInputs(dataset_size=500), overrides=overrides)
    assert info.value.format() == expected


@pytest.mark.slow
def test_given_the_classes_the_curve_is_the_registrys_scheduler_stepped_every_update():
    import torch
    from transformers import get_cosine_schedule_with_warmup

    from lrplot.engine import simulate

    source = load_input(f"{S4}/config.yaml", inputs=BudgetInputs(dataset_size=500, batch_size=50),
                        overrides=(EXPERIMENT, *SCHEDULER, *OPTIMIZER, "+scheduler.interval=step"))
    updates = 500 // 50 * 200  # loader.batch_size 50, trainer.max_epochs 200 (s4-cifar.yaml)
    assert source.budget.updates == updates
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=0.01, weight_decay=0.05)
    scheduler = get_cosine_schedule_with_warmup(optimizer, num_warmup_steps=900, num_training_steps=180000)
    real = []
    for _ in range(updates):  # interval 'step': Lightning steps it after every optimizer update
        real.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    [lr] = [s.values.tolist() for s in simulate(source.spec, allow_import=None).series() if s.field == "lr"]
    assert lr == real
