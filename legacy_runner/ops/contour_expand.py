"""mmcv.ops.contour_expand: contour expansion (PSENet post-processing). Only a compiled kernel exists
in mmcv; here the names import and raise NotImplementedError (naming the op) when called or
constructed."""
from ._unsupported import unsupported_function

contour_expand = unsupported_function('contour_expand')

__all__ = ['contour_expand']
