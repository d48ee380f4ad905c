"""The v2 runtime: mmengine-style configs (loops, optim wrappers, param schedulers, default hooks,
evaluators) on the shared engine core, without mmengine installed.

``from compat.v2 import Runner, BaseModel, BaseMetric, Hook, OptimWrapper, AmpOptimWrapper`` reads
like mmengine code; the registries carry mmengine's names. ``train_from_cfg`` / ``test_from_cfg``
are the entry points for the command line.
"""
from . import scheduler as _scheduler  # noqa: F401  (registers the param schedulers)
from .api import test_from_cfg, train_from_cfg
from .averaged import (
    BaseAveragedModel,
    ExponentialMovingAverage,
    MomentumAnnealingEMA,
    StochasticWeightAverage,
)
from .checkpoint import find_latest_checkpoint, load_checkpoint_file
from .data import DefaultSampler, InfiniteSampler, build_dataloader, default_collate, pseudo_collate
from .evaluator import BaseMetric, Evaluator
from .flexible_runner import FlexibleRunner
from .hooks import (
    CheckpointHook,
    DistSamplerSeedHook,
    EarlyStoppingHook,
    EMAHook,
    EmptyCacheHook,
    Hook,
    IterTimerHook,
    LoggerHook,
    ParamSchedulerHook,
    RuntimeInfoHook,
    SyncBuffersHook,
)
from .log_processor import LogProcessor
from .logging import HistoryBuffer, MessageHub, print_log
from .loops import BaseLoop, EpochBasedTrainLoop, IterBasedTrainLoop, TestLoop, ValLoop
from .model import (
    BaseDataPreprocessor,
    BaseModel,
    BaseModule,
    ImgDataPreprocessor,
    MMDistributedDataParallel,
    is_model_wrapper,
    revert_sync_batchnorm,
    stack_batch,
)
from .optim import (
    AmpOptimWrapper,
    DefaultOptimWrapperConstructor,
    OptimWrapper,
    OptimWrapperDict,
    build_optim_wrapper,
)
from .registry import (
    DATA_SAMPLERS,
    DATASETS,
    EVALUATOR,
    FUNCTIONS,
    HOOKS,
    LOG_PROCESSORS,
    LOOPS,
    METRICS,
    MODEL_WRAPPERS,
    MODELS,
    OPTIM_WRAPPER_CONSTRUCTORS,
    OPTIM_WRAPPERS,
    OPTIMIZERS,
    PARAM_SCHEDULERS,
    RUNNERS,
    STRATEGIES,
    TRANSFORMS,
    VISBACKENDS,
    VISUALIZERS,
    WEIGHT_INITIALIZERS,
)
from .runner import Runner
from .scheduler import *  # noqa: F401,F403  (ConstantLR, LinearLR, ..., ReduceOnPlateauMomentum)
from .strategies import (
    BaseStrategy,
    ColossalAIStrategy,
    DDPStrategy,
    DeepSpeedStrategy,
    FSDPStrategy,
    SingleDeviceStrategy,
)
from .visualization import LocalVisBackend, TensorboardVisBackend, Visualizer

__all__ = [
    'Runner',
    'FlexibleRunner',
    'BaseStrategy',
    'SingleDeviceStrategy',
    'DDPStrategy',
    'FSDPStrategy',
    'DeepSpeedStrategy',
    'ColossalAIStrategy',
    'BaseModel',
    'BaseMetric',
    'Hook',
    'OptimWrapper',
    'AmpOptimWrapper',
    'train_from_cfg',
    'test_from_cfg',
    'OptimWrapperDict',
    'DefaultOptimWrapperConstructor',
    'build_optim_wrapper',
    'BaseModule',
    'BaseDataPreprocessor',
    'ImgDataPreprocessor',
    'MMDistributedDataParallel',
    'is_model_wrapper',
    'revert_sync_batchnorm',
    'stack_batch',
    'Evaluator',
    'BaseLoop',
    'EpochBasedTrainLoop',
    'IterBasedTrainLoop',
    'ValLoop',
    'TestLoop',
    'CheckpointHook',
    'DistSamplerSeedHook',
    'EarlyStoppingHook',
    'EMAHook',
    'EmptyCacheHook',
    'IterTimerHook',
    'LoggerHook',
    'ParamSchedulerHook',
    'RuntimeInfoHook',
    'SyncBuffersHook',
    'LogProcessor',
    'HistoryBuffer',
    'MessageHub',
    'print_log',
    'DefaultSampler',
    'InfiniteSampler',
    'build_dataloader',
    'default_collate',
    'pseudo_collate',
    'BaseAveragedModel',
    'ExponentialMovingAverage',
    'MomentumAnnealingEMA',
    'StochasticWeightAverage',
    'find_latest_checkpoint',
    'load_checkpoint_file',
    'LocalVisBackend',
    'TensorboardVisBackend',
    'Visualizer',
    'DATA_SAMPLERS',
    'DATASETS',
    'EVALUATOR',
    'FUNCTIONS',
    'HOOKS',
    'LOG_PROCESSORS',
    'LOOPS',
    'METRICS',
    'MODEL_WRAPPERS',
    'MODELS',
    'OPTIM_WRAPPER_CONSTRUCTORS',
    'OPTIM_WRAPPERS',
    'OPTIMIZERS',
    'PARAM_SCHEDULERS',
    'RUNNERS',
    'STRATEGIES',
    'TRANSFORMS',
    'VISBACKENDS',
    'VISUALIZERS',
    'WEIGHT_INITIALIZERS',
]
