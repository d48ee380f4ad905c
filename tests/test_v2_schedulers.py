"""ParamScheduler wrappers: mmengine 0.10.7 reference values, momentum (SGD and Adam betas), conversion,
state_dict round trips, ReduceOnPlateau, and the Runner's default ``end``."""
import pytest
import torch
from torch import nn

from compat.v2 import PARAM_SCHEDULERS, OptimWrapper
from compat.v2.scheduler import build_param_schedulers


def _opt(lr=1.0, **kw):
    return torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=lr, **kw)


def _trace(cfgs, n, opt=None, epoch_length=None, param='lr'):
    opt = opt or _opt(momentum=0.9)
    scheds = [PARAM_SCHEDULERS.build(dict(c), default_args=dict(optimizer=opt, epoch_length=epoch_length))
              for c in cfgs]
    values = []
    for _ in range(n):
        values.append(opt.param_groups[0][param])
        for s in scheds:
            s.step()
    return values


@pytest.mark.parametrize('cfgs, n, expected', [
    ([dict(type='LinearLR', start_factor=.25, end=5)], 6, [.25, .4375, .625, .8125, 1, 1]),
    ([dict(type='CosineAnnealingLR', T_max=4)], 9, [1, .853553, .5, .146447, 0, .146447, .5, .853553, 1]),
    ([dict(type='CosineAnnealingLR', begin=2, end=6)], 7, [1, 1, 1, .853553, .5, .146447, .146447]),
    ([dict(type='PolyLR', power=2, eta_min=.1, end=5)], 6, [1, .60625, .325, .15625, .1, .1]),
    ([dict(type='OneCycleLR', eta_max=1, total_steps=10)], 10,
     [.04, .52, 1, .950485, .811746, .611262, .388742, .188258, .049519, 4e-06]),
    ([dict(type='CosineRestartLR', periods=[3, 3], restart_weights=[1, .5], eta_min=0)], 7,
     [1, .75, .25, .5, .375, .125, .125]),
    ([dict(type='LinearLR', start_factor=.1, end=3), dict(type='CosineAnnealingLR', end=6, eta_min=.5)], 7,
     [.1, .546651, .897029, .764686, .632343, .535461, .535461]),
    ([dict(type='StepLR', step_size=2, gamma=.5)], 5, [1, 1, .5, .5, .25]),
    ([dict(type='MultiStepLR', milestones=[1, 3, 3], gamma=.5)], 5, [1, .5, .5, .125, .125]),
    ([dict(type='ExponentialLR', gamma=.5)], 3, [1, .5, .25]),
    ([dict(type='ConstantLR', factor=.5, end=3)], 4, [.5, .5, 1, 1]),
])
def test_spec_reference_values(cfgs, n, expected):
    assert _trace(cfgs, n) == pytest.approx(expected, abs=6e-7)


@pytest.mark.parametrize('cfg, L, expected', [
    (dict(type='CosineAnnealingLR', end=2,
          convert_to_iter_based=True), 3, [1, .933013, .75, .5, .25, .066987]),
    (dict(type='LinearLR', start_factor=.2, end=1, convert_to_iter_based=True), 4, [.2, .466667, .733333, 1]),
])
def test_convert_to_iter_based(cfg, L, expected):
    assert _trace([cfg], len(expected), epoch_length=L) == pytest.approx(expected, abs=6e-7)


def test_momentum_sgd_and_adam_betas():
    opt = _opt(momentum=0.9)
    assert _trace([dict(type='LinearMomentum', start_factor=0.5, end=3)], 3, opt, param='momentum') == \
        pytest.approx([0.45, 0.675, 0.9])
    adam = torch.optim.AdamW(nn.Linear(1, 1).parameters(), lr=0.1, betas=(0.9, 0.99))
    sched = PARAM_SCHEDULERS.build(dict(type='CosineAnnealingMomentum', T_max=2, eta_min=0.5),
                                   default_args=dict(optimizer=adam))
    assert sched.use_betas and adam.param_groups[0]['betas'] == (0.9, 0.99)
    sched.step()
    assert adam.param_groups[0]['betas'] == (pytest.approx(0.7), 0.99)
    assert adam.param_groups[0]['momentum'] == pytest.approx(0.7)
    with pytest.raises(ValueError):  # neither momentum nor betas
        PARAM_SCHEDULERS.build(dict(type='LinearMomentum'), default_args=dict(
            optimizer=torch.optim.Adadelta(nn.Linear(1, 1).parameters())))
    with pytest.raises(KeyError):
        PARAM_SCHEDULERS.build(dict(type='OneCycleMomentum'), default_args=dict(optimizer=_opt()))


def test_state_dict_round_trip_and_pseudo_group():
    model = nn.Sequential(nn.Linear(1, 1), nn.Linear(1, 1))
    wrapper = OptimWrapper(torch.optim.SGD([dict(params=model[0].parameters()),
                                            dict(params=model[1].parameters(), lr=0.5)], lr=1.0))
    sched = PARAM_SCHEDULERS.build(dict(type='MultiStepLR', milestones=[2, 2], gamma=0.5),
                                   default_args=dict(optimizer=wrapper))
    assert sched.base_values == [1.0, 0.5, 1.0]  # the pseudo group is scheduled too
    for _ in range(3):
        sched.step()
    state = sched.state_dict()
    assert list(state) == ['milestones', 'gamma', 'param_name', 'begin', 'end', 'by_epoch', 'base_values',
                           'last_step', '_global_step', 'verbose', '_last_value']
    assert state['_last_value'] == [0.25, 0.125, 0.25] and state['milestones'] == {2: 2}
    other = PARAM_SCHEDULERS.build(dict(type='MultiStepLR', milestones=[9]),
                                   default_args=dict(optimizer=wrapper))
    other.load_state_dict(state)
    assert other.state_dict() == state and other.spec.milestones == [2, 2]
    one = PARAM_SCHEDULERS.build(dict(type='OneCycleLR', eta_max=2.0, total_steps=5),
                                 default_args=dict(optimizer=wrapper))
    assert wrapper.param_groups[1]['initial_lr'] == 2.0 / 25 and 'anneal_strategy' in one.state_dict()


def test_reduce_on_plateau():
    opt = _opt(lr=1.0)
    sched = PARAM_SCHEDULERS.build(dict(type='ReduceOnPlateauLR', monitor='loss', patience=1, factor=0.5,
                                        min_value=0.3), default_args=dict(optimizer=opt))
    for value in (1.0, 1.0, 1.0, 1.0, 1.0, 1.0):
        sched.step()  # after_train_epoch: counting only
        sched.step(dict(loss=value))
    assert opt.param_groups[0]['lr'] == 0.3  # 1 -> .5 -> .3 (floor), then unchanged
    with pytest.raises(KeyError):
        sched.step(dict(acc=1.0))
    with pytest.raises(AssertionError):
        PARAM_SCHEDULERS.build(dict(type='ReduceOnPlateauLR', by_epoch=False),
                               default_args=dict(optimizer=opt))


def test_runner_default_end():
    opt = _opt()
    scheds = build_param_schedulers(opt, [dict(type='CosineAnnealingLR'),
                                          dict(type='PolyLR', by_epoch=False),
                                          dict(type='LinearLR', convert_to_iter_based=True)],
                                    max_epochs=4, max_iters=40, epoch_length=10)
    assert [s.end for s in scheds] == [4, 40, 40]
    assert scheds[0].spec.T_max == 4
    iter_loop = build_param_schedulers(_opt(), dict(type='StepLR', step_size=1), max_epochs=1, max_iters=40,
                                       epoch_length=10)
    assert iter_loop[0].end == 1  # a by_epoch scheduler in an iteration loop
