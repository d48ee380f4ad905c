"""mmcv.ops.pixel_group: pixel grouping (PAN post-processing). Only a compiled kernel exists in mmcv;
here the names import and raise NotImplementedError (naming the op) when called or constructed."""
from ._unsupported import unsupported_function

pixel_group = unsupported_function('pixel_group')

__all__ = ['pixel_group']
