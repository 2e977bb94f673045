"""Fuzzing: mutated specs and command lines never crash, never hang, and always explain.

The default run is short for CI; LRPLOT_FUZZ=long runs thousands of cases:
    LRPLOT_FUZZ=long python -m pytest tests/test_fuzz.py -q
"""

from __future__ import annotations

import copy
import os
import subprocess

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrplot.errors import LrplotError
from lrplot.engine import simulate
from lrplot.spec import parse_spec

from tests.helpers.bounds import deadline
from tests.helpers.paths import CONFIGS

LONG = os.environ.get("LRPLOT_FUZZ") == "long"
SPEC_EXAMPLES = 4000 if LONG else 150
CLI_EXAMPLES = 1000 if LONG else 30
IMPORT_EXAMPLES = 1000 if LONG else 40
SEEDS = {p.stem: p.read_text() for p in sorted(CONFIGS.glob("*.yaml")) if "csv" not in p.read_text()}

values = st.one_of(
    st.none(), st.booleans(), st.sampled_from([-1, 0, 1, 2, 3, 7, 10**9, 10**30]),
    st.sampled_from([-0.5, 0.0, 1e-3, 0.5, 1.5, float("inf"), float("nan"), 1e308]),
    st.sampled_from(["", "x", "lr", "0.9 ** epoch", "lambda e: 1/e", "9**9**9", "a.b", "__import__('os')",
                     "step", "epoch", "CosineAnnealingLR", "SequentialLR", "SGD", "Adam", "max", "min"]),
    st.lists(st.sampled_from([0, 1, 5, -3, 0.5, "x"]), max_size=3),
    st.just({"type": "StepLR", "step_size": 2}), st.just({}),
)


def paths(data, prefix=()):
    yield prefix
    if isinstance(data, dict):
        for k, v in data.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from paths(v, prefix + (i,))


def mutate(data, path, action, value, name):
    value = copy.deepcopy(value)  # never insert one object twice (or into itself)
    if not path:
        return value if action == "replace" else data
    parent = data
    for p in path[:-1]:
        parent = parent[p]
    key = path[-1]
    if action == "delete":
        del parent[key]
    elif action == "replace":
        parent[key] = value
    elif action == "rename" and isinstance(key, str):
        parent[name] = parent.pop(key)
    elif action == "add" and isinstance(parent, dict):
        parent[name] = value
    return data


@st.composite
def mutated_specs(draw):
    stem = draw(st.sampled_from(sorted(SEEDS)))
    data = yaml.safe_load(SEEDS[stem].replace("e-", ".0e-"))  # PyYAML alone needs the dot
    for _ in range(draw(st.integers(1, 3))):
        all_paths = list(paths(data))
        path = draw(st.sampled_from(all_paths))
        action = draw(st.sampled_from(["delete", "replace", "rename", "add"]))
        name = draw(st.sampled_from(["steps", "type", "T_max", "lr", "schedulers", "milestones", "total_steps",
                                     "last_epoch", "metric", "fields", "momentum", "stepz", "x", "interval"]))
        data = mutate(data, path, action if path else "replace", draw(values), name)
    return yaml.safe_dump(data) if not isinstance(data, str) else data


@settings(max_examples=SPEC_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated_specs())
def test_mutated_specs_fail_cleanly_or_work(text):
    with deadline(20):
        try:
            spec = parse_spec(text, "fuzz.yaml")
            curves = simulate(spec)
        except LrplotError as exc:
            line = exc.format()
            assert line and "\n" not in line and "Traceback" not in line
            return
    for s in curves.schedules:
        assert s.steps > 0 and all(len(v) == s.steps for v in s.values.values())


OPTIONS = ["-o", "--data", "--set", "--layout", "--x", "--log-y", "--title", "--theme", "--style", "--size",
           "--dpi", "--no-legend", "--annotate", "-q", "--bogus", "plot", "schema", "gallery"]
ARG_VALUES = ["out.png", "out.svg", "out.csv", "out.json", "out.txt", "missing/out.png", "grid", "fields",
              "mosaic", "epoch", "step", "dark", "both", "8x4", "0x0", "big", "-5", "72", "none", "peak,jumps",
              "scheduler.T_max=5", "steps=-1", "nope=1", "=", "ggplot", "x.mplstyle"]


COMMANDS = [[], ["check"], ["state", "--at", "3"], ["resume", "--at", "3"]]
EXTRA = ["--at", "0", "999", "--json", "--strict", "--ignore", "jump", "jmp", "--method", "full", "--allow-import",
         "transformers"]


@settings(max_examples=CLI_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(COMMANDS), st.lists(st.sampled_from(OPTIONS + ARG_VALUES + EXTRA), max_size=5),
       st.sampled_from(["cosine", "step", "compare", "onecycle", "plateau_loss"]))
def test_mutated_command_lines_fail_cleanly_or_work(cli, command, args, stem):
    with deadline(60):
        result = cli(*command, CONFIGS / f"{stem}.yaml", *args)
    assert result.exit_code in (0, 1, 2), (command, args, result.exit_code, result.stderr)
    lines = [line for line in result.stderr.splitlines() if not line.startswith("lrplot: warning:")]
    assert not any("internal error" in line or "Traceback" in line for line in lines), (command, args, result.stderr)
    if result.exit_code and not (command and command[0] in ("check", "resume") and result.exit_code == 1
                                 and not lines and result.stdout):
        # a failure explains itself in one line (check and resume also exit 1 with a report)
        assert len(lines) == 1, (command, args, result.stderr)


# --- import paths: walking out of an allowance, built-ins, non-schedulers, local stems ----------------

IMPORT_STARTS = [  # (start of the type, --allow-import values)
    ("pytorch_accelerated:trainer.", ["pytorch_accelerated"]),
    ("pytorch_accelerated.utils:", ["pytorch_accelerated"]),
    ("pytorch_accelerated.schedulers:CosineLrScheduler.", []),
    ("transformers:utils.import_utils.", ["transformers"]),
    ("transformers.optimization:", []),
    ("transformers.optimization:torch.", []),
    ("transformers:", []),
    ("torch:", []),
    ("torch:optim.", []),
    ("torch.optim.lr_scheduler:", ["torch"]),
    ("torch.optim.swa_utils:", []),
    ("{dir}/transformers.py:", ["transformers"]),  # a local file whose stem is an allowed name
    ("{dir}/pytorch_accelerated.py:", ["pytorch_accelerated", "pytorch_accelerated.schedulers"]),
    ("{dir}/torch.py:", ["torch"]),
    ("{dir}/evil.py:", ["evil"]),
]
IMPORT_MIDDLES = ["", "os.", "subprocess.", "math.", "warnings.", "torch.", "sys.", "__builtins__.", "functools.",
                  "logging.", "trainer.", "utils."]
IMPORT_ENDS = ["system", "popen", "run", "Popen", "exec", "eval", "getattr", "open", "Trainer", "Adafactor",
               "StreamingAverage", "partial", "load", "save", "update_bn", "__import__", "__class__", "step",
               "inf", "EPOCH_DEPRECATION_WARNING", "LambdaLR.step", "get_scheduler.__globals__", "logger", "warn"]
IMPORT_ARGS = ["command: 'touch {marker}'", "args: [touch, '{marker}']", "cmd: 'touch {marker}'",
               "f: '{marker}'", "obj: 1", "source: 'open(\"{marker}\", \"w\")'", "name: x", "lr: 0.1"]
LOCAL_STEM = 'open({marker!r}, "w").write("imported")\nimport os, subprocess\n'


@settings(max_examples=IMPORT_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(IMPORT_STARTS), st.sampled_from(IMPORT_MIDDLES), st.sampled_from(IMPORT_ENDS),
       st.lists(st.sampled_from(IMPORT_ARGS), max_size=2, unique=True))
def test_hostile_import_paths_are_refused_and_nothing_runs(cli, tmp_path, monkeypatch, start, middle, end, args):
    """Every such type exits 1 with one located line, and nothing runs: no command (os.system and
    subprocess are replaced by a tripwire), no import of a local file named like an allowed package."""
    ran = []
    for module, name in ((os, "system"), (os, "popen"), (subprocess, "run"), (subprocess, "Popen")):
        monkeypatch.setattr(module, name, lambda *a, **k: ran.append(a))
    marker = tmp_path / "MARKER"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    for stem in ("transformers", "pytorch_accelerated", "torch", "evil"):
        (elsewhere / f"{stem}.py").write_text(LOCAL_STEM.format(marker=str(marker)))
    prefix, allow = start
    type_ = prefix.format(dir=elsewhere) + middle + end
    lines = "".join(f"\n  {a.format(marker=marker)}" for a in args)
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"steps: 5\nscheduler:\n  type: '{type_}'{lines}\n")
    with deadline(60):
        result = cli(spec, "-q", *[x for a in allow for x in ("--allow-import", a)])
    assert result.exit_code == 1, (type_, allow, result.exit_code, result.stderr)
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"{spec}:3:9: "), (type_, result.stderr)
    assert not ran and not marker.exists(), (type_, allow, result.stderr)
    assert not (tmp_path / "spec.png").exists()
