# Generated from mlp_cosine_warmup_floor.py by convert-config (mmcv 1.x -> mmengine-style v2).
_base_ = [
    '_base_/models/mlp.py', '_base_/datasets/toy_cls.py',
    '_base_/schedules/sgd_step_8e.py', '_base_/default_runtime.py'
]
train_cfg = dict(max_epochs=4, val_interval=1)
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        end_factor=1.0,
        by_epoch=False,
        begin=0,
        end=97),
    dict(
        type='CosineAnnealingLR',
        eta_min_ratio=0.1,
        by_epoch=True,
        convert_to_iter_based=True)
]
