"""``MODELS`` registry of mmcv.cnn and ``build_model_from_cfg`` (a list builds a Sequential)."""
from typing import Any, Dict, List, Optional, Union

from ..base_module import Sequential
from ..registry import Registry, build_from_cfg


def build_model_from_cfg(cfg: Union[Dict, List[Dict]], registry: Registry,
                         default_args: Optional[Dict] = None) -> Any:
    """Build a module from a config; a list of configs builds each and wraps them in a
    ``Sequential`` (with init_cfg support)."""
    if isinstance(cfg, list):
        return Sequential(*[build_from_cfg(cfg_, registry, default_args) for cfg_ in cfg])
    return build_from_cfg(cfg, registry, default_args)


MODELS = Registry('model', build_func=build_model_from_cfg)

__all__ = ['MODELS', 'build_model_from_cfg']
