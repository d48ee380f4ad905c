"""mmcv.ops.prroi_pool: precise RoI pooling. Only a compiled kernel exists in mmcv; here the names
import and raise NotImplementedError (naming the op) when called or constructed."""
from ._unsupported import unsupported_class, unsupported_function

PrRoIPool = unsupported_class('PrRoIPool')
prroi_pool = unsupported_function('prroi_pool')

__all__ = ['PrRoIPool', 'prroi_pool']
