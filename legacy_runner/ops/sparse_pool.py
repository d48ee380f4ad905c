"""mmcv.ops.sparse_pool: sparse max pooling. Only a compiled kernel exists in mmcv; here the names
import and raise NotImplementedError (naming the op) when called or constructed."""
from ._unsupported import unsupported_class

SparseMaxPool2d = unsupported_class('SparseMaxPool2d')
SparseMaxPool3d = unsupported_class('SparseMaxPool3d')

__all__ = ['SparseMaxPool2d', 'SparseMaxPool3d']
