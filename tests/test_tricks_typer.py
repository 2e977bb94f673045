"""The typer-coercion trick (lrplot/tricks/typercoerce.py): every value it converts itself equals what typer's
own pydantic adapter makes of it, for every parameter of every lrplot command; everything else, and every
error, is typer's; it turns off by its switch and on another typer's shape."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from typer._coercion import build_runtime_param

from lrplot import tricks
from lrplot.cli.app import app
from lrplot.tricks import typercoerce
from tests.helpers.paths import CONFIGS, ROOT

TEXTS = ["", "x", " spaced out ", "-", ".", "a/b/", "~/x", "ünïcode", "3", "1e-3", str(CONFIGS / "cosine.yaml")]


def _params():
    """(command name, parameter) of every lrplot command, the group's own and --help included."""
    group = typer.main.get_command(app)
    ctx = group.make_context("lrplot", [], resilient_parsing=True)
    found = [("lrplot", p) for p in group.get_params(ctx)]
    for name, command in group.commands.items():
        found += [(name, p) for p in command.get_params(command.make_context(name, [], resilient_parsing=True))]
    return found


def _candidates(param):
    """Values typer hands a parameter: its default, text as the command line gives it, numbers in and out
    of range, lists of those."""
    info = param.type_descriptor.parameter_info
    bounds = [b for b in (info.min, info.max) if b is not None]
    values = [param.default, *TEXTS, 0, 7, 150, 10**6, -1.5, 0.5, 60.0, True, *bounds, *(float(b) for b in bounds), *(b - 1 for b in bounds), *(b + 1 for b in bounds)]
    return values + [tuple(TEXTS[:3]), list(TEXTS[3:6]), (), [param.default]]


def _typer(param, value, ctx):
    """typer's own conversion (its adapter), or the error it raises, as (kind, value or message)."""
    try:
        return "value", build_runtime_param(param.type_descriptor)._coerce_value(value, param=param, ctx=ctx)
    except Exception as exc:  # noqa: BLE001 - the error is compared
        return type(exc).__name__, str(exc)


def test_every_plain_value_is_what_typers_adapter_makes_of_it():
    params = _params()
    assert len(params) > 60 and {n for n, _ in params} >= {"lrplot", "plot", "check", "verify", "gallery"}
    compared = plain = 0
    for name, param in params:
        if not hasattr(param, "type_descriptor"):
            continue
        ctx = typer.main.get_command(app).make_context("lrplot", [], resilient_parsing=True)
        descriptor = param.type_descriptor
        for value in _candidates(param):
            if value is None:
                continue
            expected = _typer(param, value, ctx)
            try:
                got = typercoerce.plain_value(descriptor.annotation, descriptor.parameter_info, value, param, ctx)
            except typercoerce.NotPlain:
                continue
            except Exception as exc:  # noqa: BLE001 - the trick then asks typer, whose error this must be
                assert expected[0] != "value", (name, param.name, value, exc)
                continue
            plain += 1
            assert expected == ("value", got) and type(expected[1]) is type(got), (name, param.name, value)
        compared += 1
    assert compared > 60 and plain > 500  # str, int, float and Path parameters, lists of them, all commands


def test_the_command_converts_every_value_as_typer_does(monkeypatch):
    """The same parameters' process_value, with the trick and without: equal values, or the same error line."""
    params = _params()
    ctx = typer.main.get_command(app).make_context("lrplot", [], resilient_parsing=True)
    for name, param in params:
        if not hasattr(param, "type_descriptor"):
            continue
        for value in [None, param.default, "x", str(CONFIGS), ("a", "b"), 150, 0]:
            param._runtime_param = None
            vars(param).pop("get_runtime_param", None)
            try:
                expected = ("value", param.process_value(ctx, value))
            except Exception as exc:  # noqa: BLE001
                expected = (type(exc).__name__, str(exc))
            param._runtime_param = None
            typercoerce.quick_coercion([param])
            try:
                got = ("value", param.process_value(ctx, value))
            except Exception as exc:  # noqa: BLE001
                got = (type(exc).__name__, str(exc))
            vars(param).pop("get_runtime_param", None)
            assert got == expected, (name, param.name, value)


def test_an_absent_value_builds_no_adapter_and_a_plain_one_none_either():
    group = typer.main.get_command(app)
    plot = group.commands["plot"]
    ctx = plot.make_context("plot", [], resilient_parsing=True)
    params = {p.name: p for p in plot.get_params(ctx)}
    for p in params.values():
        p._runtime_param = None
    typercoerce.quick_coercion(list(params.values()))
    assert params["output"].process_value(ctx, None) is None
    assert params["specs"].process_value(ctx, ("a.yaml", "b.yaml")) == [Path("a.yaml"), Path("b.yaml")]
    assert params["title"].process_value(ctx, "Re-drawn") == "Re-drawn"
    assert params["dpi"].process_value(ctx, 150) == 150
    assert all(p._runtime_param is None for p in params.values())  # no adapter built
    assert params["dpi"].process_value(ctx, "300") == 300  # text for a number: typer's adapter, once
    assert params["dpi"]._runtime_param is not None
    with pytest.raises(Exception) as caught:
        params["dpi"].process_value(ctx, 5)  # out of range: typer's error
    assert "greater than or equal to 20" in str(caught.value)


def test_switched_off_or_on_another_typer_nothing_changes(monkeypatch):
    plot = typer.main.get_command(app).commands["plot"]
    param = plot.params[0]
    vars(param).pop("get_runtime_param", None)
    for switch in ("LRPLOT_NO_TYPER_COERCION", tricks.ALL_OFF):
        monkeypatch.setenv(switch, "1")
        typercoerce.quick_coercion([param])
        assert "get_runtime_param" not in vars(param)
        monkeypatch.delenv(switch)
    monkeypatch.setattr(typercoerce, "typer_shape", lambda: False)
    typercoerce.quick_coercion([param])
    assert "get_runtime_param" not in vars(param)


@pytest.mark.slow  # child processes
@pytest.mark.timeout(300)
def test_a_presentation_rerun_imports_no_pydantic_and_draws_the_same_bytes(tmp_path):
    """After one cold run, a re-run changing only the title and theme (served by the plot memo) imports
    no pydantic; with the switch set it does (the switch is an ``LRPLOT_*`` variable, so that run also
    misses the memo, as it did when this was two tests); both write the bytes of a run with every
    trick off. One cold first run serves both re-runs."""
    import os

    env = {**os.environ, "PYTHONPATH": str(ROOT), "LRPLOT_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("LRPLOT_NO_TYPER_COERCION", None)
    env.pop(tricks.ALL_OFF, None)
    probe = ("import atexit, sys\natexit.register(lambda: print('pydantic' in sys.modules))\n"
             "sys.argv = ['lrplot', *sys.argv[1:]]\nfrom lrplot.cli import main\nmain()")
    spec = str(CONFIGS / "cosine.yaml")
    first = subprocess.run([sys.executable, "-m", "lrplot", spec, "-o", str(tmp_path / "a.png"), "-q"], env=env,
                           capture_output=True, timeout=280)
    assert first.returncode == 0, first.stderr
    again = ["-q", "--title", "Again", "--theme", "dark"]
    for switch, out_name in ((None, "b.png"), ("LRPLOT_NO_TYPER_COERCION", "s.png")):
        run_env = {**env, switch: "1"} if switch else env
        out = subprocess.run([sys.executable, "-c", probe, spec, "-o", str(tmp_path / out_name), *again],
                             env=run_env, capture_output=True, text=True, timeout=280)
        assert out.returncode == 0, out.stderr
        assert out.stdout.splitlines()[-1] == str(bool(switch))
    plain = subprocess.run([sys.executable, "-m", "lrplot", spec, "-o", str(tmp_path / "c.png"), *again],
                           env={**env, "LRPLOT_NO_TRICKS": "1"}, capture_output=True, timeout=280)
    assert plain.returncode == 0, plain.stderr
    assert (tmp_path / "b.png").read_bytes() == (tmp_path / "c.png").read_bytes() == (tmp_path / "s.png").read_bytes()
