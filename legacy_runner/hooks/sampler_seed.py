"""DistSamplerSeedHook: reshuffle distributed samplers differently every epoch."""
from typing import Any

from .hook import HOOKS, Hook


@HOOKS.register_module()
class DistSamplerSeedHook(Hook):
    """Call ``set_epoch(runner.epoch)`` on the loader's sampler (or its batch sampler's sampler).

    Runs before train and val epochs alike, as in mmcv.
    """

    def before_epoch(self, runner: Any) -> None:
        loader = runner.data_loader
        if hasattr(loader.sampler, 'set_epoch'):
            loader.sampler.set_epoch(runner.epoch)
        elif hasattr(loader.batch_sampler.sampler, 'set_epoch'):
            # a custom batch sampler wraps the distributed sampler
            loader.batch_sampler.sampler.set_epoch(runner.epoch)
