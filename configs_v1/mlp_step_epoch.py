# EpochBasedRunner, step LR with linear warmup, a ('val', 1) workflow phase (losses on the val
# split) and EvalHook accuracy after every epoch (the best checkpoint is kept).
_base_ = [
    '_base_/models/mlp.py', '_base_/datasets/toy_cls.py',
    '_base_/schedules/sgd_step_8e.py', '_base_/default_runtime.py'
]
workflow = [('train', 1), ('val', 1)]
evaluation = dict(interval=1, metric='accuracy', save_best='accuracy')
