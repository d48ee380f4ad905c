"""``mmcv.utils.progressbar`` (shim)."""
from legacy_runner.utils.progressbar import (
    ProgressBar,
    track_iter_progress,
    track_parallel_progress,
    track_progress,
)

__all__ = ['ProgressBar', 'track_iter_progress', 'track_parallel_progress', 'track_progress']
