"""The dynamo fast path builds the very same optimizer, and steps aside whenever torch differs."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch

from lrplot import tricks as torchfast
from lrplot.engine import simulate
from lrplot.spec import parse_spec
from tests.helpers.paths import ROOT

OPTIMIZERS = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "ASGD", "Rprop", "NAdam", "RAdam",
              "Adamax", "LBFGS"]


def groups(n=2):
    return [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.01},
            {"params": [torch.nn.Parameter(torch.zeros(1))], "weight_decay": 0.1}][:n]


VERIFIED_TORCH = ("2.13.",)  # torch versions whose decorator structure was read and verified


@pytest.fixture
def fast_target():
    """The seedable add_param_group of this torch, with torch's own cached dynamo-disabled copy
    taken away for the test (and put back after), so the fast path really runs instead of
    falling back to torch's cache. Skips on a torch whose structure was never verified."""
    target = torchfast.seed_target()
    if target is None:
        if torch.__version__.startswith(VERIFIED_TORCH):
            pytest.fail(f"torch {torch.__version__} was verified, but its decorator no longer matches")
        pytest.skip(f"torch {torch.__version__}: decorator structure not verified; lrplot uses the normal path")
    cached = vars(target).get(torchfast.CACHE_ATTRIBUTE)
    if cached is not None:
        delattr(target, torchfast.CACHE_ATTRIBUTE)
    yield target
    if cached is not None:
        setattr(target, torchfast.CACHE_ATTRIBUTE, cached)


def test_structure_of_this_torch_is_the_verified_one(fast_target):
    assert fast_target is torch.optim.Optimizer.add_param_group.__wrapped__


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_fast_optimizer_equals_normal_one(name, fast_target):
    cls = getattr(torch.optim, name)
    n = 1 if name == "LBFGS" else 2  # LBFGS takes one group only
    calls = []
    with torchfast.fast_optimizers() as fast_used:
        seeded = vars(fast_target)[torchfast.CACHE_ATTRIBUTE]
        vars(fast_target)[torchfast.CACHE_ATTRIBUTE] = lambda *a, **k: (calls.append(1), seeded(*a, **k))[1]
        fast = cls(groups(n), lr=0.1)
        vars(fast_target)[torchfast.CACHE_ATTRIBUTE] = seeded  # so the context removes its seed as usual
    assert torchfast.CACHE_ATTRIBUTE not in vars(fast_target)  # torch left as found
    assert fast_used and len(calls) == n  # every group went through the seeded, undecorated function
    normal = cls(groups(n), lr=0.1)
    strip = lambda gs: [{k: v for k, v in g.items() if k != "params"} for g in gs]  # noqa: E731
    assert strip(fast.param_groups) == strip(normal.param_groups)
    assert fast.defaults == normal.defaults
    assert fast.state_dict() == normal.state_dict()


def test_seed_is_removed_afterwards(fast_target):
    target = fast_target
    before = dict(vars(target))
    with torchfast.fast_optimizers():
        torch.optim.SGD(groups(), lr=0.1)
    assert dict(vars(target)) == before


def _decorated(wrapper_name="inner", const=torchfast.CACHE_ATTRIBUTE):
    """A class whose add_param_group is decorated like torch's, or with one detail changed."""
    def add_param_group(self, param_group):
        pass

    import functools

    code = textwrap.dedent(f"""
        def make(fn):
            @functools.wraps(fn)
            def {wrapper_name}(*args, **kwargs):
                disable_fn = getattr(fn, "{const}", None)
                if disable_fn is None:
                    disable_fn = disable(fn)
                return disable_fn(*args, **kwargs)
            return {wrapper_name}
    """)
    ns = {"functools": functools, "disable": lambda f: f}
    exec(compile(code, "torch/_compile.py", "exec"), ns)
    return type("Opt", (), {"add_param_group": ns["make"](add_param_group)}), add_param_group


def test_mimic_of_the_verified_structure_is_accepted():
    cls, inner = _decorated()
    assert torchfast.seed_target(cls) is inner


@pytest.mark.parametrize("change", ["renamed wrapper", "other cache name", "no __wrapped__", "not a function"])
def test_any_other_structure_falls_back(change):
    if change == "renamed wrapper":
        cls, _ = _decorated(wrapper_name="wrapper")
    elif change == "other cache name":
        cls, _ = _decorated(const="__dynamo_disabled_fn")
    elif change == "no __wrapped__":
        cls, _ = _decorated()
        del cls.add_param_group.__wrapped__
    else:
        cls = type("Opt", (), {"add_param_group": staticmethod(lambda g: None)})
    assert torchfast.seed_target(cls) is None


def test_fallback_still_builds_and_simulates(monkeypatch):
    monkeypatch.setattr(torchfast, "seed_target", lambda cls=None: None)
    with torchfast.fast_optimizers() as used:
        assert not used
    fallback = simulate(parse_spec("steps: 30\nscheduler: {type: OneCycleLR, max_lr: 1, total_steps: 30}\n", "s.yaml"))
    monkeypatch.undo()
    fast = simulate(parse_spec("steps: 30\nscheduler: {type: OneCycleLR, max_lr: 1, total_steps: 30}\n", "s.yaml"))
    assert (fallback.schedules[0].values[(0, "lr")] == fast.schedules[0].values[(0, "lr")]).all()


def test_env_var_disables_the_fast_path(monkeypatch):
    monkeypatch.setenv(torchfast.SWITCHES["dynamo-seed"], "1")
    with torchfast.fast_optimizers() as used:
        assert not used


SNIPPET = """
import sys
from lrplot.engine import simulate
from lrplot.spec import parse_spec
spec = parse_spec('''
steps: 60
optimizer: {type: AdamW, lr: 0.001}
param_groups: [{}, {lr: 0.01}]
fields: [lr, momentum]
scheduler: {type: SequentialLR, milestones: [10], schedulers: [
  {type: LinearLR, start_factor: 0.1, total_iters: 10}, {type: OneCycleLR, max_lr: 0.01, total_steps: 50}]}
''', 's.yaml')
curves = simulate(spec)
print('torch._dynamo' in sys.modules)
print(repr([v.tolist() for v in curves.schedules[0].values.values()]))
"""


@pytest.mark.slow
def test_cold_process_skips_dynamo_and_gives_the_same_curve():
    # the process is the subject: only a fresh one shows whether torch._dynamo gets imported
    def run(env_extra):
        import os

        env = {**os.environ, **env_extra, "PYTHONPATH": str(ROOT)}
        out = subprocess.run([sys.executable, "-c", SNIPPET], capture_output=True, text=True, env=env, check=True)
        return out.stdout.splitlines()

    fast = run({})
    normal = run({torchfast.SWITCHES["dynamo-seed"]: "1"})
    assert fast[0] == "False" and normal[0] == "True"
    assert fast[1] == normal[1]
