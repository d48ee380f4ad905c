"""Pairwise / aligned box overlaps (mmcv.ops.bbox_overlaps), as mmcv's kernel computes them."""
import torch
from torch import Tensor


def bbox_overlaps(bboxes1: Tensor, bboxes2: Tensor, mode: str = 'iou', aligned: bool = False,
                  offset: int = 0) -> Tensor:
    """IoU ('iou') or intersection over ``bboxes1``'s area ('iof') of ``(x1, y1, x2, y2)`` boxes:
    ``(m, n)`` for all pairs, ``(m,)`` when ``aligned``. The denominator is floored at ``offset``
    (so 0/0 gives nan with ``offset=0``, like the kernel)."""
    mode_dict = {'iou': 0, 'iof': 1}
    assert mode in mode_dict.keys()
    assert (bboxes1.size(-1) == 4 or bboxes1.size(0) == 0)
    assert (bboxes2.size(-1) == 4 or bboxes2.size(0) == 0)
    assert offset == 1 or offset == 0
    rows, cols = bboxes1.size(0), bboxes2.size(0)
    if aligned:
        assert rows == cols
    if rows * cols == 0:
        return bboxes1.new_zeros(rows, 1) if aligned else bboxes1.new_zeros(rows, cols)
    if aligned:
        a, b = bboxes1, bboxes2
    else:
        a, b = bboxes1[:, None, :], bboxes2[None, :, :]
    area1 = (a[..., 2] - a[..., 0] + offset) * (a[..., 3] - a[..., 1] + offset)
    area2 = (b[..., 2] - b[..., 0] + offset) * (b[..., 3] - b[..., 1] + offset)
    w = (torch.minimum(a[..., 2], b[..., 2]) - torch.maximum(a[..., 0], b[..., 0]) + offset).clamp(min=0)
    h = (torch.minimum(a[..., 3], b[..., 3]) - torch.maximum(a[..., 1], b[..., 1]) + offset).clamp(min=0)
    inter = w * h
    base = area1 + area2 - inter if mode == 'iou' else area1.expand_as(inter)
    return inter / base.clamp(min=offset)


__all__ = ['bbox_overlaps']
