"""Small helpers that old mmcv code imports from ``mmcv`` / ``mmcv.utils``.

Nothing here imports torch: config work and conversion must start fast.
"""
from .env import collect_env
from .file_client import FileClient, HardDiskBackend, dict_from_file, list_from_file
from .fileio import dump, load
from .helpers import (
                      check_prerequisites,
                      concat_list,
                      deprecated_api_warning,
                      fopen,
                      has_method,
                      is_filepath,
                      iter_cast,
                      list_cast,
                      obj_from_dict,
                      requires_executable,
                      requires_package,
                      slice_list,
                      to_1tuple,
                      to_2tuple,
                      to_3tuple,
                      to_4tuple,
                      to_ntuple,
                      tuple_cast,
)
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
from .timer import Timer, TimerError, check_time

__all__ = [
    'check_file_exist', 'collect_env', 'digit_version', 'dump', 'get_git_hash', 'get_logger',
    'import_modules_from_strings', 'is_list_of', 'is_method_overridden', 'is_seq_of', 'is_str',
    'is_tuple_of', 'load', 'logger_initialized', 'mkdir_or_exist', 'print_log', 'ProgressBar', 'scandir',
    'symlink', 'track_iter_progress', 'track_parallel_progress', 'track_progress',
    'FileClient', 'HardDiskBackend', 'dict_from_file', 'list_from_file', 'Timer', 'TimerError',
    'check_time', 'check_prerequisites', 'concat_list', 'deprecated_api_warning', 'fopen', 'has_method',
    'is_filepath', 'iter_cast', 'list_cast', 'obj_from_dict', 'requires_executable', 'requires_package',
    'slice_list', 'to_1tuple', 'to_2tuple', 'to_3tuple', 'to_4tuple', 'to_ntuple', 'tuple_cast'
]
