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
