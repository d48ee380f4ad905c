"""``mmcv.runner.optimizer`` (shim)."""
from legacy_runner.optim_builder import (
    OPTIMIZER_BUILDERS,
    OPTIMIZERS,
    DefaultOptimizerConstructor,
    build_optimizer,
    build_optimizer_constructor,
)

__all__ = ['OPTIMIZER_BUILDERS', 'OPTIMIZERS', 'DefaultOptimizerConstructor', 'build_optimizer',
           'build_optimizer_constructor']
