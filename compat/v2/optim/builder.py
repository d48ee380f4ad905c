"""``DefaultOptimWrapperConstructor`` and ``build_optim_wrapper`` (mmengine layout).

The per-parameter rules are the shared ones of :mod:`legacy_runner.optim_builder`; the v2
constructor only turns mmengine's knobs on: unset multipliers do nothing, frozen parameters are
dropped (with a warning), the matched custom-key items are copied into the group, and the
weight-decay rules are tried in mmengine's order (norm, bias, depthwise conv, 1-d "flat").
"""
import copy
import logging
from typing import Any, Dict, List, Optional

import torch.nn as nn

from legacy_runner.optim_builder import DefaultOptimizerConstructor, ParamGroupRules, validate_paramwise_cfg

from ..logging import print_log
from ..registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS, OPTIMIZERS
from .wrapper import OptimWrapper, OptimWrapperDict


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class DefaultOptimWrapperConstructor(DefaultOptimizerConstructor):
    """Build an OptimWrapper (``optim_wrapper_cfg``: wrapper kwargs + ``optimizer``) for a model.

    Empty ``paramwise_cfg`` → one group of ``model.parameters()``; otherwise one group per
    parameter (``custom_keys``, ``bias_lr_mult``, ``bias_decay_mult``, ``norm_decay_mult``,
    ``dwconv_decay_mult``, ``flat_decay_mult``, ``dcn_offset_lr_mult``, ``bypass_duplicate``).
    """

    def __init__(self, optim_wrapper_cfg: Dict, paramwise_cfg: Optional[Dict] = None) -> None:
        if not isinstance(optim_wrapper_cfg, dict):
            raise TypeError('optimizer_cfg should be a dict', f'but got {type(optim_wrapper_cfg)}')
        assert 'optimizer' in optim_wrapper_cfg, '`optim_wrapper_cfg` must contain "optimizer" config'
        self.optim_wrapper_cfg = dict(optim_wrapper_cfg)
        self.optimizer_cfg = self.optim_wrapper_cfg.pop('optimizer')
        self.paramwise_cfg = {} if paramwise_cfg is None else paramwise_cfg
        self.base_lr = self.optimizer_cfg.get('lr', None)
        self.base_wd = self.optimizer_cfg.get('weight_decay', None)
        validate_paramwise_cfg(self.paramwise_cfg, self.base_wd)
        if self.base_wd is None and 'flat_decay_mult' in self.paramwise_cfg:
            raise ValueError('base_wd should not be None')

    def _rules(self) -> ParamGroupRules:
        return ParamGroupRules(self.paramwise_cfg, self.base_lr, self.base_wd, mult_default=None,
                               keep_frozen=False, copy_custom_items=True,
                               decay_order=('norm', 'bias', 'dwconv', 'flat'))

    def __call__(self, model: nn.Module) -> OptimWrapper:
        if hasattr(model, 'module'):
            model = model.module
        wrapper_cfg = dict(self.optim_wrapper_cfg)
        wrapper_cfg.setdefault('type', 'OptimWrapper')
        optimizer_cfg = dict(self.optimizer_cfg)
        if not self.paramwise_cfg:
            optimizer_cfg['params'] = model.parameters()
        else:
            params: List[Dict] = []
            self.add_params(params, model)
            names = {id(p): n for n, p in model.named_parameters()}
            for group in params:
                for key, value in group.items():
                    if key != 'params':
                        print_log(f'paramwise_options -- {names.get(id(group["params"][0]))}:{key}={value}',
                                  level=logging.DEBUG)
            optimizer_cfg['params'] = params
        optimizer = OPTIMIZERS.build(optimizer_cfg)
        return OPTIM_WRAPPERS.build(wrapper_cfg, default_args=dict(optimizer=optimizer))


def build_optim_wrapper(model: nn.Module, cfg: Any) -> Any:
    """``Runner.build_optim_wrapper``: an OptimWrapper(Dict) from an instance or a config."""
    import torch
    if isinstance(cfg, (OptimWrapper, OptimWrapperDict)):
        return cfg
    if not isinstance(cfg, dict):
        raise TypeError('optimizer wrapper should be an OptimWrapper object or dict, '
                        f'but got {cfg}')
    if isinstance(cfg.get('optimizer'), torch.optim.Optimizer):
        cfg = dict(cfg)
        cfg.setdefault('type', 'OptimWrapper')
        return OPTIM_WRAPPERS.build(cfg)
    if 'optimizer' in cfg or 'constructor' in cfg:
        cfg = copy.deepcopy(dict(cfg))
        constructor_type = cfg.pop('constructor', 'DefaultOptimWrapperConstructor')
        paramwise_cfg = cfg.pop('paramwise_cfg', None)
        constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(
            dict(type=constructor_type, optim_wrapper_cfg=cfg, paramwise_cfg=paramwise_cfg))
        return constructor(model)
    wrappers = {}
    for name, value in cfg.items():
        if not isinstance(value, OptimWrapper):
            raise ValueError('each item mush be an optimizer object when "type" and "constructor" '
                             f'are not in optimizer, but got {name}={value}')
        wrappers[name] = value
    return OptimWrapperDict(**wrappers)
