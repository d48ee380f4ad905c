"""Sigmoid / softmax focal losses (mmcv.ops.focal_loss) in PyTorch; autograd reproduces the
kernels' gradients. ``mean`` divides the summed loss by the number of samples (rows), as mmcv."""
from typing import Callable, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

_REDUCTIONS = ('none', 'mean', 'sum')


def _reduce(loss: Tensor, reduction: str, num_samples: int) -> Tensor:
    if reduction == 'mean':
        return loss.sum() / num_samples
    if reduction == 'sum':
        return loss.sum()
    return loss


def _check(input: Tensor, target: Tensor, weight: Optional[Tensor], reduction: str) -> None:
    assert isinstance(target, torch.Tensor)
    assert input.dim() == 2
    assert target.dim() == 1
    assert input.size(0) == target.size(0)
    if weight is not None:
        assert weight.dim() == 1
        assert input.size(1) == weight.size(0)
    assert reduction in _REDUCTIONS


def sigmoid_focal_loss(input: Tensor, target: Union[torch.LongTensor, Tensor], gamma: float = 2.0,
                       alpha: float = 0.25, weight: Optional[Tensor] = None,
                       reduction: str = 'mean') -> Tensor:
    """Per-class sigmoid focal loss of logits ``(N, C)`` and labels ``(N,)``; label ``C`` means
    background (every class negative). ``weight`` ``(C,)`` scales each sample's row by the weight
    of its label. Returns ``(N, C)`` for ``reduction='none'``."""
    _check(input, target, weight, reduction)
    num_classes = input.size(1)
    target = target.long()
    positive = F.one_hot(target.clamp(0, num_classes), num_classes + 1)[:, :num_classes].bool()
    p = torch.sigmoid(input)
    tiny = torch.finfo(input.dtype).tiny
    # the kernel's log(max(p, FLT_MIN)) guard; logsigmoid keeps large logits exact
    log_p = torch.maximum(F.logsigmoid(input), input.new_tensor(tiny).log())
    log_not_p = torch.maximum(F.logsigmoid(-input), input.new_tensor(tiny).log())
    loss = torch.where(positive, -alpha * (1 - p).pow(gamma) * log_p,
                       -(1 - alpha) * p.pow(gamma) * log_not_p)
    if weight is not None:
        # a background label has no class weight in mmcv's kernel; it keeps weight 1 here
        padded = torch.cat([weight.to(loss.dtype), weight.new_ones(1).to(loss.dtype)])
        loss = loss * padded[target.clamp(0, num_classes)][:, None]
    return _reduce(loss, reduction, input.size(0))


def softmax_focal_loss(input: Tensor, target: Union[torch.LongTensor, Tensor], gamma: float = 2.0,
                       alpha: float = 0.25, weight: Optional[Tensor] = None,
                       reduction: str = 'mean') -> Tensor:
    """Softmax focal loss ``-alpha * (1 - p_t)^gamma * log(p_t)`` per sample (``(N,)`` for
    ``reduction='none'``); ``weight`` ``(C,)`` scales by the label's weight."""
    _check(input, target, weight, reduction)
    target = target.long()
    log_prob = F.log_softmax(input, dim=1).gather(1, target[:, None]).squeeze(1)
    tiny = torch.finfo(input.dtype).tiny
    log_pt = torch.maximum(log_prob, input.new_tensor(tiny).log())
    pt = log_prob.exp()
    loss = -alpha * (1 - pt).pow(gamma) * log_pt
    if weight is not None:
        loss = loss * weight.to(loss.dtype)[target]
    return _reduce(loss, reduction, input.size(0))


class _FocalLoss(nn.Module):
    """The module form shared by both focal losses (``weight`` is a buffer)."""

    loss_fn: Callable[..., Tensor]

    def __init__(self, gamma: float, alpha: float, weight: Optional[Tensor] = None,
                 reduction: str = 'mean') -> None:
        super().__init__()
        self.gamma = gamma
        self.alpha = alpha
        self.register_buffer('weight', weight)
        self.reduction = reduction

    def forward(self, input: Tensor, target: Union[torch.LongTensor, Tensor]) -> Tensor:
        return type(self).loss_fn(input, target, self.gamma, self.alpha, self.weight, self.reduction)

    def __repr__(self) -> str:  # mmcv's text: no weight in it
        name = self.__class__.__name__
        return f'{name}(gamma={self.gamma}, alpha={self.alpha}, reduction={self.reduction})'


class SigmoidFocalLoss(_FocalLoss):
    """Module form of :func:`sigmoid_focal_loss`."""

    loss_fn = staticmethod(sigmoid_focal_loss)


class SoftmaxFocalLoss(_FocalLoss):
    """Module form of :func:`softmax_focal_loss`."""

    loss_fn = staticmethod(softmax_focal_loss)


__all__ = ['SigmoidFocalLoss', 'SoftmaxFocalLoss', 'sigmoid_focal_loss', 'softmax_focal_loss']
