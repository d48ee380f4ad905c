"""mmcv.ops.chamfer_distance: chamfer distance (point clouds). Only a compiled kernel exists in mmcv;
here the names import and raise NotImplementedError (naming the op) when called or constructed."""
from ._unsupported import unsupported_function

chamfer_distance = unsupported_function('chamfer_distance')

__all__ = ['chamfer_distance']
