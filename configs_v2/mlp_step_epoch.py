# Generated from mlp_step_epoch.py by convert-config (mmcv 1.x -> mmengine-style v2).
_base_ = [
    '_base_/models/mlp.py', '_base_/datasets/toy_cls.py',
    '_base_/schedules/sgd_step_8e.py', '_base_/default_runtime.py'
]
train_cfg = dict(val_interval=1)
default_hooks = dict(checkpoint=dict(save_best='accuracy'))
