"""``mmcv.version``: the mmcv version reported (see ``legacy_runner.version``)."""
from typing import Tuple, Union

from legacy_runner.version import mmcv_version


def parse_version_info(version_str: str) -> Tuple[Union[int, str], ...]:
    """'1.7.0' -> (1, 7, 0); '1.7.0rc1' -> (1, 7, 0, 'rc1'), as mmcv does."""
    info = []
    for part in version_str.split('.'):
        if part.isdigit():
            info.append(int(part))
        elif 'rc' in part:
            number, rc = part.split('rc')
            info.extend([int(number), f'rc{rc}'])
    return tuple(info)


__version__ = mmcv_version()
version_info = parse_version_info(__version__)

__all__ = ['__version__', 'version_info', 'parse_version_info']
