"""mmcv.ops.convex_iou: IoU/GIoU of convex polygons. Only a compiled kernel exists in mmcv; here the
names import and raise NotImplementedError (naming the op) when called or constructed."""
from ._unsupported import unsupported_function

convex_giou = unsupported_function('convex_giou')
convex_iou = unsupported_function('convex_iou')

__all__ = ['convex_giou', 'convex_iou']
