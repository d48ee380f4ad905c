# CosineAnnealing LR, gradients accumulated over 2 iterations (an effective batch of 64) and mixed
# precision (bf16 autocast on CPU, fp16 on CUDA). With `fp16` set, the train flow turns this
# optimizer_config into a GradientCumulativeFp16OptimizerHook.
_base_ = [
    '_base_/models/mlp.py', '_base_/datasets/toy_cls.py',
    '_base_/schedules/adamw_cosine_8e.py', '_base_/default_runtime.py'
]
optimizer_config = dict(
    type='GradientCumulativeOptimizerHook', cumulative_iters=2, grad_clip=dict(max_norm=10.0))
fp16 = dict(loss_scale='dynamic')
