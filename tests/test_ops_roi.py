"""RoI ops of legacy_runner.ops: mmcv 1.7.2's test numbers, a bilinear sampler written out by
hand, and gradchecks."""
import math
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from legacy_runner.ops import (
    DeformRoIPool,
    DeformRoIPoolPack,
    ModulatedDeformRoIPoolPack,
    RoIAlign,
    RoIPool,
    SimpleRoIAlign,
    deform_roi_pool,
    point_sample,
    rel_roi_point_to_rel_img_point,
    roi_align,
    roi_pool,
)

# mmcv tests/test_ops/test_roi_align.py, test_deform_roi_pool.py (same inputs)
INPUTS = [([[[[1., 2.], [3., 4.]]]], [[0., 0., 0., 1., 1.]]),
          ([[[[1., 2.], [3., 4.]], [[4., 3.], [2., 1.]]]], [[0., 0., 0., 1., 1.]]),
          ([[[[1., 2., 5., 6.], [3., 4., 7., 8.], [9., 10., 13., 14.], [11., 12., 15., 16.]]]],
           [[0., 0., 0., 3., 3.]])]
ALIGN_OUT = [([[[[1.0, 1.25], [1.5, 1.75]]]], [[[[3.0625, 0.4375], [0.4375, 0.0625]]]]),
             ([[[[1.0, 1.25], [1.5, 1.75]], [[4.0, 3.75], [3.5, 3.25]]]],
              [[[[3.0625, 0.4375], [0.4375, 0.0625]], [[3.0625, 0.4375], [0.4375, 0.0625]]]]),
             ([[[[1.9375, 4.75], [7.5625, 10.375]]]],
              [[[[0.47265625, 0.42968750, 0.42968750, 0.04296875],
                 [0.42968750, 0.39062500, 0.39062500, 0.03906250],
                 [0.42968750, 0.39062500, 0.39062500, 0.03906250],
                 [0.04296875, 0.03906250, 0.03906250, 0.00390625]]]])]
# mmcv tests/test_ops/test_roi_pool.py
POOL_OUT = [([[[[1., 2.], [3., 4.]]]], [[[[1., 1.], [1., 1.]]]]),
            ([[[[1., 2.], [3., 4.]], [[4., 3.], [2., 1.]]]], [[[[1., 1.], [1., 1.]], [[1., 1.], [1., 1.]]]]),
            ([[[[4., 8.], [12., 16.]]]], [[[[0., 0., 0., 0.], [0., 1., 0., 1.], [0., 0., 0., 0.],
                                            [0., 1., 0., 1.]]]])]


@pytest.mark.parametrize('dtype', [torch.float, torch.double, torch.half])
@pytest.mark.parametrize('case', range(3))
def test_roi_align_golden(case, dtype):
    x = torch.tensor(INPUTS[case][0], dtype=dtype, requires_grad=True)
    rois = torch.tensor(INPUTS[case][1], dtype=dtype)
    out = roi_align(x, rois, (2, 2), 1.0, 2, 'avg', True)
    out.backward(torch.ones_like(out))
    np.testing.assert_allclose(out.float().detach().numpy(), ALIGN_OUT[case][0], atol=1e-3)
    np.testing.assert_allclose(x.grad.float().numpy(), ALIGN_OUT[case][1], atol=1e-3)


@pytest.mark.parametrize('case', range(3))
def test_roi_align_gradcheck(case):
    x = torch.tensor(INPUTS[case][0], dtype=torch.double, requires_grad=True)
    rois = torch.tensor(INPUTS[case][1], dtype=torch.double)
    assert torch.autograd.gradcheck(RoIAlign((2, 2), 1.0, 2), (x, rois), eps=1e-5, atol=1e-5)


def mmcv_bilinear(img, y, x):
    """RoIAlign's bilinear_interpolate, scalar by scalar."""
    height, width = img.shape
    if y < -1.0 or y > height or x < -1.0 or x > width:
        return 0.0
    y, x = max(y, 0.0), max(x, 0.0)
    y_low, x_low = int(y), int(x)
    if y_low >= height - 1:
        y_high = y_low = height - 1
        y = float(y_low)
    else:
        y_high = y_low + 1
    if x_low >= width - 1:
        x_high = x_low = width - 1
        x = float(x_low)
    else:
        x_high = x_low + 1
    ly, lx = y - y_low, x - x_low
    hy, hx = 1 - ly, 1 - lx
    return (hy * hx * img[y_low, x_low] + hy * lx * img[y_low, x_high]
            + ly * hx * img[y_high, x_low] + ly * lx * img[y_high, x_high])


def reference_roi_align(feat, rois, ph, pw, scale, ratio, mode, aligned):
    out = np.zeros((len(rois), feat.shape[1], ph, pw))
    off = 0.5 if aligned else 0.0
    for r, roi in enumerate(rois):
        b = int(roi[0])
        x1, y1, x2, y2 = (v * scale - off for v in roi[1:])
        rw, rh = x2 - x1, y2 - y1
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        bh, bw = rh / ph, rw / pw
        gh = ratio if ratio > 0 else math.ceil(rh / ph)
        gw = ratio if ratio > 0 else math.ceil(rw / pw)
        count = max(gh * gw, 1)
        for c in range(feat.shape[1]):
            for i in range(ph):
                for j in range(pw):
                    vals = [mmcv_bilinear(feat[b, c], y1 + i * bh + (iy + .5) * bh / gh,
                                          x1 + j * bw + (ix + .5) * bw / gw)
                            for iy in range(gh) for ix in range(gw)]
                    out[r, c, i, j] = sum(vals) / count if mode == 'avg' else max(vals)
    return out


@pytest.mark.parametrize('aligned', [True, False])
@pytest.mark.parametrize('ratio', [0, 1, 3])
@pytest.mark.parametrize('mode', ['avg', 'max'])
def test_roi_align_matches_hand_written_sampler(aligned, ratio, mode):
    g = torch.Generator().manual_seed(7)
    feat = torch.randn(2, 3, 9, 11, generator=g, dtype=torch.double)
    rois = torch.tensor([[0, 1.3, 2.2, 14.0, 12.5], [1, -3.0, -2.0, 6.0, 5.0], [1, 15.0, 10.0, 24.0, 19.0],
                         [0, 4.0, 4.0, 4.5, 4.2], [1, 0.0, 0.0, 21.9, 17.9]], dtype=torch.double)
    out = roi_align(feat, rois, (3, 4), 0.5, ratio, mode, aligned)
    ref = reference_roi_align(feat.numpy(), rois.tolist(), 3, 4, 0.5, ratio, mode, aligned)
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-10)
    layer = RoIAlign((3, 4), 0.5, ratio, mode, aligned)
    assert torch.equal(layer(feat, rois), out)
    assert 'pool_mode=%s' % mode in repr(layer)


def test_roi_align_empty_rois_and_chunking(monkeypatch):
    feat = torch.randn(1, 4, 8, 8, requires_grad=True)
    out = roi_align(feat, torch.zeros(0, 5), 7)
    assert out.shape == (0, 4, 7, 7)
    out.sum().backward()
    rois = torch.tensor([[0, 0., 0., 7., 7.]] * 5)
    full = roi_align(feat, rois, 2, 1.0, 0)
    mod = sys.modules['legacy_runner.ops.roi_align']  # the package attribute is the function
    monkeypatch.setattr(mod, '_CHUNK_ELEMS', 1)
    assert torch.allclose(roi_align(feat, rois, 2, 1.0, 0), full)


@pytest.mark.parametrize('dtype', [torch.float, torch.double])
@pytest.mark.parametrize('case', range(3))
def test_roi_pool_golden(case, dtype):
    x = torch.tensor(INPUTS[case][0], dtype=dtype, requires_grad=True)
    rois = torch.tensor(INPUTS[case][1], dtype=dtype)
    out = roi_pool(x, rois, (2, 2), 1.0)
    out.backward(torch.ones_like(out))
    np.testing.assert_allclose(out.detach().numpy(), POOL_OUT[case][0], rtol=1e-3)
    np.testing.assert_allclose(x.grad.numpy(), POOL_OUT[case][1], rtol=1e-3)
    assert torch.equal(RoIPool((2, 2), 1.0)(x, rois), out)


def test_roi_pool_matches_loop_reference():
    g = torch.Generator().manual_seed(1)
    feat = torch.randn(2, 2, 10, 12, generator=g, dtype=torch.double)
    rois = torch.tensor([[0, 1.0, 2.0, 17.0, 13.0], [1, -4.0, 3.0, 5.0, 30.0], [1, 22.0, 18.0, 30.0, 30.0],
                         [0, 3.0, 3.0, 3.0, 3.0]], dtype=torch.double)
    out = roi_pool(feat, rois, (3, 2), 0.5)
    for r, roi in enumerate(rois.tolist()):
        x1, y1, x2, y2 = (math.floor(v * 0.5 + 0.5) for v in roi[1:])
        rw, rh = max(x2 - x1 + 1, 1), max(y2 - y1 + 1, 1)
        for i in range(3):
            for j in range(2):
                hs = min(max(math.floor(i * rh / 3) + y1, 0), 10)
                he = min(max(math.ceil((i + 1) * rh / 3) + y1, 0), 10)
                ws = min(max(math.floor(j * rw / 2) + x1, 0), 12)
                we = min(max(math.ceil((j + 1) * rw / 2) + x1, 0), 12)
                cell = feat[int(roi[0]), :, hs:he, ws:we]
                exp = cell.amax((1, 2)) if cell.numel() else torch.zeros(2, dtype=torch.double)
                assert torch.allclose(out[r, :, i, j], exp)


@pytest.mark.parametrize('case', range(3))
def test_deform_roi_pool_golden(case):
    x = torch.tensor(INPUTS[case][0], requires_grad=True)
    rois = torch.tensor(INPUTS[case][1])
    pool = DeformRoIPoolPack((2, 2), x.size(1), spatial_scale=1.0, sampling_ratio=2)
    out = pool(x, rois)
    out.backward(torch.ones_like(out))
    np.testing.assert_allclose(out.detach().numpy(), ALIGN_OUT[case][0], rtol=1e-3)
    np.testing.assert_allclose(x.grad.numpy(), ALIGN_OUT[case][1], rtol=1e-3)
    mpool = ModulatedDeformRoIPoolPack((2, 2), x.size(1), spatial_scale=1.0, sampling_ratio=2)
    # zero-initialised mask branch: sigmoid(0) = 0.5
    np.testing.assert_allclose(mpool(x, rois).detach().numpy(), np.array(ALIGN_OUT[case][0]) * 0.5,
                               rtol=1e-3)


def test_deform_roi_pool_offsets_shift_bins_and_gradcheck():
    g = torch.Generator().manual_seed(2)
    feat = torch.randn(2, 3, 12, 12, generator=g, dtype=torch.double, requires_grad=True)
    rois = torch.tensor([[0, 2.0, 2.0, 8.0, 9.0], [1, 1.0, 3.0, 10.0, 7.0]], dtype=torch.double)
    off = (torch.randn(2, 2, 3, 3, generator=g, dtype=torch.double) * 0.2).requires_grad_()
    out = deform_roi_pool(feat, rois, off, 3, 1.0, 2, 0.1)
    # each bin equals RoIAlign of the RoI shifted by gamma * size * offset of that bin
    for r in range(2):
        w = rois[r, 3] - rois[r, 1]
        h = rois[r, 4] - rois[r, 2]
        for i in range(3):
            for j in range(3):
                dx = float(0.1 * w * off[r, 0, i, j].detach())
                dy = float(0.1 * h * off[r, 1, i, j].detach())
                moved = (rois[r] + torch.tensor([0, dx, dy, dx, dy], dtype=torch.double))[None]
                exp = roi_align(feat, moved, 3, 1.0, 2, 'avg', True)[0, :, i, j]
                assert torch.allclose(out[r, :, i, j], exp)
    assert torch.autograd.gradcheck(lambda f, o: deform_roi_pool(f, rois, o, 3, 1.0, 2, 0.1), (feat, off))
    assert torch.equal(DeformRoIPool(3, 1.0, 2, 0.1)(feat, rois, off), out)


def test_deform_roi_pool_offset_grad_uses_kernel_formula_at_the_border():
    # a point left of the map (x < 0) is clamped to x = 0 for the value, while the kernel's
    # offset gradient still uses the horizontal difference there
    feat = torch.tensor([[[[0., 10.], [0., 10.]]]])
    rois = torch.tensor([[0, -0.5, 0.5, 0.0, 1.0]])  # one sample at (y, x) = (0.25, -0.75)
    off = torch.zeros(1, 2, 1, 1, requires_grad=True)
    out = deform_roi_pool(feat, rois, off, 1, 1.0, 1, 1.0)
    out.sum().backward()
    assert out.item() == pytest.approx(0.0)
    assert off.grad[0, 0, 0, 0].item() == pytest.approx(0.5 * 10.0)


def test_point_sample_and_rel_points():
    g = torch.Generator().manual_seed(0)
    feat = torch.randn(2, 3, 6, 8, generator=g)
    pts = torch.rand(2, 5, 2, generator=g)
    out = point_sample(feat, pts)
    exp = F.grid_sample(feat, (pts * 2 - 1).unsqueeze(2), align_corners=False).squeeze(3)
    assert out.shape == (2, 3, 5) and torch.allclose(out, exp)
    # a pixel centre of the map returns that pixel
    centre = torch.tensor([[[(2 + 0.5) / 8, (4 + 0.5) / 6]]]).expand(2, 1, 2)
    assert torch.allclose(point_sample(feat, centre)[:, :, 0], feat[:, :, 4, 2])
    rois = torch.tensor([[0, 4.0, 2.0, 12.0, 10.0]])
    rel = rel_roi_point_to_rel_img_point(rois, torch.tensor([[[0.5, 0.25]]]), (20, 16))
    assert torch.allclose(rel, torch.tensor([[[8.0 / 16, 4.0 / 20]]]))


def test_simple_roi_align_samples_cell_centres():
    feat = torch.arange(2 * 1 * 8 * 8, dtype=torch.float).view(2, 1, 8, 8)
    rois = torch.tensor([[1, 0.0, 0.0, 8.0, 8.0], [0, 2.0, 2.0, 6.0, 6.0]])
    out = SimpleRoIAlign((2, 2), 1.0)(feat, rois)
    # RoIs come back grouped by image (image 0 first), as mmcv does
    exp0 = roi_align(feat, rois[1:], 2, 1.0, 1, 'avg', True)
    exp1 = roi_align(feat, rois[:1], 2, 1.0, 1, 'avg', True)
    assert torch.allclose(out, torch.cat([exp0, exp1]))
