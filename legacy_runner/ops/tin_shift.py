"""mmcv.ops.tin_shift: temporal interlacing shift (TIN). Only a compiled kernel exists in mmcv; here
the names import and raise NotImplementedError (naming the op) when called or constructed."""
from ._unsupported import unsupported_class, unsupported_function

TINShift = unsupported_class('TINShift')
tin_shift = unsupported_function('tin_shift')

__all__ = ['TINShift', 'tin_shift']
