"""A tiny REAL ``@hydra.main`` training app, shaped like lightning-hydra-template's ``src/train.py``.

Run in a child process by tests/test_sources_hydra_compose.py (forked, tests/helpers/forked.py)::

    python -m tests.helpers.hydra_app OUT.json DATASET_SIZE CASES.json

``CASES.json`` is a list of argument lists, each what a user types after ``python train.py``
(``--config-path DIR --config-name train model=other ...``); the app runs once per case in this one
process (Lightning is imported once), the way ``python train.py ARGS`` would: Hydra composes the
config, the module's ``configure_optimizers`` builds the optimizer and scheduler from it with
``hydra.utils.instantiate`` (partials, as the template's MNISTLitModule does) and returns
Lightning's dict form, and a Lightning Trainer instantiated from the composed ``trainer`` node fits
it. The lr of every group before each optimizer update (step pre-hook) is written to ``OUT.json``.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import hydra
from hydra.core.global_hydra import GlobalHydra
from hydra.utils import instantiate
from omegaconf import DictConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.helpers.lightning_runs import ConfiguredModel, TinyData, hydra_scheduler_factory  # noqa: E402

RESULTS: list[list[list[float]]] = []
DATASET_SIZE = 10


@hydra.main(version_base="1.3", config_path=None, config_name=None)
def main(cfg: DictConfig) -> None:
    make_opt = instantiate(cfg.model.optimizer)
    if "lr_scheduler" in cfg.model:  # Lightning's dict form, returned as the config says
        node = cfg.model.lr_scheduler
        sched, interval, frequency = node.scheduler, node.get("interval", "epoch"), node.get("frequency", 1)
    else:  # a bare scheduler: the template's module returns interval "epoch", frequency 1
        sched, interval, frequency = cfg.model.scheduler, "epoch", 1
    model = ConfiguredModel(lambda m: make_opt(params=m.parameters()), hydra_scheduler_factory(sched),
                            interval, frequency)
    data = TinyData(DATASET_SIZE, cfg.data.batch_size, bool(cfg.data.get("drop_last", False)))
    trainer = instantiate(cfg.trainer, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                          enable_model_summary=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.fit(model, datamodule=data)
    RESULTS.append(model.recorded)


if __name__ == "__main__":
    out, DATASET_SIZE = sys.argv[1], int(sys.argv[2])
    cases = json.loads(Path(sys.argv[3]).read_text())
    for args in cases:
        sys.argv = [sys.argv[0], *args]
        main()
        GlobalHydra.instance().clear()
    Path(out).write_text(json.dumps(RESULTS))
