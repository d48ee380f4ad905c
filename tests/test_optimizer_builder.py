"""DefaultOptimizerConstructor / build_optimizer against values observed with mmcv 1.7.2."""
import warnings

import pytest
import torch
import torch.nn as nn

from legacy_runner import optim_builder
from legacy_runner.optim_builder import (
    OPTIMIZER_BUILDERS,
    OPTIMIZERS,
    DefaultOptimizerConstructor,
    ParamGroupRules,
    build_optimizer,
    build_optimizer_constructor,
    iter_param_groups,
)

BASE_LR, BASE_WD = 0.1, 1e-4


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 1)


class Frozen(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2)
        self.lin.weight.requires_grad_(False)


class SpecModel(nn.Module):
    """param1, backbone.conv1, bn/gn/ln, a depthwise conv, a head and a partly frozen module."""

    def __init__(self):
        super().__init__()
        self.param1 = nn.Parameter(torch.ones(1))
        self.backbone = Backbone()
        self.bn = nn.BatchNorm2d(4)
        self.gn = nn.GroupNorm(2, 4)
        self.ln = nn.LayerNorm(4)
        self.dw = nn.Conv2d(4, 4, 3, groups=4)
        self.head = nn.Linear(4, 2)
        self.frozen = Frozen()


SPEC_PARAMWISE = dict(
    bias_lr_mult=2, bias_decay_mult=0.5, norm_decay_mult=0, dwconv_decay_mult=0.1,
    custom_keys={'backbone.conv1': dict(lr_mult=0.1), 'head': dict(lr_mult=10, decay_mult=3),
                 'param1': dict(decay_mult=0)})

# (lr, weight_decay) per parameter name, as observed with mmcv 1.7.2.
SPEC_OBSERVED = {
    'param1': (0.1, 0.0),
    'backbone.conv1.weight': (0.01, 1e-4), 'backbone.conv1.bias': (0.01, 1e-4),
    'bn.weight': (0.1, 0.0), 'bn.bias': (0.1, 0.0),
    'gn.weight': (0.1, 0.0), 'gn.bias': (0.1, 0.0),
    'ln.weight': (0.1, 0.0), 'ln.bias': (0.1, 0.0),
    'dw.weight': (0.1, 1e-5), 'dw.bias': (0.2, 1e-5),
    'head.weight': (1.0, 3e-4), 'head.bias': (1.0, 3e-4),
    'frozen.lin.weight': (0.1, 1e-4), 'frozen.lin.bias': (0.2, 5e-5),
}


def _by_name(model, optimizer):
    names = {id(p): n for n, p in model.named_parameters()}
    out = {}
    for group in optimizer.param_groups:
        assert len(group['params']) == 1
        out[names[id(group['params'][0])]] = group
    return out


def test_spec_observed_table():
    model = SpecModel()
    cfg = dict(type='SGD', lr=BASE_LR, weight_decay=BASE_WD, momentum=0.9, paramwise_cfg=SPEC_PARAMWISE)
    optimizer = build_optimizer(model, cfg)
    assert isinstance(optimizer, torch.optim.SGD)
    groups = _by_name(model, optimizer)
    # one group per parameter, in traversal order (own params first, then children)
    assert list(groups) == [n for n, _ in model.named_parameters()]
    assert list(groups) == list(SPEC_OBSERVED)
    for name, (lr, wd) in SPEC_OBSERVED.items():
        assert groups[name]['lr'] == pytest.approx(lr, rel=1e-12), name
        assert groups[name]['weight_decay'] == pytest.approx(wd, rel=1e-12), name
        assert groups[name]['momentum'] == 0.9
    # cfg is deep-copied: paramwise_cfg is still there for the caller
    assert cfg['paramwise_cfg'] is SPEC_PARAMWISE


def test_group_dicts_match_mmcv_layout():
    """Which keys each raw group carries (frozen params: none; v1 mults default to 1.0)."""
    model = SpecModel()
    ctor = DefaultOptimizerConstructor(dict(type='SGD', lr=BASE_LR, weight_decay=BASE_WD), SPEC_PARAMWISE)
    params = []
    ctor.add_params(params, model)
    names = {id(p): n for n, p in model.named_parameters()}
    keys = {names[id(g['params'][0])]: sorted(k for k in g if k != 'params') for g in params}
    assert keys['frozen.lin.weight'] == []
    assert keys['bn.weight'] == ['weight_decay']
    assert keys['bn.bias'] == ['weight_decay']
    assert keys['head.weight'] == ['lr', 'weight_decay']
    assert keys['frozen.lin.bias'] == ['lr', 'weight_decay']
    # only bias rules are at default 1.0: the bias still gets an explicit lr
    ctor = DefaultOptimizerConstructor(dict(type='SGD', lr=BASE_LR), dict(bypass_duplicate=False))
    params = []
    ctor.add_params(params, nn.Conv2d(1, 1, 1))
    assert params[0].keys() == {'params'} and params[1].keys() == {'params', 'lr'}


def test_empty_or_none_paramwise_gives_one_group():
    model = SpecModel()
    for pw in (None, {}):
        opt = DefaultOptimizerConstructor(dict(type='SGD', lr=0.01), pw)(model)
        assert len(opt.param_groups) == 1
        assert len(opt.param_groups[0]['params']) == len(list(model.parameters()))


def test_unwraps_module_attribute():
    class Wrapper(nn.Module):
        def __init__(self, module):
            super().__init__()
            self.module = module

    model = SpecModel()
    opt = build_optimizer(Wrapper(model), dict(type='SGD', lr=BASE_LR, weight_decay=BASE_WD,
                                               paramwise_cfg=SPEC_PARAMWISE))
    assert _by_name(model, opt)['head.weight']['lr'] == pytest.approx(1.0)


class KeyModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.param1 = nn.Parameter(torch.ones(1))
        self.sub = nn.Module()
        self.sub.param1 = nn.Parameter(torch.ones(1))
        self.conv1 = nn.Conv2d(1, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(1)


def _lr_of(model, paramwise_cfg):
    opt = DefaultOptimizerConstructor(dict(type='SGD', lr=1.0), paramwise_cfg)(model)
    return {n: g['lr'] for n, g in _by_name(model, opt).items()}


def test_custom_keys_sort_order_and_substring():
    model = KeyModel()
    # longer key wins over a shorter one that also matches
    lrs = _lr_of(model, dict(custom_keys={'conv': dict(lr_mult=2), 'conv1': dict(lr_mult=3)}))
    assert lrs['conv1.weight'] == 3
    # equal length: alphabetical order decides ('ab' < 'bc' both substrings of 'abc')
    model.abc = nn.Linear(1, 1)
    lrs = _lr_of(model, dict(custom_keys={'bc': dict(lr_mult=5), 'ab': dict(lr_mult=4)}))
    assert lrs['abc.weight'] == 4 and lrs['abc.bias'] == 4
    # plain substring match: 'eigh' hits every weight
    lrs = _lr_of(model, dict(custom_keys={'eigh': dict(lr_mult=7)}))
    assert lrs['conv1.weight'] == 7 and lrs['bn.weight'] == 7 and lrs['bn.bias'] == 1


def test_top_level_param_dot_quirk():
    model = KeyModel()
    lrs = _lr_of(model, dict(custom_keys={'.param1': dict(lr_mult=2), '.bn': dict(lr_mult=3)}))
    # a top-level parameter is seen as '.param1'; top-level modules get no leading dot
    assert lrs['param1'] == 2 and lrs['sub.param1'] == 2
    assert lrs['bn.weight'] == 1
    lrs = _lr_of(model, dict(custom_keys={'.': dict(lr_mult=6)}))
    assert set(lrs.values()) == {6}


def test_validation_errors():
    with pytest.raises(TypeError):
        DefaultOptimizerConstructor([dict(type='SGD')])
    with pytest.raises(TypeError):
        DefaultOptimizerConstructor(dict(type='SGD', lr=1.), paramwise_cfg=[1])
    with pytest.raises(TypeError):
        DefaultOptimizerConstructor(dict(type='SGD', lr=1.), dict(custom_keys=[('a', {})]))
    with pytest.raises(ValueError, match='base_wd should not be None'):
        DefaultOptimizerConstructor(dict(type='SGD', lr=1.), dict(custom_keys={'a': dict(decay_mult=1)}))
    for key in ('bias_decay_mult', 'norm_decay_mult', 'dwconv_decay_mult'):
        with pytest.raises(ValueError, match='base_wd should not be None'):
            DefaultOptimizerConstructor(dict(type='SGD', lr=1.), {key: 1})
    # custom lr_mult alone is fine without weight decay
    DefaultOptimizerConstructor(dict(type='SGD', lr=1.), dict(custom_keys={'a': dict(lr_mult=1)}))
    with pytest.raises(ValueError) as info:
        build_optimizer(nn.Linear(1, 1), dict(type='SGD', lr=1., paramwise_cfg=dict(norm_decay_mult=0)))
    assert str(info.value) == 'DefaultOptimizerConstructor: base_wd should not be None'


class SharedModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(1, 1, 1))
        self.conv3 = nn.Sequential(nn.Conv2d(1, 1, 1))
        self.conv3[0] = self.conv1[0]


def test_bypass_duplicate():
    model = SharedModel()
    cfg = dict(type='SGD', lr=0.1)
    with pytest.raises(ValueError, match='some parameters appear in more than one parameter group'):
        build_optimizer(model, dict(cfg, paramwise_cfg=dict(bias_lr_mult=2)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        opt = build_optimizer(model, dict(cfg, paramwise_cfg=dict(bypass_duplicate=True)))
    assert len(opt.param_groups) == 2
    msgs = [str(w.message) for w in caught]
    assert 'conv3.0 is duplicate. It is skipped since bypass_duplicate=True' in msgs


def test_dcn_offset_rule_when_dcn_types_exist(monkeypatch):
    class FakeDCN(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(1))
            self.bias = nn.Parameter(torch.ones(1))
            self.conv_offset = nn.Conv2d(1, 2, 1)

    model = nn.Module()
    model.dcn = FakeDCN()
    cfg = dict(type='SGD', lr=1.0, weight_decay=1.0,
               paramwise_cfg=dict(dcn_offset_lr_mult=0.1, bias_lr_mult=2, bias_decay_mult=0.5))
    groups = _by_name(model, build_optimizer(model, cfg))
    # without compiled ops the rule is inactive: conv_offset.bias is a plain bias
    assert groups['dcn.conv_offset.weight']['lr'] == 1.0
    assert groups['dcn.conv_offset.bias']['lr'] == 2.0

    monkeypatch.setattr(optim_builder, 'dcn_module_types', lambda: (FakeDCN,))
    groups = _by_name(model, build_optimizer(model, cfg))
    assert groups['dcn.conv_offset.weight']['lr'] == pytest.approx(0.1)
    assert groups['dcn.conv_offset.bias']['lr'] == pytest.approx(0.1)
    assert groups['dcn.conv_offset.bias']['weight_decay'] == 1.0  # no bias decay inside a DCN
    assert groups['dcn.bias']['lr'] == 2.0  # the DCN's own params follow the parent's flag


def test_registries_and_builders():
    import inspect
    expected = {n for n in dir(torch.optim) if inspect.isclass(getattr(torch.optim, n))
                and issubclass(getattr(torch.optim, n), torch.optim.Optimizer)}
    assert 'Optimizer' in expected and set(OPTIMIZERS.module_dict) == expected
    assert set(OPTIMIZER_BUILDERS.module_dict) == {'DefaultOptimizerConstructor'}
    ctor = build_optimizer_constructor(dict(type='DefaultOptimizerConstructor',
                                            optimizer_cfg=dict(type='Adam', lr=1e-3)))
    assert isinstance(ctor(nn.Linear(1, 1)), torch.optim.Adam)

    @OPTIMIZER_BUILDERS.register_module()
    class CountingConstructor(DefaultOptimizerConstructor):
        seen = []

        def add_params(self, params, module, prefix='', is_dcn_module=None):
            self.seen.append(prefix)
            super().add_params(params, module, prefix, is_dcn_module)

    try:
        opt = build_optimizer(KeyModel(), dict(type='SGD', lr=0.1, constructor='CountingConstructor',
                                               paramwise_cfg=dict(bias_lr_mult=2)))
        assert CountingConstructor.seen == ['', 'sub', 'conv1', 'bn']
        assert len(opt.param_groups) == 5
    finally:
        OPTIMIZER_BUILDERS.module_dict.pop('CountingConstructor')


def test_rule_knobs_for_other_layouts():
    """The shared group generator supports mmengine's layout (used by the v2 face)."""
    model = SpecModel()
    rules = ParamGroupRules(dict(custom_keys={'head': dict(lr_mult=10)}, bias_decay_mult=0.5,
                                 dwconv_decay_mult=0.1), BASE_LR, BASE_WD, mult_default=None,
                            keep_frozen=False, copy_custom_items=True,
                            decay_order=('norm', 'bias', 'dwconv', 'flat'))
    names = {id(p): n for n, p in model.named_parameters()}
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        groups = {names[id(g['params'][0])]: g for g in iter_param_groups(model, rules)}
    assert 'frozen.lin.weight' not in groups
    assert groups['head.weight']['lr_mult'] == 10
    assert groups['dw.bias']['weight_decay'] == pytest.approx(5e-5)  # bias before dwconv
    assert 'lr' not in groups['dw.bias']  # unset bias_lr_mult does nothing
