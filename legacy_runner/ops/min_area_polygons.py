"""mmcv.ops.min_area_polygons: minimum-area bounding polygons. Only a compiled kernel exists in mmcv;
here the names import and raise NotImplementedError (naming the op) when called or constructed."""
from ._unsupported import unsupported_function

min_area_polygons = unsupported_function('min_area_polygons')

__all__ = ['min_area_polygons']
