"""legacy_runner: the mmcv 1.x training stack on modern PyTorch.

Importing the package is cheap: names are resolved lazily, so ``import legacy_runner`` pulls in
neither torch nor any optional extra until a runner-side name is used.
"""
import importlib
from typing import Any, Dict, List

from .version import __version__

# public name -> submodule that defines it
_LAZY: Dict[str, str] = {
    'Config': 'legacy_runner.config',
    'ConfigDict': 'legacy_runner.config',
    'DictAction': 'legacy_runner.config',
    'Registry': 'legacy_runner.registry',
    'build_from_cfg': 'legacy_runner.registry',
    'load': 'legacy_runner.utils.fileio',
    'dump': 'legacy_runner.utils.fileio',
    'get_logger': 'legacy_runner.utils.logging',
    'print_log': 'legacy_runner.utils.logging',
    'ProgressBar': 'legacy_runner.utils.progressbar',
    'track_progress': 'legacy_runner.utils.progressbar',
    'track_iter_progress': 'legacy_runner.utils.progressbar',
    'track_parallel_progress': 'legacy_runner.utils.progressbar',
    'collect_env': 'legacy_runner.utils.env',
    'is_list_of': 'legacy_runner.utils.misc',
    'is_seq_of': 'legacy_runner.utils.misc',
    'is_tuple_of': 'legacy_runner.utils.misc',
    'is_str': 'legacy_runner.utils.misc',
    'mkdir_or_exist': 'legacy_runner.utils.misc',
    'symlink': 'legacy_runner.utils.misc',
    'scandir': 'legacy_runner.utils.misc',
    'check_file_exist': 'legacy_runner.utils.misc',
    'digit_version': 'legacy_runner.utils.misc',
    'import_modules_from_strings': 'legacy_runner.utils.misc',
    'get_git_hash': 'legacy_runner.utils.misc',
    'Timer': 'legacy_runner.utils.timer',
    'TimerError': 'legacy_runner.utils.timer',
    'check_time': 'legacy_runner.utils.timer',
    'FileClient': 'legacy_runner.utils.file_client',
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'legacy_runner' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> List[str]:
    return sorted(list(globals()) + list(_LAZY))


__all__ = ['__version__', *_LAZY]
