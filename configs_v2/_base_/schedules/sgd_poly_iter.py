# Generated from _base_/schedules/sgd_poly_iter.py by convert-config (mmcv 1.x -> mmengine-style v2).
train_cfg = dict(type='IterBasedTrainLoop', max_iters=512)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.0001))
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.0001,
        power=0.9,
        by_epoch=False,
        begin=0,
        end=513)
]
