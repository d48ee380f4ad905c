"""``mmcv.cnn.builder`` (shim)."""
from legacy_runner.builder import MODELS

from ..utils.registry import build_model_from_cfg

__all__ = ['MODELS', 'build_model_from_cfg']
