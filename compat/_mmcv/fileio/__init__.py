"""``mmcv.fileio`` (shim): load/dump (json, yaml, pickle) and a local-disk FileClient."""
from legacy_runner.utils.file_client import FileClient, HardDiskBackend, dict_from_file, list_from_file
from legacy_runner.utils.fileio import dump, load

__all__ = ['FileClient', 'HardDiskBackend', 'dict_from_file', 'dump', 'list_from_file', 'load']
