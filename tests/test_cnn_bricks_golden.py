"""mmcv.cnn bricks and backbones against data recorded from mmcv 1.7.2 (same torch version).

Per recorded construction: the state_dict layout, the eval output with the recorded weights, and
the weights that construction (+ ``init_weights`` for BaseModules) draws under a fixed seed,
which pins mmcv's creation and initialisation order. Also ``get_model_complexity_info`` on a VGG
and ``fuse_conv_bn`` against an independent conv+BN computation.
"""
import copy
import io
import json
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import pytest
import torch
from torch import nn

import legacy_runner.cnn as cnn
from legacy_runner.base_module import BaseModule
from legacy_runner.cnn import bricks
from legacy_runner.cnn.bricks import drop, transformer
from legacy_runner.cnn.utils.flops_counter import flops_to_string, params_to_string
from legacy_runner.cnn.utils.sync_bn import revert_sync_batchnorm

DATA = Path(__file__).parent / 'data' / 'mmcv_surface'
GOLDEN = json.loads((DATA / 'bricks_cases.json').read_text())
TENSORS = np.load(DATA / 'bricks_tensors.npz')
CASES = GOLDEN['cases']


def _namespace() -> Dict[str, Any]:
    ns: Dict[str, Any] = {name: getattr(cnn, name) for name in dir(cnn) if not name.startswith('_')}
    for module in (bricks, drop, transformer):
        ns.update({name: getattr(module, name) for name in module.__all__})
    ns['LAYER'] = copy.deepcopy(GOLDEN['meta']['LAYER'])
    return ns


def _build(case: Dict) -> nn.Module:
    """The recorded recipe: seed 0, construct, init_weights for BaseModules, eval."""
    torch.manual_seed(0)
    m = eval(case['call'], _namespace())  # the calls are the recorded mmcv expressions
    if isinstance(m, BaseModule):
        m.init_weights()
    m.eval()  # not chained: mmcv's VGG/ResNet.train() return None
    return m


def _state(case: Dict) -> Dict[str, torch.Tensor]:
    return {name: torch.from_numpy(TENSORS[f"{case['name']}/state/{name}"]) for name, _, _ in case['state']}


def _flatten(y: Any) -> List[Any]:
    return list(y) if isinstance(y, tuple) else [y]


def test_recorded_cases_cover_the_whole_recipe() -> None:
    assert len(CASES) == 32
    assert {c['name'] for c in CASES} == {f'b{i:02d}' for i in range(32)}


@pytest.mark.parametrize('case', CASES, ids=[c['name'] for c in CASES])
def test_state_dict_layout(case: Dict) -> None:
    m = _build(case)
    got = [[k, list(v.shape), str(v.dtype).replace('torch.', '')] for k, v in m.state_dict().items()]
    assert got == case['state']
    assert (case['init_weights_called']) == isinstance(m, BaseModule)


@pytest.mark.parametrize('case', CASES, ids=[c['name'] for c in CASES])
def test_output_with_recorded_weights(case: Dict) -> None:
    m = _build(case)
    m.load_state_dict(_state(case), strict=True)
    x = torch.from_numpy(TENSORS[f"{case['name']}/input"])
    assert list(x.shape) == case['input_shape']
    with torch.no_grad():
        outputs = _flatten(m(x, *case['forward_extra_args']))
    assert len(outputs) == len(case['outputs'])
    for got, want in zip(outputs, case['outputs']):
        if 'value' in want:
            assert list(got) == want['value']
            continue
        expected = torch.from_numpy(TENSORS[want['key']])
        assert list(got.shape) == want['shape']
        # relative 1e-6 of the output's scale: float32 convs on another CPU sum in another order
        # (ConvWS outputs reach ~44, where their last bits differ by ~1.5e-5 on both sides of
        # the float64 result)
        scale = max(1.0, expected.abs().max().item())
        torch.testing.assert_close(got, expected, rtol=1e-6, atol=1e-6 * scale)


@pytest.mark.parametrize('case', CASES, ids=[c['name'] for c in CASES])
def test_initial_weights_follow_mmcv_order(case: Dict) -> None:
    m = _build(case)
    recorded = _state(case)
    for name, value in m.state_dict().items():
        assert torch.equal(value, recorded[name]), f"{case['name']}: {name} differs"


def test_input_is_the_seeded_draw() -> None:
    # the recorded inputs are torch.manual_seed(1); randn(input_shape): recompute them
    for case in CASES:
        torch.manual_seed(1)
        assert torch.equal(torch.randn(case['input_shape']),
                           torch.from_numpy(TENSORS[f"{case['name']}/input"])), case['name']


def test_model_complexity_of_vgg() -> None:
    meta = GOLDEN['meta']['complexity']
    model = cnn.VGG(11, num_stages=3, dilations=(1, 1, 1), out_indices=(0, 1, 2), with_bn=True)
    flops, params = cnn.get_model_complexity_info(model, (3, 32, 32), print_per_layer_stat=False)
    assert (flops, params) == (meta['flops'], meta['params'])
    # the same numbers by hand: conv FLOPs = k*k*cin*cout*H*W + bias, BN 2/elem, ReLU 1, pool 1/input
    convs = [(3, 64, 32), (64, 128, 16), (128, 256, 8), (256, 256, 8)]
    total = 0
    for cin, cout, size in convs:
        total += (9 * cin * cout + cout) * size * size + 2 * cout * size * size + cout * size * size
    total += 64 * 32 * 32 + 128 * 16 * 16 + 256 * 8 * 8  # max pools
    n_params = sum(9 * cin * cout + cout + 2 * cout for cin, cout, _ in convs)
    fresh = cnn.VGG(11, num_stages=3, dilations=(1, 1, 1), out_indices=(0, 1, 2), with_bn=True)
    raw_flops, raw_params = cnn.get_model_complexity_info(fresh, (3, 32, 32), print_per_layer_stat=False,
                                                          as_strings=False)
    assert (raw_flops, raw_params) == (total, n_params)
    assert flops_to_string(total) == meta['flops'] and params_to_string(n_params) == meta['params']


def test_model_complexity_per_layer_printout() -> None:
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU())
    out = io.StringIO()
    cnn.get_model_complexity_info(model, (3, 6, 6), ost=out)
    lines = out.getvalue().splitlines()
    # conv: (27*8 + 8) * 16 = 3584 FLOPs, 224 params; relu: 128 FLOPs
    assert lines[1] == '  0.0 M, 100.000% Params, 0.0 GFLOPs, 100.000% FLOPs, '
    assert lines[2] == ('  (0): Conv2d(0.0 M, 100.000% Params, 0.0 GFLOPs, 96.552% FLOPs, 3, 8, '
                        'kernel_size=(3, 3), stride=(1, 1))')
    assert lines[3] == '  (1): ReLU(0.0 M, 0.000% Params, 0.0 GFLOPs, 3.448% FLOPs, )'


def _randomise_bn(bn: nn.BatchNorm2d) -> None:
    with torch.no_grad():
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)


@pytest.mark.parametrize('bias', [True, False])
def test_fuse_conv_bn_matches_conv_then_bn(bias: bool) -> None:
    torch.manual_seed(3)
    model = nn.Sequential(nn.Conv2d(3, 6, 3, bias=bias), nn.BatchNorm2d(6), nn.ReLU(),
                          nn.Sequential(nn.Conv2d(6, 4, 1), nn.BatchNorm2d(4)), nn.BatchNorm2d(4))
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            _randomise_bn(m)
    model.eval()
    x = torch.randn(2, 3, 7, 7)
    conv, bn = model[0], model[1]
    # independent: BN in eval is an affine map per channel with the running statistics
    y0 = nn.functional.conv2d(x, conv.weight, conv.bias)
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    independent = (y0 - bn.running_mean[:, None, None]) * scale[:, None, None] + bn.bias[:, None, None]
    with torch.no_grad():
        expected = model(x)
        torch.testing.assert_close(model[1](model[0](x)), independent, rtol=1e-5, atol=1e-5)
        fused = cnn.fuse_conv_bn(model)
        assert isinstance(fused[1], nn.Identity) and isinstance(fused[3][1], nn.Identity)
        assert isinstance(fused[4], nn.BatchNorm2d)  # a norm not following a conv is kept
        torch.testing.assert_close(fused[0](x), independent, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(fused(x), expected, rtol=1e-5, atol=1e-5)


def test_revert_sync_batchnorm_keeps_statistics() -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.SyncBatchNorm(4))
    _randomise_bn(model[1])
    model.eval()
    x = torch.randn(2, 3, 5, 5)
    expected = nn.functional.batch_norm(model[0](x), model[1].running_mean, model[1].running_var,
                                        model[1].weight, model[1].bias, False, 0., model[1].eps)
    reverted = revert_sync_batchnorm(model)
    assert reverted[1].training  # as in mmcv, the new norm starts in train mode
    reverted.eval()
    assert not any(isinstance(m, nn.SyncBatchNorm) for m in reverted.modules())
    with torch.no_grad():
        torch.testing.assert_close(reverted(x), expected)


# ----------------------------------------------------------------------------- rfsearch
# Dilation sequences from mmcv's own operator tests: (kernel, padding, dilation, branches,
# rates at start, after estimate (equal weights) -> dilation & padding, rates after expand,
# branch weights set, then estimate -> dilation & padding).
RF_CASES = [
    (3, 1, 1, 2, [(1, 1), (2, 2)], (2, 2), (2, 2), [(1, 1), (3, 3)], [0.1, 0.4], (3, 3), (3, 3)),
    (5, 2, 1, 2, [(1, 1), (2, 2)], (2, 2), (4, 4), [(1, 1), (3, 3)], [0.1, 0.4], (3, 3), (6, 6)),
    (5, 2, 1, 3, [(1, 1), (2, 2)], (2, 2), (4, 4), [(1, 1), (2, 2), (3, 3)], [0.1, 0.3, 0.6], (3, 3),
     (6, 6)),
    ((1, 5), (0, 2), 1, 2, [(1, 1), (1, 2)], (1, 2), (0, 4), [(1, 1), (1, 3)], [0.2, 0.8], (1, 3),
     (0, 6)),
    (5, 4, (2, 2), 2, [(1, 1), (3, 3)], (2, 2), (4, 4), [(1, 1), (3, 3)], [0.8, 0.2], (1, 1), (2, 2)),
    (5, (2, 4), (1, 2), 2, [(1, 1), (2, 3)], (2, 2), (4, 4), [(1, 1), (3, 3)], [0.1, 0.8], (3, 3),
     (6, 6)),
]


def _rf_config(num_branches: int = 2) -> Dict:
    return dict(step=0, max_step=12, search_interval=1, exp_rate=0.5, init_alphas=0.01, mmin=1, mmax=24,
                num_branches=num_branches, skip_layer=['stem', 'layer1'])


def _mixed_conv(op: Any, x: torch.Tensor) -> torch.Tensor:
    """Independent: sum_i |w_i| / sum|w| * conv(x, dilation_i, size-keeping padding)."""
    w = op.branch_weights[:len(op.dilation_rates)].abs()
    w = w / w.sum()
    conv, out = op.op_layer, 0
    for i, rate in enumerate(op.dilation_rates):
        pad = tuple(r * (k - 1) // 2 for r, k in zip(rate, conv.kernel_size))
        y = nn.functional.conv2d(x, conv.weight, conv.bias, 1, pad, rate)
        out = out + (y if len(op.dilation_rates) == 1 else y * w[i])
    return out


@pytest.mark.parametrize('rf', RF_CASES, ids=[f'case{i}' for i in range(len(RF_CASES))])
def test_rfsearch_operator_rates(rf: tuple) -> None:
    kernel, padding, dilation, branches, start, est, est_pad, expanded, weights, final, final_pad = rf
    torch.manual_seed(0)
    op = cnn.Conv2dRFSearchOp(nn.Conv2d(3, 3, kernel, padding=padding, dilation=dilation),
                              _rf_config(branches), verbose=False)
    x = torch.randn(1, 3, 12, 12)
    with torch.no_grad():
        assert op.dilation_rates == start and torch.all(op.branch_weights == 0.01)
        torch.testing.assert_close(op(x), _mixed_conv(op, x))
        op.estimate_rates()
        assert (op.dilation_rates, op.op_layer.dilation, op.op_layer.padding) == ([est], est, est_pad)
        torch.testing.assert_close(op(x), _mixed_conv(op, x))
        op.expand_rates()
        assert op.dilation_rates == expanded and torch.all(op.branch_weights == 0.01)
        op.branch_weights[:len(weights)] = torch.tensor(weights)
        torch.testing.assert_close(op(x), _mixed_conv(op, x))
        op.estimate_rates()
        assert (op.dilation_rates, op.op_layer.dilation, op.op_layer.padding) == ([final], final, final_pad)
        assert op(x).shape == (1, 3, 12, 12)


def test_rfsearch_hook_wraps_searches_and_writes(tmp_path: Path) -> None:
    model = nn.Sequential()
    model.add_module('stem', nn.Conv2d(3, 4, 3, padding=1))
    model.add_module('body', nn.Sequential(nn.Conv2d(4, 4, 3, padding=1), nn.Conv2d(4, 4, 1)))
    hook = cnn.RFSearchHook(mode='search', config=dict(search=_rf_config()), verbose=False)
    hook.init_model(model)
    assert isinstance(model.stem, nn.Conv2d)  # skip_layer 'stem'
    assert isinstance(model.body[0], cnn.Conv2dRFSearchOp)
    assert isinstance(model.body[1], nn.Conv2d)  # 1x1: nothing to search
    runner = type('R', (), {'model': model, 'work_dir': str(tmp_path)})()
    hook.after_train_epoch(runner)
    written = json.loads((tmp_path / 'local_search_config_step1.json').read_text())
    assert written['structure'] == {'body.0': [2, 2]} and written['search']['step'] == 1
    # a fixed structure applied to a fresh model
    fresh = nn.Sequential(nn.Conv2d(3, 4, 5, padding=2))
    (tmp_path / 'rf.json').write_text(json.dumps({'structure': {'module.0': 3}}))
    fixed = cnn.RFSearchHook(mode='fixed_single_branch', config=dict(search=_rf_config()),
                             rfstructure_file=str(tmp_path / 'rf.json'), verbose=False)
    fixed.init_model(fresh)
    assert (fresh[0].dilation, fresh[0].padding) == ((3, 3), (6, 6))


# ----------------------------------------------------------------------------- other behaviour
def test_registries_map_types_as_mmcv() -> None:
    conv_layers, upsample = cnn.CONV_LAYERS, cnn.UPSAMPLE_LAYERS
    assert conv_layers.get('Conv') is cnn.Conv2d and conv_layers.get('Conv3d') is cnn.Conv3d
    assert conv_layers.get('ConvWS') is cnn.ConvWS2d and conv_layers.get('ConvAWS') is cnn.ConvAWS2d
    assert conv_layers.get('deconv') is cnn.ConvTranspose2d and upsample.get('deconv') is cnn.ConvTranspose2d
    assert upsample.get('deconv3d') is cnn.ConvTranspose3d
    assert conv_layers.get('Conv2dAdaptivePadding') is bricks.Conv2dAdaptivePadding
    acts = cnn.ACTIVATION_LAYERS
    assert acts.get('HSwish') is nn.Hardswish and acts.get('GELU') is nn.GELU
    # exactly mmcv 1.7.2's activation types on torch >= 1.7: a codebase registering e.g. its own
    # 'Mish' must not collide with an extra of ours
    assert sorted(acts.module_dict) == sorted([
        'ReLU', 'LeakyReLU', 'PReLU', 'RReLU', 'ReLU6', 'ELU', 'Sigmoid', 'Tanh', 'SiLU', 'Clamp', 'Clip',
        'GELU', 'HSwish', 'HSigmoid', 'Swish'])
    assert transformer.ATTENTION.get('MultiheadAttention') is transformer.MultiheadAttention
    assert drop.DROPOUT_LAYERS.get('DropPath') is drop.DropPath
    assert cnn.is_norm(nn.GroupNorm(2, 4)) and cnn.is_norm(nn.LayerNorm(4)) and not cnn.is_norm(nn.ReLU())
    assert not cnn.is_norm(nn.BatchNorm2d(4), exclude=nn.BatchNorm2d)
    with pytest.raises(TypeError):
        cnn.is_norm(nn.BatchNorm2d(4), exclude=(1, ))
    names = [cnn.build_plugin_layer(dict(type=t, in_channels=16, **extra), postfix=p)[0]
             for t, extra, p in [('ContextBlock', dict(ratio=0.5), '_1'), ('NonLocal2d', {}, 2),
                                 ('GeneralizedAttention', dict(num_heads=2), '')]]
    assert names == ['context_block_1', 'nonlocal_block2', 'gen_attention_block']
    assert bricks.plugin.infer_abbr(type('FancyHTTPBlock', (), {})) == 'fancy_http_block'
    seq = cnn.build_model_from_cfg([dict(type='ReLU'), dict(type='Sigmoid')], cnn.ACTIVATION_LAYERS)
    assert [type(m) for m in seq] == [nn.ReLU, nn.Sigmoid]


def test_conv_aws_from_a_plain_conv_checkpoint_computes_the_plain_conv() -> None:
    torch.manual_seed(0)
    plain = nn.Conv2d(4, 6, 3, padding=1)
    aws = cnn.ConvAWS2d(4, 6, 3, padding=1)
    missing = aws.load_state_dict(plain.state_dict(), strict=False).missing_keys
    assert missing == []  # gamma/beta are recovered, not reported
    x = torch.randn(2, 4, 5, 5)
    torch.testing.assert_close(aws(x), plain(x), rtol=1e-5, atol=1e-5)


def test_drop_path_drops_whole_samples() -> None:
    torch.manual_seed(0)
    layer = drop.DropPath(0.5).train()
    y = layer(torch.ones(64, 3, 2))
    per_sample = y.view(64, -1)
    assert all(set(row.tolist()) in ({0.0}, {2.0}) for row in per_sample)
    assert 10 < int((per_sample[:, 0] == 0).sum()) < 54
    assert torch.equal(layer.eval()(torch.ones(4, 3)), torch.ones(4, 3))


def test_adaptive_padding_and_patch_embed_sizes() -> None:
    pad = transformer.AdaptivePadding(kernel_size=16, stride=16, padding='corner')
    assert pad(torch.rand(1, 1, 15, 17)).shape[2:] == (16, 32)
    same = transformer.AdaptivePadding(kernel_size=3, stride=2, padding='same')
    padded = same(torch.ones(1, 1, 4, 4))
    assert padded.shape[2:] == (5, 5) and padded[0, 0, 0].sum() == 4 and padded[0, 0, -1].sum() == 0
    embed = transformer.PatchEmbed(3, 8, kernel_size=7, stride=4, padding='same', input_size=(17, 23))
    tokens, size = embed(torch.rand(1, 3, 17, 23))
    assert size == embed.init_out_size == (5, 6) and tokens.shape == (1, 30, 8)


def test_multihead_attention_batch_first_and_pre_norm_layer() -> None:
    torch.manual_seed(0)
    seq_first = transformer.MultiheadAttention(8, 2)
    batch_first = transformer.MultiheadAttention(8, 2, batch_first=True)
    batch_first.load_state_dict(seq_first.state_dict())
    q, pos = torch.randn(5, 3, 8), torch.randn(5, 3, 8)
    with torch.no_grad():
        ref = seq_first(q, query_pos=pos)
        torch.testing.assert_close(batch_first(q.transpose(0, 1), query_pos=pos.transpose(0, 1)),
                                   ref.transpose(0, 1))
        # independent: torch's attention on (q + pos) plus the identity q
        expected = q + seq_first.attn(q + pos, q + pos, q)[0]
        torch.testing.assert_close(ref, expected)
    layer = transformer.BaseTransformerLayer(
        attn_cfgs=dict(type='MultiheadAttention', embed_dims=8, num_heads=2),
        ffn_cfgs=dict(type='FFN', feedforward_channels=16),
        operation_order=('norm', 'self_attn', 'norm', 'cross_attn', 'norm', 'ffn')).eval()
    assert layer.pre_norm and layer.ffns[0].embed_dims == 8
    key = torch.randn(4, 3, 8)
    with torch.no_grad():
        got = layer(q, key, key)
        a, b = layer.attentions
        x = a(layer.norms[0](q), identity=q)
        x = b(layer.norms[1](x), key, key, identity=x)
        x = layer.ffns[0](layer.norms[2](x), x)
        torch.testing.assert_close(got, x)


@pytest.mark.parametrize('cls,shape', [('NonLocal1d', (2, 8, 6)), ('NonLocal3d', (2, 8, 2, 4, 4))])
@pytest.mark.parametrize('mode', ['gaussian', 'embedded_gaussian', 'dot_product', 'concatenation'])
def test_non_local_1d_3d_shapes(cls: str, shape: tuple, mode: str) -> None:
    block = getattr(cnn, cls)(8, sub_sample=True, mode=mode)
    x = torch.randn(*shape)
    assert torch.equal(block(x), x)  # conv_out starts at zero: the block is the identity


@pytest.mark.parametrize('make', [lambda **kw: cnn.ResNet(18, **kw),
                                  lambda **kw: cnn.VGG(11, with_bn=True, **kw)],
                         ids=['ResNet', 'VGG'])
def test_backbones_hold_batchnorm_in_train_mode(make) -> None:
    # bn_eval keeps every BatchNorm2d in eval mode through .train(); bn_frozen also stops its gradients
    for bn_eval, bn_frozen in ((True, False), (True, True), (False, True)):
        model = make(bn_eval=bn_eval, bn_frozen=bn_frozen)
        model.train()
        bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
        assert bns and all(m.training is not bn_eval for m in bns)
        frozen = bn_eval and bn_frozen
        assert all(p.requires_grad is not frozen for m in bns for p in m.parameters())
