"""Optimizer registries and the mmcv 1.x ``DefaultOptimizerConstructor``.

The per-parameter rules live in :class:`ParamGroupRules` and :func:`iter_param_groups`, which
only *describe* groups (dicts with ``params``/``lr``/``weight_decay``). The v1 constructor below
and a v2 ``DefaultOptimWrapperConstructor`` differ only in a few knobs of those rules (what to do
with frozen parameters, whether custom-key items are copied into the group, the order of the
weight-decay rules, whether unset multipliers count as 1.0), so both can share this code.
"""
import copy
import inspect
import warnings
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple, cast

import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

from .registry import Registry, build_from_cfg

OPTIMIZERS = Registry('optimizer')
OPTIMIZER_BUILDERS = Registry('optimizer builder')

NORM_TYPES: Tuple[type, ...] = (_BatchNorm, _InstanceNorm, nn.GroupNorm, nn.LayerNorm)


def register_torch_optimizers() -> List[str]:
    """Register every ``torch.optim`` Optimizer subclass (``Optimizer`` itself included)."""
    names = []
    for attr in dir(torch.optim):
        if attr.startswith('__'):
            continue
        obj = getattr(torch.optim, attr)
        if inspect.isclass(obj) and issubclass(obj, torch.optim.Optimizer):
            OPTIMIZERS.register_module()(obj)
            names.append(attr)
    return names


TORCH_OPTIMIZERS = register_torch_optimizers()


def register_torch_npu_optimizers() -> List[str]:
    """Register the optimizers of ``torch_npu.optim`` (Ascend NPUs); [] without an NPU."""
    from .utils.device_type import IS_NPU_AVAILABLE
    if not IS_NPU_AVAILABLE:
        return []
    import torch_npu  # type: ignore[import-not-found]  # vendor package (Ascend NPU)
    names = []
    for attr in dir(getattr(torch_npu, 'optim', None) or []):
        obj = getattr(torch_npu.optim, attr)
        if (not attr.startswith('__') and attr not in OPTIMIZERS and inspect.isclass(obj)
                and issubclass(obj, torch.optim.Optimizer)):
            OPTIMIZERS.register_module()(obj)
            names.append(attr)
    return names


def dcn_module_types() -> Tuple[type, ...]:
    """Classes counted as deformable convs by the ``dcn_offset_lr_mult`` rule.

    mmcv only recognises its compiled DeformConv2d/ModulatedDeformConv2d ops. This package has no
    compiled ops, so the rule is inactive; tests patch this function to exercise it.
    """
    return ()


def validate_paramwise_cfg(paramwise_cfg: Any, base_wd: Optional[float]) -> None:
    """Raise the mmcv errors for a malformed ``paramwise_cfg``."""
    if not isinstance(paramwise_cfg, dict):
        raise TypeError(f'paramwise_cfg should be None or a dict, but got {type(paramwise_cfg)}')
    if 'custom_keys' in paramwise_cfg:
        custom_keys = paramwise_cfg['custom_keys']
        if not isinstance(custom_keys, dict):
            raise TypeError(f'If specified, custom_keys must be a dict, but got {type(custom_keys)}')
        if base_wd is None and any('decay_mult' in custom_keys[k] for k in custom_keys):
            raise ValueError('base_wd should not be None')
    # A decay multiplier means nothing without a base weight decay to multiply.
    decay_keys = ('bias_decay_mult', 'norm_decay_mult', 'dwconv_decay_mult')
    if base_wd is None and any(k in paramwise_cfg for k in decay_keys):
        raise ValueError('base_wd should not be None')


class ParamGroupRules:
    """The paramwise rules of one constructor call, with the knobs where v1 and v2 differ.

    Args:
        paramwise_cfg: the (validated) ``paramwise_cfg`` dict.
        base_lr, base_wd: ``lr`` and ``weight_decay`` of the optimizer config (may be None).
        mult_default: value of an unset ``*_mult`` key. v1 uses 1.0, so e.g. every bias group gets
            an explicit ``lr``; None means "unset rule does nothing" (mmengine).
        keep_frozen: v1 keeps a ``requires_grad=False`` parameter as a plain group; v2 drops it.
        copy_custom_items: v2 copies every item of the matched custom key into the group.
        decay_order: order in which the first matching weight-decay rule is chosen; v1 checks
            norm, then depthwise conv, then bias. ``'flat'`` (1-d params) is a v2 rule.
    """

    def __init__(self, paramwise_cfg: Dict, base_lr: Optional[float], base_wd: Optional[float], *,
                 mult_default: Optional[float] = 1.0, keep_frozen: bool = True,
                 copy_custom_items: bool = False,
                 decay_order: Sequence[str] = ('norm', 'dwconv', 'bias')) -> None:
        self.base_lr = base_lr
        self.base_wd = base_wd
        self.custom_keys: Dict[str, Dict] = dict(paramwise_cfg.get('custom_keys', {}))
        # Alphabetical first, then a stable sort by length: longer (more specific) keys win.
        self.sorted_keys = sorted(sorted(self.custom_keys), key=len, reverse=True)
        get = paramwise_cfg.get
        self.bias_lr_mult = get('bias_lr_mult', mult_default)
        self.bias_decay_mult = get('bias_decay_mult', mult_default)
        self.norm_decay_mult = get('norm_decay_mult', mult_default)
        self.dwconv_decay_mult = get('dwconv_decay_mult', mult_default)
        self.flat_decay_mult = get('flat_decay_mult', None)
        self.dcn_offset_lr_mult = get('dcn_offset_lr_mult', mult_default)
        self.bypass_duplicate = get('bypass_duplicate', False)
        self.keep_frozen = keep_frozen
        self.copy_custom_items = copy_custom_items
        self.decay_order = tuple(decay_order)

    def match_custom_key(self, full_name: str) -> Optional[str]:
        """The first sorted custom key that is a substring of ``full_name``."""
        for key in self.sorted_keys:
            if key in full_name:
                return key
        return None

    def apply_custom(self, group: Dict, key: str) -> None:
        options = self.custom_keys[key]
        group['lr'] = self.base_lr * options.get('lr_mult', 1.)
        if self.base_wd is not None:
            group['weight_decay'] = self.base_wd * options.get('decay_mult', 1.)
        if self.copy_custom_items:
            group.update(options)

    def apply_module_rules(self, group: Dict, name: str, param: torch.Tensor, module: nn.Module,
                           prefix: str, is_dcn_module: bool) -> None:
        """bias/dcn lr rules, then the first matching weight-decay rule in ``decay_order``."""
        is_norm = isinstance(module, NORM_TYPES)
        if name == 'bias' and not (is_norm or is_dcn_module) and self.bias_lr_mult is not None:
            group['lr'] = self.base_lr * self.bias_lr_mult
        if ('conv_offset' in prefix and is_dcn_module and isinstance(module, nn.Conv2d)
                and self.dcn_offset_lr_mult is not None):
            group['lr'] = self.base_lr * self.dcn_offset_lr_mult
        if self.base_wd is None:
            return
        is_dwconv = isinstance(module, nn.Conv2d) and module.in_channels == module.groups
        conditions = {
            'norm': (is_norm, self.norm_decay_mult),
            'dwconv': (is_dwconv, self.dwconv_decay_mult),
            'bias': (name == 'bias' and not is_dcn_module, self.bias_decay_mult),
            'flat': (param.ndim == 1 and not is_dcn_module, self.flat_decay_mult),
        }
        for rule in self.decay_order:
            applies, mult = conditions[rule]
            if applies and mult is not None:
                group['weight_decay'] = self.base_wd * mult
                return


def module_param_groups(module: nn.Module, rules: ParamGroupRules, prefix: str = '',
                        is_dcn_module: bool = False,
                        seen: Optional[Set[int]] = None) -> Iterator[Dict]:
    """Yield one group per direct (``recurse=False``) parameter of ``module``.

    ``seen`` holds ids of parameters already placed in a group; it is updated as groups are
    yielded and is what ``bypass_duplicate`` checks against.
    """
    seen = set() if seen is None else seen
    for name, param in module.named_parameters(recurse=False):
        group: Dict[str, Any] = {'params': [param]}
        if not param.requires_grad:
            if rules.keep_frozen:
                seen.add(id(param))
                yield group
            else:
                warnings.warn(f'{prefix}.{name} is skipped since its requires_grad={param.requires_grad}')
            continue
        if rules.bypass_duplicate and id(param) in seen:
            warnings.warn(f'{prefix} is duplicate. It is skipped since '
                          f'bypass_duplicate={rules.bypass_duplicate}')
            continue
        # A top-level parameter is named '.param1' here, so a custom key '.param1' matches it.
        key = rules.match_custom_key(f'{prefix}.{name}')
        if key is not None:
            rules.apply_custom(group, key)
        else:
            rules.apply_module_rules(group, name, param, module, prefix, is_dcn_module)
        seen.add(id(param))
        yield group


def iter_param_groups(module: nn.Module, rules: ParamGroupRules, prefix: str = '',
                      is_dcn_module: bool = False,
                      seen: Optional[Set[int]] = None) -> Iterator[Dict]:
    """Yield the per-parameter groups of ``module`` and its children, depth first."""
    seen = set() if seen is None else seen
    yield from module_param_groups(module, rules, prefix, is_dcn_module, seen)
    child_is_dcn = isinstance(module, dcn_module_types())
    for child_name, child in module.named_children():
        child_prefix = f'{prefix}.{child_name}' if prefix else child_name
        yield from iter_param_groups(child, rules, child_prefix, child_is_dcn, seen)


def _params_of(groups: List[Dict]) -> Set[int]:
    return {id(p) for g in groups for p in g['params']}


@OPTIMIZER_BUILDERS.register_module()
class DefaultOptimizerConstructor:
    """Build an optimizer from ``optimizer_cfg``, optionally with per-parameter settings.

    ``paramwise_cfg`` keys: ``custom_keys`` (``{substring: dict(lr_mult, decay_mult)}``),
    ``bias_lr_mult``, ``bias_decay_mult``, ``norm_decay_mult``, ``dwconv_decay_mult``,
    ``dcn_offset_lr_mult`` and ``bypass_duplicate``. Empty or None → one group of
    ``model.parameters()``.
    """

    def __init__(self, optimizer_cfg: Dict, paramwise_cfg: Optional[Dict] = None) -> None:
        if not isinstance(optimizer_cfg, dict):
            raise TypeError('optimizer_cfg should be a dict', f'but got {type(optimizer_cfg)}')
        self.optimizer_cfg = optimizer_cfg
        self.paramwise_cfg = {} if paramwise_cfg is None else paramwise_cfg
        self.base_lr = optimizer_cfg.get('lr', None)
        self.base_wd = optimizer_cfg.get('weight_decay', None)
        self._validate_paramwise_cfg()

    def _validate_paramwise_cfg(self) -> None:
        validate_paramwise_cfg(self.paramwise_cfg, self.base_wd)

    def _is_in(self, param_group: Dict, param_group_list: List[Dict]) -> bool:
        """True if any parameter of ``param_group`` already appears in ``param_group_list``."""
        return not _params_of([param_group]).isdisjoint(_params_of(param_group_list))

    def _rules(self) -> ParamGroupRules:
        return ParamGroupRules(self.paramwise_cfg, self.base_lr, self.base_wd)

    def add_params(self, params: List[Dict], module: nn.Module, prefix: str = '',
                   is_dcn_module: Optional[bool] = None) -> None:
        """Append the groups of ``module`` (recursively) to ``params`` in place.

        Kept as the override point downstream constructors use; it recurses through
        ``self.add_params`` so an override sees every submodule.
        """
        rules = self._rules()
        # Only bypass_duplicate looks at earlier groups; skip the scan otherwise.
        seen = _params_of(params) if rules.bypass_duplicate else set()
        params.extend(module_param_groups(module, rules, prefix, bool(is_dcn_module), seen))
        child_is_dcn = isinstance(module, dcn_module_types())
        for child_name, child in module.named_children():
            child_prefix = f'{prefix}.{child_name}' if prefix else child_name
            self.add_params(params, child, prefix=child_prefix, is_dcn_module=child_is_dcn)

    def __call__(self, model: nn.Module) -> torch.optim.Optimizer:
        if hasattr(model, 'module'):
            model = cast(nn.Module, model.module)  # a wrapper's module is a Module, not a Tensor
        optimizer_cfg = self.optimizer_cfg.copy()
        if not self.paramwise_cfg:
            optimizer_cfg['params'] = model.parameters()
            return build_from_cfg(optimizer_cfg, OPTIMIZERS)
        params: List[Dict] = []
        self.add_params(params, model)
        optimizer_cfg['params'] = params
        return build_from_cfg(optimizer_cfg, OPTIMIZERS)


def build_optimizer_constructor(cfg: Dict) -> Callable:
    """Build an optimizer constructor from ``OPTIMIZER_BUILDERS``."""
    return build_from_cfg(cfg, OPTIMIZER_BUILDERS)


def build_optimizer(model: nn.Module, cfg: Dict) -> torch.optim.Optimizer:
    """Build an optimizer for ``model``; ``constructor`` and ``paramwise_cfg`` are read from cfg."""
    optimizer_cfg = copy.deepcopy(cfg)
    constructor_type = optimizer_cfg.pop('constructor', 'DefaultOptimizerConstructor')
    paramwise_cfg = optimizer_cfg.pop('paramwise_cfg', None)
    optim_constructor = build_optimizer_constructor(
        dict(type=constructor_type, optimizer_cfg=optimizer_cfg, paramwise_cfg=paramwise_cfg))
    return optim_constructor(model)
