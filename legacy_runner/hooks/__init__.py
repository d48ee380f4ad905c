"""mmcv 1.x hooks, registered in ``HOOKS`` under mmcv's names."""
from .hook import HOOKS, Hook
from .lr_updater import (
                         CosineAnnealingLrUpdaterHook,
                         CosineRestartLrUpdaterHook,
                         CyclicLrUpdaterHook,
                         ExpLrUpdaterHook,
                         FixedLrUpdaterHook,
                         FlatCosineAnnealingLrUpdaterHook,
                         InvLrUpdaterHook,
                         LinearAnnealingLrUpdaterHook,
                         LrUpdaterHook,
                         OneCycleLrUpdaterHook,
                         PolyLrUpdaterHook,
                         StepLrUpdaterHook,
)
from .momentum_updater import (
                         CosineAnnealingMomentumUpdaterHook,
                         CyclicMomentumUpdaterHook,
                         LinearAnnealingMomentumUpdaterHook,
                         MomentumUpdaterHook,
                         OneCycleMomentumUpdaterHook,
                         StepMomentumUpdaterHook,
)

__all__ = [
    'HOOKS', 'Hook', 'LrUpdaterHook', 'FixedLrUpdaterHook', 'StepLrUpdaterHook', 'ExpLrUpdaterHook',
    'PolyLrUpdaterHook', 'InvLrUpdaterHook', 'CosineAnnealingLrUpdaterHook',
    'FlatCosineAnnealingLrUpdaterHook', 'CosineRestartLrUpdaterHook', 'CyclicLrUpdaterHook',
    'OneCycleLrUpdaterHook', 'LinearAnnealingLrUpdaterHook', 'MomentumUpdaterHook',
    'StepMomentumUpdaterHook', 'CosineAnnealingMomentumUpdaterHook', 'LinearAnnealingMomentumUpdaterHook',
    'CyclicMomentumUpdaterHook', 'OneCycleMomentumUpdaterHook'
]
