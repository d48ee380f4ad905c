"""mmcv.ops.sparse_modules. ``SparseModule`` is mmcv's marker base class of the sparse layers
(a plain nn.Module, usable as a base here too); ``SparseSequential`` needs the compiled sparse
convolution and raises NotImplementedError when constructed."""
from torch import nn

from ._unsupported import unsupported_class


class SparseModule(nn.Module):
    """Marker base class: modules deriving from it take a SparseConvTensor in SparseSequential."""


SparseSequential = unsupported_class('SparseSequential')

__all__ = ['SparseModule', 'SparseSequential']
