"""v2 hooks with mmengine's names, priorities and stage signatures."""
from .checkpoint_hook import CheckpointHook
from .ema_hook import EMAHook
from .hook import STAGES, Hook
from .logger_hook import LoggerHook
from .misc_hooks import EarlyStoppingHook, EmptyCacheHook, SyncBuffersHook
from .preemption_hook import PreemptionHook
from .runtime_info import DistSamplerSeedHook, IterTimerHook, ParamSchedulerHook, RuntimeInfoHook

__all__ = ['STAGES', 'Hook', 'CheckpointHook', 'DistSamplerSeedHook', 'EMAHook', 'EarlyStoppingHook',
           'EmptyCacheHook', 'IterTimerHook', 'LoggerHook', 'ParamSchedulerHook', 'PreemptionHook',
           'RuntimeInfoHook', 'SyncBuffersHook']
