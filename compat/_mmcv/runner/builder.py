"""``mmcv.runner.builder`` (shim)."""
from legacy_runner.runner.builder import RUNNER_BUILDERS, RUNNERS, build_runner, build_runner_constructor

__all__ = ['RUNNER_BUILDERS', 'RUNNERS', 'build_runner', 'build_runner_constructor']
