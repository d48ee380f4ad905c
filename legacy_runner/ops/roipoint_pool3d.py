"""mmcv.ops.roipoint_pool3d: RoI point 3D pooling. Only a compiled kernel exists in mmcv; here the
names import and raise NotImplementedError (naming the op) when called or constructed."""
from ._unsupported import unsupported_class

RoIPointPool3d = unsupported_class('RoIPointPool3d')

__all__ = ['RoIPointPool3d']
