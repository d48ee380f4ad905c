"""mmcv.ops.iou3d: 3D / bird-eye-view box IoU and NMS. Only a compiled kernel exists in mmcv; here the
names import and raise NotImplementedError (naming the op) when called or constructed."""
from ._unsupported import unsupported_function

boxes_iou3d = unsupported_function('boxes_iou3d')
boxes_iou_bev = unsupported_function('boxes_iou_bev')
boxes_overlap_bev = unsupported_function('boxes_overlap_bev')
nms3d = unsupported_function('nms3d')
nms3d_normal = unsupported_function('nms3d_normal')
nms_bev = unsupported_function('nms_bev')
nms_normal_bev = unsupported_function('nms_normal_bev')

__all__ = ['boxes_iou3d', 'boxes_iou_bev', 'boxes_overlap_bev', 'nms3d', 'nms3d_normal', 'nms_bev',
           'nms_normal_bev']
