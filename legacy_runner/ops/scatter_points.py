"""mmcv.ops.scatter_points: dynamic point scatter (voxels). Only a compiled kernel exists in mmcv; here
the names import and raise NotImplementedError (naming the op) when called or constructed."""
from ._unsupported import unsupported_class, unsupported_function

DynamicScatter = unsupported_class('DynamicScatter')
dynamic_scatter = unsupported_function('dynamic_scatter')

__all__ = ['DynamicScatter', 'dynamic_scatter']
