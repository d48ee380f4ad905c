"""Non-maximum suppression (mmcv.ops.nms) in vectorised PyTorch.

Boxes are sorted by score (descending; equal scores keep their input order, which is what the
stable sort gives and what mmcv's kernels give in practice). A box is dropped when its IoU with an
already kept, higher-ranked box is strictly greater than ``iou_threshold``; ``offset`` (0 or 1)
is added to widths and heights as in mmcv's legacy pixel convention.
"""
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np
import torch
from torch import Tensor

from ..utils.helpers import deprecated_api_warning
from ._unsupported import unsupported_function

array_like_type = Union[Tensor, np.ndarray]

# Boxes resolved against each other in one matrix; the IoU block is _BLOCK x (kept so far).
_BLOCK = 512


def _pairwise_iou(a: Tensor, b: Tensor, offset: float) -> Tensor:
    lt = torch.maximum(a[:, None, :2], b[None, :, :2])
    rb = torch.minimum(a[:, None, 2:4], b[None, :, 2:4])
    wh = (rb - lt + offset).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    area_a = (a[:, 2] - a[:, 0] + offset) * (a[:, 3] - a[:, 1] + offset)
    area_b = (b[:, 2] - b[:, 0] + offset) * (b[:, 3] - b[:, 1] + offset)
    return inter / (area_a[:, None] + area_b[None, :] - inter)


def _resolve_block(suppress: Tensor, alive: Tensor) -> Tensor:
    """Greedy keep mask inside one score-sorted block.

    ``suppress[i, j]`` (i < j) says box i removes box j if i is kept. The greedy answer is the
    fixed point of ``keep[j] = alive[j] and not any(keep[i] & suppress[i, j])``; iterating from
    ``alive`` settles one more link of every suppression chain per step, so the loop runs
    (longest chain) times, not once per box.
    """
    suppress = torch.triu(suppress, diagonal=1)
    keep = alive.clone()
    while True:
        hit = (suppress & keep[:, None]).any(0)
        new_keep = alive & ~hit
        if torch.equal(new_keep, keep):
            return keep
        keep = new_keep


def _greedy_keep(boxes: Tensor, iou_threshold: float, offset: float, inclusive: bool = False) -> Tensor:
    """Keep mask of greedy NMS over boxes already sorted by descending score."""
    n = boxes.shape[0]
    keep = torch.zeros(n, dtype=torch.bool, device=boxes.device)
    boxes = boxes.float() if boxes.dtype in (torch.float16, torch.bfloat16) else boxes
    kept_boxes = boxes[:0]
    for start in range(0, n, _BLOCK):
        block = boxes[start:start + _BLOCK]
        alive = torch.ones(block.shape[0], dtype=torch.bool, device=boxes.device)
        if kept_boxes.shape[0]:
            iou = _pairwise_iou(kept_boxes, block, offset)
            alive = ~((iou >= iou_threshold) if inclusive else (iou > iou_threshold)).any(0)
        iou = _pairwise_iou(block, block, offset)
        block_keep = _resolve_block((iou >= iou_threshold) if inclusive else (iou > iou_threshold), alive)
        keep[start:start + block.shape[0]] = block_keep
        kept_boxes = torch.cat([kept_boxes, block[block_keep]])
    return keep


def _nms_indices(boxes: Tensor, scores: Tensor, iou_threshold: float, offset: int) -> Tensor:
    if boxes.numel() == 0:
        return boxes.new_zeros(0, dtype=torch.long)
    order = torch.sort(scores, descending=True, stable=True)[1]
    keep = _greedy_keep(boxes[order], float(iou_threshold), float(offset))
    return order[keep]


def _to_tensor(x: array_like_type) -> Tensor:
    return torch.from_numpy(x) if isinstance(x, np.ndarray) else x


@deprecated_api_warning({'iou_thr': 'iou_threshold'})
def nms(boxes: array_like_type, scores: array_like_type, iou_threshold: float, offset: int = 0,
        score_threshold: float = 0, max_num: int = -1) -> Tuple[array_like_type, array_like_type]:
    """Greedy NMS. Returns ``(dets, keep)``: kept boxes with their score as a 5th column, sorted
    by score, and their indices into the input (numpy in, numpy out)."""
    assert isinstance(boxes, (Tensor, np.ndarray))
    assert isinstance(scores, (Tensor, np.ndarray))
    is_numpy = isinstance(boxes, np.ndarray)
    boxes_t, scores_t = _to_tensor(boxes), _to_tensor(scores)
    assert boxes_t.size(1) == 4
    assert boxes_t.size(0) == scores_t.size(0)
    assert offset in (0, 1)
    valid_inds = None
    if score_threshold > 0:
        valid_mask = scores_t > score_threshold
        boxes_t, scores_t = boxes_t[valid_mask], scores_t[valid_mask]
        valid_inds = torch.nonzero(valid_mask, as_tuple=False).squeeze(dim=1)
    with torch.no_grad():
        inds = _nms_indices(boxes_t, scores_t, iou_threshold, offset)
    dets = torch.cat((boxes_t[inds], scores_t[inds].reshape(-1, 1)), dim=1)
    if max_num > 0:
        dets, inds = dets[:max_num], inds[:max_num]
    if valid_inds is not None:
        inds = valid_inds[inds]
    if is_numpy:
        return dets.cpu().numpy(), inds.cpu().numpy()
    return dets, inds


def _swap_remove_order(dead: Tensor) -> Tensor:
    """Order of the survivors after mmcv's soft-NMS loop removes ``dead`` entries by swapping the
    last entry into their place: holes (in order) take the live entries from the end (reversed)."""
    n = dead.numel()
    alive = ~dead
    m = int(alive.sum())
    pos = torch.arange(n, device=dead.device)
    head = pos[:m]
    holes = head[dead[:m]]
    tail_alive = pos[m:][alive[m:]].flip(0)
    order = head.clone()
    order[holes] = tail_alive
    return order


@deprecated_api_warning({'iou_thr': 'iou_threshold'})
def soft_nms(boxes: array_like_type, scores: array_like_type, iou_threshold: float = 0.3,
             sigma: float = 0.5, min_score: float = 1e-3, method: str = 'linear',
             offset: int = 0) -> Tuple[array_like_type, array_like_type]:
    """Soft-NMS (``method`` 'naive', 'linear' or 'gaussian'); returns ``(dets, inds)`` in pick
    order with the decayed scores in ``dets[:, 4]``. Each pick depends on the previous decay, so
    the loop runs once per kept box; the work per pick is vectorised."""
    assert isinstance(boxes, (Tensor, np.ndarray))
    assert isinstance(scores, (Tensor, np.ndarray))
    is_numpy = isinstance(boxes, np.ndarray)
    boxes_t, scores_t = _to_tensor(boxes), _to_tensor(scores)
    assert boxes_t.size(1) == 4
    assert boxes_t.size(0) == scores_t.size(0)
    assert offset in (0, 1)
    method_dict = {'naive': 0, 'linear': 1, 'gaussian': 2}
    assert method in method_dict.keys()
    device = boxes_t.device
    # mmcv runs soft-NMS on the CPU whatever the input device; so do we (float32 like its kernel).
    bx = boxes_t.detach().cpu().float().clone()
    sc = scores_t.detach().cpu().float().clone()
    idx = torch.arange(bx.shape[0])
    area = (bx[:, 2] - bx[:, 0] + offset) * (bx[:, 3] - bx[:, 1] + offset)
    out_boxes, out_scores, out_inds = [], [], []
    with torch.no_grad():
        while sc.numel():
            top = int(torch.argmax(sc))  # first maximum, as the kernel's strict '<' scan
            perm = torch.arange(sc.numel())
            perm[0], perm[top] = top, 0
            bx, sc, idx, area = bx[perm], sc[perm], idx[perm], area[perm]
            out_boxes.append(bx[0])
            out_scores.append(sc[0])
            out_inds.append(idx[0])
            rest_b, rest_s = bx[1:], sc[1:]
            lt = torch.maximum(rest_b[:, :2], bx[0, :2])
            rb = torch.minimum(rest_b[:, 2:], bx[0, 2:])
            wh = (rb - lt + offset).clamp(min=0)
            inter = wh[:, 0] * wh[:, 1]
            ovr = inter / (area[0] + area[1:] - inter)
            if method == 'naive':
                weight = torch.where(ovr >= iou_threshold, torch.zeros_like(ovr), torch.ones_like(ovr))
            elif method == 'linear':
                weight = torch.where(ovr >= iou_threshold, 1 - ovr, torch.ones_like(ovr))
            else:
                weight = torch.exp(-(ovr * ovr) / sigma)
            rest_s = rest_s * weight
            order = _swap_remove_order(rest_s < min_score) + 1
            bx, sc, idx, area = bx[order], torch.cat([sc[:1], rest_s])[order], idx[order], area[order]
    if out_inds:
        dets = torch.cat([torch.stack(out_boxes), torch.stack(out_scores)[:, None]], dim=1)
        inds = torch.stack(out_inds)
    else:
        dets, inds = torch.zeros(0, 5), torch.zeros(0, dtype=torch.long)
    if is_numpy:
        return dets.numpy(), inds.numpy()
    return dets.to(device=device, dtype=boxes_t.dtype), inds.to(device=device)


def batched_nms(boxes: Tensor, scores: Tensor, idxs: Tensor, nms_cfg: Optional[Dict],
                class_agnostic: bool = False) -> Tuple[Tensor, Tensor]:
    r"""NMS per category (``idxs``) in one pass by shifting each category's boxes apart; above
    ``nms_cfg['split_thr']`` (default 10000) boxes it runs category by category instead.

    ``nms_cfg``: ``type`` ('nms', 'soft_nms', ...) and that op's arguments, plus optional
    ``class_agnostic`` and ``split_thr``; ``None`` skips NMS and only sorts by score.
    Returns ``(dets, keep)``, sorted by (possibly rescored) score.
    """
    if nms_cfg is None:
        scores, inds = scores.sort(descending=True)
        boxes = boxes[inds]
        return torch.cat([boxes, scores[:, None]], -1), inds

    nms_cfg_ = nms_cfg.copy()
    class_agnostic = nms_cfg_.pop('class_agnostic', class_agnostic)
    if class_agnostic:
        boxes_for_nms = boxes
    else:
        if boxes.size(-1) == 5:
            # rotated boxes: shift centres only, by more than any box reaches
            max_coordinate = boxes[..., :2].max() + boxes[..., 2:4].max()
            offsets = idxs.to(boxes) * (max_coordinate + torch.tensor(1).to(boxes))
            boxes_ctr_for_nms = boxes[..., :2] + offsets[:, None]
            boxes_for_nms = torch.cat([boxes_ctr_for_nms, boxes[..., 2:5]], dim=-1)
        else:
            max_coordinate = boxes.max()
            offsets = idxs.to(boxes) * (max_coordinate + torch.tensor(1).to(boxes))
            boxes_for_nms = boxes + offsets[:, None]

    nms_type = nms_cfg_.pop('type', 'nms')
    nms_op = _NMS_OPS.get(nms_type)
    if nms_op is None:
        raise KeyError(f'batched_nms: unknown nms type {nms_type!r}; expected one of {sorted(_NMS_OPS)}')

    split_thr = nms_cfg_.pop('split_thr', 10000)
    if boxes_for_nms.shape[0] < split_thr or torch.onnx.is_in_onnx_export():
        dets, keep = nms_op(boxes_for_nms, scores, **nms_cfg_)
        boxes = boxes[keep]
        scores = dets[:, -1]
    else:
        max_num = nms_cfg_.pop('max_num', -1)
        total_mask = scores.new_zeros(scores.size(), dtype=torch.bool)
        # soft-NMS rescored boxes: keep the scores it returns
        scores_after_nms = scores.new_zeros(scores.size())
        for cls_id in torch.unique(idxs):
            mask = (idxs == cls_id).nonzero(as_tuple=False).view(-1)
            dets, keep = nms_op(boxes_for_nms[mask], scores[mask], **nms_cfg_)
            total_mask[mask[keep]] = True
            scores_after_nms[mask[keep]] = dets[:, -1]
        keep = total_mask.nonzero(as_tuple=False).view(-1)
        scores, inds = scores_after_nms[keep].sort(descending=True)
        keep = keep[inds]
        boxes = boxes[keep]
        if max_num > 0:
            keep = keep[:max_num]
            boxes = boxes[:max_num]
            scores = scores[:max_num]

    boxes = torch.cat([boxes, scores[:, None]], -1)
    return boxes, keep


def nms_match(dets: array_like_type, iou_threshold: float) -> List[array_like_type]:
    """Group boxes by greedy NMS: each group is a kept box's index followed by the indices it
    suppresses (IoU >= ``iou_threshold``, no pixel offset), groups in score order."""
    if dets.shape[0] == 0:
        matched: List[List[int]] = []
    else:
        assert dets.shape[-1] == 5
        dets_t = dets.detach().cpu() if isinstance(dets, Tensor) else torch.from_numpy(dets)
        boxes, scores = dets_t[:, :4].float(), dets_t[:, 4].float()
        order = torch.sort(scores, descending=True, stable=True)[1]
        sorted_boxes = boxes[order]
        keep = _greedy_keep(sorted_boxes, float(iou_threshold), 0.0, inclusive=True)
        kept_pos = keep.nonzero(as_tuple=False).view(-1)
        # each dropped box joins the first kept box (in score order) that overlaps it enough
        hit = _pairwise_iou(sorted_boxes[kept_pos], sorted_boxes, 0.0) >= iou_threshold
        owner = torch.argmax(hit.int(), dim=0)
        owner[kept_pos] = torch.arange(kept_pos.numel())
        by_group = torch.sort(owner, stable=True)[1]  # groups in score order, members too
        sizes = torch.bincount(owner, minlength=kept_pos.numel()).tolist()
        matched = [g.tolist() for g in torch.split(order[by_group], sizes)]
    if isinstance(dets, Tensor):
        return [dets.new_tensor(m, dtype=torch.long) for m in matched]
    return [np.array(m, dtype=int) for m in matched]


nms_rotated = unsupported_function('nms_rotated')
nms_quadri = unsupported_function('nms_quadri')

_NMS_OPS: Dict[str, Any] = {'nms': nms, 'soft_nms': soft_nms, 'nms_rotated': nms_rotated,
                            'nms_quadri': nms_quadri}

__all__ = ['batched_nms', 'nms', 'nms_match', 'nms_quadri', 'nms_rotated', 'soft_nms']
