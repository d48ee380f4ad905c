"""Small helpers that old mmcv code imports from ``mmcv`` / ``mmcv.utils``.

Nothing here imports torch: config work and conversion must start fast.
"""
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

__all__ = [
    'check_file_exist', 'digit_version', 'get_git_hash', 'import_modules_from_strings', 'is_list_of',
    'is_method_overridden', 'is_seq_of', 'is_str', 'is_tuple_of', 'mkdir_or_exist', 'scandir', 'symlink'
]
