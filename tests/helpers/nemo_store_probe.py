"""Run in a child process by tests/test_sources_nemo.py (``python -m tests.helpers.nemo_store_probe``, forked:
tests/helpers/forked.py): the entries of Hydra's process-wide ConfigStore group ``trainer`` before NeMo's
first import in this process, inside lrplot's ``store_kept`` block that imports it, and after the block."""

from __future__ import annotations

import sys

from hydra.core.config_store import ConfigStore

from lrplot.sources.hydra_plugins import store_kept
from tests.helpers.framework_stub import install_stub


def trainer() -> list:
    return sorted(ConfigStore.instance().repo.get("trainer", {}))


if __name__ == "__main__":
    print("nemo imported", any(m == "nemo" or m.startswith("nemo.") for m in sys.modules))
    print("before", trainer())
    with store_kept():
        assert install_stub("nemo.core.optim.lr_scheduler", ("nemo", "nemo.core", "nemo.core.optim",
                            "nemo.core.classes"), plain=False)
        print("inside", trainer())
    print("after", trainer())
