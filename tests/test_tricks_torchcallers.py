"""The torch-callers trick (lrplot/tricks/torchcallers.py): while the lean torch import runs, ``inspect.getmodule``
of a frame is answered from the frame's globals, the same module inspect's walk of every module finds; off by
its switch, by LRPLOT_NO_TRICKS, once torch is imported, or when torch's source differs."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import types

import pytest

from lrplot import tricks
from lrplot.tricks import torchcallers
from tests.helpers.paths import ROOT

# In a fresh process: torch imported under the trick; every frame it answered is asked again of inspect's own
# getmodule (its walk) once torch is loaded; the two answers must be the same module.
_PROBE = """
import inspect, json, sys
from lrplot.tricks import lean_torch, torchcallers
original, asked = inspect.getmodule, []
def quick(frame):
    module = quick_original(frame)
    if module is not None:
        asked.append((frame, module))
    return module
quick_original, torchcallers.frame_module = torchcallers.frame_module, quick
with lean_torch() as lean:
    import torch
print(json.dumps({"lean": lean, "restored": inspect.getmodule is original, "answered": len(asked),
                  "differ": [m.__name__ for f, m in asked if original(f) is not m]}))
"""


@pytest.mark.slow  # a child process importing torch
@pytest.mark.parametrize("switch", [None, "LRPLOT_NO_TORCH_CALLERS", "LRPLOT_NO_TRICKS"])
def test_torch_import_finds_each_callers_module_as_inspect_does(switch):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in ("LRPLOT_NO_TORCH_CALLERS", "LRPLOT_NO_LEAN_TORCH", tricks.ALL_OFF):
        env.pop(name, None)
    if switch:
        env[switch] = "1"
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    assert seen["restored"] is True and seen["differ"] == []
    assert seen["lean"] is (switch != "LRPLOT_NO_TRICKS")
    if switch is None:
        assert seen["answered"] >= 2  # torch 2.13 registers its fake kernels from two frames at import
    else:
        assert seen["answered"] == 0


def test_a_frame_is_answered_with_its_own_module():
    frame = inspect.currentframe()
    assert torchcallers.frame_module(frame) is sys.modules[__name__]
    assert inspect.getmodule(frame) is sys.modules[__name__]


def test_a_frame_whose_globals_name_another_file_is_left_to_inspect():
    code = compile("import sys\nframe = sys._getframe()", "/nowhere/else.py", "exec")
    space = {"__name__": __name__}
    exec(code, space)  # noqa: S102  # a frame whose module's file is not its code's file
    assert torchcallers.frame_module(space["frame"]) is None
    space = {"__name__": "no.such.module"}
    exec(code, space)  # noqa: S102
    assert torchcallers.frame_module(space["frame"]) is None


def test_quick_callers_changes_nothing_when_off_or_late(monkeypatch):
    import torch

    assert torch.__version__  # loaded: too late for the trick

    original = inspect.getmodule
    with torchcallers.quick_callers() as on:
        assert on is False and inspect.getmodule is original
    monkeypatch.delitem(sys.modules, "torch")
    monkeypatch.setenv("LRPLOT_NO_TORCH_CALLERS", "1")
    with torchcallers.quick_callers() as on:
        assert on is False and inspect.getmodule is original
    monkeypatch.delenv("LRPLOT_NO_TORCH_CALLERS")
    monkeypatch.delenv(tricks.ALL_OFF, raising=False)
    monkeypatch.setattr(torchcallers, "callers_shape", lambda: False)  # another torch's source
    with torchcallers.quick_callers() as on:
        assert on is False and inspect.getmodule is original
    monkeypatch.setattr(torchcallers, "callers_shape", lambda: True)
    with torchcallers.quick_callers() as on:
        assert on is True and inspect.getmodule is not original
        assert inspect.getmodule(types) is types and inspect.getmodule(inspect.currentframe()) is sys.modules[__name__]
    assert inspect.getmodule is original
