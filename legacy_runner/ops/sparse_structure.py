"""Sparse tensor container of mmcv.ops (``SparseConvTensor``) and ``scatter_nd``; both are plain
PyTorch (only the sparse convolutions themselves need compiled kernels)."""
from typing import Any, List, Optional, Union

import numpy as np
import torch
from torch import Tensor


def scatter_nd(indices: Tensor, updates: Tensor, shape: List[int]) -> Tensor:
    """Zeros of ``shape`` with ``updates`` written at ``indices`` (last dim indexes the leading
    dims of ``shape``), like tf.scatter_nd."""
    ret = torch.zeros(*shape, dtype=updates.dtype, device=updates.device)
    ndim = indices.shape[-1]
    output_shape = list(indices.shape[:-1]) + list(shape[indices.shape[-1]:])
    flat = indices.view(-1, ndim)
    slices: List[Any] = [flat[:, i] for i in range(ndim)]
    slices.append(Ellipsis)
    ret[tuple(slices)] = updates.view(*output_shape)
    return ret


class SparseConvTensor:
    """Features ``(N, C)`` at integer ``indices`` ``(N, 1 + ndim)`` (batch index first) of a
    ``spatial_shape`` grid."""

    def __init__(self, features: Tensor, indices: Tensor, spatial_shape: Union[List, tuple, Tensor],
                 batch_size: int, grid: Optional[Tensor] = None) -> None:
        self.features = features
        self.indices = indices
        if self.indices.dtype != torch.int32:
            self.indices.int()
        self.spatial_shape = spatial_shape
        self.batch_size = batch_size
        self.indice_dict: dict = {}
        self.grid = grid

    @property
    def spatial_size(self) -> int:
        return int(np.prod(self.spatial_shape))

    def find_indice_pair(self, key: Any) -> Any:
        if key is None:
            return None
        if key in self.indice_dict:
            return self.indice_dict[key]
        return None

    def dense(self, channels_first: bool = True) -> Tensor:
        """The dense ``(B, C, *spatial)`` (or channels-last) tensor."""
        output_shape = [self.batch_size] + list(self.spatial_shape) + [self.features.shape[1]]
        res = scatter_nd(self.indices.to(self.features.device).long(), self.features, output_shape)
        if not channels_first:
            return res
        ndim = len(self.spatial_shape)
        trans_params = list(range(0, ndim + 1))
        trans_params.insert(1, ndim + 1)
        return res.permute(*trans_params).contiguous()

    @property
    def sparity(self) -> float:
        return self.indices.shape[0] / np.prod(self.spatial_shape) / self.batch_size


__all__ = ['SparseConvTensor', 'scatter_nd']
