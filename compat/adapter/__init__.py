"""The runtime adapter: format detection, in-memory conversion, and the v1 <-> v2 bridges.

``detect_format`` and friends are light (no torch). Everything else is loaded on first use, and
loading it calls ``install()``: that registers the bridges in the v2 registries
(``V1DatasetMetric``, ``V1HookAdapter``, ``V1DatasetBinderHook``, ``LegacyCheckpointHook``,
``LegacyOrderSampler``, ``MultiOptimWrapperConstructor``) and links the registries both ways: an
unknown v2 model/dataset type is looked up in legacy_runner's MODELS/DATASETS (a v1 model comes
back adapted to the v2 step contract), and an unknown legacy model type in the v2 MODELS (a v2
``BaseModel`` comes back wrapped for the legacy runners). The runtimes themselves never learn which
format a config came from.
"""
import importlib
from typing import Any

from legacy_runner import safe_load as _safe_load

from .detect import MixedFormatError, classify_keys, detect_format


def _import_v2_classes() -> None:
    """A checkpoint pickles mmengine's (or our v2) classes: importing the v2 modules registers them
    with the (core) safe loader, which runs this only when a file names such a module."""
    importlib.import_module('compat.v2.logging')
    importlib.import_module('compat.v2.scheduler')


_safe_load.register_class_provider(_import_v2_classes, ('mmengine.', 'compat.v2.'))

# public name -> submodule, loaded (with the bridges installed) on first access
_LAZY = {
    'install': 'registries', 'LegacyOrderSampler': 'bridges', 'V1DatasetMetric': 'bridges',
    'V2ModelOnLegacy': 'bridges', 'adapt_v1_model': 'bridges', 'has_v1_train_step': 'bridges',
    'V1DatasetBinderHook': 'hooks', 'V1HookAdapter': 'hooks', 'V1RunnerShim': 'hooks',
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'compat.adapter' has no attribute '{name}'")
    from .registries import install
    install()
    value = getattr(importlib.import_module(f'{__name__}.{_LAZY[name]}'), name)
    globals()[name] = value
    return value


__all__ = ['MixedFormatError', 'classify_keys', 'detect_format', *_LAZY]
