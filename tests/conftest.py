"""Shared test helpers. torch is imported once per session (by whichever test needs it first)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"


@pytest.fixture
def write_spec(tmp_path):
    """write_spec(text, name="spec.yaml") -> Path of a spec file in a temporary folder."""

    def write(text: str, name: str = "spec.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    return write


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """cli(*args) runs lrplot in-process with the temporary folder as working directory."""
    from lrplot.cli import app

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)

    return run


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own empty curve cache (never the user's)."""
    monkeypatch.setenv("LRPLOT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
