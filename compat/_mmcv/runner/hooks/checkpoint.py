"""``mmcv.runner.hooks.checkpoint`` (shim)."""
from legacy_runner.hooks.checkpoint import CheckpointHook

__all__ = ['CheckpointHook']
