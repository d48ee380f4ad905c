"""mmcv.ops.points_sampler: point samplers (point clouds). Only a compiled kernel exists in mmcv; here
the names import and raise NotImplementedError (naming the op) when called or constructed."""
from ._unsupported import unsupported_class

PointsSampler = unsupported_class('PointsSampler')

__all__ = ['PointsSampler']
