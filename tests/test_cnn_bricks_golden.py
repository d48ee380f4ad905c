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
