"""mmcv.ops.correlation: correlation cost volume (optical flow). Only a compiled kernel exists in mmcv;
here the names import and raise NotImplementedError (naming the op) when called or constructed."""
from ._unsupported import unsupported_class

Correlation = unsupported_class('Correlation')

__all__ = ['Correlation']
