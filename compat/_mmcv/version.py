"""``mmcv.version``: the mmcv release the shim is compatible with."""
from legacy_runner.utils.misc import digit_version
from legacy_runner.version import mmcv_compat_version

__version__ = mmcv_compat_version
version_info = tuple(int(x) for x in __version__.split('.')[:3])


def parse_version_info(version_str: str) -> tuple:
    """'1.7.2' -> (1, 7, 2); a non-numeric part such as 'rc1' is kept as a string."""
    return tuple(int(p) if p.isdigit() else p for p in version_str.split('.'))


__all__ = ['__version__', 'version_info', 'digit_version', 'parse_version_info']
