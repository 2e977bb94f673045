"""Composer's real scheduler and time code without Composer's package ``__init__`` (which needs torchvision,
and a torch older than 2.7.1 that mosaicml pins)."""

from __future__ import annotations

from pathlib import Path


def install_composer_stub() -> bool:
    """Make ``import composer.optim.scheduler`` and ``composer.core.time`` run Composer's REAL code where
    ``import composer`` fails.

    ``composer/__init__.py``, ``composer/core/__init__.py`` and ``composer/utils/__init__.py`` import the
    whole trainer (torchvision, torchmetrics, ...); ``composer/optim/scheduler.py`` needs only torch and
    ``composer.core``'s ``State`` (a type annotation), ``Time`` and ``TimeUnit``, which
    ``composer/core/time.py`` defines with ``composer/core/serializable.py`` and
    ``composer/utils/string_enum.py``. Register empty parent packages whose ``__path__`` is the installed
    folder, so those files import from there, each unedited. Test-only: lrplot imports Composer normally.
    Returns False when mosaicml is not installed at all (pip install --no-deps mosaicml==0.32.1)."""
    import importlib
    import importlib.util
    import sys
    import types

    try:
        import composer.optim.scheduler  # noqa: F401
        return True
    except Exception:  # noqa: BLE001 - torchvision missing, or installed but broken
        pass
    for name in [m for m in sys.modules if m == "composer" or m.startswith("composer.")]:
        del sys.modules[name]
    found = importlib.util.find_spec("composer")
    if found is None or not found.submodule_search_locations:
        return False
    root = Path(list(found.submodule_search_locations)[0])

    def package(name: str, folder: Path) -> types.ModuleType:
        stub = types.ModuleType(name)
        stub.__path__ = [str(folder)]
        stub.__file__ = str(folder / "__init__.py")  # inspect wants a file; it is never run
        sys.modules[name] = stub
        return stub

    package("composer", root)
    utils = package("composer.utils", root / "utils")
    utils.StringEnum = importlib.import_module("composer.utils.string_enum").StringEnum
    core = package("composer.core", root / "core")
    time = importlib.import_module("composer.core.time")
    core.Time, core.TimeUnit, core.Timestamp = time.Time, time.TimeUnit, time.Timestamp
    core.State = type("State", (), {})  # only an annotation in composer/optim/scheduler.py
    package("composer.optim", root / "optim")
    importlib.import_module("composer.optim.scheduler")
    return True


def batch_stepped(scheduler, max_duration: str):
    """Composer's ``scheduler`` driven as its Trainer steps one per batch (``scheduler.step()``, then the
    timestamp moves to the next batch; trainer.py, see tests/test_sources_composer.py), as a factory
    ``optimizer -> object with step()`` for a test's own update loop. Call :func:`install_composer_stub` first."""
    from types import SimpleNamespace

    from composer.core.time import Time, Timestamp
    from composer.optim.scheduler import compile_composer_scheduler

    def make(optimizer):
        state = SimpleNamespace(optimizers=[optimizer], max_duration=Time.from_timestring(max_duration),
                                dataloader_len=None, timestamp=Timestamp())
        compiled = compile_composer_scheduler(scheduler, state)

        class Stepped:
            def step(self):
                compiled.step()
                state.timestamp = state.timestamp.to_next_batch()
        return Stepped()
    return make
