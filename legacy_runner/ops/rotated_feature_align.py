"""mmcv.ops.rotated_feature_align: rotated feature alignment (R3Det). Only a compiled kernel exists in
mmcv; here the names import and raise NotImplementedError (naming the op) when called or
constructed."""
from ._unsupported import unsupported_function

rotated_feature_align = unsupported_function('rotated_feature_align')

__all__ = ['rotated_feature_align']
