"""mmcv 1.x ``Config`` / ``ConfigDict`` / ``DictAction``, pure Python (no torch, no addict).

``DictAction`` is resolved lazily so that importing this package does not import argparse; yapf
and yaml are likewise imported only when ``pretty_text`` or a yaml/json file needs them.
"""
from typing import Any

from .config import Config
from .config_dict import ConfigDict
from .loader import CircularBaseError


def __getattr__(name: str) -> Any:
    if name == 'DictAction':
        from .dict_action import DictAction
        globals()['DictAction'] = DictAction
        return DictAction
    raise AttributeError(f"module 'legacy_runner.config' has no attribute '{name}'")


__all__ = ['Config', 'ConfigDict', 'DictAction', 'CircularBaseError']
