"""DeepSpeed's own monitor log: a real deepspeed 0.19.8 engine on CPU logging ``Train/Samples/lr`` to TensorBoard,
recorded by tests/data/logs/deepspeed/regenerate.py (runs and versions named there). The monitor logs
``get_lr()[0]`` inside ``engine.step()``, after the engine stepped its scheduler, at the samples seen
(lrplot/logs/conventions.py), so logged step 16*s holds the lr update s used, unless the script steps a
scheduler after ``engine.step()`` (twice: a second step per update; epoch: its own scheduler once per 5-update
epoch), which the log no longer sees. Truth: the lr each update used, recorded by an optimizer step pre-hook
(``used.json``), float32 as TensorBoard stores it; verdicts as whole lines.

The plan is DeepSpeed's WarmupCosineLR, whose first two updates use lr 0 (its first value is set at
construction and again at the first step): a scheduler stepped per epoch changes the lr first at the second
epoch, which "stretched" has to find from the plan's first change, not its first step; and a script's extra
``lr_scheduler.step()`` after ``engine.step()`` leaves the log with the plan's step 2s-1, between two updates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lrplot.logs import load_log
from lrplot.verify import verify_files

pytest.importorskip("tensorboard")
DATA = Path(__file__).parent / "data" / "logs" / "deepspeed"
KEY = "Train/Samples/lr"
# the plan states train_batch_size 16: the log's steps are read with it (DeepSpeed's monitor logs at
# global_samples, which grows by train_batch_size() per update: runtime/engine.py:3565)
SPACING = "; the log's steps count samples: 16 samples per update (the plan's train_batch_size)"
VERDICTS = {
    "ok": f"{KEY}: follows the plan (20 of 20 logged steps){SPACING}",
    "accum": f"{KEY}: follows the plan (20 of 20 logged steps){SPACING}",
    # a named cause says no reading that is a fact (the plan's batch); a guessed spacing it keeps (below)
    "twice": f"{KEY}: diverges at step 32: logged 0.0399999991, plan 0.02 (2 of 20 logged steps agree); compressed in "
             "time by k=2: the scheduler stepped 2 times per update (once per process on 2 processes, once per "
             f"micro-batch with 2 accumulation steps, or an extra scheduler.step())",
    "epoch": f"{KEY}: diverges at step 32: logged 0, plan 0.02 (1 of 20 logged steps agree); stretched in time by k=5: "
             "the scheduler stepped once every 5 updates (once per epoch of 5 updates instead of after every "
             f"update)",
    "resume": f"{KEY}: diverges at step 208: logged 0, plan 0.0447790995 (12 of 20 logged steps agree); restarted at "
              "update n=12 (the log's step 192): from there the lr starts the plan over (a resume that rebuilt the "
              f"scheduler without loading its state)",
}
# what plot --log says (on stderr, and under the figure, the page and terminal text) of the spacing it assumed where
# the plan does not fix the global batch, naming the points as the legend does
ASSUMED = ("assumed: 'logged' counts its steps in samples, 16 samples per update, the log's step spacing (it logs "
           "every update) (set --global-batch to change it)")


@pytest.mark.parametrize("fault", ["ok", "accum", "epoch", "resume", "twice"])
def test_each_logged_value_is_an_updates_lr(fault):
    used = np.float32(json.loads((DATA / fault / "used.json").read_text())).astype(np.float64).tolist()
    assert len(used) == 20
    (trace,) = load_log(DATA / fault / "tb").schedules
    at, values = trace.at[(0, "lr")].tolist(), trace.values[(0, "lr")].tolist()
    assert at == list(range(16, 321, 16))
    if fault == "epoch":  # the script's epoch step comes after the log: at 16*s, the lr update s-1 used
        assert values == used
    elif fault == "twice":  # the second step comes after the log: the lr between two updates, none used it
        assert values[0] == used[0] == 0.0 and not set(values[1:10]) & set(used)  # (the 11th on: min_lr, held)
    else:  # at 16*s, the lr update s used (a resumed engine restores the lr of update 12 with the optimizer)
        assert values[:-1] == used[1:]


@pytest.mark.slow  # the plan imports deepspeed
@pytest.mark.parametrize("fault", list(VERDICTS))
def test_a_healthy_run_follows_and_a_broken_one_is_named(fault):
    (v,) = verify_files(DATA / "plan.json", DATA / fault / "tb").verdicts
    assert v.text() == VERDICTS[fault]


def guess_plan(folder: Path) -> Path:
    """plan.json without train_batch_size: micro-batch 16 x accumulation 1 x a world size it does not say."""
    config = json.loads((DATA / "plan.json").read_text())
    del config["train_batch_size"]
    (folder / "guess.json").write_text(json.dumps(config))
    return folder / "guess.json"


@pytest.mark.slow  # the plan imports deepspeed
@pytest.mark.parametrize("fault", ["ok", "twice"])
def test_plot_log_names_the_step_spacing_it_assumed(fault, cli, tmp_path):
    """``lrplot PLAN --log LOG`` drew the points at the spacing it guessed and said nothing, figure or output; with
    --global-batch (the spacing given), or a plan that fixes the batch (train_batch_size, or its micro-batch and
    accumulation with --devices), nothing is assumed and the points stand at the same updates."""
    import lrplot
    from lrplot.figure import RenderOptions
    from lrplot.logs import load_log
    from lrplot.pipeline import overlay_log
    from lrplot.views import render_view

    guess = guess_plan(tmp_path)
    r = cli(guess, "--log", DATA / fault / "tb", "-o", "fig.png", "-q")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "fig.png\n", f"lrplot: {ASSUMED}\n")
    for plan, flags in ((guess, ("--global-batch", "16")), (guess, ("--devices", "1")), (DATA / "plan.json", ())):
        r = cli(plan, "--log", DATA / fault / "tb", *flags, "-o", "given.png", "-q")
        assert (r.exit_code, r.stdout, r.stderr) == (0, "given.png\n", "")
    spec = lrplot.load_spec(guess)
    plan = lrplot.simulate(spec)
    guessed = overlay_log(plan, [spec], load_log(DATA / fault / "tb"))
    given = overlay_log(plan, [spec], load_log(DATA / fault / "tb"), global_batch=16)
    assert guessed.schedules[1].at[(0, "lr")].tolist() == given.schedules[1].at[(0, "lr")].tolist() == list(range(1, 21))
    (note,) = [t for t in lrplot.render(guessed).texts if t.get_gid() == "footnote"]
    assert ASSUMED in " ".join(note.get_text().split("\n"))  # wrapped to the figure's width
    (note,) = [t for t in lrplot.render(given).texts if t.get_gid() == "footnote"]
    assert "assumed" not in note.get_text()
    page = render_view(guessed, "html", RenderOptions(), "light").decode()
    assert f'margin-top: 4px;">{ASSUMED}</div>' in page
    text = " ".join(line.strip() for line in render_view(guessed, "term", RenderOptions(), "light").decode().splitlines())
    assert ASSUMED in text and "assumed" not in render_view(given, "term", RenderOptions(), "light").decode()


@pytest.mark.slow  # the plan imports deepspeed
def test_the_plans_own_batch_reads_a_samples_log(cli, tmp_path):
    """The global batch is the plan's where its config fixes it: train_batch_size, else micro-batch x accumulation
    x --devices (DeepSpeed's runtime/config.py:632-645); a log whose steps do not fit it is one line, exit 2; a
    plan without a world size guesses from the spacing (said above)."""
    from lrplot.sources import BudgetInputs

    guess = guess_plan(tmp_path)
    (v,) = verify_files(guess, DATA / "twice" / "tb", inputs=BudgetInputs(devices=1)).verdicts
    assert v.text() == VERDICTS["twice"]  # a fact: not said beside the cause
    (v,) = verify_files(guess, DATA / "ok" / "tb", inputs=BudgetInputs(devices=1)).verdicts
    assert v.text() == VERDICTS["ok"].replace(
        "(the plan's train_batch_size)", "(the plan's train_micro_batch_size_per_gpu x gradient_accumulation_steps x "
                                         "--devices)")
    (v,) = verify_files(guess, DATA / "twice" / "tb").verdicts  # guessed: said beside the cause, which rests on it
    assert v.text().endswith("; the log's steps count samples: 16 samples per update: the log's step spacing (it logs "
                             "every update); --global-batch says otherwise")
    report = verify_files(DATA / "plan.json", DATA / "ok" / "tb")
    assert report.curves.schedules[1].at[(0, "lr")].tolist() == list(range(1, 21))
    r = cli("verify", guess, "--log", DATA / "ok" / "tb", "--devices", "2")
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr == ("lrplot: Train/Samples/lr: the log's step 16 is not a count of samples seen at 32 per "
                        "update, the plan's train_micro_batch_size_per_gpu x gradient_accumulation_steps x --devices: "
                        "the run took another number of samples per update; set --global-batch to the run's (micro-batch x "
                        "accumulation steps x data-parallel processes)\n")


@pytest.mark.slow  # the plan imports deepspeed and transformers
def test_an_hf_config_running_deepspeeds_scheduler_reads_the_monitors_log_with_the_trainers_batch(tmp_path):
    """Under HF's Trainer the engine's monitor logs the same way; its samples per update are the DeepSpeed config's
    number, or what the Trainer fills "auto" with (world size x per-device batch x accumulation, transformers'
    integrations/deepspeed.py trainer_config_process) where --devices gives the world size; else the spacing, said."""
    from lrplot.sources import BudgetInputs

    config = json.loads((DATA / "plan.json").read_text())
    (tmp_path / "ds.json").write_text(json.dumps(config))
    auto = {**config, "train_batch_size": "auto", "train_micro_batch_size_per_gpu": "auto",
            "gradient_accumulation_steps": "auto"}
    (tmp_path / "ds_auto.json").write_text(json.dumps(auto))
    for name in ("ds.json", "ds_auto.json"):
        (tmp_path / f"hf_{name}.yaml").write_text(f"per_device_train_batch_size: 8\ngradient_accumulation_steps: 2\n"
                                                  f"max_steps: 20\nlearning_rate: 0.1\nwarmup_steps: 5\n"
                                                  f"deepspeed: {name}\n")
    follows = "Train/Samples/lr: follows the plan (20 of 20 logged steps); the log's steps count samples: 16 samples per update"
    for name, inputs, how in (
            ("ds.json", None, " (the plan's train_batch_size)"),
            ("ds_auto.json", BudgetInputs(devices=1),
             " (the plan's per_device_train_batch_size x gradient_accumulation_steps x --devices)"),
            ("ds_auto.json", None, ": the log's step spacing (it logs every update); --global-batch says otherwise")):
        (v,) = verify_files(tmp_path / f"hf_{name}.yaml", DATA / "accum" / "tb", inputs=inputs).verdicts
        assert v.text() == follows + how
