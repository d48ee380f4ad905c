"""Small builder functions the v2 Runner wires together (environment, randomness, model, hooks)."""
import copy
import logging
import multiprocessing as mp
import os
import platform
import time
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

from legacy_runner.dist import get_dist_info, init_dist
from legacy_runner.seed import set_random_seed
from legacy_runner.utils.env import collect_env
from legacy_runner.utils.priority import hooks_by_stage

from .data import sync_random_seed
from .hooks import Hook
from .model import MMDistributedDataParallel, is_model_wrapper, revert_sync_batchnorm
from .registry import HOOKS, MODEL_WRAPPERS, MODELS
from .version import mmengine_version

DEFAULT_HOOKS = (('runtime_info', dict(type='RuntimeInfoHook')), ('timer', dict(type='IterTimerHook')),
                 ('sampler_seed', dict(type='DistSamplerSeedHook')), ('logger', dict(type='LoggerHook')),
                 ('param_scheduler', dict(type='ParamSchedulerHook')),
                 ('checkpoint', dict(type='CheckpointHook', interval=1)))


def get_device() -> str:
    return 'cuda' if torch.cuda.is_available() else 'cpu'


def check_triple(prefix: str, items: Sequence[Any], names: Sequence[str]) -> None:
    """The loader/cfg/(optimizer|evaluator) of one phase must be all set or all None."""
    if any(x is None for x in items) and not all(x is None for x in items):
        got = ', '.join(f'{n}={x}' for n, x in zip(names, items))
        raise ValueError(f'{", ".join(names)} should be either all None or not None, but got {got}.')


def check_scheduler_shape(param_scheduler: Any) -> None:
    """Instance(s), a list of dicts with ``type``, a dict with ``type``, or a dict per optimizer."""
    if param_scheduler is None or not isinstance(param_scheduler, (dict, list, tuple)):
        return
    if isinstance(param_scheduler, dict):
        if 'type' in param_scheduler:
            return
        for value in param_scheduler.values():
            check_scheduler_shape(value)
        return
    for item in param_scheduler:
        if isinstance(item, dict) and 'type' not in item:
            raise TypeError('Each parameter scheduler config should have a `type` key, but got '
                            f'{item}')


def setup_env(env_cfg: Dict, launcher: str) -> Tuple[bool, int, int, str]:
    """cudnn benchmark, multiprocessing start method, process group, timestamp, open-file limit.

    Returns ``(distributed, rank, world_size, timestamp)``.
    """
    if env_cfg.get('cudnn_benchmark'):
        torch.backends.cudnn.benchmark = True
    mp_cfg = env_cfg.get('mp_cfg', {}) or {}
    method = mp_cfg.get('mp_start_method', 'fork')
    if platform.system() != 'Windows' and method is not None:
        current = mp.get_start_method(allow_none=True)
        if current is not None and current != method:
            logging.getLogger(__name__).warning(
                f'Multi-processing start method `{method}` is different from the previous setting '
                f'`{current}`.It will be force set to `{method}`.')
        if current != method:
            mp.set_start_method(method, force=True)
    threads = mp_cfg.get('opencv_num_threads', 0)
    try:
        import cv2
        cv2.setNumThreads(threads)
    except ImportError:  # OpenCV is optional here
        pass
    distributed = launcher != 'none'
    if distributed:
        import torch.distributed as dist
        if not dist.is_initialized():
            init_dist(launcher, **(env_cfg.get('dist_cfg') or {}))
        for var in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
            os.environ.setdefault(var, '1')
    rank, world_size = get_dist_info()
    stamp = [time.time()]
    if world_size > 1:
        import torch.distributed as dist
        dist.broadcast_object_list(stamp, src=0)
    timestamp = time.strftime('%Y%m%d_%H%M%S', time.localtime(stamp[0]))
    limit = env_cfg.get('resource_limit', 4096)
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(limit, soft), hard), hard))
    except (ImportError, ValueError, OSError):
        pass
    return distributed, rank, world_size, timestamp


def set_randomness(seed: Optional[int] = None,
                   diff_rank_seed: bool = False,
                   deterministic: bool = False) -> int:
    """Seed everything and return the seed actually used (drawn and shared when None)."""
    if seed is None:
        seed = sync_random_seed()
    if diff_rank_seed:
        seed += get_dist_info()[0]
    set_random_seed(seed, deterministic=deterministic)
    if deterministic:
        torch.use_deterministic_algorithms(True)
    return seed


def reseed_from_checkpoint(meta: Dict, randomness: Dict, logger: logging.Logger) -> Optional[int]:
    """mmengine's resume rule for both runners: a checkpoint seed that differs from ``randomness['seed']``
    replaces it (with a warning when one was configured) and everything is seeded again.

    Returns the seed now in use, or None when nothing changed.
    """
    seed = meta.get('seed')
    if seed is None or seed == randomness.get('seed'):
        return None
    if randomness.get('seed') is not None:
        logger.warning(f'The value of random seed in the checkpoint "{seed}" is different from '
                       f'the value in `randomness` config "{randomness.get("seed")}"')
    randomness.update(seed=seed)
    return set_randomness(**randomness)


def system_env() -> Dict[str, Any]:
    """The 'System environment' block both runners log: the shared report plus this runtime's version."""
    env = collect_env()
    env['MMEngine (compat)'] = mmengine_version
    return env


def runtime_env_lines(env_cfg: Dict, randomness: Dict, seed: int, launcher: str, distributed: bool,
                      world_size: int) -> 'OrderedDict[str, Any]':
    info: 'OrderedDict[str, Any]' = OrderedDict(**env_cfg, **randomness)
    info['seed'] = seed
    info['Distributed launcher'] = launcher
    info['Distributed training'] = distributed
    info['GPU number'] = world_size
    return info


def build_model(model: Any, data_preprocessor: Any = None) -> nn.Module:
    if isinstance(model, nn.Module):
        return model
    if isinstance(model, dict):
        model = copy.copy(dict(model))
        if data_preprocessor is not None:
            model.setdefault('data_preprocessor', data_preprocessor)
        return MODELS.build(model)
    raise TypeError('model should be a nn.Module object or dict, but got {}'.format(model))


def wrap_model(model: nn.Module, distributed: bool, logger: logging.Logger, model_wrapper_cfg: Optional[Dict],
               find_unused_parameters: bool = False, sync_bn: Optional[str] = None) -> nn.Module:
    """Non-distributed: revert SyncBN and move to the device. Distributed: MMDistributedDataParallel."""
    if is_model_wrapper(model):
        return model
    model = model.to(get_device())
    if not distributed:
        logger.info('Distributed training is not used, all SyncBatchNorm (SyncBN) layers in the model '
                    'will be automatically reverted to BatchNormXd layers if they are used.')
        return revert_sync_batchnorm(model)
    if sync_bn == 'torch':
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    device_ids = [int(os.environ.get('LOCAL_RANK', 0))] if torch.cuda.is_available() else None
    if model_wrapper_cfg is None:
        return MMDistributedDataParallel(module=model, device_ids=device_ids, broadcast_buffers=False,
                                         find_unused_parameters=find_unused_parameters)
    cfg = dict(model_wrapper_cfg)
    cfg.setdefault('type', 'MMDistributedDataParallel')
    default_args = dict(module=model)
    if cfg['type'] in ('MMDistributedDataParallel', 'DistributedDataParallel'):
        default_args['device_ids'] = device_ids
    return MODEL_WRAPPERS.build(cfg, default_args=default_args)


def merge_default_hooks(default_hooks: Optional[Dict]) -> List[Any]:
    """mmengine's merge: None removes a default (unknown None → AssertionError), new keys append."""
    merged: 'OrderedDict[str, Any]' = OrderedDict((k, copy.deepcopy(v)) for k, v in DEFAULT_HOOKS)
    for name, hook in (default_hooks or {}).items():
        if name in merged and hook is None:
            merged[name] = None
            continue
        assert hook is not None
        merged[name] = hook
    return [hook for hook in merged.values() if hook is not None]


def make_hook(hook: Any, priority: Any = None) -> Hook:
    """A Hook from an instance or a dict; precedence: argument > dict ``priority`` > class attribute."""
    if not isinstance(hook, (Hook, dict)):
        raise TypeError(f'hook should be an instance of Hook or dict, but got {hook}')
    dict_priority = None
    if isinstance(hook, dict):
        hook = dict(hook)
        dict_priority = hook.pop('priority', None)
        hook = HOOKS.build(hook)
    if priority is not None:
        hook.priority = priority
    elif dict_priority is not None:
        hook.priority = dict_priority
    return hook


def stage_dispatch(hooks: Sequence[Hook]) -> Dict[str, List[Any]]:
    """Per stage, the bound methods of the hooks that act on it (precomputed: lean hot path)."""
    return {stage: [getattr(hook, stage) for hook in members]
            for stage, members in hooks_by_stage(hooks, Hook.stages).items()}


def has_built_schedulers(schedulers: Any) -> bool:
    """True when ``schedulers`` (any accepted ``param_scheduler`` shape) holds a built scheduler."""
    if schedulers is None or (isinstance(schedulers, dict) and 'type' in schedulers):
        return False
    if isinstance(schedulers, dict):
        return any(has_built_schedulers(v) for v in schedulers.values())
    if isinstance(schedulers, (list, tuple)):
        return any(has_built_schedulers(v) for v in schedulers)
    return True


def scale_lr(optim_wrapper: Any, auto_scale_lr: Optional[Dict], real_batch_size: int, logger: logging.Logger,
             schedulers: Any = None) -> None:
    """mmengine's linear scaling: ``lr *= real_batch_size / base_batch_size`` when enabled."""
    if not auto_scale_lr or not auto_scale_lr.get('enable', False):
        return
    assert 'base_batch_size' in auto_scale_lr and isinstance(auto_scale_lr['base_batch_size'], int), (
        'Lack of `base_batch_size` in `auto_scale_lr`.')
    ratio = float(real_batch_size) / float(auto_scale_lr['base_batch_size'])
    logger.info(f'LR is set based on batch size of {auto_scale_lr["base_batch_size"]} and the current '
                f'batch size is {real_batch_size}. Scaling the original LR by {ratio}.')
    if has_built_schedulers(schedulers):
        raise RuntimeError('`scale_lr` should be called before building ParamScheduler because '
                           'ParamScheduler will store initial lr from optimizer wrappers')
    wrappers = optim_wrapper.values() if hasattr(optim_wrapper, 'values') else [optim_wrapper]
    for wrapper in wrappers:
        for group in wrapper.optimizer.param_groups:
            group['lr'] = group['lr'] * ratio


def init_model_weights(model: nn.Module, distributed: bool) -> None:
    """``init_weights()`` when defined, then broadcast every state tensor from rank 0."""
    if hasattr(model, 'init_weights'):
        model.init_weights()
    if distributed:
        import torch.distributed as dist
        for tensor in model.state_dict().values():
            dist.broadcast(tensor, src=0)
