# Cosine annealing per iteration to a non-zero floor (min_lr_ratio=0.1) with a 96-iteration linear
# warmup that overlaps it: the one construct in these examples that v2 schedulers can only
# approximate (conversion rules: Warmup with a main policy); convert-config reports the measured bound.
_base_ = [
    '_base_/models/mlp.py', '_base_/datasets/toy_cls.py',
    '_base_/schedules/sgd_step_8e.py', '_base_/default_runtime.py'
]
lr_config = dict(
    _delete_=True,
    policy='CosineAnnealing',
    min_lr_ratio=0.1,
    by_epoch=False,
    warmup='linear',
    warmup_iters=96,
    warmup_ratio=0.1)
runner = dict(type='EpochBasedRunner', max_epochs=4)
