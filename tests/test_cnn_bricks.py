"""ConvModule and the build_*_layer bricks (mmcv.cnn 1.x behaviour)."""
import warnings

import pytest
import torch
from torch import nn

from legacy_runner.cnn import (
    ACTIVATION_LAYERS,
    CONV_LAYERS,
    NORM_LAYERS,
    ConvModule,
    HSigmoid,
    HSwish,
    PixelShufflePack,
    Scale,
    Swish,
    build_activation_layer,
    build_conv_layer,
    build_norm_layer,
    build_padding_layer,
    build_upsample_layer,
)


def test_build_conv_layer() -> None:
    conv = build_conv_layer(None, 3, 8, 3, padding=1)
    assert isinstance(conv, nn.Conv2d) and conv.padding == (1, 1)
    assert isinstance(build_conv_layer(dict(type='Conv1d'), 3, 8, 3), nn.Conv1d)
    assert isinstance(build_conv_layer(dict(type='Conv'), 3, 8, 3), nn.Conv2d)
    with pytest.raises(KeyError, match='Unrecognized'):
        build_conv_layer(dict(type='Nope'), 3, 8, 3)
    with pytest.raises(KeyError):
        build_conv_layer(dict(kernel=1), 3, 8, 3)
    with pytest.raises(TypeError):
        build_conv_layer('Conv2d', 3, 8, 3)
    assert 'Conv3d' in CONV_LAYERS


@pytest.mark.parametrize('cfg, cls, abbr', [
    (dict(type='BN'), nn.BatchNorm2d, 'bn'), (dict(type='BN1d'), nn.BatchNorm1d, 'bn'),
    (dict(type='SyncBN'), nn.SyncBatchNorm, 'bn'), (dict(type='GN', num_groups=2), nn.GroupNorm, 'gn'),
    (dict(type='LN'), nn.LayerNorm, 'ln'), (dict(type='IN'), nn.InstanceNorm2d, 'in'),
    (dict(type='IN3d'), nn.InstanceNorm3d, 'in')])
def test_build_norm_layer_names(cfg: dict, cls: type, abbr: str) -> None:
    name, layer = build_norm_layer(cfg, 4, postfix=2)
    assert name == f'{abbr}2' and type(layer) is cls and layer.eps == 1e-5
    assert build_norm_layer(cfg, 4)[0] == abbr


def test_build_norm_layer_options_and_errors() -> None:
    _, bn = build_norm_layer(dict(type='BN', requires_grad=False, eps=1e-3), 4)
    assert bn.eps == 1e-3 and not any(p.requires_grad for p in bn.parameters())
    with pytest.raises(AssertionError):
        build_norm_layer(dict(type='GN'), 4)
    with pytest.raises(KeyError):
        build_norm_layer(dict(type='Nope'), 4)
    with pytest.raises(TypeError):
        build_norm_layer('BN', 4)

    @NORM_LAYERS.register_module()
    class MyBatchNormish(nn.BatchNorm1d):
        _abbr_ = 'mybn'

    class PlainGroupish(nn.Module):
        def __init__(self, num_features: int, eps: float = 1e-5) -> None:
            super().__init__()

    try:
        assert build_norm_layer(dict(type='MyBatchNormish'), 4)[0] == 'mybn'
        NORM_LAYERS.register_module(module=PlainGroupish)
        assert build_norm_layer(dict(type='PlainGroupish'), 4)[0] == 'gn'
    finally:
        NORM_LAYERS.module_dict.pop('MyBatchNormish', None)
        NORM_LAYERS.module_dict.pop('PlainGroupish', None)


def test_activation_and_padding_layers() -> None:
    x = torch.linspace(-5, 5, 11)
    assert isinstance(build_activation_layer(dict(type='ReLU', inplace=True)), nn.ReLU)
    assert torch.allclose(build_activation_layer(dict(type='Clamp', min=-1, max=2))(x), x.clamp(-1, 2))
    assert torch.allclose(Swish()(x), x * torch.sigmoid(x))
    with pytest.warns(UserWarning) as caught:  # mmcv 1.7.2 warns on every construction
        hsigmoid = HSigmoid()
    assert [str(w.message) for w in caught] == [
        'In MMCV v1.4.4, we modified the default value of args to align with PyTorch official. '
        'Previous Implementation: Hsigmoid(x) = min(max((x + 1) / 2, 0), 1). '
        'Current Implementation: Hsigmoid(x) = min(max((x + 3) / 6, 0), 1).']
    assert torch.allclose(hsigmoid(x.clone()), ((x + 3) / 6).clamp(0, 1))
    assert torch.allclose(HSwish()(x), x * torch.nn.functional.relu6(x + 3) / 6)
    expected = {'GELU', 'SiLU', 'LeakyReLU', 'PReLU', 'Tanh', 'Sigmoid', 'HSwish'}
    assert expected <= set(ACTIVATION_LAYERS.module_dict)
    pad = build_padding_layer(dict(type='reflect'), 2)
    assert isinstance(pad, nn.ReflectionPad2d)
    assert pad(torch.zeros(1, 1, 3, 3)).shape == (1, 1, 7, 7)
    with pytest.raises(KeyError):
        build_padding_layer(dict(type='mirror'), 1)


def test_upsample_layers() -> None:
    up = build_upsample_layer(dict(type='nearest', scale_factor=2))
    assert isinstance(up, nn.Upsample) and up.mode == 'nearest'
    assert build_upsample_layer(dict(type='bilinear', scale_factor=2)).mode == 'bilinear'
    deconv = build_upsample_layer(dict(type='deconv'), 4, 2, kernel_size=2, stride=2)
    assert isinstance(deconv, nn.ConvTranspose2d)
    ps = build_upsample_layer(dict(type='pixel_shuffle', scale_factor=2, upsample_kernel=3), 4, 2)
    assert isinstance(ps, PixelShufflePack) and ps(torch.zeros(1, 4, 3, 3)).shape == (1, 2, 6, 6)


def test_conv_module_defaults() -> None:
    m = ConvModule(3, 8, 3, padding=1)
    assert m.with_bias and m.conv.bias is not None and m.norm is None and m.norm_name is None
    assert isinstance(m.activate, nn.ReLU) and m.activate.inplace
    assert (m.in_channels, m.out_channels, m.kernel_size, m.padding) == (3, 8, (3, 3), (1, 1))
    assert m(torch.randn(2, 3, 5, 5)).min() >= 0


def test_conv_module_norm_order_and_bias() -> None:
    m = ConvModule(3, 8, 3, norm_cfg=dict(type='BN'), act_cfg=dict(type='LeakyReLU'), inplace=False)
    assert m.conv.bias is None and m.norm_name == 'bn' and m.norm is m.bn
    assert isinstance(m.activate, nn.LeakyReLU) and not m.activate.inplace
    assert torch.all(m.bn.weight == 1) and torch.all(m.bn.bias == 0)
    pre = ConvModule(4, 8, 1, norm_cfg=dict(type='GN', num_groups=2), order=('norm', 'act', 'conv'))
    assert pre.gn.num_channels == 4
    x = torch.randn(1, 4, 3, 3)
    assert torch.allclose(pre(x), pre.conv(pre.activate(pre.gn(x))))
    assert torch.allclose(pre(x, activate=False, norm=False), pre.conv(x))
    with pytest.warns(UserWarning, match='Unnecessary conv bias'):
        ConvModule(3, 8, 3, bias=True, norm_cfg=dict(type='BN'))
    with pytest.raises(AssertionError):
        ConvModule(3, 8, 3, order=('conv', 'norm'))


def test_conv_module_padding_spectral_and_no_inplace_acts() -> None:
    m = ConvModule(3, 4, 3, padding=1, padding_mode='reflect')
    assert isinstance(m.padding_layer, nn.ReflectionPad2d) and m.conv.padding == (0, 0)
    assert m(torch.randn(1, 3, 5, 5)).shape == (1, 4, 5, 5)
    circ = ConvModule(3, 4, 3, padding=1, padding_mode='circular')
    assert circ.conv.padding_mode == 'circular' and not hasattr(circ, 'padding_layer')
    sn = ConvModule(3, 4, 3, with_spectral_norm=True)
    assert hasattr(sn.conv, 'weight_orig')
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        warnings.filterwarnings('ignore', message='In MMCV v1.4.4')  # HSigmoid's own, as in mmcv
        for act in ('Tanh', 'Sigmoid', 'GELU', 'Swish', 'HSigmoid', 'PReLU'):
            ConvModule(3, 4, 1, act_cfg=dict(type=act))  # no inplace passed
    assert ConvModule(3, 4, 1, act_cfg=None)(torch.full((1, 3, 1, 1), -1.0)).shape == (1, 4, 1, 1)


def test_scale() -> None:
    s = Scale(2.0)
    assert torch.allclose(s(torch.ones(3)), torch.full((3, ), 2.0)) and s.scale.requires_grad


def test_transformer_module_warns_at_import_as_mmcv() -> None:
    # an ImportWarning (shown only when asked for), and the old import path still works
    import subprocess
    import sys

    from run_helpers import ROOT
    code = ('import warnings\n'
            'with warnings.catch_warnings(record=True) as caught:\n'
            '    warnings.simplefilter("always")\n'
            '    from legacy_runner.cnn.bricks.transformer import MultiScaleDeformableAttention\n'
            'print([(w.category.__name__, str(w.message)) for w in caught])\n'
            'print(MultiScaleDeformableAttention.__module__)\n')
    out = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    caught, module = out.stdout.strip().splitlines()
    assert caught == str([('ImportWarning', (
        '``MultiScaleDeformableAttention`` has been moved to ``mmcv.ops.multi_scale_deform_attn``, please '
        'change original path ``from mmcv.cnn.bricks.transformer import MultiScaleDeformableAttention`` '
        'to ``from mmcv.ops.multi_scale_deform_attn import MultiScaleDeformableAttention`` '))])
    assert module == 'legacy_runner.ops.multi_scale_deform_attn'
