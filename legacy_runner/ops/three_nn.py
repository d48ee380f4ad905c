"""mmcv.ops.three_nn: three nearest neighbours (point clouds). Only a compiled kernel exists in mmcv;
here the names import and raise NotImplementedError (naming the op) when called or constructed."""
from ._unsupported import unsupported_function

three_nn = unsupported_function('three_nn')

__all__ = ['three_nn']
