"""lrplot.tricks: each trick turns off by its switch (and by LRPLOT_NO_TRICKS), and turns itself off
when the dependency's shape is not the one it was written for; the command behaves the same."""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
from types import ModuleType

import pytest
import typer

from lrplot import tricks
from tests.helpers.paths import ROOT



def test_every_trick_has_a_switch_and_one_switch_turns_all_off(monkeypatch):
    for name in tricks.SWITCHES:
        monkeypatch.delenv(tricks.SWITCHES[name], raising=False)
    monkeypatch.delenv(tricks.ALL_OFF, raising=False)
    assert all(tricks.enabled(name) for name in tricks.SWITCHES)
    monkeypatch.setenv(tricks.ALL_OFF, "1")
    assert not any(tricks.enabled(name) for name in tricks.SWITCHES)


def test_switches_are_documented_in_contributing():
    text = (ROOT / "CONTRIBUTING.md").read_text()
    for switch in [*tricks.SWITCHES.values(), tricks.ALL_OFF]:
        assert f"`{switch}`" in text, switch


@pytest.fixture
def fake_exit(monkeypatch):
    """os._exit and the exit handlers replaced, so a test can see whether the fast exit was taken."""
    calls = []
    monkeypatch.setattr(os, "_exit", lambda code: calls.append(("exit", code)))
    monkeypatch.setattr(atexit, "_run_exitfuncs", lambda: calls.append(("handlers",)), raising=False)
    for name in ("fast-exit",):
        monkeypatch.delenv(tricks.SWITCHES[name], raising=False)
    monkeypatch.delenv(tricks.ALL_OFF, raising=False)
    return calls


def test_fast_exit_runs_the_handlers_then_exits(fake_exit):
    tricks.exit_now(3)
    assert fake_exit == [("handlers",), ("exit", 3)]


def test_fast_exit_switched_off_leaves_the_normal_exit(fake_exit, monkeypatch):
    monkeypatch.setenv("LRPLOT_NO_FAST_EXIT", "1")
    tricks.exit_now(0)
    assert fake_exit == []


def test_fast_exit_turns_itself_off_without_atexit_run_exitfuncs(fake_exit, monkeypatch):
    monkeypatch.delattr(atexit, "_run_exitfuncs")
    assert not tricks.exit_shape()
    tricks.exit_now(0)
    assert fake_exit == []


def test_artist_docs_trick_turns_itself_off_on_another_matplotlib_shape():
    other = ModuleType("matplotlib.artist")
    other.Artist = type("Artist", (), {"set": lambda self: None})  # no docstring builder
    other.kwdoc = lambda artist: "doc"
    assert not tricks.skip_set_docs(other)
    assert other.kwdoc(None) == "doc"


@pytest.mark.slow
@pytest.mark.parametrize("switch", ["LRPLOT_NO_ARTIST_DOCS", "LRPLOT_NO_TRICKS"])
def test_artist_docs_switched_off_keeps_matplotlib_docstrings(switch):
    code = ("import lrplot.tricks as t; t.install_startup()\nimport os, matplotlib.lines as l\n"
            "print('linewidth' in l.Line2D.set.__doc__, os.environ.get('PYDANTIC_DISABLE_PLUGINS'))")
    env = {**os.environ, "PYTHONPATH": str(ROOT), switch: "1"}
    env.pop("PYDANTIC_DISABLE_PLUGINS", None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    plugins = "None" if switch == "LRPLOT_NO_TRICKS" else "__all__"
    assert out.stdout.split() == ["True", plugins]


def test_pydantic_plugin_skip_switched_off(monkeypatch):
    monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS", raising=False)
    monkeypatch.setenv("LRPLOT_NO_PLUGIN_SKIP", "1")
    monkeypatch.setenv("LRPLOT_NO_ARTIST_DOCS", "1")
    tricks.install_startup()
    assert "PYDANTIC_DISABLE_PLUGINS" not in os.environ


def _plot_argument_class() -> str:
    from lrplot.cli import app

    return type(typer.main.get_command(app).commands["plot"].params[0]).__name__


def test_argument_names_trick_and_its_switch(monkeypatch):
    monkeypatch.delenv("LRPLOT_NO_ARGUMENT_NAMES", raising=False)
    monkeypatch.delenv(tricks.ALL_OFF, raising=False)
    assert _plot_argument_class() == "PlainArgument"
    monkeypatch.setenv("LRPLOT_NO_ARGUMENT_NAMES", "1")
    assert _plot_argument_class() == "TyperArgument"


def test_click_errors_switched_off_reads_the_same_usage_line(cli, monkeypatch):
    monkeypatch.setenv("LRPLOT_NO_CLICK_CLASSES", "1")
    assert tricks.click_classes() is None
    result = cli("plot", "spec.yaml", "--bogus")
    assert result.exit_code == 2
    assert result.stderr == ("lrplot plot: No such option: --bogus (Possible options: --log, --log-run) "
                             "(see 'lrplot plot --help')\n")
    result = cli("state", "spec.yaml")
    assert (result.exit_code, result.stderr) == (2, "lrplot state: Missing option '--at'. (see 'lrplot state --help')\n")


# --- lean-torch: import torch without torch._meta_registrations while a plain spec is simulated --------------

def test_lean_torch_changes_nothing_once_torch_is_imported_or_switched_off(monkeypatch):
    import torch

    monkeypatch.delenv("LRPLOT_NO_LEAN_TORCH", raising=False)
    monkeypatch.delenv(tricks.ALL_OFF, raising=False)
    finders = list(sys.meta_path)
    with tricks.lean_torch() as on:
        assert on is False and sys.meta_path == finders
    assert sys.modules[tricks.META] is torch._meta_registrations  # the real one, as torch imported it
    monkeypatch.delitem(sys.modules, "torch")  # as if torch were not imported yet
    monkeypatch.setenv("LRPLOT_NO_LEAN_TORCH", "1")
    with tricks.lean_torch() as on:
        assert on is False and sys.meta_path == finders


# Run in a fresh process: torch imported under the trick, then every way back to the real module, each way
# (a line of argv) in a child forked right after that import, as if the process had been started for it alone
# (torch has run nothing yet: forking is safe); the parent says how each child ended.
_LEAN_CHILD = """
import os, sys
from lrplot import tricks
with tricks.lean_torch() as on:
    import torch
    stand_in = type(sys.modules[tricks.META]).__name__
    lean = [m for m in ("torch._decomp", "torch._prims", "torch._refs") if m in sys.modules]
    for inside in sys.argv[1:]:
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            break
        print("exit", inside, os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
    else:
        os._exit(0)
    if not inside.startswith("after: "):
        exec(inside)
if inside.startswith("after: "):  # later in the same process, the trick over
    exec(inside[len("after: "):])
after = (tricks.META in sys.modules, "_meta_registrations" in vars(torch))
tricks.whole_torch()  # what the command calls before simulating a spec's own code
meta = sys.modules[tricks.META]
# a Meta-device kernel that only torch._meta_registrations registers (a lean import raises
# NotImplementedError here): the kernels are really back (cheaper to start than FakeTensorMode)
shape = tuple(torch._adaptive_avg_pool2d(torch.empty(1, 3, 8, 8, device="meta"), [2, 2]).shape)
print(inside, "|", on, stand_in, lean, after, type(meta).__name__, callable(meta.activate_meta), shape, flush=True)
"""
LEAN_WAYS = {
    "pass": (False, False),  # untouched: the stand-in is removed, the later import loads the real module
    "torch._meta_registrations.activate_meta": (True, True),  # a name read: the real module, at once
    "import torch._dynamo": (True, True),  # the tracing machinery imported: the real module first
    # after the lean run: torch's own import order (meta kernels, then the tracing machinery), not a circular
    # import of torch.utils._content_store when an optimizer's first step imports torch._dynamo
    "after: torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1).step()": (True, True),
    # after the lean run, a first import of a module the meta kernels import themselves: run once, not a second
    # time over its registered operator library (importing Megatron's optimizer in a process whose torch an
    # in-process command had imported lean failed: "Only a single TORCH_LIBRARY can be used to register the
    # namespace prims")
    "after: import torch._prims": (True, True),  # torch._refs alike (its kernels registered twice), the same way
}


@pytest.fixture(scope="module")
def lean_child():
    """One cold child for every way of :data:`LEAN_WAYS` (each in its own fork after the lean import)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("LRPLOT_NO_LEAN_TORCH", None)
    env.pop(tricks.ALL_OFF, None)
    return subprocess.run([sys.executable, "-c", _LEAN_CHILD, *LEAN_WAYS], capture_output=True, text=True, env=env,
                          timeout=280)


@pytest.mark.slow  # a child process importing torch
@pytest.mark.timeout(300)
@pytest.mark.parametrize("inside, loaded", LEAN_WAYS.items())
def test_lean_torch_imports_torch_without_its_meta_kernels_and_gives_them_back(lean_child, inside, loaded):
    out = lean_child
    assert out.returncode == 0 and f"exit {inside} 0" in out.stdout.splitlines(), out.stderr
    assert [line.split(" | ")[1] for line in out.stdout.splitlines() if line.startswith(f"{inside} | ")] == \
        [f"True _Deferred [] {loaded} module True (1, 3, 2, 2)"]


_LEAN_CURVES = """
import hashlib, json, sys
from pathlib import Path
from lrplot import tricks
from lrplot.spec import load_spec
paths = [Path(p) for p in sys.argv[1:]]
specs = [load_spec(p) for p in paths]
with tricks.lean_torch() as on:
    from lrplot.engine import simulate
    curves = [simulate(s) for s in specs]
    assert on and "torch._decomp" not in sys.modules
print(json.dumps([[t.name, [[g, f, hashlib.sha256(v.tobytes()).hexdigest()] for (g, f), v in t.values.items()]]
                  for c in curves for t in c.schedules]))
"""


def _digests(curves_list):
    import hashlib

    return [[t.name, [[g, f, hashlib.sha256(v.tobytes()).hexdigest()] for (g, f), v in t.values.items()]]
            for c in curves_list for t in c.schedules]


@pytest.mark.slow  # a child process importing torch
@pytest.mark.timeout(600)
def test_lean_torch_simulates_every_plain_example_bit_for_bit():
    """Every example config that names no code of its own (22 of them, all of torch's schedulers among them):
    each recorded value has the same bits as in this process, whose torch was imported in full."""
    import json

    from lrplot.engine import simulate
    from lrplot.spec import load_spec
    from lrplot.walk import import_paths
    from tests.helpers.paths import CONFIGS

    paths = [p for p in sorted(CONFIGS.glob("*.yaml")) if not import_paths(load_spec(p))]
    assert len(paths) >= 20
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("LRPLOT_NO_LEAN_TORCH", None)
    env.pop(tricks.ALL_OFF, None)
    out = subprocess.run([sys.executable, "-c", _LEAN_CURVES, *map(str, paths)], capture_output=True, text=True,
                         env=env, timeout=580)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == _digests([simulate(load_spec(p)) for p in paths])
