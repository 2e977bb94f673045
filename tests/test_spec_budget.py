"""A plain spec's ``budget:`` (lrplot/spec/budget.py): the numbers it gives, its ${name}s, the curve it
draws (== the same schedule written with explicit numbers), its whole error lines, the command line's
budget flags on it, and the one Budget record every reader and the spec share. The numbers against
the Hugging Face Trainer's own arithmetic: tests/test_budget.py."""

from __future__ import annotations

import ast
import importlib

import numpy as np
import pytest

import lrplot.budget
from lrplot.budget import CONVENTION, Budget, BudgetInputs
from lrplot.errors import LrplotError
from lrplot.sources import load_input, spec_text
from lrplot.spec import parse_spec
from lrplot.specyaml import dump_spec
from tests.helpers.paths import ROOT

BUDGETED = """\
budget:
  epochs: 3
  dataset_size: 50000
  batch_size: 32
  accumulation: 4
  devices: 8
  warmup_ratio: 0.1
optimizer: {type: AdamW, lr: 3.0e-4}
scheduler:
  type: SequentialLR
  milestones: ["${warmup_steps}"]
  schedulers:
    - {type: LinearLR, start_factor: 0.01, total_iters: "${warmup_steps}"}
    - type: CosineAnnealingLR
      T_max: ${decay_steps}
      eta_min: 1.0e-6
"""
# 50000 / 32 = 1563 batches (the last partial one kept); over 8 devices process 0 has ceil(1563 / 8) =
# 196; / accumulation 4 = 49 updates per epoch; x 3 epochs = 147; warmup ceil(147 x 0.1) = 15.
EXPLICIT = """\
steps: 147
steps_per_epoch: 49
optimizer: {type: AdamW, lr: 3.0e-4}
scheduler:
  type: SequentialLR
  milestones: [15]
  schedulers:
    - {type: LinearLR, start_factor: 0.01, total_iters: 15}
    - {type: CosineAnnealingLR, T_max: 132, eta_min: 1.0e-6}
"""


def test_budget_gives_steps_steps_per_epoch_and_warmup():
    spec = parse_spec(BUDGETED, "b.yaml")
    assert (spec.steps, spec.steps_per_epoch) == (147, 49)
    budget = spec.step_budget
    assert isinstance(budget, Budget)
    assert (budget.updates, budget.updates_per_epoch, budget.warmup, budget.decided_by) == (147, 49, 15, "budget.epochs")
    assert budget.text == ("50000 examples / (32 x 8) = 196 batches per epoch / accumulation 4 = 49 updates x 3 epochs "
                           f"= 147 updates; warmup 10% = 15 ({CONVENTION})")
    assert str(budget.where) == "b.yaml:2:11"
    assert [(t.name, t.value, t.origin) for t in budget.told] == [
        ("dataset size", 50000, "budget.dataset_size"), ("batch size", 32, "budget.batch_size"),
        ("devices", 8, "budget.devices"), ("accumulation", 4, "budget.accumulation"), ("epochs", 3, "budget.epochs")]


def test_budgeted_curve_equals_the_schedule_written_with_explicit_numbers():
    from lrplot.engine import simulate

    budgeted = simulate(parse_spec(BUDGETED, "b.yaml")).schedules[0]
    explicit = simulate(parse_spec(EXPLICIT, "b.yaml")).schedules[0]
    assert (budgeted.steps, budgeted.steps_per_epoch) == (explicit.steps, explicit.steps_per_epoch) == (147, 49)
    assert np.array_equal(budgeted.values[(0, "lr")], explicit.values[(0, "lr")])
    assert budgeted.values[(0, "lr")][15] == 3.0e-4  # the peak is where the warmup ends


def test_print_spec_shows_the_numbers_names_the_convention_and_reads_back_as_the_same_spec(write_spec):
    path = write_spec(BUDGETED, "b.yaml")
    text = spec_text([load_input(path)], ["b.yaml"])
    head = text.splitlines()[:3]
    assert head == ["# lrplot spec of b.yaml (read as lrplot)",
                    "# budget: 50000 examples / (32 x 8) = 196 batches per epoch / accumulation 4 = 49 updates x 3 "
                    f"epochs = 147 updates; warmup 10% = 15 ({CONVENTION})",
                    "# note: the last partial batch is a batch (drop_last: false, the Trainer's default); set "
                    "budget.drop_last"]
    assert "${" not in text and "T_max: 132" in text
    again = parse_spec(text, "again.yaml")
    assert dump_spec(again) == dump_spec(parse_spec(BUDGETED, "b.yaml"))
    assert again.step_budget.updates == 147


def test_the_summary_shows_the_budget(cli, tmp_path):
    (tmp_path / "b.yaml").write_text(BUDGETED)
    result = cli("plot", "b.yaml", "-o", "b.svg")
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines[0] == ("b.yaml: 50000 examples / (32 x 8) = 196 batches per epoch / accumulation 4 = 49 updates x "
                        f"3 epochs = 147 updates; warmup 10% = 15 ({CONVENTION})")
    assert lines[1] == "b.yaml: the last partial batch is a batch (drop_last: false, the Trainer's default); set " \
                       "budget.drop_last"


@pytest.mark.parametrize("budget, expected", [
    # no drop_last note when the batches divide evenly, nor when drop_last is said
    ("{epochs: 2, dataset_size: 64, batch_size: 8}", (16, 8, None, [])),
    ("{epochs: 2, dataset_size: 65, batch_size: 8, drop_last: true}", (16, 8, None, [])),
    ("{epochs: 2, dataset_size: 65, batch_size: 8, drop_last: false}", (18, 9, None, [])),
    # a fractional epoch rounds the total up; accumulation not dividing: the partial window is an update
    ("{epochs: 1.5, dataset_size: 100, batch_size: 10, accumulation: 3, drop_last: false}", (6, 4, None, [])),
    # steps decide the total (HF's max_steps), the budget the epochs' length and the warmup
    ("{dataset_size: 100, batch_size: 10, warmup_steps: 3}", (40, 10, 3, [])),
    ("{warmup_ratio: 0.25}", (40, None, 10, [])),
])
def test_budget_forms(budget, expected):
    steps = "" if "epochs" in budget else "steps: 40\n"
    spec = parse_spec(f"{steps}budget: {budget}\nscheduler: {{type: ConstantLR}}\n", "s.yaml")
    assert (spec.steps, spec.steps_per_epoch, spec.step_budget.warmup, list(spec.budget_notes)) == expected


def test_names_resolve_in_every_scheduler_of_a_comparison_with_its_own_steps():
    spec = parse_spec("""\
steps: 100
steps_per_epoch: 10
schedules:
  - name: a
    scheduler: {type: CosineAnnealingLR, T_max: "${total_steps}"}
  - name: b
    steps: 50
    scheduler: [{type: StepLR, step_size: "${steps_per_epoch}"}, {type: CosineAnnealingLR, T_max: "${total_steps}"}]
""", "s.yaml")
    a, b = spec.schedules
    assert a.scheduler.options == {"T_max": 100}
    assert [n.options for n in b.scheduler] == [{"step_size": 10}, {"T_max": 50}]
    assert spec.step_budget is None  # names of the spec's own numbers need no budget


@pytest.mark.parametrize("body, expected", [
    ("budget: {epochs: 2, dataset_size: 100, batch_size: 8}\nsteps: 30\nscheduler: {type: ConstantLR}\n",
     "s.yaml:2:8: steps: 30 disagrees with the budget (100 examples / (8 x 1) = 13 batches per epoch / accumulation 1 = "
     "13 updates x 2 epochs = 26 updates); remove steps, or budget.epochs"),
    ("budget: {dataset_size: 100, batch_size: 8}\nsteps: 30\nsteps_per_epoch: 12\nscheduler: {type: ConstantLR}\n",
     "s.yaml:3:18: steps_per_epoch: 12 disagrees with the budget (100 examples / (8 x 1) = 13 batches per epoch / "
     "accumulation 1 = 13 updates per epoch); remove steps_per_epoch"),
    ("steps: 30\nscheduler:\n  type: CosineAnnealingLR\n  T_max: ${total_step}\n",
     "s.yaml:4:10: unknown budget name 'total_step'; did you mean 'total_steps'? known: total_steps, steps_per_epoch, "
     "warmup_steps, decay_steps, epochs"),
    ("steps: 30\nscheduler:\n  type: CosineAnnealingLR\n  T_max: ${x}\n",
     "s.yaml:4:10: unknown budget name 'x'; known: total_steps, steps_per_epoch, warmup_steps, decay_steps, epochs"),
    ("steps: 30\nscheduler:\n  type: CosineAnnealingLR\n  T_max: ${total_steps} - 5\n",
     "s.yaml:4:10: '${total_steps} - 5': a budget name is a whole value, on which lrplot does no arithmetic; write "
     "e.g. T_max: ${decay_steps}"),
    ("scheduler:\n  type: CosineAnnealingLR\n  T_max: ${total_steps}\n",
     "s.yaml:3:10: ${total_steps} has no value here: the spec gives no steps; add steps: N, or a budget: with epochs, "
     "dataset_size and batch_size"),
    ("steps: 30\nscheduler: {type: CosineAnnealingLR, T_max: \"${warmup_steps}\"}\n",
     "s.yaml:2:45: ${warmup_steps} has no value here: the spec has no budget: section; add budget.warmup_steps or "
     "budget.warmup_ratio"),
    ("budget: {epochs: 2.5, dataset_size: 100, batch_size: 8}\nscheduler: {type: StepLR, step_size: \"${epochs}\"}\n",
     "s.yaml:2:38: ${epochs} has no value here: the spec's budget gives no whole number of epochs; write "
     "budget.epochs as a whole number"),
    ("budget: {epochs: 2, batch_size: 8}\nscheduler: {type: ConstantLR}\n",
     "s.yaml:1:33: budget.batch_size counts updates only with budget.dataset_size; add budget.dataset_size "
     "(or --dataset-size N)"),
    ("budget: {epochs: 2}\nscheduler: {type: ConstantLR}\n",
     "s.yaml:1:18: budget.epochs counts nothing without budget.dataset_size and budget.batch_size; add them "
     "(or --dataset-size N and --batch-size B)"),
    ("budget: {dataset_size: 100, batch_size: 8}\nscheduler: {type: ConstantLR}\n",
     "s.yaml:1:24: the budget gives no run length; add budget.epochs, or steps: N (optimizer updates)"),
    ("budget: {epochs: 1, dataset_size: 7, batch_size: 8, drop_last: true}\nscheduler: {type: ConstantLR}\n",
     "s.yaml:1:50: 7 examples make no full batch of 8 x 1 with drop_last: there is nothing to train on"),
    ("steps: 10\nbudget: {warmup_steps: 2, warmup_ratio: 0.1}\nscheduler: {type: ConstantLR}\n",
     "s.yaml:2:41: give budget.warmup_steps or budget.warmup_ratio, not both"),
    ("steps: 10\nbudget: {warmup_steps: 20}\nscheduler: {type: ConstantLR}\n",
     "s.yaml:2:24: budget.warmup_steps gives 20 warmup updates, more than the run's 10"),
    ("steps: 10\nbudget: {warmup_ratio: 1.5}\nscheduler: {type: ConstantLR}\n",
     "s.yaml:2:24: budget.warmup_ratio: 1.5 is not below 1; write a number below 1"),
    ("budget: {epochs: 2, dataset_size: 100, batch_sise: 8}\nscheduler: {type: ConstantLR}\n",
     "s.yaml:1:40: unknown key 'batch_sise'; did you mean 'batch_size'?"),
    ("budget: {epochs: 2, dataset_size: '100', batch_size: 8}\nscheduler: {type: ConstantLR}\n",
     "s.yaml:1:35: budget.dataset_size: expected an integer, got the text '100'; drop the quotes: write 100"),
])
def test_bad_budgets_get_one_located_line(body, expected):
    with pytest.raises(LrplotError) as info:
        parse_spec(body, "s.yaml")
    assert info.value.format() == expected


def _load(write_spec, body: str, **inputs) -> object:
    return load_input(write_spec(body, "s.yaml"), inputs=BudgetInputs(**inputs))


def test_command_line_budget_flags_fill_what_the_budget_does_not_hold(write_spec):
    source = _load(write_spec, "budget: {epochs: 2, batch_size: 8}\nscheduler: {type: ConstantLR}\n",
                   dataset_size=100, devices=2)
    assert (source.spec.steps, source.spec.steps_per_epoch) == (14, 7)  # ceil(13 batches / 2 devices) = 7
    assert source.budget.text.startswith("100 examples / (8 x 2) = 7 batches per epoch")
    assert [(t.name, t.origin) for t in source.budget.told][:2] == [("dataset size", "--dataset-size"),
                                                                   ("batch size", "budget.batch_size")]
    assert "dataset_size: 100" in spec_text([source], ["s.yaml"])  # the printed spec holds them: it reads back alone


def test_a_flag_that_disagrees_with_the_budget_is_one_line(write_spec):
    with pytest.raises(LrplotError) as info:
        _load(write_spec, "budget: {epochs: 2, dataset_size: 100, batch_size: 8}\nscheduler: {type: ConstantLR}\n",
              batch_size=4)
    path = write_spec("", "s.yaml")
    assert info.value.format() == (f"--batch-size 4: the spec's budget holds batch_size: 8 ({path}:1:52); change it "
                                   "with --set budget.batch_size=4")


def test_flags_leave_a_spec_without_budget_as_it_was(write_spec):
    """Several inputs share the flags (a training config beside a plain spec): a spec with no
    budget: section is read as before."""
    source = _load(write_spec, "steps: 20\nscheduler: {type: ConstantLR}\n", dataset_size=100, batch_size=4)
    assert (source.spec.steps, source.spec.steps_per_epoch, source.budget, source.notes) == (20, None, None, ())


def test_set_reaches_the_budget(write_spec):
    source = load_input(write_spec(BUDGETED, "b.yaml"), overrides=["budget.epochs=1"])
    assert (source.spec.steps, source.budget.warmup) == (49, 5)


def test_there_is_one_budget_record():
    """One class holds the update-count arithmetic's result (lrplot/budget.py); every reader and the
    spec use it, and the Trainer's counting is written once (other frameworks count their own way:
    lightning_loop.py)."""
    defined, named = [], []
    for path in sorted((ROOT / "lrplot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and node.name == "Budget":
                named.append(f"{path.relative_to(ROOT)}:{node.name}")
            if isinstance(node, ast.ClassDef) and any(
                    isinstance(s, ast.AnnAssign) and getattr(s.target, "id", None) in ("updates", "updates_per_epoch")
                    for s in node.body):
                defined.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert defined == named == ["lrplot/budget.py:Budget"]  # and no other class of that name
    # the Trainer's counting is written once: the HF/TRL readers and a spec's budget: call it
    for module in ("lrplot.sources.hf_budget", "lrplot.spec.budget"):
        assert importlib.import_module(module).per_epoch_text is lrplot.budget.per_epoch_text
    users = [p for p in sorted((ROOT / "lrplot" / "sources").glob("*.py")) if "Budget" in p.read_text()]
    assert len(users) >= 10
    for path in users:
        module = importlib.import_module(f"lrplot.sources.{path.stem}")
        assert getattr(module, "Budget", Budget) is lrplot.budget.Budget, path.name


def test_a_dict_given_to_the_library_counts_its_budget_with_the_budget_flags():
    from lrplot.pipeline import Reading, load_source

    source = load_source({"budget": {"epochs": 1, "batch_size": 10}, "scheduler": {"type": "ConstantLR"}},
                         Reading(budget=BudgetInputs(dataset_size=95)))
    assert (source.spec.steps, source.budget.updates, source.budget.told[0].origin) == (10, 10, "--dataset-size")
    assert source.notes == ("the last partial batch is a batch (drop_last: false, the Trainer's default); set "
                            "budget.drop_last",
                            "world size 1 assumed (no --devices): accelerate shards each epoch's batches over the "
                            "processes (BatchSamplerShard); add --devices N for N processes")
    told = load_source({"budget": {"epochs": 1, "batch_size": 10, "devices": 2}, "scheduler": {"type": "ConstantLR"}},
                       Reading(budget=BudgetInputs(dataset_size=95)))
    assert (told.budget.updates, len(told.notes)) == (5, 1)  # 10 batches over 2 processes; the world size is told


def test_the_command_line_refuses_a_flag_the_budget_contradicts_in_one_line(cli, tmp_path):
    (tmp_path / "b.yaml").write_text(BUDGETED)
    result = cli("plot", "b.yaml", "--devices", "4", "-o", "b.svg")
    assert result.exit_code == 2
    assert result.stderr == ("lrplot: --devices 4: the spec's budget holds devices: 8 (b.yaml:6:12); change it with "
                             "--set budget.devices=4\n")
    assert not (tmp_path / "b.svg").exists()


@pytest.mark.parametrize("body, expected", [
    # steps may itself name the budget's total
    ("budget: {epochs: 2, dataset_size: 100, batch_size: 8}\nsteps: ${total_steps}\n"
     "scheduler: {type: CosineAnnealingLR, T_max: \"${total_steps}\"}\n", (26, 13, {"T_max": 26})),
    # a budget without dataset_size leaves the spec's own steps_per_epoch to its name
    ("budget: {warmup_steps: 4}\nsteps: 40\nsteps_per_epoch: 10\n"
     "scheduler: {type: StepLR, step_size: \"${steps_per_epoch}\", gamma: 0.5}\n", (40, 10, {"step_size": 10, "gamma": 0.5})),
])
def test_names_take_the_numbers_the_spec_ends_with(body, expected):
    spec = parse_spec(body, "s.yaml")
    assert (spec.steps, spec.steps_per_epoch, spec.scheduler.options) == expected


def test_a_warmup_ratio_alone_names_its_rounding():
    from lrplot.budget import WARMUP_CONVENTION

    spec = parse_spec("steps: 41\nbudget: {warmup_ratio: 0.1}\nscheduler: {type: ConstantLR}\n", "s.yaml")
    assert spec.step_budget.text == f"steps = 41 updates; warmup 10% = 5 ({WARMUP_CONVENTION})"


def test_epochs_by_name_for_a_scheduler_stepped_per_epoch():
    spec = parse_spec("budget: {epochs: 3, dataset_size: 10, batch_size: 2}\ninterval: epoch\n"
                      "scheduler: {type: CosineAnnealingLR, T_max: \"${epochs}\"}\n", "s.yaml")
    assert (spec.steps, spec.steps_per_epoch, spec.scheduler.options) == (15, 5, {"T_max": 3})
