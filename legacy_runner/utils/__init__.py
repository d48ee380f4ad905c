"""Small helpers that old mmcv code imports from ``mmcv`` / ``mmcv.utils``.

Nothing here imports torch: config work and conversion must start fast.
"""
from .env import collect_env
from .fileio import dump, load
from .logging import get_logger, logger_initialized, print_log
from .misc import (
                   check_file_exist,
                   digit_version,
                   get_git_hash,
                   import_modules_from_strings,
                   is_list_of,
                   is_method_overridden,
                   is_seq_of,
                   is_str,
                   is_tuple_of,
                   mkdir_or_exist,
                   scandir,
                   symlink,
)
from .progressbar import ProgressBar, track_iter_progress, track_parallel_progress, track_progress

__all__ = [
    'check_file_exist', 'collect_env', 'digit_version', 'dump', 'get_git_hash', 'get_logger',
    'import_modules_from_strings', 'is_list_of', 'is_method_overridden', 'is_seq_of', 'is_str',
    'is_tuple_of', 'load', 'logger_initialized', 'mkdir_or_exist', 'print_log', 'ProgressBar', 'scandir',
    'symlink', 'track_iter_progress', 'track_parallel_progress', 'track_progress'
]
