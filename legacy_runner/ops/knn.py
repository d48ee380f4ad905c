"""mmcv.ops.knn: k nearest neighbours (point clouds). Only a compiled kernel exists in mmcv; here the
names import and raise NotImplementedError (naming the op) when called or constructed."""
from ._unsupported import unsupported_function

knn = unsupported_function('knn')

__all__ = ['knn']
