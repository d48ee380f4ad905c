"""``mmcv`` served by legacy_runner (see ``compat.mmcv_shim``); version 1.7-compatible.

As in mmcv, ``mmcv.runner``, ``mmcv.cnn``, ``mmcv.parallel`` and ``mmcv.engine`` are not imported
by ``import mmcv``; import them explicitly.
"""
from typing import Any

from .fileio import *  # noqa: F401,F403
from .utils import *  # noqa: F401,F403
from .version import *  # noqa: F401,F403

LEGACY_RUNNER_SHIM = True


def __getattr__(name: str) -> Any:
    raise AttributeError(f"module 'mmcv' has no attribute {name!r} (the legacy_runner mmcv shim "
                         'provides the 1.x training stack; submodules such as mmcv.runner must be '
                         'imported explicitly)')
