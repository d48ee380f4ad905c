"""``mmcv.cnn.bricks.conv_module`` (shim)."""
from legacy_runner.cnn.bricks.conv_module import ConvModule

__all__ = ['ConvModule']
