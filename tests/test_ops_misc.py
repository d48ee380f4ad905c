"""The other implemented ops of legacy_runner.ops (focal losses, CARAFE, attention, PSA mask,
masked conv, corner pool, merge cells, SAC, MMSyncBN, deformable attention, bbox overlaps), the
stand-ins for compiled-only ops, and the module/name surface of mmcv 1.7.2's mmcv.ops."""
import importlib
import json
import os

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import legacy_runner.ops as ops
from legacy_runner.cnn.bricks.registry import (
    ATTENTION,
    CONV_LAYERS,
    NORM_LAYERS,
    PLUGIN_LAYERS,
    UPSAMPLE_LAYERS,
)

HERE = os.path.dirname(__file__)

# mmcv tests/test_ops/test_focal_loss.py (kernel outputs)
FOCAL_INPUTS = [([[1., 0], [0, 1.]], [0, 1]), ([[1., 0, -1.], [0, 1., 2.]], [2, 1]),
                ([[1e-6, 2e-6, 3e-6], [4e-6, 5e-5, 6e-4], [7e-3, 8e-2, 9e-1]], [1, 2, 0])]
SOFTMAX_OUT = [(0.00566451, [[-0.00657264, 0.00657264], [0.00657264, -0.00657264]]),
               (0.34956908, [[0.10165970, 0.03739851, -0.13905823], [0.01227554, -0.10298023, 0.09070466]]),
               (0.15754992, [[0.02590877, -0.05181759, 0.02590882], [0.02589641, 0.02589760, -0.05179400],
                             [-0.07307514, 0.02234372, 0.05073142]])]
SIGMOID_OUT = [(0.13562961, [[-0.00657264, 0.11185755], [0.11185755, -0.00657264]]),
               (1.10251057, [[0.28808805, 0.11185755, -0.09602935], [0.11185755, -0.00657264, 0.40376765]]),
               (0.42287254, [[0.07457182, -0.02485716, 0.07457201], [0.07457211, 0.07457669, -0.02483728],
                             [-0.02462499, 0.08277918, 0.18050370]])]


@pytest.mark.parametrize('kind', ['softmax', 'sigmoid'])
@pytest.mark.parametrize('case', range(3))
def test_focal_loss_golden(kind, case):
    fn = ops.softmax_focal_loss if kind == 'softmax' else ops.sigmoid_focal_loss
    expected = (SOFTMAX_OUT if kind == 'softmax' else SIGMOID_OUT)[case]
    x = torch.tensor(FOCAL_INPUTS[case][0], requires_grad=True)
    y = torch.tensor(FOCAL_INPUTS[case][1])
    loss = fn(x, y, 2.0, 0.25, None, 'mean')
    loss.backward()
    assert np.allclose(loss.item(), expected[0], 1e-2)
    assert np.allclose(x.grad.numpy(), expected[1], 1e-2)
    module = (ops.SoftmaxFocalLoss if kind == 'softmax' else ops.SigmoidFocalLoss)(2.0, 0.25)
    xd = x.detach().double().requires_grad_()
    assert torch.autograd.gradcheck(lambda a: module(a, y), (xd,), eps=1e-6, atol=1e-5)
    assert 'gamma=2.0' in repr(module)


def test_focal_loss_reductions_and_weights():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(6, 4, generator=g, dtype=torch.double)
    y = torch.tensor([0, 1, 2, 3, 4, 1])  # 4 = background for the sigmoid loss
    w = torch.tensor([1.0, 2.0, 0.5, 3.0], dtype=torch.double)
    none = ops.sigmoid_focal_loss(x, y, 2.0, 0.25, None, 'none')
    p = x.sigmoid()
    t = F.one_hot(y, 5)[:, :4].double()
    ref = -(0.25 * t * (1 - p) ** 2 * p.log() + 0.75 * (1 - t) * p ** 2 * (1 - p).log())
    assert none.shape == (6, 4) and torch.allclose(none, ref)
    assert torch.allclose(ops.sigmoid_focal_loss(x, y, 2.0, 0.25, None, 'sum'), ref.sum())
    # weight indexes the sample's label; 'mean' divides by the number of samples
    weighted = ops.sigmoid_focal_loss(x, y[:5].clamp(max=3).repeat(2)[:6], 2.0, 0.25, w, 'mean')
    yy = y[:5].clamp(max=3).repeat(2)[:6]
    t = F.one_hot(yy, 4).double()
    ref = -(0.25 * t * (1 - p) ** 2 * p.log() + 0.75 * (1 - t) * p ** 2 * (1 - p).log())
    assert torch.allclose(weighted, (ref * w[yy][:, None]).sum() / 6)
    ys = y.clamp(max=3)
    sm = ops.softmax_focal_loss(x, ys, 1.5, 0.5, w, 'none')
    pt = x.softmax(1).gather(1, ys[:, None])[:, 0]
    assert torch.allclose(sm, -0.5 * (1 - pt) ** 1.5 * pt.log() * w[ys])


def reference_carafe(feat, mask, k, group, scale):
    n, c, h, w = feat.shape
    out = np.zeros((n, c, h * scale, w * scale))
    r = (k - 1) // 2
    for ch in range(c):
        gi = ch // (c // group)
        for oy in range(h * scale):
            for ox in range(w * scale):
                for i in range(k):
                    for j in range(k):
                        y, x = oy // scale + i - r, ox // scale + j - r
                        if 0 <= y < h and 0 <= x < w:
                            out[:, ch, oy, ox] += feat[:, ch, y, x] * mask[:, gi * k * k + i * k + j, oy, ox]
    return out


def test_carafe_matches_loop_reference_and_gradcheck():
    g = torch.Generator().manual_seed(0)
    feat = torch.randn(2, 4, 3, 4, generator=g, dtype=torch.double, requires_grad=True)
    mask = torch.rand(2, 2 * 9, 6, 8, generator=g, dtype=torch.double, requires_grad=True)
    out = ops.carafe(feat, mask, 3, 2, 2)
    assert np.allclose(out.detach().numpy(), reference_carafe(feat.detach().numpy(), mask.detach().numpy(),
                                                              3, 2, 2))
    assert torch.equal(ops.CARAFENaive(3, 2, 2)(feat, mask), out)
    assert torch.equal(ops.CARAFE(3, 2, 2)(feat, mask), ops.carafe_naive(feat, mask, 3, 2, 2))
    small_f = feat[:1, :2, :2, :2].detach().clone().requires_grad_()
    small_m = mask[:1, :9, :4, :4].detach().clone().requires_grad_()
    assert torch.autograd.gradcheck(lambda f, m: ops.carafe(f, m, 3, 1, 2), (small_f, small_m))


def test_carafe_pack():
    assert UPSAMPLE_LAYERS.get('carafe') is ops.CARAFEPack
    m = ops.CARAFEPack(8, 2, up_kernel=3, compressed_channels=4)
    assert m.content_encoder.out_channels == 3 * 3 * 4
    x = torch.randn(1, 8, 5, 6)
    out = m(x)
    assert out.shape == (1, 8, 10, 12)
    # near-zero encoder: softmax weights ~ 1/9 over the 3x3 window of the source pixel
    m.content_encoder.weight.data.zero_()
    m.content_encoder.bias.data.zero_()
    expect = F.avg_pool2d(x, 3, 1, 1, count_include_pad=True)
    assert torch.allclose(m(x), F.interpolate(expect, scale_factor=2, mode='nearest'), atol=1e-6)


def test_criss_cross_attention_matches_loop_reference():
    assert PLUGIN_LAYERS.get('CrissCrossAttention') is ops.CrissCrossAttention
    torch.manual_seed(0)
    cca = ops.CrissCrossAttention(16).double()
    cca.gamma.scale.data.fill_(0.7)
    x = torch.randn(1, 16, 4, 5, dtype=torch.double)
    q, k, v = cca.query_conv(x)[0], cca.key_conv(x)[0], cca.value_conv(x)[0]
    exp = torch.empty_like(x)
    for i in range(4):
        for j in range(5):
            # the column (every row) and the row (without the pixel itself, counted once)
            keys = [(r, j) for r in range(4) if r != i] + [(i, c) for c in range(5)]
            e = torch.stack([q[:, i, j] @ k[:, r, c] for r, c in keys])
            a = e.softmax(0)
            exp[0, :, i, j] = sum(a[n] * v[:, r, c] for n, (r, c) in enumerate(keys))
    assert torch.allclose(cca(x), 0.7 * exp + x)
    assert repr(cca) == 'CrissCrossAttention(in_channels=16)'


@pytest.mark.parametrize('psa_type', ['collect', 'distribute'])
def test_psa_mask_matches_loop_reference(psa_type):
    g = torch.Generator().manual_seed(0)
    n, hm, wm, h, w = 2, 3, 5, 4, 6
    x = torch.randn(n, hm * wm, h, w, generator=g, dtype=torch.double, requires_grad=True)
    out = ops.PSAMask(psa_type, (hm, wm))(x)
    exp = torch.zeros(n, h * w, h, w, dtype=torch.double)
    half_h, half_w = (hm - 1) // 2, (wm - 1) // 2
    for y in range(h):
        for xx in range(w):
            for i in range(hm):
                for j in range(wm):
                    fy, fx = y + i - half_h, xx + j - half_w
                    if 0 <= fy < h and 0 <= fx < w:
                        if psa_type == 'collect':
                            exp[:, fy * w + fx, y, xx] = x[:, i * wm + j, y, xx]
                        else:
                            exp[:, y * w + xx, fy, fx] = x[:, i * wm + j, y, xx]
    assert torch.equal(out, exp)
    out.sum().backward()
    assert x.grad.shape == x.shape


def test_masked_conv2d():
    g = torch.Generator().manual_seed(0)
    conv = ops.MaskedConv2d(3, 4, 3, 1, 1)
    x = torch.randn(1, 3, 6, 7, generator=g)
    mask = (torch.rand(1, 6, 7, generator=g) > 0.5).float()
    out = conv(x, mask)
    full = F.conv2d(x, conv.weight, conv.bias, 1, 1)
    assert torch.allclose(out, full * mask[:, None])
    assert torch.allclose(conv(x), full)
    with pytest.raises(ValueError, match='Stride'):
        ops.masked_conv2d(x, mask, conv.weight, conv.bias, 1, 2)


def test_corner_pool_golden():
    # mmcv tests/test_ops/test_corner_pool.py
    with pytest.raises(AssertionError):
        ops.CornerPool('corner')
    lr = torch.tensor([[[[0, 0, 0, 0, 0], [2, 1, 3, 0, 2], [5, 4, 1, 1, 6], [0, 0, 0, 0, 0],
                         [0, 0, 0, 0, 0]]]])
    tb = torch.tensor([[[[0, 3, 1, 0, 0], [0, 1, 1, 0, 0], [0, 3, 4, 0, 0], [0, 2, 2, 0, 0],
                         [0, 0, 2, 0, 0]]]])
    zero = [0, 0, 0, 0, 0]
    answers = {
        'left': (lr, [[[zero, [3, 3, 3, 2, 2], [6, 6, 6, 6, 6], zero, zero]]]),
        'right': (lr, [[[zero, [2, 2, 3, 3, 3], [5, 5, 5, 5, 6], zero, zero]]]),
        'top': (tb, [[[[0, 3, 4, 0, 0], [0, 3, 4, 0, 0], [0, 3, 4, 0, 0], [0, 2, 2, 0, 0],
                       [0, 0, 2, 0, 0]]]]),
        'bottom': (tb, [[[[0, 3, 1, 0, 0], [0, 3, 1, 0, 0], [0, 3, 4, 0, 0], [0, 3, 4, 0, 0],
                          [0, 3, 4, 0, 0]]]]),
    }
    for mode, (inp, ans) in answers.items():
        out = ops.CornerPool(mode)(inp)
        assert out.type() == inp.type() and torch.equal(out, torch.tensor(ans))


def test_merge_cells():
    from legacy_runner.ops.merge_cells import ConcatCell, GlobalPoolingCell, SumCell
    a, b = torch.randn(2, 4, 8, 8), torch.randn(2, 4, 5, 5)
    cell = SumCell(4, 4, with_out_conv=False)
    # the smaller map is enlarged (nearest); out_size smaller than an input max-pools it
    assert torch.allclose(cell(a, b), a + F.interpolate(b, size=(8, 8), mode='nearest'))
    out = cell(a, b, out_size=(4, 4))
    assert torch.allclose(out, F.max_pool2d(a, 2) + F.max_pool2d(F.pad(b, (1, 2, 1, 2)), 2))
    cat = ConcatCell(4, 6, out_conv_cfg=dict(groups=1, kernel_size=1, padding=0, bias=True))
    assert cat.out_conv.conv.in_channels == 8 and cat(a, b).shape == (2, 6, 8, 8)
    gp = GlobalPoolingCell(4, 4, with_out_conv=False)
    assert torch.allclose(gp(a, a), a + a.mean((2, 3), keepdim=True).sigmoid() * a)
    assert SumCell(4, 4, with_input1_conv=True).input1_conv.conv.kernel_size == (3, 3)


@pytest.mark.parametrize('use_deform', [False, True])
def test_saconv_starts_as_its_small_branch(use_deform):
    assert CONV_LAYERS.get('SAC') is ops.SAConv2d
    torch.manual_seed(0)
    sac = ops.SAConv2d(3, 5, 3, padding=1, use_deform=use_deform)
    x = torch.randn(2, 3, 7, 7)
    # init: switch = 1 (small branch only), zero contexts; the conv bias is never added (as mmcv)
    exp = F.conv2d(x, sac._get_weight(sac.weight), None, 1, 1)
    assert torch.allclose(sac(x), exp, atol=1e-5)
    sac.switch.bias.data.fill_(0.)
    sac.weight_diff.data.normal_()
    w = sac._get_weight(sac.weight)
    exp = F.conv2d(x, w + sac.weight_diff, None, 1, 3, 3)  # switch 0: the large branch only
    assert torch.allclose(sac(x), exp, atol=1e-5)


def test_mmsyncbn_single_process_is_batch_norm():
    assert NORM_LAYERS.get('MMSyncBN') is ops.SyncBatchNorm
    torch.manual_seed(0)
    sbn = ops.SyncBatchNorm(4)
    bn = torch.nn.BatchNorm2d(4)
    bn.load_state_dict(sbn.state_dict())
    assert set(sbn.state_dict()) == set(bn.state_dict())
    x = torch.randn(3, 4, 5, 6)
    assert torch.allclose(sbn(x), bn(x), atol=1e-6)
    assert torch.allclose(sbn.running_var, bn.running_var) and int(sbn.num_batches_tracked) == 1
    sbn.eval()
    bn.eval()
    assert torch.allclose(sbn(x), bn(x), atol=1e-6)
    with pytest.raises(AssertionError):
        ops.SyncBatchNorm(4, stats_mode='bad')


def test_multi_scale_deformable_attention():
    from legacy_runner.ops.multi_scale_deform_attn import multi_scale_deformable_attn_pytorch
    assert ATTENTION.get('MultiScaleDeformableAttention') is ops.MultiScaleDeformableAttention
    g = torch.Generator().manual_seed(0)
    shapes = torch.tensor([[4, 5], [2, 3]])
    bs, heads, d, nq, lv, pts = 2, 2, 3, 4, 2, 2
    value = torch.randn(bs, 26, heads, d, generator=g, dtype=torch.double)
    loc = torch.rand(bs, nq, heads, lv, pts, 2, generator=g, dtype=torch.double)
    attn = torch.rand(bs, nq, heads, lv, pts, generator=g, dtype=torch.double)
    out = multi_scale_deformable_attn_pytorch(value, shapes, loc, attn)
    # naive: per level, bilinear sample (pixel centres at (i + .5) / size), zero outside
    exp = torch.zeros(bs, nq, heads, d, dtype=torch.double)
    start = 0
    for lvl, (h, w) in enumerate(shapes.tolist()):
        v = value[:, start:start + h * w].view(bs, h, w, heads, d)
        start += h * w
        for b in range(bs):
            for q in range(nq):
                for m in range(heads):
                    for p in range(pts):
                        x = loc[b, q, m, lvl, p, 0] * w - 0.5
                        y = loc[b, q, m, lvl, p, 1] * h - 0.5
                        x0, y0 = int(np.floor(x)), int(np.floor(y))
                        val = torch.zeros(d, dtype=torch.double)
                        for yy in (y0, y0 + 1):
                            for xx in (x0, x0 + 1):
                                if 0 <= yy < h and 0 <= xx < w:
                                    val += (1 - abs(x - xx)) * (1 - abs(y - yy)) * v[b, yy, xx, m]
                        exp[b, q, m] += attn[b, q, m, lvl, p] * val
    assert torch.allclose(out, exp.view(bs, nq, heads * d))
    msda = ops.MultiScaleDeformableAttention(embed_dims=8, num_heads=2, num_levels=2, num_points=2,
                                             dropout=0.0)
    assert torch.count_nonzero(msda.attention_weights.weight) == 0
    query = torch.randn(3, 1, 8)
    value = torch.randn(26, 1, 8)
    ref = torch.rand(1, 3, 2, 2)
    out = msda(query, value=value, reference_points=ref, spatial_shapes=shapes,
               level_start_index=torch.tensor([0, 20]))
    assert out.shape == (3, 1, 8)


def test_bbox_overlaps():
    b1 = torch.tensor([[0., 0., 10., 10.], [10., 10., 20., 20.], [32., 32., 38., 42.]])
    b2 = torch.tensor([[0., 0., 10., 20.], [0., 10., 10., 19.], [10., 10., 20., 20.]])
    # mmcv tests/test_ops/test_bbox.py
    np.testing.assert_allclose(ops.bbox_overlaps(b1, b2, offset=1).numpy(),
                               [[0.5238, 0.0500, 0.0041], [0.0323, 0.0452, 1.0000], [0.0000, 0.0000, 0.0000]],
                               atol=1e-4)
    np.testing.assert_allclose(ops.bbox_overlaps(b1, b2).numpy(),
                               [[0.5, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]], atol=1e-6)
    assert torch.allclose(ops.bbox_overlaps(b1, b2, 'iof', aligned=True), torch.tensor([1.0, 0.0, 0.0]))
    assert ops.bbox_overlaps(b1[:0], b2).shape == (0, 3)


def test_surface_matches_mmcv_1_7_2():
    with open(os.path.join(HERE, 'data', 'ops', 'mmcv_ops_manifest.json')) as f:
        manifest = json.load(f)
    assert sorted(ops.__all__) == sorted(manifest['names'])
    for mod in manifest['modules']:
        importlib.import_module('legacy_runner.ops.' + mod.rsplit('.', 1)[1])
    assert ops.get_compiler_version().startswith('n/a')
    assert ops.get_compiling_cuda_version().startswith('n/a')
    assert ops.get_onnxruntime_op_path() == ''
    with pytest.warns(UserWarning, match='mmcv.cnn'):
        ops.Conv2d(1, 1, 1)


UNSUPPORTED_FUNCS = ['nms_rotated', 'box_iou_rotated', 'roi_align_rotated', 'ball_query', 'voxelization',
                     'upfirdn2d', 'tin_shift', 'nms_bev']
UNSUPPORTED_CLASSES = ['RoIAlignRotated', 'Voxelization', 'SparseConv3d', 'TINShift', 'Correlation']


@pytest.mark.parametrize('name', UNSUPPORTED_FUNCS + UNSUPPORTED_CLASSES)
def test_compiled_only_ops_raise_one_clear_error(name):
    with pytest.raises(NotImplementedError, match=rf'mmcv\.ops\.{name} is not available'):
        getattr(ops, name)(torch.zeros(1))


def test_sparse_structure_is_usable():
    feats = torch.tensor([[1., 2.], [3., 4.]])
    idx = torch.tensor([[0, 1, 2], [1, 0, 0]], dtype=torch.int32)
    t = ops.SparseConvTensor(feats, idx, [2, 3], 2)
    dense = t.dense()
    assert dense.shape == (2, 2, 2, 3)
    assert dense[0, :, 1, 2].tolist() == [1., 2.] and dense[1, :, 0, 0].tolist() == [3., 4.]
    assert dense.sum().item() == 10.0
