train_cfg = dict(type='IterBasedTrainLoop', max_iters=30)
train_dataloader = dict(batch_size=4, sampler=dict(type='InfiniteSampler', shuffle=False))
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9), accumulative_counts=2)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=5),
    dict(type='CosineAnnealingLR', T_max=25, by_epoch=False, begin=5, end=30),
]
