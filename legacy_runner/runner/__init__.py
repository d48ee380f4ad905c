"""What old code imports from ``mmcv.runner``: runners, hooks, checkpoints, optimizers, dist helpers."""
from ..base_module import BaseModule, ModuleDict, ModuleList, Sequential
from ..checkpoint import (
                          CheckpointLoader,
                          _load_checkpoint,
                          _load_checkpoint_with_prefix,
                          load_checkpoint,
                          load_state_dict,
                          save_checkpoint,
                          weights_to_cpu,
)
from ..dist import (
                          allreduce_grads,
                          allreduce_params,
                          get_dist_info,
                          get_host_info,
                          get_time_str,
                          init_dist,
                          master_only,
)
from ..fp16_utils import LossScaler, auto_fp16, force_fp32, wrap_fp16_model
from ..hooks import *  # noqa: F401,F403
from ..hooks import __all__ as _hook_names
from ..optim_builder import (
                          OPTIMIZER_BUILDERS,
                          OPTIMIZERS,
                          DefaultOptimizerConstructor,
                          build_optimizer,
                          build_optimizer_constructor,
)
from ..seed import set_random_seed
from .base_runner import BaseRunner
from .builder import RUNNER_BUILDERS, RUNNERS, DefaultRunnerConstructor, build_runner
from .epoch_based_runner import EpochBasedRunner, Runner
from .iter_based_runner import IterBasedRunner
from .iter_loader import IterLoader
from .log_buffer import LogBuffer
from .priority import Priority, get_priority

__all__ = [
    'BaseRunner', 'EpochBasedRunner', 'Runner', 'IterBasedRunner', 'IterLoader', 'RUNNERS',
    'RUNNER_BUILDERS', 'DefaultRunnerConstructor', 'build_runner', 'LogBuffer', 'Priority',
    'get_priority', 'save_checkpoint', 'load_checkpoint', 'load_state_dict', '_load_checkpoint',
    '_load_checkpoint_with_prefix', 'CheckpointLoader', 'weights_to_cpu', 'build_optimizer',
    'build_optimizer_constructor', 'OPTIMIZERS', 'OPTIMIZER_BUILDERS', 'DefaultOptimizerConstructor',
    'get_dist_info', 'init_dist', 'master_only', 'allreduce_grads', 'allreduce_params',
    'get_host_info', 'get_time_str', 'set_random_seed', 'auto_fp16', 'force_fp32', 'wrap_fp16_model',
    'LossScaler', 'BaseModule', 'Sequential', 'ModuleList', 'ModuleDict',
    *[n for n in _hook_names if n not in ('EmptyCacheHook', 'ProfilerHook')]
]
