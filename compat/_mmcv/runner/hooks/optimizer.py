"""``mmcv.runner.hooks.optimizer`` (shim)."""
from legacy_runner.hooks.optimizer import (
    Fp16OptimizerHook,
    GradientCumulativeFp16OptimizerHook,
    GradientCumulativeOptimizerHook,
    OptimizerHook,
)

__all__ = ['Fp16OptimizerHook', 'GradientCumulativeFp16OptimizerHook', 'GradientCumulativeOptimizerHook',
           'OptimizerHook']
