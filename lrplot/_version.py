"""lrplot's version: one line any part may read (the package's facade and pyproject read it here)."""

__version__ = "0.1.0"
