"""The linter: every rule fires on a config made to trigger it and is silent on clean configs."""

from __future__ import annotations

import json
import re

import pytest

from lrplot.check import RULES, check_schedule
from lrplot.spec import load_spec, parse_spec

from tests.helpers.paths import CONFIGS

# Every example config is meant to be clean except plateau.yaml (the classic own-lr recipe).
# Configs that show a real problem on purpose are not clean: plateau (fed its own lr),
# accelerated_cosine (pytorch-accelerated's cosine drops to lr_min early when warmup is set). transformers_cosine's
# warmups start at lr 0 by transformers' design (update 0 does nothing): not said (tests/test_check_framework_warmups.py).
NOT_CLEAN = {"plateau", "accelerated_cosine",
             "timm_cosine"}  # timm per epoch: a 2-epoch warmup jumps 50% of the peak at once (real)
CLEAN = sorted(p for p in CONFIGS.glob("*.yaml") if p.stem not in NOT_CLEAN)
PLAIN = [p for p in CLEAN if not re.search(r'type: "[^"]*:', p.read_text())]  # no import-path types

TRIGGERS = {
    "jump": ("steps: 100\nscheduler:\n  type: SequentialLR\n  milestones: [10]\n  schedulers:\n"
             "    - {type: LinearLR, start_factor: 0.01, total_iters: 50}\n"
             "    - {type: CosineAnnealingLR, T_max: 90}\n", "error", 10),
    "overshoot": ("steps: 40\nscheduler: {type: LambdaLR, lr_lambda: \"(epoch + 1) / 10\"}\n", "error", 39),
    "rebound": ("steps: 100\nscheduler: {type: CosineAnnealingLR, T_max: 60}\n", "error", 61),
    "no-anneal": ("steps: 1000\nsteps_per_epoch: 100\ninterval: epoch\n"
                  "scheduler: {type: OneCycleLR, max_lr: 0.1, total_steps: 1000}\n", "warning", 999),
    "short-schedule": ("steps: 1200\nscheduler: {type: OneCycleLR, max_lr: 0.1, total_steps: 1000}\n",
                       "error", None),
    "long-warmup": ("steps: 50\nscheduler: {type: LinearLR, start_factor: 0.01, total_iters: 60}\n", "warning", 49),
    "nonpositive-lr": ("steps: 20\nscheduler: {type: LambdaLR, lr_lambda: \"1 - epoch / 10\"}\n", "error", 11),
    "nan-inf": ("steps: 20\nscheduler: {type: LambdaLR, lr_lambda: \"inf if epoch > 5 else 1\"}\n", "error", 6),
    "constant-lambda": ("steps: 20\nscheduler: {type: LambdaLR, lr_lambda: \"0.5\"}\n", "warning", 0),
    "idle": ("steps: 30\nscheduler: {type: StepLR, step_size: 50}\n", "warning", 0),
    "plateau-self-metric": ("steps: 20\nmetric: lr\nscheduler: {type: ReduceLROnPlateau}\n", "warning", None),
    "last-epoch": ("steps: 10\noptimizer: {lr: 0.1, initial_lr: 0.1}\n"
                   "scheduler: {type: ExponentialLR, gamma: 0.9, last_epoch: 9}\n", "error", 10),
}


def findings_of(text: str, **kw):
    spec = parse_spec(text, "bad.yaml")
    return [f for s in spec.schedule_list() for f in check_schedule(s, **kw)]


def test_every_rule_has_a_trigger():
    assert set(TRIGGERS) == set(RULES)


@pytest.mark.parametrize("rule_id", sorted(TRIGGERS))
def test_rule_fires_on_its_trigger(rule_id):
    text, level, step = TRIGGERS[rule_id]
    hits = [f for f in findings_of(text) if f.rule == rule_id]
    assert hits, rule_id
    assert hits[0].level == level and hits[0].step == step
    assert hits[0].message.startswith("'bad'") and hits[0].location.startswith("bad.yaml:")
    assert not [f for f in findings_of(text, ignore=[rule_id]) if f.rule == rule_id]


@pytest.mark.parametrize("path", CLEAN, ids=lambda p: p.stem)
def test_clean_configs_have_no_findings(path):
    from tests.helpers.configs import import_needs, importable

    spec = load_spec(path)
    allow, needs = import_needs(spec)
    missing = [n for n in needs if not importable(n)]
    if missing:
        pytest.skip(f"needs {', '.join(missing)}, which is not installed")
    assert [f.text() for s in spec.schedule_list() for f in check_schedule(s, allow_import=allow)] == []


def test_values_are_the_recorded_ones():
    hit = next(f for f in findings_of(TRIGGERS["jump"][0]) if f.rule == "jump")
    from lrplot.engine import simulate

    lr = simulate(parse_spec(TRIGGERS["jump"][0], "bad.yaml")).schedules[0].values[(0, "lr")]
    assert hit.values == (lr[9], lr[10]) and "hand-off to CosineAnnealingLR" in hit.message


def test_declared_steps_are_not_jumps():
    text = ("steps: 120\nscheduler: {type: MultiStepLR, milestones: [30, 60], gamma: 0.1}\n")
    assert findings_of(text) == []
    text = "steps: 100\nscheduler: {type: LambdaLR, lr_lambda: \"1 if epoch < 50 else 0.1\"}\n"
    [f] = findings_of(text)
    assert (f.rule, f.level, f.step) == ("jump", "warning", 50)


def test_cli_exit_codes_and_json(cli, write_spec):
    bad = write_spec(TRIGGERS["rebound"][0], "bad.yaml")
    warn = write_spec(TRIGGERS["constant-lambda"][0], "warn.yaml")
    r = cli("check", bad)
    assert r.exit_code == 1 and "[rebound]" in r.stdout
    assert r.stdout.splitlines()[-1] == "1 schedule(s) checked: 1 error(s), 3 warning(s)"
    assert cli("check", bad, "--ignore", "rebound").exit_code == 0
    assert cli("check", warn).exit_code == 0
    assert cli("check", warn, "--strict").exit_code == 1
    data = json.loads(cli("check", bad, "--json").stdout)
    assert data["errors"] == 1 and {f["rule"] for f in data["findings"]} >= {"rebound", "no-anneal"}
    assert cli("check", *PLAIN).exit_code == 0


def test_cli_unknown_rule_is_a_usage_error(cli):
    r = cli("check", CONFIGS / "step.yaml", "--ignore", "jmp")
    assert r.exit_code == 2 and r.stderr == "lrplot: --ignore jmp: unknown rule; did you mean 'jump'?\n"


def test_ignore_help_names_every_rule_in_order(cli):
    # the help listed nine rules and left out last-epoch, which --ignore accepts
    text = " ".join(cli("check", "--help").stdout.split())
    listed = re.search(r"Skip a rule \(repeatable\): (.*?)\.", text).group(1)
    assert listed.replace("- ", "-") == ", ".join(RULES)  # the help wraps a line at a rule's hyphen


def test_library_quirks_are_caught():
    pytest.importorskip("pytorch_accelerated")
    pytest.importorskip("transformers")
    spec = load_spec(CONFIGS / "accelerated_cosine.yaml")
    (schedule,) = spec.schedule_list()
    jumps = [f for f in check_schedule(schedule) if f.rule == "jump"]
    assert [(f.step, f.values[1]) for f in jumps] == [(301, 1e-05)]  # cosine cut short, then lr_min


# --- every spec is reported, an invalid one as a located finding (issue 9) ----------------------

@pytest.mark.slow  # a child process (forked: tests/helpers/forked.py)
def test_check_reports_every_spec_and_always_prints_valid_json(tmp_path):
    import json as _json

    from tests.helpers import forked

    (tmp_path / "a.yaml").write_text("steps: 100\nscheduler:\n  type: MultiStepLR\n  milestones: 30, 60\n")
    (tmp_path / "b.yaml").write_text("steps: 50\nscheduler: {type: CosineAnnealingLR, T_max: 50}\n")
    (tmp_path / "c.yaml").write_text("steps: [\n")  # not even YAML
    (tmp_path / "d.yaml").write_text("schedules:\n  - {name: ok, steps: 20, scheduler: {type: StepLR, step_size: 5}}\n"
                                     "  - {name: bad, steps: 20, scheduler: {type: StepLR, step_size: 5, gamma: 'x'}}\n")
    args = ["check", "a.yaml", "b.yaml", "c.yaml", "missing.yaml", "d.yaml"]  # python -m lrplot ARGS, forked
    r = forked.run(args + ["--json"], cwd=tmp_path, text=True, timeout=60)
    assert r.returncode == 1, r.stderr
    report = _json.loads(r.stdout)
    assert report["specs"] == [{"path": "a.yaml", "valid": False}, {"path": "b.yaml", "valid": True},
                               {"path": "c.yaml", "valid": False}, {"path": "missing.yaml", "valid": False},
                               {"path": "d.yaml", "valid": False}]
    invalid = [(f["location"], f["message"]) for f in report["findings"] if f["rule"] == "invalid-spec"]
    assert [loc.split(":")[0] for loc, _ in invalid] == ["a.yaml", "c.yaml", "missing.yaml", "d.yaml"]
    assert invalid[0] == ("a.yaml:4:15", "MultiStepLR milestones: expected a list of integers, got the text "
                                         "'30, 60'; write [30, 60]")
    assert invalid[3][0] == "d.yaml:3:75" and "StepLR gamma: expected a number" in invalid[3][1]
    assert report["schedules"] == ["a", "b", "ok", "bad"]
    assert report["errors"] == 4 and all(f["level"] == "error" for f in report["findings"]
                                         if f["rule"] == "invalid-spec")
    text = forked.run(args, cwd=tmp_path, text=True, timeout=60)
    assert text.returncode == 1
    lines = text.stdout.strip().splitlines()
    assert lines[0] == ("a.yaml:4:15: error: MultiStepLR milestones: expected a list of integers, got the text "
                        "'30, 60'; write [30, 60] [invalid-spec]")
    assert sum("[invalid-spec]" in line for line in lines) == 4
    assert lines[-1] == "4 schedule(s) checked: 4 error(s), 0 warning(s); 4 of 5 spec(s) invalid"
    assert text.stderr == ""


@pytest.mark.parametrize("scheduler, said", [
    ("{type: StepLR, step_size: 500}", "StepLR keeps lr at 0.1 for all 100 updates it drives: it never acts within "
     "the run (its first change is at scheduler step 500)"),
    ("{type: MultiStepLR, milestones: [150, 300]}", "MultiStepLR keeps lr at 0.1 for all 100 updates it drives: it "
     "never acts within the run (its first change is at scheduler step 150)"),
    ("{type: MultiStepLR, milestones: [300, 150]}", "MultiStepLR keeps lr at 0.1 for all 100 updates it drives: it "
     "never acts within the run (its first change is at scheduler step 150)"),  # torch counts them in any order
    ("{type: ExponentialLR, gamma: 1.0}", "ExponentialLR keeps lr at 0.1 for all 100 updates it drives: it never "
     "acts within the run"),
    ("{type: StepLR, step_size: 30}", None),
    ("{type: ChainedScheduler, schedulers: [{type: StepLR, step_size: 500}, {type: ExponentialLR, gamma: 0.99}]}",
     None),  # the lr changes: the chain acts
    ("{type: SequentialLR, milestones: [90], schedulers: [{type: LinearLR, start_factor: 0.1, total_iters: 90}, "
     "{type: StepLR, step_size: 20}]}", "StepLR keeps lr at 0.1 for all 10 updates it drives: it never acts within "
     "the run (its first change is at scheduler step 20)"),
    ("{type: ReduceLROnPlateau}", None),  # a metric that keeps improving keeps the lr: by design
])
def test_idle_names_a_scheduler_that_never_acts(scheduler, said):
    text = f"steps: 100\noptimizer: {{type: SGD, lr: 0.1}}\nmetric: '1 / (1 + step)'\nscheduler: {scheduler}\n"
    hits = [f for f in findings_of(text) if f.rule == "idle"]
    assert [f.message for f in hits] == ([f"'bad' lr at step {hits[0].step if hits else 0}: {said}; are its "
                                          "arguments sized in the run's units?"] if said else [])


def test_a_cyclic_schedule_shorter_than_its_first_rise_never_reaches_max_lr():
    import torch

    text = "steps: 100\noptimizer: {type: SGD, lr: 0.1}\nscheduler: {type: CyclicLR, base_lr: 0.01, max_lr: 0.1}\n"
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=0.1)  # step_size_up 2000 by default
    used = []
    for _ in range(100):
        used.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    (hit,) = [f for f in findings_of(text) if f.rule == "long-warmup"]
    assert hit.text() == (f"bad.yaml:3:12: warning: 'bad' lr at step 99: the run (100 updates) ends before its warmup "
                          f"of 2000 updates (step_size_up) reaches the peak: lr climbs only to {max(used):.6g}, "
                          f"{max(used) / 0.1:.0%} of its peak 0.1; shorten step_size_up or lengthen the run "
                          "[long-warmup]")
