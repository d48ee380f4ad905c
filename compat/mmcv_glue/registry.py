"""``mmcv.utils.registry`` as served by the shim: Registry whose roots join legacy_runner's registries.

A registry that old code creates with a known name (``Registry('models')``, ``'backbone'``,
``'dataset'``, ``'pipeline'``, ``'hook'`` ...) is linked to the matching legacy_runner registry,
and one created with ``parent=`` is linked to its root; the generic ``train``/``test`` commands
then find the old code's classes by unscoped name (mmengine's default_scope idea), so
``custom_imports`` of the old package is enough. The registry itself keeps mmcv semantics.
"""
import importlib
import sys
from typing import Any, Callable, Dict, Optional, Tuple

from legacy_runner.registry import Registry as _CoreRegistry
from legacy_runner.registry import build_from_cfg

_MODELS = ('legacy_runner.builder', 'MODELS')
_TARGETS: Dict[str, Tuple[str, str]] = {
    **{n: _MODELS for n in (
        'model', 'models', 'backbone', 'backbones', 'neck', 'necks', 'head', 'heads', 'loss', 'losses',
        'detector', 'detectors', 'classifier', 'classifiers', 'segmentor', 'segmentors', 'recognizer',
        'recognizers', 'localizer', 'localizers', 'shared_head', 'shared_heads', 'roi_extractor',
        'roi_extractors', 'architecture', 'architectures', 'network', 'networks')},
    **{n: ('legacy_runner.builder', 'DATASETS') for n in ('dataset', 'datasets')},
    **{n: ('legacy_runner.builder', 'PIPELINES') for n in (
        'pipeline', 'pipelines', 'transform', 'transforms')},
    **{n: ('legacy_runner.hooks.hook', 'HOOKS') for n in ('hook', 'hooks')},
    **{n: ('legacy_runner.optim_builder', 'OPTIMIZERS') for n in ('optimizer', 'optimizers')},
    **{n: ('legacy_runner.optim_builder', 'OPTIMIZER_BUILDERS') for n in (
        'optimizer_builder', 'optimizer_builders', 'optimizer_constructor', 'optimizer_constructors')},
    **{n: ('legacy_runner.runner.builder', 'RUNNERS') for n in ('runner', 'runners')},
    **{n: ('legacy_runner.runner.builder', 'RUNNER_BUILDERS') for n in (
        'runner_builder', 'runner_builders', 'runner_constructor')},
}


def runtime_registry(name: str) -> Optional[_CoreRegistry]:
    """The legacy_runner registry that old registries called ``name`` join, or None."""
    key = name.strip().lower().replace(' ', '_').replace('-', '_')
    target = _TARGETS.get(key)
    if target is None:
        return None
    return getattr(importlib.import_module(target[0]), target[1])


def _root(registry: _CoreRegistry) -> _CoreRegistry:
    while registry.parent is not None:
        registry = registry.parent
    return registry


def _runtime_models() -> Optional[_CoreRegistry]:
    builder = sys.modules.get('legacy_runner.builder')
    return getattr(builder, 'MODELS', None)


def link_registry(registry: _CoreRegistry, target: Optional[str] = None) -> bool:
    """Make ``registry``'s classes visible to legacy_runner's builders; returns whether linked.

    ``target`` names the legacy_runner registry (e.g. 'models'); by default it is inferred from
    ``registry.name``, or, for a registry with a parent, the root of its parent chain is used.
    """
    if target is None and registry.parent is not None:
        root = _root(registry)
        if isinstance(root, Registry):
            return True  # the root is an old registry, linked (or not) on its own
        root.add_fallback(registry)
        return True
    found = runtime_registry(target or registry.name)
    if found is None or found is registry:
        return False
    found.add_fallback(registry)
    return True


class Registry(_CoreRegistry):
    """mmcv 1.x ``Registry`` (scope inferred from the creating module) that links itself to
    legacy_runner's registry of the same kind (see the module docstring)."""

    def __init__(self, name: str, build_func: Optional[Callable] = None,
                 parent: Optional[_CoreRegistry] = None, scope: Optional[str] = None) -> None:
        if scope is None:
            scope = sys._getframe(1).f_globals.get('__name__', '__main__').split('.')[0]
        if build_func is None and parent is not None and _root(parent) is _runtime_models():
            build_func = build_model_from_cfg  # what mmcv.cnn.MODELS hands to its children
        super().__init__(name, build_func=build_func, parent=parent, scope=scope)
        link_registry(self)


def build_model_from_cfg(cfg: Any, registry: _CoreRegistry, default_args: Optional[Dict] = None) -> Any:
    """Build a module, or an ``nn.Sequential`` of modules from a list of configs."""
    if isinstance(cfg, list):
        from torch import nn
        return nn.Sequential(*[build_from_cfg(c, registry, default_args) for c in cfg])
    return build_from_cfg(cfg, registry, default_args)


__all__ = ['Registry', 'build_from_cfg', 'build_model_from_cfg', 'link_registry', 'runtime_registry']
