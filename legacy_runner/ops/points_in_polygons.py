"""mmcv.ops.points_in_polygons: points in polygons. Only a compiled kernel exists in mmcv; here the
names import and raise NotImplementedError (naming the op) when called or constructed."""
from ._unsupported import unsupported_function

points_in_polygons = unsupported_function('points_in_polygons')

__all__ = ['points_in_polygons']
