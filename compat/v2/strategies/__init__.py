"""Strategies for :class:`~compat.v2.flexible_runner.FlexibleRunner` (mmengine's ``_strategy``)."""
import os
from typing import Any, Dict, Optional

from ..registry import STRATEGIES
from .base import BaseStrategy
from .ddp import DDPStrategy
from .single_device import SingleDeviceStrategy
from .unavailable import ColossalAIStrategy, DeepSpeedStrategy

try:  # torch's own FSDP
    from .fsdp import FSDPStrategy, MMFullyShardedDataParallel
except ImportError:  # pragma: no cover (torch without FSDP)
    FSDPStrategy = MMFullyShardedDataParallel = None  # type: ignore[assignment,misc]


def infer_launcher() -> str:
    """``'pytorch'`` under torchrun (``WORLD_SIZE``), ``'slurm'``, ``'mpi'``, else ``'none'``."""
    if 'WORLD_SIZE' in os.environ:
        return 'pytorch'
    if 'SLURM_NTASKS' in os.environ:
        return 'slurm'
    if 'OMPI_COMM_WORLD_LOCAL_RANK' in os.environ:
        return 'mpi'
    return 'none'


def build_strategy(strategy: Any, *, launcher: str, work_dir: str, experiment_name: Optional[str],
                   auto_scale_lr: Optional[Dict], env_cfg: Optional[Dict], randomness: Optional[Dict],
                   log_level: str) -> BaseStrategy:
    """An instance as is; None → Single (launcher 'none') or DDP; a dict gets the runner's settings."""
    if isinstance(strategy, BaseStrategy):
        return strategy
    if strategy is None:
        strategy = dict(type='SingleDeviceStrategy' if launcher == 'none' else 'DDPStrategy')
    if not isinstance(strategy, dict) or 'type' not in strategy:
        raise TypeError(f'strategy should be a BaseStrategy or a dict with "type", but got {strategy!r}')
    cfg = dict(strategy)
    cfg.setdefault('work_dir', work_dir)
    cfg.setdefault('experiment_name', experiment_name)
    cfg.setdefault('auto_scale_lr', auto_scale_lr)
    cfg.setdefault('env_kwargs', dict(launcher=launcher, randomness=randomness, **(env_cfg or {})))
    cfg.setdefault('log_kwargs', dict(log_level=log_level))
    return STRATEGIES.build(cfg)


__all__ = ['BaseStrategy', 'SingleDeviceStrategy', 'DDPStrategy', 'FSDPStrategy',
           'MMFullyShardedDataParallel', 'DeepSpeedStrategy', 'ColossalAIStrategy', 'build_strategy',
           'infer_launcher']
