"""NMS family of legacy_runner.ops against mmcv 1.7.2's test numbers and a plain reference."""
import numpy as np
import pytest
import torch

from legacy_runner.ops import batched_nms, nms, nms_match, soft_nms

# mmcv tests/test_ops/test_nms.py (kernel outputs)
BOXES = np.array([[6.0, 3.0, 8.0, 7.0], [3.0, 6.0, 9.0, 11.0],
                  [3.0, 7.0, 10.0, 12.0], [1.0, 4.0, 13.0, 7.0]], dtype=np.float32)
SCORES = np.array([0.6, 0.9, 0.7, 0.2], dtype=np.float32)


def reference_nms(boxes, scores, thr, offset=0):
    """Textbook greedy NMS, one box at a time."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    keep = []
    for i in order:
        ok = True
        for k in keep:
            xx1, yy1 = max(boxes[i][0], boxes[k][0]), max(boxes[i][1], boxes[k][1])
            xx2, yy2 = min(boxes[i][2], boxes[k][2]), min(boxes[i][3], boxes[k][3])
            inter = max(0.0, xx2 - xx1 + offset) * max(0.0, yy2 - yy1 + offset)
            a_i = (boxes[i][2] - boxes[i][0] + offset) * (boxes[i][3] - boxes[i][1] + offset)
            a_k = (boxes[k][2] - boxes[k][0] + offset) * (boxes[k][3] - boxes[k][1] + offset)
            if inter / (a_i + a_k - inter) > thr:
                ok = False
                break
        if ok:
            keep.append(i)
    return keep


def test_nms_golden():
    dets, inds = nms(torch.from_numpy(BOXES), torch.from_numpy(SCORES), iou_threshold=0.3, offset=0)
    assert inds.tolist() == [1, 0, 3]
    np.testing.assert_allclose(dets.numpy(), [[3.0, 6.0, 9.0, 11.0, 0.9], [6.0, 3.0, 8.0, 7.0, 0.6],
                                              [1.0, 4.0, 13.0, 7.0, 0.2]], rtol=1e-6)


def test_nms_numpy_in_numpy_out_and_options():
    dets, inds = nms(BOXES, SCORES, 0.3)
    assert isinstance(dets, np.ndarray) and isinstance(inds, np.ndarray)
    assert inds.tolist() == [1, 0, 3]
    # score_threshold filters first and the indices still point into the full input
    dets, inds = nms(BOXES, SCORES, 0.3, score_threshold=0.5)
    assert inds.tolist() == [1, 0]
    dets, inds = nms(BOXES, SCORES, 0.3, max_num=2)
    assert inds.tolist() == [1, 0] and dets.shape == (2, 5)
    with pytest.warns(DeprecationWarning):
        _, inds = nms(BOXES, SCORES, iou_thr=0.3)
    assert inds.tolist() == [1, 0, 3]


@pytest.mark.parametrize('seed', range(6))
@pytest.mark.parametrize('thr', [0.0, 0.3, 0.7, 1.0])
@pytest.mark.parametrize('offset', [0, 1])
def test_nms_matches_reference(seed, thr, offset):
    g = torch.Generator().manual_seed(seed)
    n = [0, 1, 7, 60, 200, 500][seed]
    xy = torch.rand(n, 2, generator=g) * 50
    wh = torch.rand(n, 2, generator=g) * 20 + 0.5
    boxes = torch.cat([xy, xy + wh], 1)
    # coarse scores: many exact ties, resolved by input order
    scores = (torch.rand(n, generator=g) * 8).floor() / 8
    if seed == 5:  # duplicate boxes with equal scores
        boxes[250:] = boxes[:250]
        scores[250:] = scores[:250]
    _, keep = nms(boxes, scores, thr, offset=offset)
    assert keep.tolist() == reference_nms(boxes.tolist(), scores.tolist(), thr, offset)


def test_nms_empty_and_single():
    dets, keep = nms(torch.zeros(0, 4), torch.zeros(0), 0.5)
    assert dets.shape == (0, 5) and keep.numel() == 0 and keep.dtype == torch.long
    dets, keep = nms(torch.tensor([[0., 0., 1., 1.]]), torch.tensor([0.3]), 0.5)
    assert keep.tolist() == [0] and dets.tolist() == [[0., 0., 1., 1., pytest.approx(0.3)]]


SOFT = {  # mmcv test_softnms_allclose (CUDA-run test, CPU kernel)
    'linear': ([[3., 6., 9., 11., 0.9], [6., 3., 8., 7., 0.6], [3., 7., 10., 12., 0.29024392],
                [1., 4., 13., 7., 0.2]], [1, 0, 2, 3]),
    'gaussian': ([[3., 6., 9., 11., 0.9], [6., 3., 8., 7., 0.59630775], [3., 7., 10., 12., 0.35275510],
                  [1., 4., 13., 7., 0.18650459]], [1, 0, 2, 3]),
    'naive': ([[3., 6., 9., 11., 0.9], [6., 3., 8., 7., 0.6], [1., 4., 13., 7., 0.2]], [1, 0, 3]),
}


@pytest.mark.parametrize('method', sorted(SOFT))
def test_soft_nms_golden(method):
    dets, inds = soft_nms(torch.from_numpy(BOXES), torch.from_numpy(SCORES), iou_threshold=0.3,
                          sigma=0.5, min_score=0.01, method=method)
    np.testing.assert_allclose(dets.numpy(), SOFT[method][0], rtol=1e-5)
    assert inds.tolist() == SOFT[method][1]
    dets_np, inds_np = soft_nms(BOXES, SCORES, 0.3, 0.5, 0.01, method)
    assert isinstance(dets_np, np.ndarray) and inds_np.tolist() == SOFT[method][1]


def reference_soft_nms(boxes, scores, thr, sigma, min_score, method):
    """mmcv's CPU soft-NMS loop transcribed literally (swap-with-last removal)."""
    b = [list(x) for x in boxes]
    s = list(scores)
    idx = list(range(len(s)))
    area = [(x[2] - x[0]) * (x[3] - x[1]) for x in b]
    n = len(s)
    out = []
    i = 0
    while i < n:
        m = i
        for p in range(i + 1, n):
            if s[m] < s[p]:
                m = p
        for arr in (b, s, idx, area):
            arr[i], arr[m] = arr[m], arr[i]
        out.append((b[i] + [s[i]], idx[i]))
        p = i + 1
        while p < n:
            xx1, yy1 = max(b[i][0], b[p][0]), max(b[i][1], b[p][1])
            xx2, yy2 = min(b[i][2], b[p][2]), min(b[i][3], b[p][3])
            inter = max(0.0, xx2 - xx1) * max(0.0, yy2 - yy1)
            ovr = inter / (area[i] + area[p] - inter)
            if method == 'naive':
                w = 0.0 if ovr >= thr else 1.0
            elif method == 'linear':
                w = 1 - ovr if ovr >= thr else 1.0
            else:
                w = float(np.exp(-(ovr * ovr) / sigma))
            s[p] *= w
            if s[p] < min_score:
                for arr in (b, s, idx, area):
                    arr[p], arr[n - 1] = arr[n - 1], arr[p]
                n -= 1
                p -= 1
            p += 1
        i += 1
    return out


@pytest.mark.parametrize('method', ['naive', 'linear', 'gaussian'])
def test_soft_nms_matches_kernel_loop(method):
    g = torch.Generator().manual_seed(3)
    xy = torch.rand(80, 2, generator=g) * 30
    boxes = torch.cat([xy, xy + torch.rand(80, 2, generator=g) * 15 + 1], 1).double()
    scores = (torch.rand(80, generator=g) * 10).floor().double() / 10 + 0.05  # ties
    dets, inds = soft_nms(boxes.float(), scores.float(), 0.3, 0.5, 0.1, method)
    ref = reference_soft_nms(boxes.float().double().tolist(), scores.float().double().tolist(),
                             0.3, 0.5, 0.1, method)
    assert inds.tolist() == [r[1] for r in ref]
    np.testing.assert_allclose(dets.numpy(), np.array([r[0] for r in ref]), rtol=1e-5, atol=1e-6)


def test_nms_match():
    assert len(nms_match(np.array([]), 0.6)) == 0
    np_dets = np.array([[49.1, 32.4, 51.0, 35.9, 0.9], [49.3, 32.9, 51.0, 35.3, 0.9],
                        [35.3, 11.5, 39.9, 14.5, 0.4], [35.2, 11.7, 39.7, 15.7, 0.3]], dtype=np.float32)
    groups = nms_match(np_dets, 0.6)
    assert isinstance(groups[0], np.ndarray) and len(groups) == 2
    assert [g.tolist() for g in groups] == [[0, 1], [2, 3]]
    t = torch.from_numpy(np_dets)
    keep = nms(t[:, :4].contiguous(), t[:, 4].contiguous(), 0.6)[1]
    assert {g[0].item() for g in groups} == set(keep.tolist())
    tgroups = nms_match(t, 0.6)
    assert isinstance(tgroups[0], torch.Tensor)
    assert all(np.array_equal(a.numpy(), b) for a, b in zip(tgroups, groups))
    with pytest.raises(AssertionError):
        nms_match(np.zeros((2, 3)), 0.6)


def test_nms_match_partitions_boxes():
    g = torch.Generator().manual_seed(0)
    xy = torch.rand(200, 2, generator=g) * 40
    dets = torch.cat([xy, xy + 8 + torch.rand(200, 2, generator=g) * 4, torch.rand(200, 1, generator=g)], 1)
    groups = nms_match(dets, 0.4)
    members = torch.cat(groups).tolist()
    assert sorted(members) == list(range(200))
    heads = [int(gr[0]) for gr in groups]
    assert dets[heads, 4].tolist() == sorted(dets[heads, 4].tolist(), reverse=True)
    for gr in groups:  # every member is led by a higher-scored head
        assert (dets[gr[1:], 4] <= dets[gr[0], 4]).all()


def _random_dets(n, classes, seed):
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=g) * 100
    boxes = torch.cat([xy, xy + torch.rand(n, 2, generator=g) * 40 + 2], 1)
    return boxes, torch.rand(n, generator=g), torch.randint(0, classes, (n,), generator=g)


def test_batched_nms_offset_and_split_paths_agree_with_per_class_reference():
    boxes, scores, idxs = _random_dets(600, 5, 0)
    cfg = dict(type='nms', iou_threshold=0.5)
    dets, keep = batched_nms(boxes, scores, idxs, cfg)
    dets_s, keep_s = batched_nms(boxes, scores, idxs, dict(cfg, split_thr=100))
    assert torch.equal(keep, keep_s) and torch.equal(dets, dets_s)
    expected = []
    for c in range(5):
        sel = (idxs == c).nonzero().view(-1)
        expected += sel[reference_nms(boxes[sel].tolist(), scores[sel].tolist(), 0.5)].tolist()
    assert sorted(keep.tolist()) == sorted(expected)
    assert (dets[:-1, 4] >= dets[1:, 4]).all()
    assert torch.equal(dets[:, :4], boxes[keep])
    # max_num only on the split path (as in mmcv), score_threshold/max_num forwarded to nms otherwise
    _, keep_m = batched_nms(boxes, scores, idxs, dict(cfg, split_thr=100, max_num=10))
    assert torch.equal(keep_m, keep[:10])
    _, keep_m = batched_nms(boxes, scores, idxs, dict(cfg, max_num=10))
    assert torch.equal(keep_m, keep[:10])


def test_batched_nms_soft_and_class_agnostic_and_none():
    boxes, scores, idxs = _random_dets(300, 3, 1)
    cfg = dict(type='soft_nms', iou_threshold=0.7)
    dets, keep = batched_nms(boxes, scores, idxs, cfg)
    dets_s, keep_s = batched_nms(boxes, scores, idxs, dict(cfg, split_thr=10))
    assert torch.equal(keep, keep_s) and torch.allclose(dets, dets_s)
    _, keep_a = batched_nms(boxes, scores, idxs, dict(type='nms', iou_threshold=0.5), class_agnostic=True)
    assert keep_a.tolist() == reference_nms(boxes.tolist(), scores.tolist(), 0.5)
    _, keep_a2 = batched_nms(boxes, scores, idxs, dict(type='nms', iou_threshold=0.5, class_agnostic=True))
    assert torch.equal(keep_a, keep_a2)
    dets_n, keep_n = batched_nms(boxes, scores, idxs, None)
    assert len(keep_n) == len(boxes)
    assert ((dets_n[:, -1][1:] - dets_n[:, -1][:-1]) <= 0).all()
    with pytest.raises(KeyError, match='unknown nms type'):
        batched_nms(boxes, scores, idxs, dict(type='nmx', iou_threshold=0.5))
