"""RUNNERS / RUNNER_BUILDERS registries and ``build_runner`` (mmcv 1.x)."""
import copy
from typing import Any, Dict, Optional

from ..registry import Registry

RUNNERS = Registry('runner')
RUNNER_BUILDERS = Registry('runner builder')


def build_runner_constructor(cfg: Dict) -> Any:
    return RUNNER_BUILDERS.build(cfg)


def build_runner(cfg: Dict, default_args: Optional[Dict] = None) -> Any:
    """Build a runner from ``cfg`` (e.g. ``dict(type='EpochBasedRunner', max_epochs=12)``).

    ``cfg['constructor']`` names the RUNNER_BUILDERS entry (default DefaultRunnerConstructor).
    """
    # The runner classes register themselves on import; make sure that has happened.
    from . import epoch_based_runner, iter_based_runner  # noqa: F401

    runner_cfg = copy.deepcopy(cfg)
    constructor_type = runner_cfg.pop('constructor', 'DefaultRunnerConstructor')
    constructor = build_runner_constructor(
        dict(type=constructor_type, runner_cfg=runner_cfg, default_args=default_args))
    return constructor()


@RUNNER_BUILDERS.register_module()
class DefaultRunnerConstructor:
    """Builds ``runner_cfg`` from RUNNERS; subclass it to customise runner construction."""

    def __init__(self, runner_cfg: Dict, default_args: Optional[Dict] = None) -> None:
        if not isinstance(runner_cfg, dict):
            raise TypeError('runner_cfg should be a dict', f'but got {type(runner_cfg)}')
        self.runner_cfg = runner_cfg
        self.default_args = default_args

    def __call__(self) -> Any:
        return RUNNERS.build(self.runner_cfg, default_args=self.default_args)
