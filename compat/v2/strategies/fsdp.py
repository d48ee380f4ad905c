"""``FSDPStrategy`` on torch's own FullyShardedDataParallel (CPU/gloo or CUDA).

Checkpoints (``state_dict_cfg``): ``'full'`` gathers unprefixed weights and an FQN-keyed optimizer
state; rank 0 writes one file any strategy can load. ``'sharded'`` (mmengine's ``'local'`` maps here)
writes a directory: every rank's shards through torch.distributed.checkpoint plus ``meta.pth``; it
resumes on any world size, and a single-device run gathers it on load.
"""
import os
from collections import defaultdict
from typing import Any, Dict, Optional, Union

import torch
from torch import nn
from torch.distributed.checkpoint.state_dict import (
    StateDictOptions,
    get_model_state_dict,
    get_optimizer_state_dict,
    set_model_state_dict,
    set_optimizer_state_dict,
)
from torch.distributed.fsdp import FullyShardedDataParallel

from ..checkpoint import revise_state_dict_keys
from ..model import WrappedTrainStep, is_model_wrapper
from ..registry import MODEL_WRAPPERS, STRATEGIES
from .base import DEFAULT_REVISE_KEYS, Callback
from .ddp import DDPStrategy
from .sharded import is_sharded_checkpoint, load_sharded, read_meta, save_sharded


def _plain(obj: Any) -> Any:
    """Copies of the tensors without the attributes FSDP sets on them (they would pickle ``torch.Tensor``)."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().clone() if obj.__dict__ else obj
    if isinstance(obj, dict):
        return type(obj)((k, _plain(v)) for k, v in obj.items()) if not isinstance(obj, defaultdict) \
            else {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_plain(v) for v in obj)
    return obj


@MODEL_WRAPPERS.register_module()
class MMFullyShardedDataParallel(WrappedTrainStep, FullyShardedDataParallel):
    """FSDP with the v2 step contract; every forward (train, val, test) goes through the sharded wrapper."""

    def val_step(self, data: Union[dict, tuple, list]) -> list:
        return self._run_forward(self.module.data_preprocessor(data, False), mode='predict')

    test_step = val_step


@STRATEGIES.register_module()
class FSDPStrategy(DDPStrategy):
    """Args: model_wrapper (MODEL_WRAPPERS config), skip_init_weights (bool), state_dict_cfg
    (``'full'`` | ``'sharded'``; ``'local'`` is an alias of ``'sharded'``)."""

    def __init__(self, *, model_wrapper: Optional[Dict] = None, skip_init_weights: bool = False,
                 state_dict_cfg: str = 'sharded', activation_checkpointing: Optional[Dict] = None,
                 **kwargs: Any) -> None:
        if not isinstance(skip_init_weights, bool):
            raise TypeError(f'skip_init_weights must be a boolean, but got {type(skip_init_weights)}')
        if state_dict_cfg == 'local':
            state_dict_cfg = 'sharded'
        if state_dict_cfg not in ('full', 'sharded'):
            raise ValueError(f"state_dict_cfg should be 'full', 'sharded' or 'local', got {state_dict_cfg!r}")
        if activation_checkpointing is not None:
            raise NotImplementedError('FSDPStrategy(activation_checkpointing=...) is not supported yet')
        self.skip_init_weights = skip_init_weights
        self.state_dict_cfg = state_dict_cfg
        self._loading_optimizer = False  # resume() asks load_checkpoint for the optimizer shards too
        self._loaded_sharded = False  # the format of the checkpoint loaded last
        super().__init__(model_wrapper=model_wrapper, **kwargs)

    def _device(self) -> torch.device:
        if torch.cuda.is_available():
            return torch.device('cuda', int(os.environ.get('LOCAL_RANK', 0)))
        return torch.device('cpu')

    def prepare(self, model: Any, **kwargs: Any) -> Any:
        if self.skip_init_weights:
            self.dispatch_kwargs['init_weights_for_test_or_val'] = False
        return super().prepare(model, **kwargs)

    def _wrap_model(self, model: nn.Module) -> nn.Module:
        if is_model_wrapper(model):
            return model
        device = self._device()
        if hasattr(model, 'data_preprocessor'):
            model.data_preprocessor.to(device)
        cfg = dict(self.model_wrapper or {})
        cfg.setdefault('type', 'MMFullyShardedDataParallel')
        cfg.setdefault('use_orig_params', True)
        return MODEL_WRAPPERS.build(cfg, default_args=dict(module=model, device_id=device))

    def _options(self, full: bool, strict: bool = True) -> StateDictOptions:
        return StateDictOptions(full_state_dict=full, cpu_offload=False, strict=strict)

    # -- state dicts (full: gathered on every rank; torch's CPU offload crashes on CPU tensors) --------
    def model_state_dict(self) -> Dict:
        return _plain(get_model_state_dict(self.model, options=self._options(True)))

    def optim_state_dict(self) -> Dict:
        return _plain(get_optimizer_state_dict(self.model, self.optim_wrapper.optimizer,
                                               options=self._options(True)))

    def load_model_state_dict(self, state_dict: Dict, *, strict: bool = False,
                              revise_keys: list = DEFAULT_REVISE_KEYS) -> None:  # noqa: B006
        revised = dict(revise_state_dict_keys(state_dict, revise_keys))
        set_model_state_dict(self.model, revised, options=self._options(True, strict))

    def load_optim_state_dict(self, state_dict: Dict) -> None:
        full = not self._loaded_sharded
        set_optimizer_state_dict(self.model, self.optim_wrapper.optimizer, state_dict,
                                 options=self._options(full))

    # -- checkpoints -------------------------------------------------------------------------
    def save_checkpoint(self, filename: str, *, save_optimizer: bool = True,
                        save_param_scheduler: bool = True, extra_ckpt: Optional[Dict] = None,
                        callback: Callback = None) -> None:
        if self.state_dict_cfg == 'full':
            return super().save_checkpoint(filename, save_optimizer=save_optimizer,
                                           save_param_scheduler=save_param_scheduler,
                                           extra_ckpt=extra_ckpt, callback=callback)
        checkpoint = self._gather_checkpoint(False, save_param_scheduler, extra_ckpt)
        checkpoint['state_dict'] = get_model_state_dict(self.model, options=self._options(False))
        if save_optimizer and self.optim_wrapper is not None:
            checkpoint['optimizer'] = get_optimizer_state_dict(self.model, self.optim_wrapper.optimizer,
                                                               options=self._options(False))
        if callback is not None and self._rank == 0:
            callback(checkpoint)
        tensors = {k: checkpoint.pop(k) for k in ('state_dict', 'optimizer') if k in checkpoint}
        if 'optimizer' in tensors:  # DCP keeps the sharded tensors; the (small) param groups go to meta
            checkpoint['optimizer_param_groups'] = tensors['optimizer'].pop('param_groups')
        save_sharded(filename, tensors, checkpoint, self._rank)

    def load_checkpoint(self, filename: str, *, map_location: Any = 'cpu', strict: bool = False,
                        revise_keys: list = DEFAULT_REVISE_KEYS,  # noqa: B006 (mmengine default)
                        callback: Callback = None) -> Dict:
        self._loaded_sharded = is_sharded_checkpoint(filename)
        if not self._loaded_sharded:
            return super().load_checkpoint(filename, map_location=map_location, strict=strict,
                                           revise_keys=revise_keys, callback=callback)
        self.logger.info(f'Load checkpoint from {filename}')
        checkpoint = read_meta(filename, 'cpu' if map_location == 'default' else map_location)
        template = {'state_dict': get_model_state_dict(self.model, options=self._options(False))}
        groups = checkpoint.pop('optimizer_param_groups', None)
        if self._loading_optimizer and self.optim_wrapper is not None and groups is not None:
            osd = get_optimizer_state_dict(self.model, self.optim_wrapper.optimizer,
                                           options=self._options(False))
            template['optimizer'] = dict(state=osd['state'])
        checkpoint.update(load_sharded(filename, template))
        if 'optimizer' in checkpoint:
            checkpoint['optimizer']['param_groups'] = groups
        if callback is not None:
            callback(checkpoint)
        set_model_state_dict(self.model, checkpoint.pop('state_dict'), options=self._options(False, strict))
        return checkpoint

    def resume(self, filename: str, **kwargs: Any) -> Dict:
        self._loading_optimizer = kwargs.get('resume_optimizer', True)
        try:
            return super().resume(filename, **kwargs)
        finally:
            self._loading_optimizer = False
