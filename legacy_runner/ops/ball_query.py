"""mmcv.ops.ball_query: ball query (point clouds). Only a compiled kernel exists in mmcv; here the
names import and raise NotImplementedError (naming the op) when called or constructed."""
from ._unsupported import unsupported_function

ball_query = unsupported_function('ball_query')

__all__ = ['ball_query']
