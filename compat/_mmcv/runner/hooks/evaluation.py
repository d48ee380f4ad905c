"""``mmcv.runner.hooks.evaluation`` (shim)."""
from legacy_runner.hooks.evaluation import DistEvalHook, EvalHook

__all__ = ['DistEvalHook', 'EvalHook']
