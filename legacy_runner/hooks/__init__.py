"""mmcv 1.x hooks, registered in ``HOOKS`` under mmcv's names."""
from .hook import HOOKS, Hook

__all__ = ['HOOKS', 'Hook']
