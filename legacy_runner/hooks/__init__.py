"""mmcv 1.x hooks, registered in ``HOOKS`` under mmcv's names.

Every hook module is imported here so that building a hook by its type name works as soon as
``legacy_runner.hooks`` is imported. EvalHook/DistEvalHook are exported but, as in mmcv, not
registered.
"""
from .checkpoint import CheckpointHook
from .closure import ClosureHook
from .ema import EMAHook
from .evaluation import DistEvalHook, EvalHook
from .hook import HOOKS, Hook
from .iter_timer import IterTimerHook
from .logger import (
                     ClearMLLoggerHook,
                     DvcliveLoggerHook,
                     LoggerHook,
                     MlflowLoggerHook,
                     NeptuneLoggerHook,
                     PaviLoggerHook,
                     SegmindLoggerHook,
                     TensorboardLoggerHook,
                     TextLoggerHook,
                     WandbLoggerHook,
)
from .lr_updater import (
                     CosineAnnealingLrUpdaterHook,
                     CosineRestartLrUpdaterHook,
                     CyclicLrUpdaterHook,
                     ExpLrUpdaterHook,
                     FixedLrUpdaterHook,
                     FlatCosineAnnealingLrUpdaterHook,
                     InvLrUpdaterHook,
                     LinearAnnealingLrUpdaterHook,
                     LrUpdaterHook,
                     OneCycleLrUpdaterHook,
                     PolyLrUpdaterHook,
                     StepLrUpdaterHook,
)
from .memory import EmptyCacheHook
from .momentum_updater import (
                     CosineAnnealingMomentumUpdaterHook,
                     CyclicMomentumUpdaterHook,
                     LinearAnnealingMomentumUpdaterHook,
                     MomentumUpdaterHook,
                     OneCycleMomentumUpdaterHook,
                     StepMomentumUpdaterHook,
)
from .optimizer import (
                     Fp16OptimizerHook,
                     GradientCumulativeFp16OptimizerHook,
                     GradientCumulativeOptimizerHook,
                     OptimizerHook,
)
from .preemption import PreemptionHook
from .profiler import ProfilerHook
from .sampler_seed import DistSamplerSeedHook
from .sync_buffer import SyncBuffersHook

__all__ = [
    'HOOKS', 'Hook', 'CheckpointHook', 'ClosureHook', 'EMAHook', 'EvalHook', 'DistEvalHook',
    'IterTimerHook', 'LoggerHook', 'TextLoggerHook', 'TensorboardLoggerHook', 'WandbLoggerHook',
    'MlflowLoggerHook', 'PaviLoggerHook', 'NeptuneLoggerHook', 'DvcliveLoggerHook', 'SegmindLoggerHook',
    'ClearMLLoggerHook', 'LrUpdaterHook',
    'FixedLrUpdaterHook', 'StepLrUpdaterHook', 'ExpLrUpdaterHook', 'PolyLrUpdaterHook',
    'InvLrUpdaterHook', 'CosineAnnealingLrUpdaterHook', 'FlatCosineAnnealingLrUpdaterHook',
    'CosineRestartLrUpdaterHook', 'CyclicLrUpdaterHook', 'OneCycleLrUpdaterHook',
    'LinearAnnealingLrUpdaterHook', 'MomentumUpdaterHook', 'StepMomentumUpdaterHook',
    'CosineAnnealingMomentumUpdaterHook', 'LinearAnnealingMomentumUpdaterHook',
    'CyclicMomentumUpdaterHook', 'OneCycleMomentumUpdaterHook', 'OptimizerHook',
    'GradientCumulativeOptimizerHook', 'Fp16OptimizerHook', 'GradientCumulativeFp16OptimizerHook',
    'EmptyCacheHook', 'ProfilerHook', 'DistSamplerSeedHook', 'SyncBuffersHook', 'PreemptionHook'
]
