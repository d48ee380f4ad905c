"""``MultiOptimWrapperConstructor``: the converter's target for a v1 dict of optimizers
(conversion rules: Optimizer)."""
import copy
from typing import Any, Dict, Optional

from torch import nn

from compat.v2.optim import DefaultOptimWrapperConstructor, OptimWrapperDict
from compat.v2.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MultiOptimWrapperConstructor:
    """``optim_wrapper=dict(gen=dict(type='OptimWrapper', optimizer=...), disc=...)`` -> OptimWrapperDict.

    As v1's dict of optimizers: each name is a submodule of the model (``model.gen``), optimized
    by its own wrapper; a name that is not a submodule optimizes the whole model.
    """

    def __init__(self, optim_wrapper_cfg: Dict[str, Any], paramwise_cfg: Optional[Dict] = None) -> None:
        if not isinstance(optim_wrapper_cfg, dict):
            raise TypeError(f'optim_wrapper_cfg should be a dict, but got {type(optim_wrapper_cfg)}')
        if paramwise_cfg is not None:
            raise ValueError('give paramwise_cfg inside each named optimizer wrapper config')
        self.cfgs = {k: copy.deepcopy(dict(v)) for k, v in optim_wrapper_cfg.items()}

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        model = getattr(model, 'module', model)
        wrappers = {}
        for name, cfg in self.cfgs.items():
            paramwise = cfg.pop('paramwise_cfg', None)
            sub = getattr(model, name, None)
            target = sub if isinstance(sub, nn.Module) else model
            wrappers[name] = DefaultOptimWrapperConstructor(cfg, paramwise)(target)
        return OptimWrapperDict(**wrappers)
