"""Weight-init functions, INITIALIZERS and ``initialize`` layer/override semantics (mmcv 1.x)."""
import math

import numpy as np
import pytest
import torch
import torch.nn as nn

from legacy_runner.cnn import (
    INITIALIZERS,
    Caffe2XavierInit,
    ConstantInit,
    KaimingInit,
    NormalInit,
    PretrainedInit,
    TruncNormalInit,
    UniformInit,
    XavierInit,
    bias_init_with_prob,
    caffe2_xavier_init,
    constant_init,
    initialize,
    kaiming_init,
    normal_init,
    trunc_normal_init,
    uniform_init,
    xavier_init,
)


def test_registry_names():
    assert set(INITIALIZERS.module_dict) == {'Constant', 'Xavier', 'Normal', 'TruncNormal', 'Uniform',
                                             'Kaiming', 'Caffe2Xavier', 'Pretrained'}


def test_init_functions():
    conv = nn.Conv2d(3, 16, 3)
    constant_init(conv, 0.1, 0.2)
    assert conv.weight.eq(0.1).all() and conv.bias.eq(0.2).all()
    no_bias = nn.Conv2d(3, 16, 3, bias=False)
    constant_init(no_bias, 0.5)  # a None bias is skipped
    assert no_bias.weight.eq(0.5).all()
    constant_init(nn.ReLU(), 1)  # no weight at all: nothing happens

    torch.manual_seed(0)
    xavier_init(conv, bias=0.3, distribution='uniform')
    bound = math.sqrt(6 / (3 * 9 + 16 * 9))
    assert conv.weight.abs().max() <= bound and conv.bias.eq(0.3).all()
    with pytest.raises(AssertionError):
        xavier_init(conv, distribution='student-t')

    normal_init(conv, mean=5, std=0.01, bias=1)
    assert abs(conv.weight.mean().item() - 5) < 0.01 and conv.bias.eq(1).all()
    trunc_normal_init(conv, mean=0, std=10, a=-1, b=1, bias=2)
    assert conv.weight.abs().max() <= 1 and conv.bias.eq(2).all()
    uniform_init(conv, a=2, b=3, bias=4)
    assert conv.weight.min() >= 2 and conv.weight.max() <= 3 and conv.bias.eq(4).all()

    torch.manual_seed(1)
    kaiming_init(conv, bias=0.5, distribution='uniform')
    ref = torch.empty_like(conv.weight)
    torch.manual_seed(1)
    nn.init.kaiming_uniform_(ref, a=0, mode='fan_out', nonlinearity='relu')
    assert torch.equal(conv.weight, ref) and conv.bias.eq(0.5).all()
    with pytest.raises(AssertionError):
        kaiming_init(conv, distribution='other')

    torch.manual_seed(2)
    caffe2_xavier_init(conv, bias=0.1)
    torch.manual_seed(2)
    nn.init.kaiming_uniform_(ref, a=1, mode='fan_in', nonlinearity='leaky_relu')
    assert torch.equal(conv.weight, ref) and conv.bias.eq(0.1).all()

    assert bias_init_with_prob(0.01) == pytest.approx(float(-np.log((1 - 0.01) / 0.01)))
    assert isinstance(bias_init_with_prob(0.5), float)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 3, 1)
        self.conv2 = nn.Conv2d(3, 3, 1)
        self.fc = nn.Linear(1, 2)
        self.bn = nn.BatchNorm2d(3)


def _vals(module):
    return module.weight.unique().tolist(), module.bias.unique().tolist()


def test_layer_matching_uses_class_and_direct_bases():
    model = Model()
    ConstantInit(val=1, bias=2, layer='Conv2d')(model)
    assert _vals(model.conv1) == ([1], [2]) and _vals(model.conv2) == ([1], [2])
    assert model.fc.weight.ne(1).any()
    # '_ConvNd' is Conv2d's direct base, so it matches
    ConstantInit(val=3, layer=['_ConvNd'])(model)
    assert _vals(model.conv1) == ([3], [0])
    # _NormBase is two levels up from BatchNorm2d (BatchNorm2d -> _BatchNorm -> _NormBase): no match...
    ConstantInit(val=4, layer='_NormBase')(model)
    assert _vals(model.bn) == ([1], [0])
    # ...but BatchNorm2d's direct base _BatchNorm does
    ConstantInit(val=4, layer='_BatchNorm')(model)
    assert _vals(model.bn) == ([4], [0])
    # no layer: nothing is initialised
    ConstantInit(val=9)(model)
    assert _vals(model.fc)[0] != [9]


def test_initializer_argument_checks():
    with pytest.raises(TypeError):
        ConstantInit(val=1, bias='1')
    with pytest.raises(TypeError):
        ConstantInit(val=1, bias_prob=1)
    with pytest.raises(TypeError):
        ConstantInit(val=1, layer=('Conv2d', ))
    init = NormalInit(bias_prob=0.01, layer='Conv2d')
    assert init.bias == bias_init_with_prob(0.01) and init.layer == ['Conv2d']
    for cls in (XavierInit, NormalInit, TruncNormalInit, UniformInit, KaimingInit, Caffe2XavierInit):
        model = Model()
        cls(layer='Linear', bias=0.25)(model)
        assert model.fc.bias.eq(0.25).all(), cls
        assert model.conv1.bias.ne(0.25).all(), cls


def test_initialize_list_and_override():
    model = Model()
    init_cfg = [dict(type='Constant', layer='Conv2d', val=1, bias=2),
                dict(type='Constant', layer='Linear', val=3, bias=4)]
    initialize(model, init_cfg)
    assert _vals(model.conv1) == ([1], [2]) and _vals(model.fc) == ([3], [4])

    # override with only a name reuses the outer arguments (without `layer`) on the whole child
    model = Model()
    cfg = dict(type='Constant', layer='Conv2d', val=1, bias=2, override=dict(name='bn'))
    initialize(model, cfg)
    assert _vals(model.bn) == ([1], [2]) and _vals(model.conv1) == ([1], [2])
    assert 'override' in cfg and cfg['layer'] == 'Conv2d'  # the caller's cfg is not mutated

    # override with its own type, several names
    model = Model()
    initialize(model, dict(type='Constant', layer='Conv2d', val=1, bias=2,
                           override=[dict(type='Constant', name='conv2', val=5, bias=6),
                                     dict(type='Constant', name='fc', val=7)]))
    assert _vals(model.conv1) == ([1], [2]) and _vals(model.conv2) == ([5], [6])
    assert _vals(model.fc) == ([7], [0])

    # override without layer in the outer cfg: only the named child is touched
    model = Model()
    initialize(model, dict(type='Constant', val=8, bias=9, override=dict(name='conv2')))
    assert _vals(model.conv2) == ([8], [9]) and _vals(model.conv1)[0] != [8]


def test_initialize_errors():
    model = Model()
    with pytest.raises(TypeError):
        initialize(model, 'Constant')
    with pytest.raises(ValueError, match='must contain the key "name"'):
        initialize(model, dict(type='Constant', val=1, override=dict(type='Constant', val=2)))
    with pytest.raises(ValueError, match='need "type" key'):
        initialize(model, dict(type='Constant', val=1, override=dict(name='fc', val=2)))
    with pytest.raises(RuntimeError, match='module did not have attribute nope'):
        initialize(model, dict(type='Constant', val=1, override=dict(name='nope')))
    with pytest.raises(TypeError):
        initialize(model, dict(type='Constant', val=1, override='fc'))
    with pytest.raises(KeyError):
        initialize(model, dict(type='NotAnInit'))


def test_pretrained_init(tmp_path):
    src = Model()
    initialize(src, dict(type='Constant', layer=['Conv2d', 'Linear'], val=0.5, bias=0.25))
    path = str(tmp_path / 'ckpt.pth')
    torch.save({'state_dict': src.state_dict()}, path)

    model = Model()
    PretrainedInit(checkpoint=path)(model)
    assert _vals(model.conv2) == ([0.5], [0.25])

    # prefix: keys under 'conv1.' are loaded into a bare conv
    conv = nn.Conv2d(3, 3, 1)
    initialize(conv, dict(type='Pretrained', checkpoint=path, prefix='conv1'))
    assert _vals(conv) == ([0.5], [0.25])
