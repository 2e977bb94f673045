"""NeMo model configs: lrplot's curve equals NeMo's OWN scheduler class driven as NeMo + Lightning step it.

Published configs, unedited, from NVIDIA/NeMo at 8cfedd7203462cb251a914e700e5605444277561:
examples/asr/conf/citrinet/citrinet_512.yaml (CosineAnnealing) and
examples/asr/conf/conformer/conformer_ctc_bpe.yaml (NoamAnnealing, d_model an interpolation).

The reference (nemo_toolkit 3.0.0): trainer.max_steps is -1, so ModelPT.setup_optimization
(nemo/core/classes/modelPT.py:675-685) hands max_epochs, accumulate_grad_batches, limit_train_batches and
num_devices * num_nodes to prepare_lr_scheduler, which calls compute_max_steps (nemo/core/optim/
lr_scheduler.py:1019-1041, here NeMo's own function) and builds ``scheduler_cls(optimizer, **args)``
(:987-995), stepped by Lightning once per optimizer update (``interval: 'step'``, :1007-1016).
NeMo's package __init__ needs onnx: the tests import its real scheduler file through stub parents
(tests/helpers/framework_stub.py).
"""

from __future__ import annotations

import pytest

from lrplot.errors import SpecError
from lrplot.sources import BudgetInputs, load_input

from tests.helpers import forked
from tests.helpers.installed import require
from tests.helpers.paths import ROOT

require("nemo", "omegaconf")

DATA = ROOT / "tests" / "data" / "nemo"
CITRINET = DATA / "citrinet_512.yaml"
CONFORMER = DATA / "conformer_ctc_bpe.yaml"


@pytest.fixture(scope="module")
def nemo():
    from tests.helpers.framework_stub import nemo_schedulers

    module = nemo_schedulers()
    if module is None:
        pytest.skip("nemo_toolkit is not installed")
    return module


def nemo_loop(module, cls_name: str, lr: float, sched_args: dict, *, epochs: int, examples: int, batch: int) -> list:
    """NeMo's own arithmetic and class, stepped as Lightning does with interval 'step' (lr of each update)."""
    import torch

    max_steps = module.compute_max_steps(max_epochs=epochs, accumulate_grad_batches=1, limit_train_batches=1.0,
                                         num_workers=1, num_samples=examples, batch_size=batch, drop_last=False)
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = getattr(module, cls_name)(optimizer, **sched_args, max_steps=max_steps)
    lrs = []
    for _ in range(max_steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


def drawn(path, examples: int) -> list:
    from lrplot.engine import simulate

    source = load_input(path, inputs=BudgetInputs(dataset_size=examples))
    assert source.kind == "nemo"
    return simulate(source.spec).schedules[0].values[(0, "lr")].tolist()


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_published_citrinet_cosine_equals_nemo(nemo):
    expected = nemo_loop(nemo, "CosineAnnealing", 0.05, {"warmup_steps": 1000, "warmup_ratio": None, "min_lr": 1e-5,
                                                         "last_epoch": -1}, epochs=100, examples=1000, batch=32)
    assert len(expected) == 3200  # ceil(1000 / 32) = 32 updates x 100 epochs
    assert drawn(CITRINET, 1000) == expected


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_published_conformer_noam_equals_nemo(nemo):
    expected = nemo_loop(nemo, "NoamAnnealing", 2.0, {"d_model": 512, "warmup_steps": 10000, "warmup_ratio": None,
                                                      "min_lr": 1e-6}, epochs=1000, examples=100, batch=16)
    assert len(expected) == 7000  # ceil(100 / 16) = 7 updates x 1000 epochs
    assert drawn(CONFORMER, 100) == expected


def test_published_config_without_dataset_size_asks_in_one_line():
    with pytest.raises(SpecError) as err:
        load_input(CITRINET, inputs=BudgetInputs())
    assert str(err.value).splitlines() == [
        f"{CITRINET}:405:14: needs the training-set size (NeMo reads len(train_dataloader.dataset) to compute "
        "max_steps, trainer.max_steps being unset); add --dataset-size N (or --set trainer.max_steps=N)"]


@pytest.mark.slow  # NeMo imported afresh in a child process
def test_importing_nemo_leaves_hydras_config_store_as_it_was():
    """NeMo's modules register structured configs (a 'trainer' group) in Hydra's process-wide ConfigStore
    on import; a Hydra tree composed later in the same process found a 'trainer' option it does not have.
    lrplot imports NeMo inside hydra_plugins.store_kept: inside the block the import has registered the
    group (so the check after it can fail), after the block the store is as it was. One process that had
    not imported NeMo shows both (NeMo's import costs seconds; a second child importing it without the
    block showed the same registration): tests/helpers/nemo_store_probe.py, forked from a process that
    imported lrplot and torch once (tests/helpers/forked.py), the probe saying that NeMo was not there."""
    out = forked.run([], module="tests.helpers.nemo_store_probe", text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-4:] == ["nemo imported False", "before []", "inside ['trainer.yaml']",
                                                    "after []"]
