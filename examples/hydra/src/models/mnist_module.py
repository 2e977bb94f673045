"""The LightningModule ``configs/model/*.yaml`` name (lightning-hydra-template's MNISTLitModule,
trimmed to what decides the schedule). lrplot reads the interval its ``configure_optimizers``
returns from this source (parsed, never imported): 'epoch' for the bare scheduler of
``model/mnist.yaml``; ``model/cosine_per_step.yaml`` gives Lightning's dict form itself."""

from lightning import LightningModule


class MNISTLitModule(LightningModule):
    def __init__(self, net, optimizer, scheduler=None, lr_scheduler=None, compile=False):
        super().__init__()
        self.save_hyperparameters(logger=False, ignore=["net"])
        self.net = net

    def configure_optimizers(self):
        optimizer = self.hparams.optimizer(params=self.parameters())
        if self.hparams.lr_scheduler is not None:  # the config's dict form, returned as it is
            lr_scheduler = dict(self.hparams.lr_scheduler)
            lr_scheduler["scheduler"] = lr_scheduler["scheduler"](optimizer=optimizer)
            return {"optimizer": optimizer, "lr_scheduler": lr_scheduler}
        scheduler = self.hparams.scheduler(optimizer=optimizer)
        return {"optimizer": optimizer,
                "lr_scheduler": {"scheduler": scheduler, "interval": "epoch", "frequency": 1}}
