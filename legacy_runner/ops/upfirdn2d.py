"""mmcv.ops.upfirdn2d: upsample-FIR-downsample (StyleGAN2). Only a compiled kernel exists in mmcv; here
the names import and raise NotImplementedError (naming the op) when called or constructed."""
from ._unsupported import unsupported_function

upfirdn2d = unsupported_function('upfirdn2d')

__all__ = ['upfirdn2d']
