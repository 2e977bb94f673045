"""lrplot.cli.commands: every command is its option declarations and one call; the input options
are declared once and every SPEC-reading command has them all."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import typer

from lrplot.cli import app
from lrplot.cli.options import INPUT_OPTIONS

COMMANDS = Path(__file__).resolve().parent.parent / "lrplot" / "cli" / "commands.py"


def _commands() -> list[ast.FunctionDef]:
    return [n for n in ast.parse(COMMANDS.read_text()).body if isinstance(n, ast.FunctionDef)]


def test_every_command_body_is_one_call():
    functions = _commands()
    assert {f.name for f in functions} == set(typer.main.get_command(app).commands)
    for f in functions:
        body = [s for s in f.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        assert len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Call), f.name


def _option_names(command: str) -> set[str]:
    params = typer.main.get_command(app).commands[command].params
    return {opt for p in params for opt in p.opts}


@pytest.mark.parametrize("command, print_spec", [("plot", True), ("state", True), ("resume", True),
                                                 ("check", True), ("verify", False)])
def test_spec_reading_commands_share_the_input_options(command, print_spec):
    shared = {"--set", "--allow-import", "--from", "--dataset-size", "--devices", "--batch-size", "--debug"}
    assert len(INPUT_OPTIONS) == 7
    names = _option_names(command)
    assert shared <= names
    assert ("--print-spec" in names) == print_spec
