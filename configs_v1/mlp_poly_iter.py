# IterBasedRunner for 512 iterations (8 passes over the data: the IterLoader rolls over), poly LR
# per iteration, evaluation and checkpoints every 128 iterations.
_base_ = [
    '_base_/models/mlp.py', '_base_/datasets/toy_cls.py',
    '_base_/schedules/sgd_poly_iter.py', '_base_/default_runtime.py'
]
checkpoint_config = dict(by_epoch=False, interval=128)
evaluation = dict(interval=128, metric='accuracy', save_best='accuracy')
log_config = dict(interval=32)
