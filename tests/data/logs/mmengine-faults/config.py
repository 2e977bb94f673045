train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=4)
train_dataloader = dict(batch_size=4)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.25, by_epoch=False, begin=0, end=6),
    dict(type='CosineAnnealingLR', T_max=18, by_epoch=False, begin=6, end=24),
]
