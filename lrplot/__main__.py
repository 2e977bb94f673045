"""``python -m lrplot``: the ``lrplot`` command, which never imports from the current folder."""

import os
import sys

# ``python -m`` puts the current folder first on sys.path; the installed ``lrplot`` script does not.
# Drop it before importing anything, so a ``transformers.py`` (or ``typer.py``) lying in the folder
# lrplot runs in cannot stand in for the installed package. PYTHONPATH entries are kept: they are chosen.
if not sys.flags.safe_path and sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from lrplot.cli import main  # noqa: E402

main()
