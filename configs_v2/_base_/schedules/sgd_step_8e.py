# Generated from _base_/schedules/sgd_step_8e.py by convert-config (mmcv 1.x -> mmengine-style v2).
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=8)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.0001))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        end_factor=1.0,
        by_epoch=False,
        begin=0,
        end=33),
    dict(type='MultiStepLR', milestones=[5, 7], gamma=0.1, by_epoch=True)
]
