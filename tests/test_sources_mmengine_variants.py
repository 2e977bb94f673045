"""MMEngine configs as OpenMMLab projects publish them: gradient accumulation (``accumulative_counts``),
registry optimizers (LARS) drawn on a stand-in, new-style ``read_base()`` configs, ``custom_imports``,
and mmcv 1.x ``lr_config`` configs (refused in one line). Each drawn curve equals a real MMEngine
Runner on CPU (tests/helpers/mmengine_runner.py) ``==`` at every optimizer update.

Published configs, unedited, under tests/data/mmengine/:
* mmselfsup/: open-mmlab/mmselfsup@db861f30487c9a0b0cb3e35e176d6058887660bc, the files of
  configs/selfsup/ their paths name (barlowtwins ...-accum8-..., byol ...-accum16-..., and their bases).
* mmpretrain/: open-mmlab/mmpretrain@ee7f2e88501f61aa95c742dd5f429f039935ee90, the new-style (read_base)
  configs under mmpretrain/configs/ their paths name (convnext-base_32xb128_in1k.py,
  mobilenet_v3_small_8xb16_cifar10.py, and their _base_ files), and the projects/ files their paths name.
* mmselfsup/projects/: the same mmselfsup commit, the files their paths name.
* mmselfsup-0.11/: open-mmlab/mmselfsup@684875d09b68ae654b1d3186190a993274dcc297 (tag v0.11.0, mmcv 1.x),
  the files of configs/selfsup/ their paths name.
* mmyolo/: open-mmlab/mmyolo@8c4d9dc503dc8e327bec8147e8dc97124052f693, the files of configs/ their paths
  name (yolov5_s-v61_syncbn_8xb16-300e_coco.py, yolov8_s_syncbn_fast_8xb16-500e_coco.py and their bases).
* mmpose/: open-mmlab/mmpose@759b39c13fea6ba094afc1fa932f51dc1b11cbf9, the files of configs/ their paths
  name (body_2d_keypoint/rtmo/body7/rtmo-s_8xb32-600e_body7-640x640.py and _base_/default_runtime.py).
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


@pytest.mark.slow
@pytest.mark.parametrize("name, size, text", [
    # LinearLR converted to iterations (20 epochs) then a per-epoch CosineAnnealingLR; classes as type=
    ("convnext/convnext-base_32xb128_in1k.py", 300, "300 examples / (128) = 3 iterations per epoch x 300 epochs"
                                                    " = 900 iterations"),
    # the base's MultiStepLR merged with new milestones (param_scheduler.merge)
    ("mobilenet_v3/mobilenet_v3_small_8xb16_cifar10.py", 40, "40 examples / (16) = 3 iterations per epoch x 200 "
                                                              "epochs = 600 iterations"),
])
def test_new_style_read_base_configs_equal_the_runner(published, name, size, text):
    """Their bases import mmpretrain's datasets and models lazily; mmpretrain is not installed here, and
    the schedule never needs it: lrplot reads the values without building those imports."""
    path = published / "mmpretrain/configs" / name
    source, lr = ours(path, dataset_size=size)
    assert source.budget.text == text
    assert lr == run_runner(path, size)["lr"].tolist()


@pytest.mark.slow
@pytest.mark.parametrize("tree, package", [("mmselfsup", "mmcls.datasets"), ("mmpretrain", "mmpretrain.datasets")])
def test_custom_imports_of_a_missing_package_do_not_block_reading(published, tree, package):
    """fgia_accv2022_1st's MAE config imports a package (allow_failed_imports=False) that is not installed
    here; MMEngine's Config.fromfile would fail importing it. lrplot reads without importing it and says so;
    the curve equals a Runner's (an OptimWrapper for its AmpOptimWrapper: AMP needs a GPU, the lr is the same)."""
    path = published / tree / "projects/fgia_accv2022_1st/config/mae_vit-large-p16_8xb512-amp-coslr-1600e_in1k.py"
    source, lr = ours(path, dataset_size=256)
    assert source.notes[0] == (f"custom_imports ({package}) not imported: the schedule needs only MMEngine's "
                               "schedulers and the optimizer's settings")
    assert lr == run_runner(path, 256)["lr"].tolist()


@pytest.mark.parametrize("config, line", [
    ("mmpretrain/projects/internimage_classification/configs/internimage-tiny_8xb128_in1k-224.py",
     "mmpretrain/projects/internimage_classification/configs/_base_.py:1:1: the config inherits from "
     "mmpretrain::_base_/default_runtime.py, a file of the Python package 'mmpretrain', which is not installed "
     "here; install mmpretrain (pip install mmpretrain) in the environment that runs lrplot"),
    ("mmselfsup/projects/example_project/configs/dummy-mae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py",
     "mmselfsup/projects/example_project/configs/dummy-mae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py:1:1: the "
     "config inherits from mmselfsup::selfsup/mae/mae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py, a file of the "
     "Python package 'mmselfsup', which is not installed here; install mmselfsup (pip install mmselfsup) in the "
     "environment that runs lrplot"),
])
def test_a_base_of_a_package_that_is_not_installed_is_one_line(config, line, monkeypatch):
    """Projects that extend a package's configs (pkg::path bases, with custom_imports of their own models)."""
    monkeypatch.chdir(DATA)
    with pytest.raises(SpecError) as err:
        load_input(config, allow_import=["mmengine"])
    assert str(err.value) == line


MMCV1_GUIDE = "https://mmengine.readthedocs.io/en/latest/migration/param_scheduler.html"


@pytest.mark.parametrize("config, base, policy, hook", [
    ("byol/byol_resnet50_8xb32-accum16-coslr-200e_in1k.py", "lars_coslr-200e_in1k.py", "CosineAnnealing",
     "CosineAnnealingLrUpdaterHook"),
    ("mocov1/mocov1_resnet50_8xb32-steplr-200e_in1k.py", "sgd_steplr-200e_in1k.py", "step", "StepLrUpdaterHook"),
])
def test_mmcv1_lr_config_is_refused_in_one_line_before_anything_runs(config, base, policy, hook, monkeypatch):
    """mmselfsup v0.11.0 (mmcv 1.x): the schedule is lr_config in a _base_ file. Refused without
    --allow-import too: the file is never run, and allowing it would not help."""
    monkeypatch.chdir(DATA / "mmselfsup-0.11/configs/selfsup")
    with pytest.raises(SpecError) as err:
        load_input(config)
    assert str(err.value) == (
        f"{config.split('/')[0]}/../_base_/schedules/{base}:6:1: an mmcv 1.x config: its lr_config (policy "
        f"'{policy}') is run by mmcv 1.x's {hook}, which MMEngine replaced and lrplot does not run; write it as "
        f"MMEngine's param_scheduler (see {MMCV1_GUIDE}) or as an lrplot spec")


@pytest.mark.slow
def test_a_registry_optimizer_is_drawn_on_a_stand_in_that_equals_the_runner(published):
    """mmpretrain's RSB-A3 recipe trains with Lamb (mmpretrain's registry, not installed here): the schedule
    is drawn on torch's SGD with Lamb's lr and weight decay; a Runner stepping that stand-in gives the same
    lr at every update (the schedulers set the group's lr whatever the optimizer's class)."""
    path = published / "mmpretrain/configs/resnet/resnet50_8xb256-rsb-a3-100e_in1k.py"
    source, lr = ours(path, dataset_size=512)
    assert ("optimizer Lamb is not a torch.optim class: the schedule is drawn on a stand-in torch.optim.SGD with "
            "its lr, weight_decay; the schedulers set the param group's values whatever the optimizer's class"
            ) in source.notes
    assert source.spec.optimizer.model_dump(exclude_none=True) == {"type": "SGD", "lr": 0.008, "weight_decay": 0.02}
    assert lr == run_runner(path, 512, optimizer=dict(type="SGD", lr=0.008, weight_decay=0.02))["lr"].tolist()


@pytest.mark.parametrize("config, line", [
    ("yolov5/yolov5_s-v61_syncbn_8xb16-300e_coco.py", 258),  # no param_scheduler at all
    ("yolov8/yolov8_s_syncbn_fast_8xb16-500e_coco.py", 293),  # param_scheduler = None
])
def test_a_hook_that_sets_the_lr_itself_is_refused_in_one_line(config, line, monkeypatch):
    """mmyolo's YOLO configs put YOLOv5ParamSchedulerHook in default_hooks.param_scheduler: it sets the lr in
    before_train_iter / after_train_epoch (mmyolo/engine/hooks/yolov5_param_scheduler_hook.py:74-130, same
    commit) over MMEngine's ParamSchedulerHook (Runner.register_default_hooks, mmengine 0.10.7
    runner/runner.py:1948-1963). Without the check lrplot said the lr stays at the optimizer's."""
    monkeypatch.chdir(DATA / "mmyolo/configs")
    with pytest.raises(SpecError) as err:
        load_input(config, allow_import=["mmengine"])
    assert str(err.value) == (
        f"{config}:{line}:1: default_hooks.param_scheduler is YOLOv5ParamSchedulerHook, not MMEngine's "
        "ParamSchedulerHook: that hook sets the lr in its own code, which lrplot does not run (it draws "
        "param_scheduler as ParamSchedulerHook steps it); write the hook's schedule as an lrplot spec")


def test_the_world_size_an_epoch_loop_assumes_is_named_with_what_the_files_name_says(monkeypatch):
    """An epoch is len(train_dataloader) iterations per rank: with no --devices lrplot counts one rank, an
    assumption that changes the curve (mmpretrain's convnext-base_32xb128 runs on 32), so the summary names it."""
    monkeypatch.chdir(DATA / "mmpretrain/configs")
    config = "convnext/convnext-base_32xb128_in1k.py"
    alone = load_input(config, inputs=BudgetInputs(dataset_size=40000), allow_import=["mmengine"])
    world = ("world size 1: each rank's DefaultSampler takes ceil(N / world size) examples (the file's name says "
             "32xb128: 32 devices of 128); add --devices N for N processes")
    assert [str(n) for n in alone.assumptions][-1] == world
    assert alone.budget.updates_per_epoch == 313  # ceil(40000 / 128)
    told = load_input(config, inputs=BudgetInputs(dataset_size=40000, devices=32), allow_import=["mmengine"])
    assert world not in [str(n) for n in told.assumptions] and len(told.assumptions) == len(alone.assumptions) - 1
    assert told.budget.updates_per_epoch == 10  # ceil(ceil(40000 / 32) / 128)


def test_a_scheduler_of_the_default_scope_registry_is_one_line_that_names_the_scope(monkeypatch):
    """mmpose's RTMO configs warm up with QuadraticWarmupLR, which mmpose registers (mmpose/engine/schedulers/);
    the Runner finds it because default_runtime.py sets default_scope = 'mmpose' (mmengine 0.10.7
    Registry.switch_scope_and_registry imports mmpose.registry). The line said to add custom_imports,
    which lrplot never imports and the config does not need."""
    monkeypatch.chdir(DATA / "mmpose/configs")
    config = "body_2d_keypoint/rtmo/body7/rtmo-s_8xb32-600e_body7-640x640.py"
    with pytest.raises(SpecError) as err:
        load_input(config, inputs=BudgetInputs(dataset_size=1000), allow_import=["mmengine"])
    assert str(err.value) == (
        f"{config}:23:1: 'QuadraticWarmupLR' is not an MMEngine parameter scheduler: the Runner builds it from the "
        "registry of scope 'mmpose' (package mmpose), which lrplot's MMEngine reader does not read; draw the "
        "schedule as an lrplot spec, the scheduler's type its import path")
