# An mmdet-style model config's schedule part: it inherits mmdet's 1x schedule (_base_/schedule_1x.py)
# and sets the per-GPU batch size of the training dataloader (2 images, as mmdet's COCO configs do).
# Reading it runs this file (MMEngine's Config), hence --allow-import mmengine:
#   lrplot configs/frameworks/mmdet_schedule_1x.py --dataset-size 118287 --devices 8 --allow-import mmengine
_base_ = ['./_base_/schedule_1x.py']

train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True))
