"""``lrplot.simulate(...)`` and ``lrplot.render(...)`` are functions of the library API, but
``simulate`` and ``render`` are also module names: once ``lrplot.simulate`` (the module) is
imported, Python sets the package attribute to the module, hiding the function. Making those two
modules callable (calling one calls its function of the same name) keeps both spellings working:
``lrplot.simulate(spec)`` and ``import lrplot.simulate as sim; sim.simulate_spec(...)``.
"""

from __future__ import annotations

import sys
import types
from typing import Any


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return getattr(self, self.__name__.rpartition(".")[2])(*args, **kwargs)


def make_callable(module_name: str) -> None:
    """Let the module ``module_name`` be called as its function of the same name."""
    sys.modules[module_name].__class__ = _CallableModule
