"""Python source parsed with :mod:`ast`, the garbage collector paused meanwhile.

Every syntax-tree node is a new container object, so parsing a module of a few thousand lines
starts Python's generational collections many times over, and in a process already holding torch
(millions of tracked objects) each full one walks all of them: a LightningCLI project scan's nine
modules took 0.14 s to parse after torch was imported, TRL's config classes 0.5 s (25 ms in a bare
interpreter). Nothing a parse makes is garbage until the tree is dropped, so nothing is lost by
pausing; the collector runs again as it was. Every whole-module parse of lrplot goes through here.
"""

from __future__ import annotations

import ast
import gc


def parse(text: str, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse(text, filename)`` with the collector paused (errors as ``ast.parse`` raises them)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return ast.parse(text, filename=filename)
    finally:
        if collecting:
            gc.enable()
