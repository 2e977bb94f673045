"""Fuzzing: mutated specs and command lines never crash, never hang, and always explain.

The default run is short for CI; LRPLOT_FUZZ=long runs thousands of cases:
    LRPLOT_FUZZ=long python -m pytest tests/test_fuzz.py -q
"""

from __future__ import annotations

import copy
import os
import signal
from contextlib import contextmanager

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrplot.errors import LrplotError
from lrplot.engine import simulate
from lrplot.spec import parse_spec

from .conftest import CONFIGS

LONG = os.environ.get("LRPLOT_FUZZ") == "long"
SPEC_EXAMPLES = 4000 if LONG else 150
CLI_EXAMPLES = 1000 if LONG else 30
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


@contextmanager
def time_limit(seconds: int):
    def fail(*_):
        raise TimeoutError(f"hang: more than {seconds} s")

    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


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
    with time_limit(20):
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
    with time_limit(60):
        result = cli(*command, CONFIGS / f"{stem}.yaml", *args)
    assert result.exit_code in (0, 1, 2), (command, args, result.exit_code, result.stderr)
    lines = [line for line in result.stderr.splitlines() if not line.startswith("lrplot: warning:")]
    assert not any("internal error" in line or "Traceback" in line for line in lines), (command, args, result.stderr)
    if result.exit_code and not (command and command[0] in ("check", "resume") and result.exit_code == 1
                                 and not lines and result.stdout):
        # a failure explains itself in one line (check and resume also exit 1 with a report)
        assert len(lines) == 1, (command, args, result.stderr)
