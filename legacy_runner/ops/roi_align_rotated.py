"""mmcv.ops.roi_align_rotated: rotated RoIAlign. Only a compiled kernel exists in mmcv; here the names
import and raise NotImplementedError (naming the op) when called or constructed."""
from ._unsupported import unsupported_class, unsupported_function

RoIAlignRotated = unsupported_class('RoIAlignRotated')
roi_align_rotated = unsupported_function('roi_align_rotated')

__all__ = ['RoIAlignRotated', 'roi_align_rotated']
