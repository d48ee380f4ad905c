"""mmcv.ops.sparse_ops: sparse convolution index kernels. Only a compiled kernel exists in mmcv; here
the names import and raise NotImplementedError (naming the op) when called or constructed."""
from ._unsupported import unsupported_function

fused_indice_conv = unsupported_function('fused_indice_conv')
get_indice_pairs = unsupported_function('get_indice_pairs')
indice_conv = unsupported_function('indice_conv')
indice_conv_backward = unsupported_function('indice_conv_backward')
indice_maxpool = unsupported_function('indice_maxpool')
indice_maxpool_backward = unsupported_function('indice_maxpool_backward')

__all__ = ['fused_indice_conv', 'get_indice_pairs', 'indice_conv', 'indice_conv_backward',
           'indice_maxpool', 'indice_maxpool_backward']
