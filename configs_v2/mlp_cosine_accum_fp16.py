# Generated from mlp_cosine_accum_fp16.py by convert-config (mmcv 1.x -> mmengine-style v2).
_base_ = [
    '_base_/models/mlp.py', '_base_/datasets/toy_cls.py',
    '_base_/schedules/adamw_cosine_8e.py', '_base_/default_runtime.py'
]
train_cfg = dict(val_interval=1)
val_cfg = dict(fp16=True)
test_cfg = dict(fp16=True)
optim_wrapper = dict(
    type='AmpOptimWrapper', accumulative_counts=2, loss_scale='dynamic')
