"""A tiny LightningModule and DataModule for the real-Lightning truth tests (CPU, seconds).

The model records the lr of every param group right before each optimizer update
(``optimizer.register_step_pre_hook``), which is the value that update really used.
"""

from __future__ import annotations

import torch
from lightning.pytorch import LightningDataModule, LightningModule
from torch.utils.data import DataLoader, TensorDataset


class TinyModel(LightningModule):
    """Two linear layers; ``param_groups=2`` gives each its own group (the second at half the lr)."""

    def __init__(self, param_groups: int = 1) -> None:
        super().__init__()
        self.a = torch.nn.Linear(2, 2)
        self.b = torch.nn.Linear(2, 1)
        self.param_groups = param_groups
        self.recorded: list[list[float]] = []

    def training_step(self, batch, batch_idx):
        (x,) = batch
        return self.b(self.a(x)).pow(2).mean()

    def groups(self, lr: float):
        if self.param_groups == 1:
            return self.parameters()
        return [{"params": self.a.parameters()}, {"params": self.b.parameters(), "lr": lr / 2}]

    def on_fit_start(self) -> None:
        for opt in self.trainer.optimizers:
            opt.register_step_pre_hook(
                lambda o, args, kwargs: self.recorded.append([g["lr"] for g in o.param_groups]))


class TinyData(LightningDataModule):
    def __init__(self, dataset_size: int = 10, batch_size: int = 3, drop_last: bool = False) -> None:
        super().__init__()
        self.dataset_size = dataset_size
        self.batch_size = batch_size
        self.drop_last = drop_last

    def train_dataloader(self):
        data = TensorDataset(torch.randn(self.dataset_size, 2, generator=torch.Generator().manual_seed(0)))
        return DataLoader(data, batch_size=self.batch_size, drop_last=self.drop_last)


def run_cli(config_path, root, cli_class=None, devices=1, strategy="auto", top_level=False, classes=True):
    """Run the REAL LightningCLI ``fit --config config_path`` in-process on CPU (``config_path``
    may be a list: ``fit --config a --config b``; ``top_level``: ``--config path fit``, the form of
    a config with a ``fit:`` section; ``classes`` False: the config's ``class_path`` picks the model
    and the data, LightningCLI's subclass mode). Returns the lr of every group before each update (optimizer
    step pre-hook) and the CSVLogger's lr rows (LearningRateMonitor, logging_interval="step") as
    ``{step: value}`` per column."""
    import csv
    import warnings

    from lightning.pytorch.callbacks import LearningRateMonitor
    from jsonargparse import lazy_instance
    from lightning.pytorch.cli import LightningCLI
    from lightning.pytorch.loggers import CSVLogger

    cli_class = cli_class or LightningCLI
    paths = config_path if isinstance(config_path, list) else [config_path]
    configs = [a for p in paths for a in ("--config", str(p))]
    args = configs + ["fit"] if top_level else ["fit"] + configs
    logger = lazy_instance(CSVLogger, save_dir=str(root), name="lr")
    monitor = lazy_instance(LearningRateMonitor, logging_interval="step")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cli = cli_class(
            *((TinyModel, TinyData) if classes else (None, None)), args=args, run=True,
            save_config_callback=None,
            trainer_defaults={"logger": logger, "callbacks": [monitor],
                              "enable_checkpointing": False, "enable_progress_bar": False,
                              "enable_model_summary": False, "log_every_n_steps": 1, "accelerator": "cpu",
                              "devices": devices, "strategy": strategy})
    logged: dict[str, dict[int, float]] = {}
    if not cli.trainer.is_global_zero:  # only rank 0 logs
        return cli.model.recorded, logged
    with open(cli.trainer.logger.experiment.metrics_file_path, newline="") as f:
        for row in csv.DictReader(f):
            for key, value in row.items():
                if key.startswith("lr-") and value != "":
                    logged.setdefault(key, {})[int(row["step"])] = float(value)
    return cli.model.recorded, logged


def dict_cli(interval: str, frequency: int):
    """A LightningCLI whose configure_optimizers returns Lightning's dict form with ``interval``
    and ``frequency`` (what users write when the CLI's per-epoch default is not what they want)."""
    from lightning.pytorch.cli import LightningCLI

    class DictCLI(LightningCLI):
        @staticmethod
        def configure_optimizers(lightning_module, optimizer, lr_scheduler=None):
            return {"optimizer": optimizer,
                    "lr_scheduler": {"scheduler": lr_scheduler, "interval": interval, "frequency": frequency}}

    return DictCLI


class ConfiguredModel(TinyModel):
    """Builds its optimizer and scheduler from callables, as lightning-hydra-template's modules
    do (``optimizer(params=...)``, ``scheduler(optimizer=...)``), and returns the dict form."""

    def __init__(self, make_optimizer, make_scheduler, interval="epoch", frequency=1, param_groups=1):
        super().__init__(param_groups)
        self.make_optimizer = make_optimizer
        self.make_scheduler = make_scheduler
        self.interval = interval
        self.frequency = frequency

    def configure_optimizers(self):
        optimizer = self.make_optimizer(self)
        scheduler = self.make_scheduler(optimizer)
        return {"optimizer": optimizer,
                "lr_scheduler": {"scheduler": scheduler, "interval": self.interval, "frequency": self.frequency}}


def run_trainer(model, data, root, **trainer_kwargs):
    """A REAL Lightning Trainer fit on CPU; returns what run_cli returns."""
    import csv
    import warnings

    from lightning.pytorch import Trainer
    from lightning.pytorch.callbacks import LearningRateMonitor
    from lightning.pytorch.loggers import CSVLogger

    logger = CSVLogger(str(root), name="lr")
    kwargs = dict(logger=logger, callbacks=[LearningRateMonitor(logging_interval="step")],
                  enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                  log_every_n_steps=1, accelerator="cpu", devices=1)
    kwargs.update(trainer_kwargs)
    trainer = Trainer(**kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.fit(model, datamodule=data)
    logged: dict[str, dict[int, float]] = {}
    with open(logger.experiment.metrics_file_path, newline="") as f:
        for row in csv.DictReader(f):
            for key, value in row.items():
                if key.startswith("lr-") and value != "":
                    logged.setdefault(key, {})[int(row["step"])] = float(value)
    return model.recorded, logged


def hydra_scheduler_factory(node):
    """``scheduler(optimizer=...)`` from a Hydra partial scheduler node, as lightning-hydra-template's
    module calls it; SequentialLR's (and ChainedScheduler's) partial children are called first."""
    from hydra.utils import instantiate

    def build(optimizer):
        kids = node.get("schedulers")
        if kids is not None:
            children = [instantiate(k)(optimizer=optimizer) for k in kids]
            return instantiate(node, schedulers=children)(optimizer=optimizer)
        return instantiate(node)(optimizer=optimizer)
    return build
