"""``mmcv.device.ipu``: Graphcore IPU runners need poptorch. As in mmcv, without it this package
exports only ``IS_IPU_AVAILABLE``; the IPU names still resolve and raise one clear error on use."""
from typing import Any

from ...utils.device_type import IS_IPU_AVAILABLE

_IPU_NAMES = ('IPUBaseRunner', 'IPUEpochBasedRunner', 'IPUIterBasedRunner', 'IPUDataLoader',
              'IPUFp16OptimizerHook', 'IPUOptimizerHook', 'ipu_model_wrapper', 'cfg2options')


def _unavailable(name: str) -> Any:
    def use(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f'mmcv.device.ipu.{name} needs Graphcore IPUs (poptorch), which legacy_runner '
                           'does not support: use the CPU/CUDA runners instead')
    use.__name__ = use.__qualname__ = name
    return use


def __getattr__(name: str) -> Any:
    if name in _IPU_NAMES:
        return _unavailable(name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


__all__ = ['IS_IPU_AVAILABLE']
