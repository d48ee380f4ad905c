"""mmcv.ops.furthest_point_sample: furthest point sampling (point clouds). Only a compiled kernel
exists in mmcv; here the names import and raise NotImplementedError (naming the op) when called or
constructed."""
from ._unsupported import unsupported_function

furthest_point_sample = unsupported_function('furthest_point_sample')
furthest_point_sample_with_dist = unsupported_function('furthest_point_sample_with_dist')

__all__ = ['furthest_point_sample', 'furthest_point_sample_with_dist']
