"""mmcv.ops.riroi_align_rotated: rotation-invariant rotated RoIAlign. Only a compiled kernel exists in
mmcv; here the names import and raise NotImplementedError (naming the op) when called or
constructed."""
from ._unsupported import unsupported_class, unsupported_function

RiRoIAlignRotated = unsupported_class('RiRoIAlignRotated')
riroi_align_rotated = unsupported_function('riroi_align_rotated')

__all__ = ['RiRoIAlignRotated', 'riroi_align_rotated']
