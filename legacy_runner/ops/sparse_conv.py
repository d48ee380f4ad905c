"""mmcv.ops.sparse_conv: sparse convolution (spconv). Only a compiled kernel exists in mmcv; here the
names import and raise NotImplementedError (naming the op) when called or constructed."""
from ._unsupported import unsupported_class

SparseConv2d = unsupported_class('SparseConv2d')
SparseConv3d = unsupported_class('SparseConv3d')
SparseConvTranspose2d = unsupported_class('SparseConvTranspose2d')
SparseConvTranspose3d = unsupported_class('SparseConvTranspose3d')
SparseInverseConv2d = unsupported_class('SparseInverseConv2d')
SparseInverseConv3d = unsupported_class('SparseInverseConv3d')
SubMConv2d = unsupported_class('SubMConv2d')
SubMConv3d = unsupported_class('SubMConv3d')

__all__ = ['SparseConv2d', 'SparseConv3d', 'SparseConvTranspose2d', 'SparseConvTranspose3d',
           'SparseInverseConv2d', 'SparseInverseConv3d', 'SubMConv2d', 'SubMConv3d']
