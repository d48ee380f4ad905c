"""mmcv.ops.border_align: BorderAlign (BorderDet). Only a compiled kernel exists in mmcv; here the
names import and raise NotImplementedError (naming the op) when called or constructed."""
from ._unsupported import unsupported_class, unsupported_function

BorderAlign = unsupported_class('BorderAlign')
border_align = unsupported_function('border_align')

__all__ = ['BorderAlign', 'border_align']
