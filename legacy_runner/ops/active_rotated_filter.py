"""mmcv.ops.active_rotated_filter: Rotation-invariant filter of oriented R-CNN-style detectors. Only a
compiled kernel exists in mmcv; here the names import and raise NotImplementedError (naming the op)
when called or constructed."""
from ._unsupported import unsupported_function

active_rotated_filter = unsupported_function('active_rotated_filter')

__all__ = ['active_rotated_filter']
