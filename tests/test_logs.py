"""lrplot verify against REAL logs: transformers' Trainer, a Lightning Trainer and a plain torch loop
run for real on CPU (tests/logruns.py), correct and broken on purpose.

Two truths are checked: (1) alignment: every value lrplot reads from a log, at the step lrplot puts
it, is the lr that optimizer update really used (recorded by an optimizer step pre-hook, independent
of every logger); (2) verdicts: correct runs follow the plan (an lrplot spec equivalent to the run,
written by hand), broken runs are diagnosed with the right cause and k or n.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest

from lrplot.logs import load_log
from lrplot.verify import verify_files

from tests.helpers import logruns

pytestmark = pytest.mark.filterwarnings("ignore")

ALLOW = frozenset({"transformers"})


def spec(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def check_alignment(log: Path, used: list[list[float]], fmt: str | None = None, float32: bool = False) -> int:
    """Every logged value is the lr of the update lrplot aligns it with; returns how many were checked."""
    curves = load_log(log, fmt=fmt)
    used_arr = np.array(used, dtype=np.float64)
    n = 0
    for trace in curves.schedules:
        for g in range(len(trace.groups)):
            at, values = trace.at[(g, "lr")], trace.values[(g, "lr")]
            truth = used_arr[at, g]
            if float32:
                truth = truth.astype(np.float32).astype(np.float64)
            np.testing.assert_array_equal(values, truth)
            n += len(values)
    return n


def verdicts(plan: Path, log: Path, **kw):
    report = verify_files(plan, log, allow_import=ALLOW, **kw)
    assert report.verdicts
    return report


# --- transformers Trainer ------------------------------------------------------------------------

HF_PLAN = """
    steps: 20
    optimizer: {type: AdamW, lr: 1e-3}
    scheduler:
      type: "transformers:get_scheduler"
      name: cosine
      num_warmup_steps: 3
      num_training_steps: 20
"""


@pytest.fixture(scope="module")
def hf(tmp_path_factory):
    root = tmp_path_factory.mktemp("hf")
    runs = {
        "ok": logruns.hf_run(root / "ok"),
        "sparse": logruns.hf_run(root / "sparse", logging_steps=5),
        "twice": logruns.hf_run(root / "twice", extra_step=True),
        "lr": logruns.hf_run(root / "lr", lr=2e-3),
        "resume": logruns.hf_run(root / "resume", save_steps=8, resume_without_scheduler=True),
        "short": logruns.hf_run(root / "short", max_steps=14, logging_steps=2),
    }
    return root, runs, spec(root, "plan.yaml", HF_PLAN)


@pytest.mark.slow
def test_hf_alignment_trainer_state_and_tensorboard(hf):
    root, runs, _ = hf
    # trainer_state.json: step s is global_step after the update: lrplot step s - 1
    assert check_alignment(root / "ok" / "trainer_state.json", runs["ok"]) == 20
    assert check_alignment(root / "sparse", runs["sparse"]) == 4
    # report_to=["tensorboard"]: train/learning_rate at the same global step, float32
    assert check_alignment(root / "ok" / "runs", runs["ok"], float32=True) == 20
    curves = load_log(root / "sparse" / "trainer_state.json")
    assert curves.schedules[0].at[(0, "lr")].tolist() == [4, 9, 14, 19]


@pytest.mark.slow
def test_hf_correct_runs_follow(hf):
    root, _, plan = hf
    for log in (root / "ok", root / "ok" / "runs", root / "sparse"):
        report = verdicts(plan, log)
        assert report.ok, [v.text() for v in report.verdicts]
    (v,) = verdicts(plan, root / "sparse").verdicts
    assert v.text() == "learning_rate: follows the plan (4 of 4 logged steps)"
    (v,) = verdicts(plan, root / "ok" / "runs").verdicts
    assert v.dtype == "float32" and v.compared == 20


@pytest.mark.slow
def test_hf_training_config_as_the_plan(hf, cli):
    """PLAN may be the run's own TrainingArguments (read by lrplot.sources' hf reader)."""
    root, _, _ = hf
    config = spec(root, "args.yaml", """
        learning_rate: 1.0e-3
        lr_scheduler_type: cosine
        warmup_steps: 3
        max_steps: 20
        per_device_train_batch_size: 4
    """)
    r = cli("verify", config, "--log", root / "ok")  # transformers.optimization is trusted: no --allow-import
    assert r.exit_code == 0 and r.stdout == "learning_rate: follows the plan (20 of 20 logged steps)\n", r.stderr
    r = cli("verify", config, "--log", root / "lr" / "runs", "--allow-import", "transformers", "--json")
    (v,) = json.loads(r.stdout)["verdicts"]
    assert r.exit_code == 1 and v["cause"]["kind"] == "scaled" and v["cause"]["lr"] == 2e-3


@pytest.mark.slow
def test_hf_faults_are_named(hf):
    root, _, plan = hf
    (v,) = verdicts(plan, root / "twice").verdicts
    assert not v.ok and v.cause.kind == "compressed" and v.cause.k == 2, v.text()
    assert "k=2" in v.text()
    (v,) = verdicts(plan, root / "lr").verdicts
    assert v.cause.kind == "scaled" and v.cause.lr == 2e-3 and v.cause.factor == 2.0, v.text()
    (v,) = verdicts(plan, root / "resume").verdicts
    assert v.cause.kind == "restarted" and v.cause.n == 8, v.text()
    # checkpoint-8: update 8 (HF's step 9) used plan[0] again (0: warmup starts at 0)
    assert (v.first.step, v.first.update, v.first.logged) == (9, 8, 0.0)
    assert v.spans == ((8, 19),)
    # max_steps 14 instead of 20: the Trainer builds its cosine over 14 updates
    (v,) = verdicts(plan, root / "short").verdicts
    assert v.cause.kind == "ended-early" and v.cause.n == 14, v.text()


# --- Lightning -----------------------------------------------------------------------------------

PL_PLAN = """
    steps: 24
    steps_per_epoch: 6
    optimizer: {type: SGD, lr: 0.1, momentum: 0.9}
    param_groups: [{name: a}, {name: b, lr: 0.01}]
    fields: [lr, momentum]
    scheduler: {type: LinearLR, start_factor: 0.1, total_iters: 24}
"""


@pytest.fixture(scope="module")
def pl(tmp_path_factory):
    root = tmp_path_factory.mktemp("pl")
    runs = {
        "ok": logruns.lightning_run(root / "ok", groups=2, momentum=True),
        "sparse": logruns.lightning_run(root / "sparse", groups=2, momentum=True, log_every_n_steps=5),
        "epoch": logruns.lightning_run(root / "epoch", groups=2, momentum=True, interval="epoch"),
    }
    return root, runs, spec(root, "plan.yaml", PL_PLAN)


@pytest.mark.slow
def test_lightning_alignment_csv_and_tensorboard(pl):
    root, runs, _ = pl
    # LearningRateMonitor logs at on_train_batch_start, step = updates done: lrplot step s
    assert check_alignment(root / "ok" / "csv" / "version_0" / "metrics.csv", runs["ok"]) == 48
    assert check_alignment(root / "ok" / "tb", runs["ok"], float32=True) == 48
    assert check_alignment(root / "sparse", runs["sparse"]) == 8  # steps 4, 9, 14, 19, two groups
    trace = load_log(root / "ok" / "tb").schedules[0]
    assert trace.groups == ("pg1", "pg2") and trace.fields == ("lr", "momentum")


@pytest.mark.slow
def test_lightning_correct_and_per_epoch(pl):
    root, _, plan = pl
    for log in (root / "ok", root / "ok" / "tb", root / "sparse"):
        report = verdicts(plan, log)
        assert report.ok and len(report.verdicts) == 4, [v.text() for v in report.verdicts]
    report = verdicts(plan, root / "epoch")
    lrs = [v for v in report.verdicts if v.field == "lr"]
    assert len(lrs) == 2 and not report.ok
    for v in lrs:  # interval: "epoch" for a schedule written in updates: stepped once per 6-update epoch
        assert v.cause.kind == "stretched" and v.cause.k == 6, v.text()
    assert all(v.ok for v in report.verdicts if v.field == "momentum")


# --- a plain torch loop with SummaryWriter -------------------------------------------------------

TORCH_PLAN = """
    steps: 30
    param_groups: [{name: weight}, {name: bias, lr: 0.01}]
    scheduler:
      type: LambdaLR
      lr_lambda: "min(1.0, (epoch + 1) / 5) * 0.97 ** epoch"
"""


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    root = tmp_path_factory.mktemp("loop")
    runs = {
        "ok": logruns.torch_run(root / "ok"),
        "twice": logruns.torch_run(root / "twice", per_step=2),
        "epoch": logruns.torch_run(root / "epoch", steps_per_epoch=5),
        "restart": logruns.torch_run(root / "restart", restart_at=12),
        "after": logruns.torch_run(root / "after", log_after=True),
        "frozen": logruns.torch_run(root / "frozen", per_step=0),
        "lr": logruns.torch_run(root / "lr", lr=0.3),
    }
    return root, runs, spec(root, "plan.yaml", TORCH_PLAN)


@pytest.mark.slow
def test_torch_loop_alignment(loop):
    root, runs, _ = loop
    assert check_alignment(root / "ok", runs["ok"], float32=True) == 30
    assert check_alignment(root / "ok" / "lr.csv", runs["ok"]) == 60


@pytest.mark.slow
def test_torch_loop_verdicts(loop):
    root, _, plan = loop
    for log in (root / "ok", root / "ok" / "lr.csv"):
        report = verdicts(plan, log)
        assert report.ok, [v.text() for v in report.verdicts]
    expect = {"twice": ("compressed", "k", 2), "epoch": ("stretched", "k", 5), "restart": ("restarted", "n", 12),
              "after": ("shifted", "n", 1)}
    for name, (kind, attr, value) in expect.items():
        for log in (root / name, root / name / "lr.csv"):
            for v in verdicts(plan, log).verdicts:
                assert v.cause is not None and v.cause.kind == kind and getattr(v.cause, attr) == value, (log, v.text())
    # a run stopped (or still running) after 30 of 40 planned updates: it followed the plan so far
    longer_plan = spec(root, "plan40.yaml", TORCH_PLAN.replace("steps: 30", "steps: 40"))
    (v,) = verdicts(longer_plan, root / "ok").verdicts
    assert v.ok and v.text() == "lr: follows the plan (30 of 30 logged steps); the log ends at step 29, the plan at step 39"
    for v in verdicts(plan, root / "frozen" / "lr.csv").verdicts:
        assert v.cause.kind == "frozen", v.text()
    for v in verdicts(plan, root / "lr" / "lr.csv").verdicts:
        assert v.cause.kind == "scaled" and v.cause.factor == pytest.approx(3.0), v.text()


# --- the command line ----------------------------------------------------------------------------

@pytest.mark.slow
def test_cli_verify_text_json_exit_codes(loop, cli):
    root, _, plan = loop
    r = cli("verify", plan, "--log", root / "ok")
    assert r.exit_code == 0 and r.stdout == "lr: follows the plan (30 of 30 logged steps)\n"
    r = cli("verify", plan, "--log", root / "twice" / "lr.csv")
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    assert len(lines) == 2 and all("compressed in time by k=2" in line for line in lines)
    # update 1 used plan[2] (0.056454) instead of plan[1] (0.0388)
    assert lines[0].startswith("lr (group 0): diverges at step 1: logged 0.056454, plan 0.0388 (1 of 30 logged")
    r = cli("verify", plan, "--log", root / "restart", "--json")
    data = json.loads(r.stdout)
    assert r.exit_code == 1 and data["follows"] is False
    (v,) = data["verdicts"]
    assert v["cause"]["kind"] == "restarted" and v["cause"]["n"] == 12 and v["first_divergence"]["step"] == 12
    assert v["diverging_steps"] == [[12, 29]] or v["diverging_steps"][0][0] == 12
    # --rtol loosens: the float32 TensorBoard values against a 1e-7 tolerance still follow
    r = cli("verify", plan, "--log", root / "ok", "--rtol", "1e-7", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["follows"] is True


@pytest.mark.slow
def test_cli_errors_are_one_line_and_json_stays_valid(loop, cli, tmp_path):
    root, _, plan = loop
    losses = tmp_path / "losses.csv"
    losses.write_text("step,loss,grad_norm\n0,1.5,2.0\n1,1.2,1.9\n")
    r = cli("verify", plan, "--log", losses)
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "no learning-rate series in this csv log; found: loss, grad_norm" in r.stderr
    r = cli("verify", plan, "--log", losses, "--json")
    assert r.exit_code == 1 and json.loads(r.stdout)["error"].startswith(str(losses))
    r = cli("verify", plan, "--log", losses, "--log-key", "loss")
    assert r.exit_code == 1 and "diverges at step 0: logged 1.5, plan 0.02" in r.stdout  # forced key: compared
    r = cli("verify", plan, "--log", root / "ok", "--log-key", "learning_rat")
    assert r.exit_code == 1 and "no tag or column 'learning_rat'" in r.stderr
    r = cli("verify", plan, "--log", root / "ok", "--log-format", "tensorbord")
    assert r.exit_code == 2 and "did you mean 'tensorboard'" in r.stderr.lower() or "tensorboard" in r.stderr
    r = cli("verify", plan, "--log", tmp_path / "missing")
    assert r.exit_code == 1 and "no such file" in r.stderr


@pytest.mark.slow
def test_figures_draw_points_and_shade_divergence(loop, cli, tmp_path):
    from lrplot.figure import render
    from lrplot.verify import verify_files

    root, _, plan = loop
    report = verify_files(plan, root / "restart")
    fig = render(report.curves, layout="overlay")
    ax = fig.axes[0]
    points = [l for l in ax.lines if (l.get_gid() or "").startswith("points:")]
    assert len(points) == 1 and points[0].get_linestyle() == "None" and len(points[0].get_xdata()) == 30
    shaded = [p for p in ax.patches if (p.get_gid() or "").startswith("diverges:")]
    assert [p.get_gid() for p in shaded] == ["diverges:lr:12:29"]
    x0, x1 = shaded[0].get_x(), shaded[0].get_x() + shaded[0].get_width()
    assert (x0, x1) == (11.5, 29.5)
    ok = render(verify_files(plan, root / "ok").curves, layout="overlay")
    assert not [p for p in ok.axes[0].patches if (p.get_gid() or "").startswith("diverges:")]
    r = cli(plan, "--log", root / "restart", "-o", tmp_path / "overlay.svg", "-q")
    assert r.exit_code == 0
    svg = (tmp_path / "overlay.svg").read_text()
    assert 'id="points:lr:0:lr"' in svg and 'id="diverges:lr:12:29"' in svg
    r = cli("verify", plan, "--log", root / "restart", "-o", tmp_path / "v.png")
    assert r.exit_code == 1 and (tmp_path / "v.png").stat().st_size > 1000


def test_wandb_and_plain_csv_readers(tmp_path):
    """W&B is not installed here: a history export as its CSV looks (``_step``, ``_runtime``, metric
    columns with gaps); Lightning's WandbLogger adds trainer/global_step, HF's train/global_step."""
    wb = tmp_path / "wandb.csv"
    wb.write_text("_step,_runtime,_timestamp,trainer/global_step,lr-AdamW,train_loss\n"
                  "0,1.0,1700000000,0,0.001,\n1,1.1,1700000001,0,,2.5\n2,1.2,1700000002,10,0.0009,\n")
    (t,) = load_log(wb).schedules
    assert log_fmt(t) == "wandb-csv" and t.at[(0, "lr")].tolist() == [0, 10] and t.values[(0, "lr")].tolist() == [0.001, 0.0009]
    hfwb = tmp_path / "hf_wandb.csv"
    hfwb.write_text("_step,train/global_step,train/learning_rate\n0,5,0.5\n1,10,0.25\n")
    (t,) = load_log(hfwb).schedules
    assert t.at[(0, "lr")].tolist() == [4, 9]  # HF's global step counts the update that used the lr
    plain = tmp_path / "plain.csv"
    plain.write_text("step,lr\n0,0.1\n5,0.05\n")
    (t,) = load_log(plain).schedules
    assert log_fmt(t) == "csv" and t.at[(0, "lr")].tolist() == [0, 5]
    bad = tmp_path / "bad.csv"
    bad.write_text("step,lr\n0,0.1\nx,0.2\n")
    from lrplot.errors import LrplotError

    with pytest.raises(LrplotError, match=r"bad.csv:3: step 'x' is not a number"):
        load_log(bad)


def log_fmt(trace):
    return trace.meta["log"].format


@pytest.mark.parametrize("key, meaning", [
    ("lr-AdamW", ("lr-AdamW", None, "lr")),
    ("lr-AdamW/pg2", ("lr-AdamW", "pg2", "lr")),
    ("lr-AdamW-momentum", ("lr-AdamW", None, "momentum")),
    ("lr-AdamW/head-momentum", ("lr-AdamW", "head", "momentum")),
    ("lr-SGD-1", ("lr-SGD-1", None, "lr")),
    ("train/learning_rate", ("train/learning_rate", None, "lr")),
    ("learning_rate", ("learning_rate", None, "lr")),
    ("lr", ("lr", None, "lr")),
    ("optim/lr", ("optim/lr", None, "lr")),
    ("lr/group1", ("lr", "1", "lr")),
    ("lr/AdamW", ("lr/AdamW", None, "lr")),        # torchtitan: the optimizer's class
    ("lr/AdamW/1", ("lr/AdamW", "1", "lr")),
    ("lr/head", ("lr", "head", "lr")),             # a loop's lr/{group['name']}
    ("train/loss", None),
    ("lr_scheduler_type", None),
    ("epoch", None),
])
def test_which_keys_hold_a_learning_rate(key, meaning):
    from lrplot.logs import classify

    got = classify(key)
    assert (None if got is None else (got.base, got.group, got.field)) == meaning


def test_named_groups_keep_the_logs_order(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("lr-SGD/head,lr-SGD/backbone,step\n0.1,0.01,0\n0.2,0.02,1\n")
    (t,) = load_log(path).schedules
    assert log_fmt(t) == "lightning-csv" and t.groups == ("head", "backbone")
    assert t.values[(1, "lr")].tolist() == [0.01, 0.02] and t.meta["log"].keys[(1, "lr")] == "lr-SGD/backbone"


@pytest.mark.slow
def test_tensorboard_is_imported_only_for_tensorboard_logs(tmp_path):
    """A CSV log and a plain spec never import TensorBoard (nor transformers or Lightning)."""
    import subprocess
    import sys

    (tmp_path / "plan.yaml").write_text("steps: 3\nscheduler: {type: ExponentialLR, gamma: 0.5}\n")
    (tmp_path / "lr.csv").write_text("step,lr\n0,0.1\n1,0.05\n2,0.025\n")
    code = textwrap.dedent("""
        import sys
        from lrplot.cli import app
        try:
            app(["verify", "plan.yaml", "--log", "lr.csv"])
        except SystemExit as exc:
            print("EXIT", exc.code)
        print(sorted(m for m in ('tensorboard', 'transformers', 'lightning') if m in sys.modules))
        """)
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                         env={**__import__("os").environ, "PYTHONPATH": str(root)}, check=True)
    assert out.stdout.splitlines()[-2:] == ["EXIT 0", "[]"], out.stdout + out.stderr
    assert "lr: follows the plan (3 of 3 logged steps)" in out.stdout
