"""Weight initialisation: the ``*_init`` functions, ``INITIALIZERS`` and ``initialize(module, init_cfg)``.

``init_cfg`` semantics (mmcv 1.x):
- ``layer`` names the module classes an initializer applies to. A module matches if its class name,
  or the name of one of its *direct* base classes, is listed. Without ``layer`` nothing is touched
  (unless ``override`` is given).
- ``override`` (dict or list) re-initialises named child attributes as a whole: ``name`` picks the
  attribute, other keys form a new initializer cfg; ``dict(name=...)`` alone reuses the outer cfg.
"""
import copy
import math
from typing import Any, Dict, List, Optional, Union

import torch
import torch.nn as nn
from torch import Tensor  # noqa: F401  (a public name of mmcv's module)

from ..registry import Registry, build_from_cfg
from ..utils.logging import get_logger, print_log

INITIALIZERS = Registry('initializer')


def update_init_info(module: nn.Module, init_info: str) -> None:
    """Record ``init_info`` for every parameter of ``module`` whose value changed since last time.

    ``module._params_init_info`` is set up by ``BaseModule.init_weights`` on the top-level module;
    the mean value is used as a cheap "has this parameter been re-initialised" fingerprint.
    """
    assert hasattr(module, '_params_init_info'), f'Can not find `_params_init_info` in {module}'
    for name, param in module.named_parameters():
        assert param in module._params_init_info, (
            f'Find a new :obj:`Parameter` named `{name}` during executing the `init_weights` of '
            f'`{module.__class__.__name__}`. Please do not add or replace parameters during '
            f'executing the `init_weights`. ')
        info = module._params_init_info[param]
        mean_value = param.data.mean()
        if info['tmp_mean_value'] != mean_value:
            info['init_info'] = init_info
            info['tmp_mean_value'] = mean_value


def _has(module: nn.Module, attr: str) -> bool:
    return getattr(module, attr, None) is not None


def constant_init(module: nn.Module, val: float, bias: float = 0) -> None:
    if _has(module, 'weight'):
        nn.init.constant_(module.weight, val)
    if _has(module, 'bias'):
        nn.init.constant_(module.bias, bias)


def xavier_init(module: nn.Module, gain: float = 1, bias: float = 0, distribution: str = 'normal') -> None:
    assert distribution in ['uniform', 'normal']
    if _has(module, 'weight'):
        if distribution == 'uniform':
            nn.init.xavier_uniform_(module.weight, gain=gain)
        else:
            nn.init.xavier_normal_(module.weight, gain=gain)
    if _has(module, 'bias'):
        nn.init.constant_(module.bias, bias)


def normal_init(module: nn.Module, mean: float = 0, std: float = 1, bias: float = 0) -> None:
    if _has(module, 'weight'):
        nn.init.normal_(module.weight, mean, std)
    if _has(module, 'bias'):
        nn.init.constant_(module.bias, bias)


def trunc_normal_(tensor: torch.Tensor, mean: float = 0., std: float = 1., a: float = -2.,
                  b: float = 2.) -> torch.Tensor:
    """Fill ``tensor`` from N(mean, std) truncated to [a, b] (torch's implementation)."""
    return nn.init.trunc_normal_(tensor, mean, std, a, b)


def trunc_normal_init(module: nn.Module, mean: float = 0, std: float = 1, a: float = -2, b: float = 2,
                      bias: float = 0) -> None:
    if _has(module, 'weight'):
        trunc_normal_(module.weight, mean, std, a, b)
    if _has(module, 'bias'):
        nn.init.constant_(module.bias, bias)


def uniform_init(module: nn.Module, a: float = 0, b: float = 1, bias: float = 0) -> None:
    if _has(module, 'weight'):
        nn.init.uniform_(module.weight, a, b)
    if _has(module, 'bias'):
        nn.init.constant_(module.bias, bias)


def kaiming_init(module: nn.Module, a: float = 0, mode: str = 'fan_out', nonlinearity: str = 'relu',
                 bias: float = 0, distribution: str = 'normal') -> None:
    assert distribution in ['uniform', 'normal']
    if _has(module, 'weight'):
        if distribution == 'uniform':
            nn.init.kaiming_uniform_(module.weight, a=a, mode=mode, nonlinearity=nonlinearity)
        else:
            nn.init.kaiming_normal_(module.weight, a=a, mode=mode, nonlinearity=nonlinearity)
    if _has(module, 'bias'):
        nn.init.constant_(module.bias, bias)


def caffe2_xavier_init(module: nn.Module, bias: float = 0) -> None:
    # Caffe2's "XavierFill" is a uniform kaiming init with a=1, fan_in.
    kaiming_init(module, a=1, mode='fan_in', nonlinearity='leaky_relu', bias=bias, distribution='uniform')


def bias_init_with_prob(prior_prob: float) -> float:
    """Bias value whose sigmoid equals ``prior_prob`` (focal-loss style classifier init)."""
    return float(-math.log((1 - prior_prob) / prior_prob))


def _class_and_direct_base_names(m: nn.Module) -> List[str]:
    return [m.__class__.__name__] + [b.__name__ for b in m.__class__.__bases__]


class BaseInit:
    """Common arguments of the layer-wise initializers.

    Args:
        bias: value for biases.
        bias_prob: if given (a float), the bias becomes ``bias_init_with_prob(bias_prob)``.
        layer: class name(s) to initialise.
    """

    def __init__(self, *, bias: float = 0, bias_prob: Optional[float] = None,
                 layer: Union[None, str, List[str]] = None) -> None:
        self.wholemodule = False
        if not isinstance(bias, (int, float)):
            raise TypeError(f'bias must be a number, but got a {type(bias)}')
        if bias_prob is not None and not isinstance(bias_prob, float):
            raise TypeError(f'bias_prob type must be float, but got {type(bias_prob)}')
        if layer is not None and not isinstance(layer, (str, list)):
            raise TypeError(f'layer must be a str or a list of str, but got a {type(layer)}')
        layer = [] if layer is None else layer
        self.bias = bias_init_with_prob(bias_prob) if bias_prob is not None else bias
        self.layer = [layer] if isinstance(layer, str) else layer

    def init_one(self, m: nn.Module) -> None:
        raise NotImplementedError

    def _wants(self, m: nn.Module) -> bool:
        return self.wholemodule or bool(set(self.layer) & set(_class_and_direct_base_names(m)))

    def __call__(self, module: nn.Module) -> None:
        module.apply(lambda m: self.init_one(m) if self._wants(m) else None)
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}, bias={self.bias}'


@INITIALIZERS.register_module(name='Constant')
class ConstantInit(BaseInit):
    """Fill weights with ``val`` and biases with ``bias``."""

    def __init__(self, val: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.val = val

    def init_one(self, m: nn.Module) -> None:
        constant_init(m, self.val, self.bias)

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}: val={self.val}, bias={self.bias}'


@INITIALIZERS.register_module(name='Xavier')
class XavierInit(BaseInit):
    """Xavier (Glorot) init, ``distribution`` 'normal' or 'uniform'."""

    def __init__(self, gain: float = 1, distribution: str = 'normal', **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gain = gain
        self.distribution = distribution

    def init_one(self, m: nn.Module) -> None:
        xavier_init(m, self.gain, self.bias, self.distribution)

    def _get_init_info(self) -> str:
        return (f'{self.__class__.__name__}: gain={self.gain}, distribution={self.distribution}, '
                f'bias={self.bias}')


@INITIALIZERS.register_module(name='Normal')
class NormalInit(BaseInit):
    """Weights from N(mean, std)."""

    def __init__(self, mean: float = 0, std: float = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mean = mean
        self.std = std

    def init_one(self, m: nn.Module) -> None:
        normal_init(m, self.mean, self.std, self.bias)

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}: mean={self.mean}, std={self.std}, bias={self.bias}'


@INITIALIZERS.register_module(name='TruncNormal')
class TruncNormalInit(BaseInit):
    """Weights from N(mean, std) truncated to [a, b]."""

    def __init__(self, mean: float = 0, std: float = 1, a: float = -2, b: float = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mean = mean
        self.std = std
        self.a = a
        self.b = b

    def init_one(self, m: nn.Module) -> None:
        trunc_normal_init(m, self.mean, self.std, self.a, self.b, self.bias)

    def _get_init_info(self) -> str:
        return (f'{self.__class__.__name__}: a={self.a}, b={self.b}, mean={self.mean}, '
                f'std={self.std}, bias={self.bias}')


@INITIALIZERS.register_module(name='Uniform')
class UniformInit(BaseInit):
    """Weights from U(a, b)."""

    def __init__(self, a: float = 0, b: float = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.a = a
        self.b = b

    def init_one(self, m: nn.Module) -> None:
        uniform_init(m, self.a, self.b, self.bias)

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}: a={self.a}, b={self.b}, bias={self.bias}'


@INITIALIZERS.register_module(name='Kaiming')
class KaimingInit(BaseInit):
    """Kaiming (He) init."""

    def __init__(self, a: float = 0, mode: str = 'fan_out', nonlinearity: str = 'relu',
                 distribution: str = 'normal', **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.a = a
        self.mode = mode
        self.nonlinearity = nonlinearity
        self.distribution = distribution

    def init_one(self, m: nn.Module) -> None:
        kaiming_init(m, self.a, self.mode, self.nonlinearity, self.bias, self.distribution)

    def _get_init_info(self) -> str:
        return (f'{self.__class__.__name__}: a={self.a}, mode={self.mode}, '
                f'nonlinearity={self.nonlinearity}, distribution ={self.distribution}, bias={self.bias}')


@INITIALIZERS.register_module(name='Caffe2Xavier')
class Caffe2XavierInit(KaimingInit):
    """``caffe2_xavier_init`` as an initializer."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(a=1, mode='fan_in', nonlinearity='leaky_relu', distribution='uniform', **kwargs)


@INITIALIZERS.register_module(name='Pretrained')
class PretrainedInit:
    """Load weights from a checkpoint, optionally only the keys under ``prefix`` (stripped)."""

    def __init__(self, checkpoint: str, prefix: Optional[str] = None, map_location: Any = None) -> None:
        self.checkpoint = checkpoint
        self.prefix = prefix
        self.map_location = map_location

    def __call__(self, module: nn.Module) -> None:
        # checkpoint imports the runner side; keep it out of ``import legacy_runner.cnn``.
        from ..checkpoint import _load_checkpoint_with_prefix, load_checkpoint, load_state_dict

        logger = get_logger('mmcv')
        if self.prefix is None:
            print_log(f'load model from: {self.checkpoint}', logger=logger)
            load_checkpoint(module, self.checkpoint, map_location=self.map_location, strict=False,
                            logger=logger)
        else:
            print_log(f'load {self.prefix} in model from: {self.checkpoint}', logger=logger)
            state_dict = _load_checkpoint_with_prefix(self.prefix, self.checkpoint,
                                                      map_location=self.map_location)
            load_state_dict(module, state_dict, strict=False, logger=logger)
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}: load from {self.checkpoint}'


def _initialize(module: nn.Module, cfg: Dict, wholemodule: bool = False) -> None:
    func = build_from_cfg(cfg, INITIALIZERS)
    # An override names one submodule and carries no ``layer``: it initialises all of it.
    func.wholemodule = wholemodule
    func(module)


def _initialize_override(module: nn.Module, override: Union[Dict, List[Dict]], cfg: Dict) -> None:
    if not isinstance(override, (dict, list)):
        raise TypeError(f'override must be a dict or a list of dict, but got {type(override)}')
    for item in [override] if isinstance(override, dict) else override:
        cp_override = copy.deepcopy(item)
        name = cp_override.pop('name', None)
        if name is None:
            raise ValueError(f'`override` must contain the key "name",but got {cp_override}')
        if not cp_override:
            # only a name: reuse the outer initializer's arguments
            cp_override.update(cfg)
        elif 'type' not in cp_override:
            raise ValueError(f'`override` need "type" key, but got {cp_override}')
        if not hasattr(module, name):
            raise RuntimeError(f'module did not have attribute {name}, but init_cfg is {cp_override}.')
        _initialize(getattr(module, name), cp_override, wholemodule=True)


def initialize(module: nn.Module, init_cfg: Union[Dict, List[Dict]]) -> None:
    """Initialise ``module`` from one init_cfg dict or a list of them (applied in order)."""
    if not isinstance(init_cfg, (dict, list)):
        raise TypeError(f'init_cfg must be a dict or a list of dict, but got {type(init_cfg)}')
    for cfg in [init_cfg] if isinstance(init_cfg, dict) else init_cfg:
        # Deep copy: one init_cfg object is often shared by many blocks, and we pop keys below.
        cp_cfg = copy.deepcopy(cfg)
        override = cp_cfg.pop('override', None)
        _initialize(module, cp_cfg)
        if override is not None:
            cp_cfg.pop('layer', None)
            _initialize_override(module, override, cp_cfg)
