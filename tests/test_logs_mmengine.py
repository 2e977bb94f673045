"""MMEngine's logs, written by a REAL MMEngine 0.10 Runner on CPU: ``vis_data/scalars.json`` and the text log.

Every logged lr is compared with the lr each update used, recorded by an optimizer step pre-hook (the
same hook as tests/test_sources_mmengine.py); the plan is the MMEngine config the Runner trained with,
read by lrplot's mmengine source. A broken run steps the param schedulers twice per iteration (a
second ParamSchedulerHook).
"""

from __future__ import annotations

import textwrap

import pytest

from lrplot.logs import load_log, log_info
from lrplot.sources import BudgetInputs
from lrplot.verify import verify_files
from tests.helpers.mmengine_runner import train_logged

mmengine = pytest.importorskip("mmengine", reason="mmengine is not installed (pip install 'lrplot[mmengine]')")

ITER_CONFIG = """
    train_cfg = dict(type='IterBasedTrainLoop', max_iters=30)
    train_dataloader = dict(batch_size=4, sampler=dict(type='InfiniteSampler', shuffle=False))
    optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9))
    param_scheduler = [
        dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=5),
        dict(type='CosineAnnealingLR', T_max=25, by_epoch=False, begin=5, end=30),
    ]
"""
EPOCH_CONFIG = """
    train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=4)
    train_dataloader = dict(batch_size=4)
    optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05))
    param_scheduler = [
        dict(type='LinearLR', start_factor=0.25, by_epoch=False, begin=0, end=6),
        dict(type='CosineAnnealingLR', T_max=14, by_epoch=False, begin=6, end=20),
    ]
"""
DATASET = 20  # 5 iterations per epoch at batch 4


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("mmengine")
    out = {}
    for name, text, twice in (("iter", ITER_CONFIG, False), ("epoch", EPOCH_CONFIG, False),
                              ("twice", ITER_CONFIG, True)):
        config = root / f"{name}.py"
        config.write_text(textwrap.dedent(text).lstrip())
        work = root / f"work_{name}"
        out[name] = (config, work, train_logged(config, work, DATASET, twice=twice))
    return out


def check(config, log, **kw):
    return verify_files(config, log, inputs=BudgetInputs(dataset_size=DATASET), allow_import=["mmengine"], **kw)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["iter", "epoch"])
def test_scalars_json_holds_the_lr_each_update_used(runs, name):
    config, work, used = runs[name]
    (trace,) = load_log(work).schedules  # the work_dir: its one <timestamp>/vis_data/scalars.json
    info = log_info(trace)
    assert (info.format, info.step_offset, info.dtype) == ("mmengine", 1, "float64")
    assert info.path.endswith("vis_data/scalars.json")
    assert trace.at[(0, "lr")].tolist() == list(range(len(used)))
    assert trace.values[(0, "lr")].tolist() == used  # ==: json writes Python's float repr
    (v,) = check(config, work).verdicts
    assert v.text() == f"lr: follows the plan ({len(used)} of {len(used)} logged steps)"


@pytest.mark.slow
def test_a_work_dir_with_several_runs_reads_each(runs, tmp_path):
    """A work_dir holds a <timestamp>/ folder per launch (a resume's too): each is a run, --log-run reads one."""
    import shutil

    config, _, used = runs["iter"]
    work = tmp_path / "work"
    for stamp, name in (("20260101_000000", "iter"), ("20260101_000100", "twice")):
        (run,) = [p for p in runs[name][1].iterdir() if p.is_dir()]
        shutil.copytree(run, work / stamp)
    traces = load_log(work).schedules
    assert [t.name for t in traces] == ["20260101_000000", "20260101_000100"]
    assert traces[0].values[(0, "lr")].tolist() == used and traces[1].values[(0, "lr")].tolist() == runs["twice"][2]
    assert [v.text().split(" (")[0] for v in check(config, work).verdicts] == [
        "20260101_000000 · lr: follows the plan", "20260101_000100 · lr: diverges at step 2: logged 0.055, plan 0.0325"]
    (v,) = check(config, work, log_run="20260101_000000").verdicts
    assert v.text() == f"lr: follows the plan ({len(used)} of {len(used)} logged steps)"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["iter", "epoch"])
def test_the_text_log_holds_the_lr_rounded_as_printed(runs, name):
    """The text log prints ``{lr:.4e}``: the values equal the used lrs printed so (not the lrs
    themselves), and verify compares the plan printed the same way, with no other tolerance."""
    config, work, used = runs[name]
    (log,) = list(work.glob("*/*.log"))
    (trace,) = load_log(log).schedules
    info = log_info(trace)
    assert (info.format, info.step_offset, info.dtype) == ("mmengine-text", 1, "%.4e")
    assert trace.at[(0, "lr")].tolist() == list(range(len(used)))
    assert trace.values[(0, "lr")].tolist() == [float(f"{lr:.4e}") for lr in used]
    assert trace.values[(0, "lr")].tolist() != used  # rounded: an exact comparison would fail
    (v,) = check(config, log).verdicts
    assert v.text() == f"lr: follows the plan ({len(used)} of {len(used)} logged steps)"


@pytest.mark.slow
def test_a_run_stepping_its_schedulers_twice_is_named(runs):
    config, work, used = runs["twice"]
    (trace,) = load_log(work).schedules
    assert trace.values[(0, "lr")].tolist() == used
    assert f"{used[1]:.9g}" == "0.055"  # plan[2]: MMEngine's LinearLR reaches its end at iteration end - 1
    (v,) = check(config, work).verdicts
    assert v.text() == (
        "lr: diverges at step 2: logged 0.055, plan 0.0325 (2 of 30 logged steps agree); compressed in "
        "time by k=2: the scheduler stepped 2 times per update (once per process on 2 processes, once per "
        "micro-batch with 2 accumulation steps, or an extra scheduler.step())")
    (log,) = list(work.glob("*/*.log"))
    (v,) = check(config, log).verdicts
    assert v.cause is not None and (v.cause.kind, v.cause.k) == ("compressed", 2), v.text()


def test_text_log_lines_and_a_broken_line(tmp_path):
    """The two header forms, lr keys of several optimizers, and a line that is not JSON located."""
    log = tmp_path / "20240101_000000.log"
    log.write_text(
        "2024/01/01 00:00:00 - mmengine - INFO - Epoch(train)  [2][ 3/10]  lr: 1.0000e-02  eta: 0:00:01\n"
        "2024/01/01 00:00:01 - mmengine - INFO - Iter(val) [ 3/10]  acc: 0.5\n")
    (trace,) = load_log(log).schedules
    assert trace.at[(0, "lr")].tolist() == [12] and trace.values[(0, "lr")].tolist() == [0.01]
    bad = tmp_path / "scalars.json"
    bad.write_text('{"lr": 0.1, "step": 1}\n{"lr": 0.1, "step": \n')
    with pytest.raises(Exception) as err:
        load_log(bad)
    assert str(err.value).startswith(f"{bad}:2: not a JSON object per line")


@pytest.mark.slow
def test_a_last_line_still_being_written_is_not_read(tmp_path):
    """MMEngine's LocalVisBackend writes a JSON object, then its line end: a running job's scalars.json read
    mid-write ends in a cut object (refused as not JSON before), and its text log in a cut line whose lr may be
    cut (1.1993e-0 of 1.1993e-03); neither last line is read."""
    from mmengine.visualization import LocalVisBackend

    backend = LocalVisBackend(str(tmp_path / "vis"))
    lrs = [0.1, 0.05, 0.0011992724472356662]
    for step, lr in enumerate(lrs, start=1):
        backend.add_scalars({"lr": lr, "loss": 1.0}, step=step)
    scalars = tmp_path / "vis" / "scalars.json"
    text = scalars.read_text()
    scalars.write_text(text[:text.rindex("2724472356662")])
    (trace,) = load_log(scalars).schedules
    assert (trace.at[(0, "lr")].tolist(), trace.values[(0, "lr")].tolist()) == ([0, 1], lrs[:2])
    log = tmp_path / "20240101_000000.log"
    log.write_text("".join(f"2024/01/01 00:00:0{i} - mmengine - INFO - Iter(train) [{i}/10]  lr: {lr:.4e}  eta: 0:00:01\n"
                           for i, lr in enumerate(lrs, start=1))[:-len("3e-03  eta: 0:00:01\n")])
    (trace,) = load_log(log).schedules
    assert (trace.at[(0, "lr")].tolist(), trace.values[(0, "lr")].tolist()) == ([0, 1], [0.1, 0.05])
