"""mmengine-named registries for the v2 face, built on the shared :class:`legacy_runner.registry.Registry`.

Differences from the v1 registries, all taken from mmengine's behaviour:
- ``build`` does not re-wrap constructor exceptions (mmcv prefixes the class name);
- ``_scope_`` is accepted and popped, an unscoped lookup tries the child registry of the current
  default scope first, then this registry, then its parents;
- an unknown type raises ``KeyError('<T> is not in the <scope>::<name> registry. ...')``.

``OPTIMIZERS`` is the shared optimizer registry of :mod:`legacy_runner.optim_builder` (every
``torch.optim`` optimizer, the base ``Optimizer`` included), not a copy.
"""
import inspect
from typing import Any, Callable, Dict, Optional

from legacy_runner.optim_builder import OPTIMIZERS
from legacy_runner.registry import Registry, _suggest

_default_scope: Dict[str, Optional[str]] = {'name': 'mmengine'}


def set_default_scope(scope: Optional[str]) -> None:
    """Set the scope unscoped type names resolve in first (``Runner(default_scope=...)``)."""
    _default_scope['name'] = scope


def get_default_scope() -> Optional[str]:
    return _default_scope['name']


class V2Registry(Registry):
    """A Registry whose unscoped lookups fall back to the default-scope child and to the parents."""

    def get(self, key: str) -> Any:
        scope, real_key = self.split_scope_key(key)
        if scope is not None and scope != self._scope:
            return super().get(key)
        if scope is None:
            current = _default_scope['name']
            if current is not None and current != self._scope and current in self._children:
                found = self._children[current]._get_up(real_key)
                if found is not None:
                    return found
        return self._get_up(real_key)

    def _get_up(self, name: str) -> Any:
        registry: Optional[Registry] = self
        while registry is not None:
            if name in registry._module_dict:
                return registry._module_dict[name]
            registry = registry.parent
        return None


def build_from_cfg(cfg: Any, registry: Registry, default_args: Optional[Dict] = None) -> Any:
    """Build ``cfg['type']`` from ``registry`` with mmengine's semantics (see the module docstring)."""
    if not isinstance(cfg, dict):
        raise TypeError(f'cfg should be a dict, ConfigDict or Config, but got {type(cfg)}')
    if 'type' not in cfg and (default_args is None or 'type' not in default_args):
        raise KeyError('`cfg` or `default_args` must contain the key "type", '
                       f'but got {cfg}\n{default_args}')
    if not (default_args is None or isinstance(default_args, dict)):
        raise TypeError(f'default_args should be a dict, ConfigDict, Config or None, but got '
                        f'{type(default_args)}')
    args = dict(cfg)
    if default_args:
        for name, value in default_args.items():
            args.setdefault(name, value)
    args.pop('_scope_', None)
    obj_type = args.pop('type')
    if isinstance(obj_type, str):
        obj_cls = registry.get(obj_type)
        if obj_cls is None:
            raise KeyError(f'{obj_type} is not in the {registry.scope}::{registry.name} registry. '
                           'Please check whether the value of `type` is correct or it was '
                           f'registered as expected.{_suggest(obj_type, registry)}')
    elif inspect.isclass(obj_type) or inspect.isfunction(obj_type) or callable(obj_type):
        obj_cls = obj_type
    else:
        raise TypeError(f'type must be a str or valid type, but got {type(obj_type)}')
    get_instance = getattr(obj_cls, 'get_instance', None)
    if inspect.isclass(obj_cls) and get_instance is not None:
        return get_instance(**args)
    return obj_cls(**args)


def _registry(name: str, build_func: Callable = build_from_cfg) -> V2Registry:
    return V2Registry(name, build_func=build_func, scope='mmengine')


RUNNERS = _registry('runner')
RUNNER_CONSTRUCTORS = _registry('runner constructor')
LOOPS = _registry('loop')
HOOKS = _registry('hook')
STRATEGIES = _registry('strategy')
DATASETS = _registry('dataset')
DATA_SAMPLERS = _registry('data sampler')
TRANSFORMS = _registry('transform')
MODELS = _registry('model')
MODEL_WRAPPERS = _registry('model_wrapper')
WEIGHT_INITIALIZERS = _registry('weight initializer')
OPTIM_WRAPPERS = _registry('optim_wrapper')
OPTIM_WRAPPER_CONSTRUCTORS = _registry('optimizer wrapper constructor')
PARAM_SCHEDULERS = _registry('parameter scheduler')  # build_func set in scheduler.py
METRICS = _registry('metric')
EVALUATOR = _registry('evaluator')
TASK_UTILS = _registry('task util')
VISUALIZERS = _registry('visualizer')
VISBACKENDS = _registry('vis_backend')
LOG_PROCESSORS = _registry('log_processor')
INFERENCERS = _registry('inferencer')
FUNCTIONS = _registry('function')

__all__ = [
    'V2Registry', 'build_from_cfg', 'set_default_scope', 'get_default_scope', 'RUNNERS',
    'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'STRATEGIES', 'DATASETS', 'DATA_SAMPLERS', 'TRANSFORMS',
    'MODELS', 'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS', 'OPTIMIZERS', 'OPTIM_WRAPPERS',
    'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS', 'METRICS', 'EVALUATOR', 'TASK_UTILS',
    'VISUALIZERS', 'VISBACKENDS', 'LOG_PROCESSORS', 'INFERENCERS', 'FUNCTIONS',
]
