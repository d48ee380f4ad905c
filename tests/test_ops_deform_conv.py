"""Deformable convolutions of legacy_runner.ops: mmcv 1.7.2's test numbers (outputs and
gradients of its kernels) and equalities with nn.Conv2d."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from legacy_runner.cnn.bricks.registry import CONV_LAYERS
from legacy_runner.ops import (
    DeformConv2d,
    DeformConv2dPack,
    ModulatedDeformConv2d,
    ModulatedDeformConv2dPack,
    deform_conv2d,
    modulated_deform_conv2d,
)

# mmcv tests/test_ops/test_deform_conv.py
INPUT = [[[[1., 2., 3.], [0., 1., 2.], [3., 5., 2.]]]]
OFFSET_WEIGHT = [[[0.1, 0.4, 0.6, 0.1]], [[0.3, 0.2, 0.1, 0.3]], [[0.5, 0.5, 0.2, 0.8]],
                 [[0.8, 0.3, 0.9, 0.1]], [[0.3, 0.1, 0.2, 0.5]], [[0.3, 0.7, 0.5, 0.3]],
                 [[0.6, 0.2, 0.5, 0.3]], [[0.4, 0.1, 0.8, 0.4]]]
OFFSET_BIAS = [0.7, 0.1, 0.8, 0.5, 0.6, 0.5, 0.4, 0.7]
DEFORM_WEIGHT = [[[0.4, 0.2, 0.1, 0.9]]]
GT_OUT = [[[[1.650, 0.], [0.000, 0.]]]]
GT_X_GRAD = [[[[-0.666, 0.204, 0.000], [0.030, -0.416, 0.012], [0.000, 0.252, 0.129]]]]
GT_OFFSET_WEIGHT_GRAD = [[[[1.44, 2.88], [0.00, 1.44]]], [[[-0.72, -1.44], [0.00, -0.72]]],
                         [[[0.00, 0.00], [0.00, 0.00]]], [[[0.00, 0.00], [0.00, 0.00]]],
                         [[[-0.10, -0.20], [0.00, -0.10]]], [[[-0.08, -0.16], [0.00, -0.08]]],
                         [[[-0.54, -1.08], [0.00, -0.54]]], [[[-0.54, -1.08], [0.00, -0.54]]]]
GT_OFFSET_BIAS_GRAD = [1.44, -0.72, 0., 0., -0.10, -0.08, -0.54, -0.54]
GT_DEFORM_WEIGHT_GRAD = [[[[3.62, 0.], [0.40, 0.18]]]]

# mmcv tests/test_ops/test_modulated_deform_conv.py
MD_INPUT = [[[[1., 2., 3.], [1., 2., 3.], [1., 2., 3.]]]]
MD_OUT = [[[[0.5, 1.5, 2.5, 1.5], [1.0, 3.0, 5.0, 3.0], [1.0, 3.0, 5.0, 3.0], [0.5, 1.5, 2.5, 1.5]]]]
MD_INPUT_GRAD = [[[[2., 2., 2.], [2., 2., 2.], [2., 2., 2.]]]]
MD_W_GRAD = [[[[9., 9.], [9., 9.]]]]
MD_OFFSET_W_GRAD = [[[[-7.0, -4.0], [0.0, 0.0]]], [[[-9.0, 7.5], [-6.0, 5.0]]], [[[-4.0, -7.0], [0.0, 0.0]]],
                    [[[-7.5, -9.0], [-5.0, -6.0]]], [[[-7.0, -4.0], [-7.0, -4.0]]],
                    [[[-6.0, 5.0], [-9.0, 7.5]]], [[[-4.0, -7.0], [-4.0, -7.0]]],
                    [[[-5.0, -6.0], [-7.5, -9.0]]], [[[10.5, 6.0], [7.0, 4.0]]], [[[6.0, 10.5], [4.0, 7.0]]],
                    [[[7.0, 4.0], [10.5, 6.0]]], [[[4.0, 7.0], [6.0, 10.5]]]]
MD_OFFSET_B_GRAD = [-3.0, -1.5, -3.0, -1.5, -3.0, -1.5, -3.0, -1.5, 4.5, 4.5, 4.5, 4.5]


@pytest.mark.parametrize('dtype,threshold', [(torch.double, 1e-3), (torch.float, 1e-1)])
@pytest.mark.parametrize('batch_size,im2col_step', [(10, 2), (1, 2)])
def test_deform_conv_golden(dtype, threshold, batch_size, im2col_step):
    x = torch.tensor(np.repeat(INPUT, batch_size, axis=0), dtype=dtype, requires_grad=True)
    model = DeformConv2dPack(1, 1, kernel_size=2, stride=1, padding=0, im2col_step=im2col_step)
    model.conv_offset.weight.data = torch.Tensor(OFFSET_WEIGHT).reshape(8, 1, 2, 2)
    model.conv_offset.bias.data = torch.Tensor(OFFSET_BIAS).reshape(8)
    model.weight.data = torch.Tensor(DEFORM_WEIGHT).reshape(1, 1, 2, 2)
    model.type(dtype)
    out = model(x)
    out.backward(torch.ones_like(out))
    assert np.allclose(out.detach().numpy(), np.repeat(GT_OUT, batch_size, 0), threshold)
    assert np.allclose(x.grad.numpy(), np.repeat(GT_X_GRAD, batch_size, 0), threshold)
    assert np.allclose(model.conv_offset.weight.grad.numpy() / batch_size, GT_OFFSET_WEIGHT_GRAD, threshold)
    assert np.allclose(model.conv_offset.bias.grad.numpy() / batch_size, GT_OFFSET_BIAS_GRAD, threshold)
    assert np.allclose(model.weight.grad.numpy() / batch_size, GT_DEFORM_WEIGHT_GRAD, threshold)


def test_deform_conv_argument_checks():
    assert not hasattr(DeformConv2d(1, 1, 2, stride=1, padding=0), 'bias')
    with pytest.raises(AssertionError):
        DeformConv2d(1, 1, 2, stride=1, padding=0, bias=True)
    with pytest.raises(AssertionError):
        DeformConv2d(3, 2, 3, groups=2)
    with pytest.raises(AssertionError):
        DeformConv2d(3, 4, 3, groups=3)
    model = DeformConv2dPack(1, 1, 2, im2col_step=3)
    with pytest.raises(AssertionError, match='batch size must be divisible by im2col_step'):
        model(torch.randn(10, 1, 3, 3))
    with pytest.warns(DeprecationWarning):
        assert DeformConv2d(4, 4, 3, deformable_groups=2).deform_groups == 2


@pytest.mark.parametrize('dtype', [torch.double, torch.float])
def test_modulated_deform_conv_golden(dtype):
    x = torch.tensor(MD_INPUT, dtype=dtype, requires_grad=True)
    dcn = ModulatedDeformConv2dPack(1, 1, kernel_size=(2, 2), stride=1, padding=1, deform_groups=1,
                                    bias=False)
    dcn.weight.data.fill_(1.)
    dcn.type(dtype)
    out = dcn(x)
    out.sum().backward()
    assert np.allclose(out.detach().numpy(), MD_OUT, 1e-2)
    assert np.allclose(x.grad.numpy(), MD_INPUT_GRAD, 1e-2)
    assert np.allclose(dcn.weight.grad.numpy(), MD_W_GRAD, 1e-2)
    assert np.allclose(dcn.conv_offset.weight.grad.numpy(), MD_OFFSET_W_GRAD, 1e-2)
    assert np.allclose(dcn.conv_offset.bias.grad.numpy(), MD_OFFSET_B_GRAD, 1e-2)


CONV_CASES = [  # (cin, cout, k, stride, pad, dil, groups, deform_groups, h, w)
    (4, 6, 3, 1, 1, 1, 1, 1, 7, 9),
    (4, 6, 3, 2, 0, 1, 2, 2, 9, 8),
    (6, 4, (3, 1), (1, 2), (2, 0), 2, 2, 3, 10, 7),
    (2, 2, 1, 1, 0, 1, 1, 1, 4, 4),
]


@pytest.mark.parametrize('case', CONV_CASES)
def test_zero_offsets_are_a_convolution(case):
    cin, cout, k, stride, pad, dil, groups, dg, h, w = case
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, cin, h, w, generator=g, dtype=torch.double)
    layer = DeformConv2d(cin, cout, k, stride, pad, dil, groups, dg).double()
    exp = F.conv2d(x, layer.weight, None, layer.stride, layer.padding, layer.dilation, groups)
    kh, kw = layer.kernel_size
    offset = torch.zeros(2, dg * 2 * kh * kw, *exp.shape[2:], dtype=torch.double)
    assert torch.allclose(layer(x, offset), exp)
    mod = ModulatedDeformConv2d(cin, cout, k, stride, pad, dil, groups, dg, bias=True).double()
    mod.bias.data.normal_()
    mask = torch.ones(2, dg * kh * kw, *exp.shape[2:], dtype=torch.double)
    exp = F.conv2d(x, mod.weight, mod.bias, mod.stride, mod.padding, mod.dilation, groups)
    assert torch.allclose(mod(x, offset, mask), exp)
    # a mask of 0.5 on every tap halves the un-biased response
    half = modulated_deform_conv2d(x, offset, mask * 0.5, mod.weight, None, mod.stride, mod.padding,
                                   mod.dilation, groups, dg)
    assert torch.allclose(half * 2, exp - mod.bias.view(1, -1, 1, 1))


def test_integer_offsets_shift_the_input():
    # an offset of exactly (+1, +2) on every tap samples the input moved by one row, two columns
    g = torch.Generator().manual_seed(1)
    x = torch.randn(1, 3, 8, 9, generator=g, dtype=torch.double)
    weight = torch.randn(5, 3, 3, 3, generator=g, dtype=torch.double)
    offset = torch.zeros(1, 18, 8, 9, dtype=torch.double)
    offset[:, 0::2] = 1
    offset[:, 1::2] = 2
    # padded input (1 pixel as the conv's padding, plus room for the shift), read one row down
    # and two columns right
    xp = F.pad(x, (1, 3, 1, 2))
    exp = F.conv2d(xp[:, :, 1:, 2:], weight)
    assert torch.allclose(deform_conv2d(x, offset, weight, 1, 1), exp)


def test_deform_conv_gradcheck():
    g = torch.Generator().manual_seed(2)
    x = torch.randn(1, 4, 3, 4, generator=g, dtype=torch.double, requires_grad=True)
    weight = torch.randn(2, 2, 2, 2, generator=g, dtype=torch.double, requires_grad=True)
    # fractional offsets away from integer positions (bilinear kinks); some taps leave the map
    offset = (torch.rand(1, 2 * 2 * 4, 2, 3, generator=g, dtype=torch.double) * 1.6 - 0.7).requires_grad_()
    mask = torch.rand(1, 2 * 4, 2, 3, generator=g, dtype=torch.double).requires_grad_()
    bias = torch.randn(2, generator=g, dtype=torch.double, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda a, o, wt: deform_conv2d(a, o, wt, 1, 0, 1, 2, 2), (x, offset, weight))
    assert torch.autograd.gradcheck(
        lambda a, o, m, wt, b: modulated_deform_conv2d(a, o, m, wt, b, 1, 0, 1, 2, 2),
        (x, offset, mask, weight, bias))


def test_small_input_is_padded_then_cropped():
    layer = DeformConv2d(1, 1, 3, padding=1)
    x = torch.randn(1, 1, 2, 2)
    out = layer(x, torch.zeros(1, 18, 2, 2))
    assert torch.allclose(out, F.conv2d(x, layer.weight, None, 1, 1), atol=1e-6)


def test_registry_and_legacy_checkpoint_keys():
    assert CONV_LAYERS.get('DCN') is DeformConv2dPack
    assert CONV_LAYERS.get('DCNv2') is ModulatedDeformConv2dPack
    src = ModulatedDeformConv2dPack(2, 2, 3, padding=1)
    src.conv_offset.weight.data.normal_()
    # checkpoints from before version 2 named the offset conv '<layer>_offset'
    legacy = {('dcn_offset.' + k[len('conv_offset.'):]) if k.startswith('conv_offset.') else 'dcn.' + k: v
              for k, v in src.state_dict().items()}
    assert 'dcn_offset.weight' in legacy
    # torch >= 2 hands a child only its own keys, so call the hook the way older torch did
    dcn = ModulatedDeformConv2dPack(2, 2, 3, padding=1)
    missing, unexpected, errors = [], [], []
    dcn._load_from_state_dict(legacy, 'dcn.', {}, True, missing, unexpected, errors)
    assert not missing and not errors
    # the hook renamed the keys for the child conv to pick up
    assert 'dcn_offset.weight' not in legacy
    assert torch.equal(legacy['dcn.conv_offset.weight'], src.conv_offset.weight)
    assert torch.equal(legacy['dcn.conv_offset.bias'], src.conv_offset.bias)
