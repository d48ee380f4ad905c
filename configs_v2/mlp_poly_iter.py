# Generated from mlp_poly_iter.py by convert-config (mmcv 1.x -> mmengine-style v2).
_base_ = [
    '_base_/models/mlp.py', '_base_/datasets/toy_cls.py',
    '_base_/schedules/sgd_poly_iter.py', '_base_/default_runtime.py'
]
train_cfg = dict(val_interval=128)
default_hooks = dict(
    logger=dict(interval=32, log_metric_by_epoch=False),
    checkpoint=dict(interval=128, by_epoch=False, save_best='accuracy'))
log_processor = dict(window_size=32, by_epoch=False)
