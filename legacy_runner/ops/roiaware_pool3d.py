"""mmcv.ops.roiaware_pool3d: RoI-aware 3D pooling. Only a compiled kernel exists in mmcv; here the
names import and raise NotImplementedError (naming the op) when called or constructed."""
from ._unsupported import unsupported_class

RoIAwarePool3d = unsupported_class('RoIAwarePool3d')

__all__ = ['RoIAwarePool3d']
