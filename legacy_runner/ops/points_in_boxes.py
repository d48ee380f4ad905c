"""mmcv.ops.points_in_boxes: points in 3D boxes. Only a compiled kernel exists in mmcv; here the names
import and raise NotImplementedError (naming the op) when called or constructed."""
from ._unsupported import unsupported_function

points_in_boxes_all = unsupported_function('points_in_boxes_all')
points_in_boxes_cpu = unsupported_function('points_in_boxes_cpu')
points_in_boxes_part = unsupported_function('points_in_boxes_part')

__all__ = ['points_in_boxes_all', 'points_in_boxes_cpu', 'points_in_boxes_part']
