"""``mmcv.utils.path`` (shim)."""
from legacy_runner.utils.helpers import fopen, is_filepath
from legacy_runner.utils.misc import check_file_exist, mkdir_or_exist, scandir, symlink

__all__ = ['check_file_exist', 'fopen', 'is_filepath', 'mkdir_or_exist', 'scandir', 'symlink']
