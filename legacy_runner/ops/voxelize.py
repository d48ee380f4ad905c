"""mmcv.ops.voxelize: voxelization (point clouds). Only a compiled kernel exists in mmcv; here the
names import and raise NotImplementedError (naming the op) when called or constructed."""
from ._unsupported import unsupported_class, unsupported_function

Voxelization = unsupported_class('Voxelization')
voxelization = unsupported_function('voxelization')

__all__ = ['Voxelization', 'voxelization']
