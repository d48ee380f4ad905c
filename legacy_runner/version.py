"""Versions: legacy_runner's own, and the mmcv version it reports when it serves ``import mmcv``.

The mmcv API served is 1.7.2's; the version *reported* defaults to 1.7.0, the newest one that the
version gates of the OpenMMLab 1.x codebases accept (mmpose 0.29 wants mmcv <= 1.7.0, mmdet 2.28
and mmseg 0.30 < 1.8.0, mmcls 0.25 <= 1.9.0). ``LEGACY_RUNNER_MMCV_VERSION=1.6.2`` reports another
one, for a codebase with another window.
"""
import os
import re

__version__ = '0.1.0'
MMCV_API_VERSION = '1.7.2'
DEFAULT_MMCV_VERSION = '1.7.0'
MMCV_VERSION_ENV = 'LEGACY_RUNNER_MMCV_VERSION'
_VERSION_RE = re.compile(r'\d+\.\d+\.\d+(rc\d+)?$')


def mmcv_version() -> str:
    """``mmcv.__version__`` as served by the shim (and written to checkpoints as mmcv_version)."""
    value = os.environ.get(MMCV_VERSION_ENV, '').strip()
    if not value:
        return DEFAULT_MMCV_VERSION
    if not _VERSION_RE.match(value):
        raise ValueError(f'{MMCV_VERSION_ENV}={value!r} is not an mmcv version such as 1.6.2 or 1.7.0rc1')
    return value
