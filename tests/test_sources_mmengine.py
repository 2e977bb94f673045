"""MMEngine configs: lrplot's curves equal what MMEngine's REAL Runner does with the same config file,
``==`` at every iteration, for lr, momentum (or betas[0]) and weight decay.

The reference is what OpenMMLab's tools/visualization/vis_scheduler.py does: a real ``Runner`` on CPU
with a tiny model and dataset, trained with the config's train_cfg, optim_wrapper, param_scheduler and
auto_scale_lr; a hook registers ``register_step_pre_hook`` on the optimizer the runner steps and records
every group's values before each update.
"""

from __future__ import annotations

import textwrap

import pytest

from lrplot.engine import simulate
from lrplot.errors import ImportNotAllowedError, SpecError
from lrplot.sources import BudgetInputs, load_input

from tests.helpers.mmengine_runner import run_runner
from tests.helpers.paths import CONFIGS

mmengine = pytest.importorskip("mmengine", reason="mmengine is not installed (pip install 'lrplot[mmengine]')")
ALLOW = frozenset({"mmengine"})


def ours(path, dataset_size=None, batch_size=None):
    source = load_input(path, inputs=BudgetInputs(dataset_size=dataset_size, batch_size=batch_size), allow_import=ALLOW)
    trace = simulate(source.spec, allow_import=["mmengine"]).schedules[0]
    return source, {field: trace.values[(0, field)] for field in trace.fields}


def write(tmp_path, text, name="config.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def assert_equal(lrplot_values, runner_values):
    """Every field lrplot records (lr, and momentum / weight decay where a scheduler changes them)
    equals the runner's; the fields it does not record stayed constant in the runner."""
    for field in ("lr", "momentum", "weight_decay"):
        if field in lrplot_values:
            assert len(lrplot_values[field]) == len(runner_values[field]), field
            assert lrplot_values[field].tolist() == runner_values[field].tolist(), field
        else:
            assert len(set(runner_values[field].tolist())) == 1, field


@pytest.mark.slow
def test_mmdet_1x_warmup_multistep_equals_the_runner(tmp_path):
    """Epoch-based: a per-iteration LinearLR warmup (500 iterations, 10 epochs of 50 here) overlapping a
    per-epoch MultiStepLR whose first milestone (epoch 8) falls inside the warmup."""
    import shutil

    shutil.copytree(CONFIGS / "frameworks", tmp_path / "frameworks")
    path = tmp_path / "frameworks" / "mmdet_schedule_1x.py"
    source, values = ours(path, dataset_size=100)
    assert source.budget.text == "100 examples / (2) = 50 iterations per epoch x 12 epochs = 600 iterations"
    assert source.spec.steps_per_epoch == 50
    assert_equal(values, run_runner(path, 100))
    assert values["lr"][399] > values["lr"][400]  # MultiStepLR's epoch-8 drop inside the warmup


@pytest.mark.slow
def test_epoch_scheduler_listed_first_still_steps_after_the_iteration_ones(tmp_path):
    """MMEngine's hook steps per-iteration schedulers (after_train_iter) before per-epoch ones
    (after_train_epoch) at an epoch end, whatever the config's order."""
    path = write(tmp_path, """
        train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=6)
        train_dataloader = dict(batch_size=3)
        optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.03, momentum=0.9, weight_decay=1e-4))
        param_scheduler = [
            dict(type='ExponentialLR', gamma=0.7, by_epoch=True),
            dict(type='ExponentialLR', gamma=0.993, by_epoch=False, begin=0, end=90),
            dict(type='LinearMomentum', start_factor=0.5, by_epoch=False, begin=0, end=60),
        ]
        """)
    source, values = ours(path, dataset_size=50)
    assert source.spec.steps_per_epoch == 17
    assert [node.interval for node in source.spec.scheduler] == ["step", "step", "epoch"]
    assert_equal(values, run_runner(path, 50))
    assert set(values) == {"lr", "momentum"}


@pytest.mark.slow
def test_iter_based_cosine_with_momentum_and_weight_decay_equals_the_runner(tmp_path):
    path = write(tmp_path, """
        train_cfg = dict(type='IterBasedTrainLoop', max_iters=300, val_interval=100)
        train_dataloader = dict(batch_size=4, sampler=dict(type='InfiniteSampler', shuffle=True))
        optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.05))
        param_scheduler = [
            dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=50),
            dict(type='CosineAnnealingLR', T_max=250, eta_min=1e-5, by_epoch=False, begin=50, end=300),
            dict(type='CosineAnnealingMomentum', T_max=300, eta_min=0.85, by_epoch=False),
            dict(type='CosineAnnealingParamScheduler', param_name='weight_decay', T_max=300, eta_min=0.005,
                 by_epoch=False),
        ]
        """)
    source, values = ours(path)
    assert source.spec.steps == 300 and source.spec.steps_per_epoch is None
    assert set(values) == {"lr", "momentum", "weight_decay"}
    assert_equal(values, run_runner(path, 64))


@pytest.mark.slow
def test_convert_to_iter_based_equals_the_runner(tmp_path):
    path = write(tmp_path, """
        train_cfg = dict(by_epoch=True, max_epochs=10)
        train_dataloader = dict(batch_size=8, drop_last=True)
        optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4))
        param_scheduler = [
            dict(type='CosineAnnealingLR', T_max=8, by_epoch=True, begin=2, end=10, convert_to_iter_based=True),
            dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=2, convert_to_iter_based=True),
            dict(type='StepMomentum', step_size=3, gamma=0.9, by_epoch=True),
        ]
        auto_scale_lr = dict(enable=True, base_batch_size=16)
        """)
    source, values = ours(path, dataset_size=101)
    assert source.spec.steps_per_epoch == 12  # 101 // 8 with drop_last
    assert_equal(values, run_runner(path, 101))
    assert values["lr"][0] == pytest.approx(0.1 * 8 / 16 * 0.01)


def test_refused_without_allow_import(tmp_path):
    path = write(tmp_path, "param_scheduler = dict(type='MultiStepLR', milestones=[1])\n")
    with pytest.raises(ImportNotAllowedError) as err:
        load_input(path, inputs=BudgetInputs(dataset_size=10))
    assert str(err.value) == (
        f"{path}: this is an MMEngine config, a Python file: reading it with MMEngine's Config runs the config's "
        "code (and its _base_ files'); if you trust it, add --allow-import mmengine (or set "
        "LRPLOT_ALLOW_IMPORT=mmengine)")


def test_needs_the_dataset_size_for_an_epoch_based_loop(tmp_path):
    path = write(tmp_path, """
        train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=3)
        train_dataloader = dict(batch_size=8)
        optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))
        param_scheduler = dict(type='MultiStepLR', milestones=[1])
        """)
    with pytest.raises(SpecError, match=r"config.py: needs the training-set size .*; add --dataset-size N"):
        load_input(path, allow_import=ALLOW)


def test_by_epoch_scheduler_in_an_iteration_loop_is_an_error(tmp_path):
    path = write(tmp_path, """
        train_cfg = dict(type='IterBasedTrainLoop', max_iters=30)
        optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))
        param_scheduler = dict(type='MultiStepLR', milestones=[1])
        """)
    with pytest.raises(SpecError, match=r"config.py:3:1: param_scheduler\[0\] \(MultiStepLR\) has by_epoch=True "
                                        r"in an IterBasedTrainLoop"):
        load_input(path, allow_import=ALLOW)


def test_plateau_on_validation_metrics_is_refused(tmp_path):
    path = write(tmp_path, """
        train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=3)
        train_dataloader = dict(batch_size=8)
        optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))
        param_scheduler = dict(type='ReduceOnPlateauLR', monitor='loss', patience=1)
        """)
    with pytest.raises(SpecError, match=r"config.py:4:1: param_scheduler\[0\] \(ReduceOnPlateauLR\) steps on "
                                        r"validation metrics"):
        load_input(path, inputs=BudgetInputs(dataset_size=80), allow_import=ALLOW)


def test_set_overrides_the_python_config_through_mmengine(tmp_path):
    import shutil

    shutil.copytree(CONFIGS / "frameworks", tmp_path / "frameworks")
    path = tmp_path / "frameworks" / "mmdet_schedule_1x.py"
    source = load_input(path, overrides=["train_cfg.max_epochs=24", "param_scheduler[1].milestones=[16, 22]",
                                         "param_scheduler.1.end=24"],
                        inputs=BudgetInputs(dataset_size=100), allow_import=ALLOW)
    assert source.spec.steps == 24 * 50
    assert source.spec.scheduler[1].options["milestones"] == [16, 22]
    assert source.spec.scheduler[1].options["end"] == 24


def test_unknown_scheduler_type_gets_a_did_you_mean(tmp_path):
    path = write(tmp_path, """
        train_cfg = dict(type='IterBasedTrainLoop', max_iters=30)
        optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))
        param_scheduler = dict(type='CosineAnealingLR', by_epoch=False, T_max=30)
        """)
    with pytest.raises(SpecError, match=r"'CosineAnealingLR' is not an MMEngine parameter scheduler; "
                                        r"did you mean 'CosineAnnealingLR'"):
        load_input(path, allow_import=ALLOW)


@pytest.mark.parametrize("command", [["check"], ["state", "--at", "120"], ["resume", "--at", "120", "--method", "full"]])
def test_check_state_resume_work_on_mmengine_configs(tmp_path, cli, command):
    import shutil

    shutil.copytree(CONFIGS / "frameworks", tmp_path / "frameworks")
    path = tmp_path / "frameworks" / "mmdet_schedule_1x.py"
    result = cli(*command, path, "--dataset-size", "100", "--allow-import", "mmengine")
    assert result.exit_code in (0, 1), result.output
    if command[0] == "state":
        assert result.exit_code == 0 and "lr" in result.output
    if command[0] == "resume":
        assert result.exit_code == 0 and "identical" in result.output
