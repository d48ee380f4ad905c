"""mmcv.ops.box_iou_quadri: IoU of quadrilateral boxes. Only a compiled kernel exists in mmcv; here the
names import and raise NotImplementedError (naming the op) when called or constructed."""
from ._unsupported import unsupported_function

box_iou_quadri = unsupported_function('box_iou_quadri')

__all__ = ['box_iou_quadri']
