"""A framework's real scheduler module without its package ``__init__`` (see timm_stub.py for timm).

torchtune 0.6.1's ``__init__`` refuses to import without torchao (and the torchao release that installs
against torch 2.13 no longer has what torchtune's models import); torchtitan 0.2.2's ``__init__`` imports its
models, whose MoE kernels need triton. Their scheduler modules need only torch (torchtune's
``training/lr_schedulers.py`` and ``training/memory.py``; torchtitan's ``components/lr_scheduler.py``,
``config/`` and ``components/optimizer.py``). Empty parent packages whose ``__path__`` is the installed
folder let those REAL files import from there. Test-only: lrplot imports the packages normally.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import types
from pathlib import Path


def install_stub(module: str, parents: tuple[str, ...], *, plain: bool = True) -> bool:
    """Make ``import module`` run the installed file where importing its package fails; ``parents``
    are the packages to stand in (outermost first). Returns False when the package is not installed.
    ``plain=False`` skips trying the normal import first (one that fails half-way leaves state behind)."""
    if plain or parents[0] in sys.modules:
        try:
            importlib.import_module(module)
            return True
        except Exception:  # noqa: BLE001 - a dependency of the package's __init__ is missing or broken
            pass
    top = parents[0]
    for name in [m for m in sys.modules if m == top or m.startswith(top + ".")]:
        del sys.modules[name]
    found = importlib.util.find_spec(top)
    if found is None or not found.submodule_search_locations:
        return False
    root = Path(list(found.submodule_search_locations)[0])
    for name in parents:
        folder = root.joinpath(*name.split(".")[1:])
        stub = types.ModuleType(name)
        stub.__path__ = [str(folder)]
        stub.__file__ = str(folder / "__init__.py")  # inspect wants a file; it is never run
        stub.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
        stub.__spec__.submodule_search_locations = [str(folder)]
        sys.modules[name] = stub
    importlib.import_module(module)
    return True


def torchtune_schedulers():
    """torchtune's real ``torchtune.training.lr_schedulers`` module, or None when not installed."""
    if not install_stub("torchtune.training.lr_schedulers", ("torchtune", "torchtune.training")):
        return None
    return sys.modules["torchtune.training.lr_schedulers"]


def torchtitan_schedulers():
    """torchtitan's real ``torchtitan.components.lr_scheduler`` module, or None when not installed."""
    # without triton the plain import fails, after importing torchtitan's models (seconds): not tried then
    plain = importlib.util.find_spec("triton") is not None
    if not install_stub("torchtitan.components.lr_scheduler", ("torchtitan",), plain=plain):
        return None
    return sys.modules["torchtitan.components.lr_scheduler"]


def nemo_schedulers():
    """NeMo's real ``nemo.core.optim.lr_scheduler`` module, or None when nemo_toolkit is not installed.

    ``import nemo`` fails without onnx (nemo_toolkit installed with --no-deps), and a failed attempt
    leaves OmegaConf resolvers registered that a second import refuses: the stubs go in first."""
    from lrplot.sources.hydra_plugins import store_kept

    with store_kept():  # as lrplot's reader imports it: NeMo's ConfigStore entries do not outlive the import
        if not install_stub("nemo.core.optim.lr_scheduler",
                            ("nemo", "nemo.core", "nemo.core.optim", "nemo.core.classes"), plain=False):
            return None
    return sys.modules["nemo.core.optim.lr_scheduler"]
