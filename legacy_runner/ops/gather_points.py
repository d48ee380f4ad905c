"""mmcv.ops.gather_points: point gathering (point clouds). Only a compiled kernel exists in mmcv; here
the names import and raise NotImplementedError (naming the op) when called or constructed."""
from ._unsupported import unsupported_function

gather_points = unsupported_function('gather_points')

__all__ = ['gather_points']
