"""mmcv.ops.three_interpolate: three-point interpolation (point clouds). Only a compiled kernel exists
in mmcv; here the names import and raise NotImplementedError (naming the op) when called or
constructed."""
from ._unsupported import unsupported_function

three_interpolate = unsupported_function('three_interpolate')

__all__ = ['three_interpolate']
