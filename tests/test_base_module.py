"""BaseModule / Sequential / ModuleList / ModuleDict with init_cfg (mmcv 1.x semantics)."""
import logging
import warnings

import pytest
import torch
import torch.nn as nn

from legacy_runner import base_module
from legacy_runner.base_module import BaseModule, ModuleDict, ModuleList, Sequential
from legacy_runner.utils import logging as lr_logging


@pytest.fixture(autouse=True)
def isolated_loggers(monkeypatch):
    """init_weights configures loggers via get_logger; undo that after each test."""
    fresh = {}
    monkeypatch.setattr(lr_logging, 'logger_initialized', fresh)
    monkeypatch.setattr(base_module, 'logger_initialized', fresh)
    before = {name: list(logging.getLogger(name).handlers) for name in ('mmcv', 'init_test_logger')}
    yield
    for name, handlers in before.items():
        logger = logging.getLogger(name)
        for h in list(logger.handlers):
            if h not in handlers:
                h.close()
                logger.removeHandler(h)


class Leaf(BaseModule):
    def __init__(self, init_cfg=None):
        super().__init__(init_cfg)
        self.conv = nn.Conv2d(1, 1, 1)


class UserInit(nn.Module):
    """A plain module with its own init_weights (not a BaseModule)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(1, 1)

    def init_weights(self):
        nn.init.constant_(self.fc.weight, 7.)


class Top(BaseModule):
    def __init__(self, init_cfg=None, child_cfg=None):
        super().__init__(init_cfg)
        self.leaf = Leaf(child_cfg)
        self.user = UserInit()
        self.fc = nn.Linear(1, 1)


def conv_const(val, bias=0):
    return dict(type='Constant', layer='Conv2d', val=val, bias=bias)


def test_init_cfg_then_children_in_order():
    model = Top(init_cfg=[conv_const(1), dict(type='Constant', layer='Linear', val=2)],
                child_cfg=conv_const(3, 4))
    assert not model.is_init
    model.init_weights()
    # the parent sets conv to 1, then the child's own init_cfg wins (children run after)
    assert model.leaf.conv.weight.eq(3).all() and model.leaf.conv.bias.eq(4).all()
    assert model.fc.weight.eq(2).all()
    assert model.user.fc.weight.eq(7).all()  # user-defined init_weights of a plain child
    assert model.is_init and model.leaf.is_init
    # the bookkeeping table is removed again
    assert not any('_params_init_info' in m.__dict__ for m in model.modules())


def test_second_call_warns_and_does_nothing():
    model = Leaf(conv_const(1))
    model.init_weights()
    nn.init.constant_(model.conv.weight, 5.)
    with pytest.warns(UserWarning, match='init_weights of Leaf has been called more than once.'):
        model.init_weights()
    assert model.conv.weight.eq(5).all()


def test_pretrained_returns_early(tmp_path):
    src = Top()
    nn.init.constant_(src.leaf.conv.weight, 0.5)
    path = str(tmp_path / 'm.pth')
    torch.save({'state_dict': src.state_dict()}, path)
    model = Top(init_cfg=dict(type='Pretrained', checkpoint=path), child_cfg=conv_const(9))
    model.init_weights()
    # the children are not initialised afterwards, so the loaded weights survive
    assert model.leaf.conv.weight.eq(0.5).all()
    assert not model.is_init and not model.leaf.is_init
    # a Pretrained entry inside a list does not return early
    model = Top(init_cfg=[dict(type='Pretrained', checkpoint=path)], child_cfg=conv_const(9))
    model.init_weights()
    assert model.leaf.conv.weight.eq(9).all() and model.is_init


def test_init_cfg_is_deep_copied_and_in_repr():
    cfg = conv_const(1)
    model = Leaf(cfg)
    cfg['val'] = 100
    assert model.init_cfg['val'] == 1
    assert repr(model).endswith(f'\ninit_cfg={model.init_cfg}')
    assert 'init_cfg' not in repr(Leaf())


def test_init_info_dump_to_file_handler(tmp_path):
    log_file = tmp_path / 'init.log'
    logger = lr_logging.get_logger('init_test_logger', log_file=str(log_file))
    Top(init_cfg=dict(type='Constant', layer='Linear', val=2)).init_weights()
    for h in logger.handlers:
        h.flush()
    text = log_file.read_text()
    assert 'Name of parameter - Initialization information' in text
    assert 'fc.weight - torch.Size([1, 1]): \nConstantInit: val=2, bias=0' in text
    assert ('user.fc.weight - torch.Size([1, 1]): \nInitialized by user-defined `init_weights` '
            'in UserInit') in text
    assert ('leaf.conv.weight - torch.Size([1, 1, 1, 1]): \nThe value is the same before and after '
            'calling `init_weights` of Top') in text


def test_containers_take_init_cfg():
    seq = Sequential(nn.Conv2d(1, 1, 1), Leaf(conv_const(2)), init_cfg=conv_const(1))
    seq.init_weights()
    assert seq[0].weight.eq(1).all() and seq[1].conv.weight.eq(2).all()
    assert isinstance(seq, nn.Sequential) and len(seq) == 2

    mlist = ModuleList([nn.Conv2d(1, 1, 1), nn.Linear(1, 1)], init_cfg=conv_const(3))
    mlist.init_weights()
    assert mlist[0].weight.eq(3).all() and len(mlist) == 2
    assert len(ModuleList()) == 0

    mdict = ModuleDict(dict(a=nn.Conv2d(1, 1, 1), b=Leaf()), init_cfg=conv_const(4))
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        mdict.init_weights()
    assert mdict['a'].weight.eq(4).all() and mdict['b'].conv.weight.eq(4).all()
    assert mdict.is_init and list(mdict.keys()) == ['a', 'b']


def test_logs_init_message(caplog):
    with caplog.at_level(logging.INFO, logger='mmcv'):
        Leaf(conv_const(1)).init_weights()
    assert any(r.getMessage().startswith('initialize Leaf with init_cfg') for r in caplog.records)
