"""mmcv.ops.diff_iou_rotated: differentiable IoU of rotated boxes. Only a compiled kernel exists in
mmcv; here the names import and raise NotImplementedError (naming the op) when called or
constructed."""
from ._unsupported import unsupported_function

diff_iou_rotated_2d = unsupported_function('diff_iou_rotated_2d')
diff_iou_rotated_3d = unsupported_function('diff_iou_rotated_3d')

__all__ = ['diff_iou_rotated_2d', 'diff_iou_rotated_3d']
