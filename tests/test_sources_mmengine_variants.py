"""MMEngine configs as OpenMMLab projects publish them: gradient accumulation (``accumulative_counts``),
registry optimizers (LARS) drawn on a stand-in, new-style ``read_base()`` configs, ``custom_imports``,
and mmcv 1.x ``lr_config`` configs (refused in one line). Each drawn curve equals a real MMEngine
Runner on CPU (tests/helpers/mmengine_runner.py) ``==`` at every optimizer update.

Published configs, unedited, under tests/data/mmengine/:
* mmselfsup/: open-mmlab/mmselfsup@db861f30487c9a0b0cb3e35e176d6058887660bc, the files of
  configs/selfsup/ their paths name (barlowtwins ...-accum8-..., byol ...-accum16-..., and their bases).
"""

from __future__ import annotations

import shutil

import pytest

from lrplot.engine import simulate
from lrplot.errors import SpecError
from lrplot.sources import BudgetInputs, load_input

from tests.helpers.mmengine_runner import run_runner
from tests.helpers.paths import ROOT

mmengine = pytest.importorskip("mmengine", reason="mmengine is not installed (pip install 'lrplot[mmengine]')")
DATA = ROOT / "tests" / "data" / "mmengine"
SELFSUP = "mmselfsup/configs/selfsup"


def ours(path, dataset_size=None, batch_size=None):
    source = load_input(path, inputs=BudgetInputs(dataset_size=dataset_size, batch_size=batch_size),
                        allow_import=["mmengine"])
    trace = simulate(source.spec, allow_import=["mmengine"]).schedules[0]
    return source, trace.values[(0, "lr")].tolist()


@pytest.fixture
def published(tmp_path):
    """The published trees copied to a temporary folder (the Runner writes a work_dir beside them)."""
    shutil.copytree(DATA, tmp_path / "mmengine")
    return tmp_path / "mmengine"


@pytest.mark.slow
@pytest.mark.parametrize("name, size, iterations, updates", [
    # 96 examples / 32 = 3 iterations per epoch; 100 epochs = 300 iterations; 300 / 8 = 37 windows and a
    # partial last one; both schedulers converted to per-iteration
    ("barlowtwins/barlowtwins_resnet50_8xb32-accum8-coslr-100e_in1k.py", 96, 300, 38),
    # 3 iterations per epoch x 200 epochs = 600 iterations, 600 / 16 = 37.5: windows cross epoch ends,
    # where the per-epoch CosineAnnealingLR steps
    ("byol/byol_resnet50_8xb32-accum16-coslr-200e_in1k.py", 96, 600, 38),
])
def test_accumulative_counts_draws_the_lr_of_each_real_update(published, name, size, iterations, updates):
    path = published / SELFSUP / name
    source, lr = ours(path, dataset_size=size)
    assert source.budget.updates == updates == len(lr)
    counts = source.budget.told_value("accumulation")
    assert source.budget.text == (
        f"{size} examples / (32) = 3 iterations per epoch x {iterations // 3} epochs = {iterations} iterations; "
        f"accumulative_counts {counts}: {updates} optimizer updates (after every {counts} iterations and at the "
        "last), each drawn at the lr it used")
    # LARS is mmselfsup's: the Runner here steps the same stand-in lrplot draws on
    reference = run_runner(path, size, optimizer=dict(type="SGD", lr=source.spec.optimizer.lr, momentum=0.9,
                                                      weight_decay=1e-6))
    assert lr == reference["lr"].tolist()
    assert ("optimizer LARS is not a torch.optim class: the schedule is drawn on a stand-in torch.optim.SGD with "
            "its lr, momentum, weight_decay; the schedulers set the param group's values whatever the "
            "optimizer's class") in source.notes
