"""``mmcv.cnn`` (shim): ConvModule and the build_*_layer bricks, their registries, weight init,
and ``MODELS`` (legacy_runner's model registry, the parent mmdet/mmcls 1.x registries use)."""
from legacy_runner.builder import MODELS
from legacy_runner.cnn import *  # noqa: F401,F403
from legacy_runner.cnn import __all__ as _cnn_names

from ..utils.registry import build_model_from_cfg
from . import bricks, utils  # noqa: F401

__all__ = [*_cnn_names, 'MODELS', 'build_model_from_cfg']
