"""mmcv.ops.assign_score_withk: PAConv score assignment (point clouds). Only a compiled kernel exists
in mmcv; here the names import and raise NotImplementedError (naming the op) when called or
constructed."""
from ._unsupported import unsupported_function

assign_score_withk = unsupported_function('assign_score_withk')

__all__ = ['assign_score_withk']
