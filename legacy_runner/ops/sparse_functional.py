"""mmcv.ops.sparse_functional: sparse convolution autograd functions. Only a compiled kernel exists in
mmcv; here the names import and raise NotImplementedError (naming the op) when called or
constructed."""
from ._unsupported import unsupported_function

indice_conv = unsupported_function('indice_conv')
indice_inverse_conv = unsupported_function('indice_inverse_conv')
indice_maxpool = unsupported_function('indice_maxpool')
indice_subm_conv = unsupported_function('indice_subm_conv')

__all__ = ['indice_conv', 'indice_inverse_conv', 'indice_maxpool', 'indice_subm_conv']
