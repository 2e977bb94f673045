"""axolotl's OWN config processing and update count, run on a config file: ``validate_config`` then
``normalize_config`` as its CLI runs them (src/axolotl/cli/config.py:311-322 at axolotl 067b021c), then
``calculate_total_num_steps`` (src/axolotl/utils/trainer.py), capped by ``max_steps`` as
src/axolotl/utils/data/sft.py:114-121 caps it.

What does not import here is stood in for, nothing of the arithmetic:
* ``numba`` (axolotl.utils.samplers.multipack jit-compiles its packing with it; the count without
  sample_packing never calls those functions): a module whose ``njit`` returns the function as it is;
* ``axolotl.loaders.patch_manager`` (imports peft): normalize_config imports it after the batch and world
  size arithmetic, before loading the model's config from the hub (utils/config/__init__.py:263-267);
  the stand-in stops normalize_config there, the config already normalized up to that point.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path


class _Stop(Exception):
    """normalize_config reached the model loading (the batch arithmetic is done)."""


def _numba_stub() -> types.ModuleType:
    numba = types.ModuleType("numba")

    def njit(*args, **kwargs):
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return args[0]
        return lambda function: function

    numba.njit = numba.jit = njit
    return numba


def import_axolotl():
    """axolotl.utils.config and axolotl.utils.trainer, imported with numba stood in for where it is missing
    (removed from sys.modules again: only the axolotl modules imported now keep the stand-in)."""
    import importlib.util

    stub = importlib.util.find_spec("numba") is None and "numba" not in sys.modules
    if stub:
        sys.modules["numba"] = _numba_stub()
    try:
        import axolotl.utils.config as config
        import axolotl.utils.trainer as trainer
    finally:
        if stub:
            sys.modules.pop("numba", None)
    return config, trainer


def axolotl_count(path: Path, n: int, monkeypatch, world_size: int = 1):
    """(the normalized config, axolotl's total_num_steps for ``n`` training examples) for the config file at
    ``path``, as ``world_size`` processes (WORLD_SIZE, which normalize_config reads)."""
    import yaml
    from datasets import Dataset

    config, trainer = import_axolotl()
    from axolotl.utils.dict import DictDefault

    patch_manager = types.ModuleType("axolotl.loaders.patch_manager")

    class PatchManager:
        @staticmethod
        def apply_pre_config_load_patches(cfg):
            raise _Stop

    patch_manager.PatchManager = PatchManager
    with monkeypatch.context() as patched:  # undone before the caller runs anything (a Trainer reads LOCAL_RANK)
        patched.setitem(sys.modules, "axolotl.loaders.patch_manager", patch_manager)
        patched.setenv("WORLD_SIZE", str(world_size))
        patched.setenv("LOCAL_RANK", "0")
        cfg = config.validate_config(DictDefault(yaml.safe_load(path.read_text())))
        try:
            config.normalize_config(cfg)
        except _Stop:
            pass
    data = Dataset.from_dict({"input_ids": [[1, 2]] * n, "labels": [[1, 2]] * n})
    total = trainer.calculate_total_num_steps(cfg, data)
    if cfg.max_steps:
        total = min(total, cfg.max_steps)
    return cfg, total
