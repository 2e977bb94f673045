"""Sphinx configuration of lrplot's documentation (built with -W by tests/test_docs.py and CI)."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))  # this checkout's lrplot, also when another is installed

project = "lrplot"
author = "lrplot contributors"
extensions = ["lrplot.sphinxext"]
html_theme = "furo"
html_title = "lrplot"
exclude_patterns = ["_build"]
# The framework pages draw the library's own schedule factories (import-path types).
lrplot_allow_import = ["transformers"]
lrplot_formats = ["png"]
