"""The ``lrplot`` command line: :data:`app` (the typer application) and :func:`main` (the script's entry point).

Layout: :mod:`.app` the application and the process entry, :mod:`.options` the shared options,
:mod:`.commands` the commands (declarations and one call each), :mod:`.actions` what each command
does, :mod:`.report` errors, exit codes and standard output. Process tricks are in :mod:`lrplot.tricks`.
"""

from __future__ import annotations

from . import commands as _commands  # noqa: F401  # registers the commands on the app
from .app import app, main

__all__ = ["app", "main"]
