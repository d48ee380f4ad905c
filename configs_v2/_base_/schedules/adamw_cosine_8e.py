# Generated from _base_/schedules/adamw_cosine_8e.py by convert-config (mmcv 1.x -> mmengine-style v2).
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=8)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.01, weight_decay=0.01),
    clip_grad=dict(max_norm=10.0))
param_scheduler = [
    dict(type='CosineAnnealingLR', eta_min_ratio=0.01, by_epoch=True)
]
