"""v1 LR / momentum updater hooks driven by a tiny fake runner (no torch, no real runner)."""
import inspect

import pytest

from legacy_runner.hooks import HOOKS, Hook
from legacy_runner.hooks.lr_updater import (
    CosineAnnealingLrUpdaterHook,
    CosineRestartLrUpdaterHook,
    CyclicLrUpdaterHook,
    ExpLrUpdaterHook,
    FixedLrUpdaterHook,
    FlatCosineAnnealingLrUpdaterHook,
    InvLrUpdaterHook,
    LinearAnnealingLrUpdaterHook,
    LrUpdaterHook,
    OneCycleLrUpdaterHook,
    PolyLrUpdaterHook,
    StepLrUpdaterHook,
)
from legacy_runner.hooks.momentum_updater import (
    CosineAnnealingMomentumUpdaterHook,
    CyclicMomentumUpdaterHook,
    LinearAnnealingMomentumUpdaterHook,
    MomentumUpdaterHook,
    OneCycleMomentumUpdaterHook,
    StepMomentumUpdaterHook,
)
from legacy_runner.registry import build_from_cfg
from legacy_runner.schedules import v1_trace

LR_HOOKS = [FixedLrUpdaterHook, StepLrUpdaterHook, ExpLrUpdaterHook, PolyLrUpdaterHook, InvLrUpdaterHook,
            CosineAnnealingLrUpdaterHook, FlatCosineAnnealingLrUpdaterHook, CosineRestartLrUpdaterHook,
            CyclicLrUpdaterHook, OneCycleLrUpdaterHook, LinearAnnealingLrUpdaterHook]
MOMENTUM_HOOKS = [StepMomentumUpdaterHook, CosineAnnealingMomentumUpdaterHook,
                  LinearAnnealingMomentumUpdaterHook, CyclicMomentumUpdaterHook, OneCycleMomentumUpdaterHook]


class SGD:
    """Just ``param_groups`` and ``defaults``, like a torch optimizer."""

    def __init__(self, lrs, momentum=0.9):
        self.defaults = dict(lr=lrs[0], momentum=momentum)
        self.param_groups = [dict(lr=lr, momentum=momentum) for lr in lrs]


class AdamW:

    def __init__(self, lrs, beta1=0.9):
        self.defaults = dict(lr=lrs[0], betas=(beta1, 0.999))
        self.param_groups = [dict(lr=lr, betas=(beta1, 0.999)) for lr in lrs]


class Plain:
    """An optimizer without momentum (e.g. Adagrad-like)."""

    def __init__(self, lrs):
        self.defaults = dict(lr=lrs[0])
        self.param_groups = [dict(lr=lr) for lr in lrs]


class FakeRunner:
    """The attributes the updater hooks read, and an epoch-runner style driver."""

    def __init__(self, optimizer, max_epochs=None, max_iters=None, epoch_len=5):
        self.optimizer = optimizer
        self.epoch = self.iter = self.inner_iter = 0
        self.max_epochs = max_epochs
        self.max_iters = max_iters if max_iters is not None else max_epochs * epoch_len
        self.data_loader = [None] * epoch_len
        self.mode = 'train'

    def groups(self, name=None):
        optim = self.optimizer[name] if name is not None else self.optimizer
        return optim.param_groups

    def run_epochs(self, hooks, key='lr', name=None):
        """EpochBasedRunner call order; returns the first group's ``key`` at each before_train_iter."""
        seen = []
        for h in hooks:
            h.before_run(self)
        for epoch in range(self.max_epochs):
            self.epoch = epoch
            for h in hooks:
                h.before_train_epoch(self)
            for inner in range(len(self.data_loader)):
                self.inner_iter = inner
                for h in hooks:
                    h.before_train_iter(self)
                group = self.groups(name)[0]
                seen.append(group[key] if key in group else group['betas'][0])
                self.iter += 1
        return seen


def _approx(values):
    return pytest.approx(values, abs=6e-7)


# ----------------------------------------------------------------------------- registration
def test_all_registered_under_mmcv_names():
    for cls in LR_HOOKS + MOMENTUM_HOOKS:
        assert HOOKS.get(cls.__name__) is cls
        assert issubclass(cls, Hook)
    assert all(issubclass(c, LrUpdaterHook) for c in LR_HOOKS)
    assert all(issubclass(c, MomentumUpdaterHook) for c in MOMENTUM_HOOKS)
    assert HOOKS.get('LrUpdaterHook') is None and HOOKS.get('MomentumUpdaterHook') is None


@pytest.mark.parametrize('cls, params', [
    (LrUpdaterHook, ['by_epoch', 'warmup', 'warmup_iters', 'warmup_ratio', 'warmup_by_epoch']),
    (StepLrUpdaterHook, ['step', 'gamma', 'min_lr', 'kwargs']),
    (ExpLrUpdaterHook, ['gamma', 'kwargs']),
    (PolyLrUpdaterHook, ['power', 'min_lr', 'kwargs']),
    (InvLrUpdaterHook, ['gamma', 'power', 'kwargs']),
    (CosineAnnealingLrUpdaterHook, ['min_lr', 'min_lr_ratio', 'kwargs']),
    (FlatCosineAnnealingLrUpdaterHook, ['start_percent', 'min_lr', 'min_lr_ratio', 'kwargs']),
    (CosineRestartLrUpdaterHook, ['periods', 'restart_weights', 'min_lr', 'min_lr_ratio', 'kwargs']),
    (CyclicLrUpdaterHook, ['by_epoch', 'target_ratio', 'cyclic_times', 'step_ratio_up', 'anneal_strategy',
                           'gamma', 'kwargs']),
    (OneCycleLrUpdaterHook, ['max_lr', 'total_steps', 'pct_start', 'anneal_strategy', 'div_factor',
                             'final_div_factor', 'three_phase', 'kwargs']),
    (LinearAnnealingLrUpdaterHook, ['min_lr', 'min_lr_ratio', 'kwargs']),
    (MomentumUpdaterHook, ['by_epoch', 'warmup', 'warmup_iters', 'warmup_ratio']),
    (StepMomentumUpdaterHook, ['step', 'gamma', 'min_momentum', 'kwargs']),
    (CosineAnnealingMomentumUpdaterHook, ['min_momentum', 'min_momentum_ratio', 'kwargs']),
    (CyclicMomentumUpdaterHook, ['by_epoch', 'target_ratio', 'cyclic_times', 'step_ratio_up',
                                 'anneal_strategy', 'gamma', 'kwargs']),
    (OneCycleMomentumUpdaterHook, ['base_momentum', 'max_momentum', 'pct_start', 'anneal_strategy',
                                   'three_phase', 'kwargs']),
])
def test_constructor_signatures(cls, params):
    assert list(inspect.signature(cls.__init__).parameters)[1:] == params


def test_defaults_and_triggered_stages():
    hook = StepLrUpdaterHook(step=[2])
    assert (hook.by_epoch, hook.warmup, hook.warmup_iters, hook.warmup_ratio, hook.gamma) == \
        (True, None, 0, 0.1, 0.1)
    assert hook.get_triggered_stages() == ['before_run', 'before_train_epoch', 'before_train_iter']
    mom = StepMomentumUpdaterHook(step=[2])
    assert (mom.warmup_ratio, mom.gamma) == (0.9, 0.5)
    assert CyclicLrUpdaterHook().by_epoch is False and OneCycleLrUpdaterHook(max_lr=1.).by_epoch is False
    assert CyclicMomentumUpdaterHook().target_ratio == (0.85 / 0.95, 1.)


@pytest.mark.parametrize('cfg, exc', [
    (dict(type='StepLrUpdaterHook', step=[2], warmup='bogus', warmup_iters=2), ValueError),
    (dict(type='StepLrUpdaterHook', step='2'), TypeError),
    (dict(type='CyclicLrUpdaterHook', target_ratio=[10, 1e-4]), ValueError),
    (dict(type='CyclicLrUpdaterHook', by_epoch=True), AssertionError),
    (dict(type='FlatCosineAnnealingLrUpdaterHook', start_percent=1, min_lr=0.), ValueError),
    (dict(type='CosineAnnealingLrUpdaterHook'), AssertionError),
    (dict(type='CosineAnnealingLrUpdaterHook', min_lr=0., min_lr_ratio=0.1), AssertionError),
    (dict(type='OneCycleLrUpdaterHook', max_lr=1., by_epoch=True), AssertionError),
    (dict(type='OneCycleLrUpdaterHook', max_lr=1., pct_start=0), ValueError),
    (dict(type='StepLrUpdaterHook', step=[2], bogus=1), TypeError),
    (dict(type='StepMomentumUpdaterHook', step=[2], warmup_by_epoch=True), TypeError),
    (dict(type='OneCycleMomentumUpdaterHook', max_momentum=1), ValueError),
    (dict(type='CyclicMomentumUpdaterHook', target_ratio=[0.8, 1.]), ValueError),
])
def test_validation_via_registry(cfg, exc):
    with pytest.raises(exc):
        build_from_cfg(cfg, HOOKS)


# ----------------------------------------------------------------------------- LR stage behaviour
def test_before_run_setdefault_initial_lr():
    optim = SGD([0.1, 0.05])
    optim.param_groups[1]['initial_lr'] = 0.5  # e.g. restored from a checkpoint
    runner = FakeRunner(optim, max_epochs=2)
    hook = FixedLrUpdaterHook()
    hook.before_run(runner)
    assert [g['initial_lr'] for g in optim.param_groups] == [0.1, 0.5]
    assert hook.base_lr == [0.1, 0.5]


def test_by_epoch_step_with_warmup_matches_spec():
    runner = FakeRunner(SGD([1.0]), max_epochs=3)
    hook = StepLrUpdaterHook(step=[1, 2], warmup='linear', warmup_iters=3, warmup_ratio=0.1)
    assert runner.run_epochs([hook]) == _approx([.1, .4, .7, 1, 1] + [.1] * 5 + [.01] * 5)


def test_by_iter_writes_every_iteration():
    runner = FakeRunner(SGD([1.0]), max_epochs=3)
    hook = StepLrUpdaterHook(step=[4, 8], by_epoch=False, warmup='constant', warmup_iters=2, warmup_ratio=.5)
    assert runner.run_epochs([hook])[:9] == _approx([.5, .5, 1, 1, .1, .1, .1, .1, .01])


def test_warmup_by_epoch_resolves_at_first_epoch():
    runner = FakeRunner(SGD([1.0]), max_epochs=3)
    hook = StepLrUpdaterHook(step=[2], warmup='linear', warmup_iters=1, warmup_ratio=.1, warmup_by_epoch=True)
    assert (hook.warmup_epochs, hook.warmup_iters) == (1, None)
    assert runner.run_epochs([hook])[:6] == _approx([.1, .28, .46, .64, .82, 1])
    assert hook.warmup_iters == 5
    # without a train epoch (IterBasedRunner) the warmup length never resolves
    hook = StepLrUpdaterHook(step=[2], warmup='linear', warmup_iters=1, warmup_by_epoch=True)
    hook.before_run(runner)
    with pytest.raises(AssertionError):
        hook.before_train_iter(runner)


def test_dict_optimizers():
    optims = dict(gen=SGD([1.0, 0.5]), disc=SGD([0.2]))
    runner = FakeRunner(optims, max_epochs=2, epoch_len=2)
    hook = ExpLrUpdaterHook(gamma=0.5)
    seen = runner.run_epochs([hook], name='gen')
    assert hook.base_lr == dict(gen=[1.0, 0.5], disc=[0.2])
    assert seen == _approx([1, 1, .5, .5])
    assert [g['lr'] for g in optims['gen'].param_groups] == _approx([.5, .25])
    assert [g['lr'] for g in optims['disc'].param_groups] == _approx([.1])


def test_dict_optimizers_warmup():
    optims = dict(a=SGD([1.0]), b=SGD([0.5]))
    runner = FakeRunner(optims, max_epochs=1, epoch_len=3)
    hook = FixedLrUpdaterHook(warmup='constant', warmup_iters=2, warmup_ratio=0.5)
    seen = runner.run_epochs([hook], name='b')
    assert seen == _approx([.25, .25, .5])


def test_custom_subclass_overrides_get_lr():
    class Halving(LrUpdaterHook):

        def get_lr(self, runner, base_lr):
            return base_lr / 2**runner.epoch

    runner = FakeRunner(SGD([1.0]), max_epochs=3, epoch_len=1)
    assert runner.run_epochs([Halving()]) == _approx([1, .5, .25])
    with pytest.raises(NotImplementedError):
        LrUpdaterHook().get_lr(runner, 1.0)


def test_cyclic_phases_recorded_at_before_run():
    runner = FakeRunner(SGD([1.0]), max_iters=12)
    hook = CyclicLrUpdaterHook(target_ratio=(10., 1e-4))
    hook.before_run(runner)
    assert hook.max_iter_per_phase == 12
    assert hook.lr_phases == [[0, 4, 1, 10.], [4, 12, 10., 1e-4]]
    runner.iter = 2
    hook.before_train_iter(runner)
    assert runner.optimizer.param_groups[0]['lr'] == pytest.approx(5.5)


def test_one_cycle_lr_base_and_total_steps():
    optim = SGD([123.0, 7.0])
    runner = FakeRunner(optim, max_iters=12)
    hook = OneCycleLrUpdaterHook(max_lr=[1., 2.])
    hook.before_run(runner)
    assert hook.base_lr == [0.04, 0.08]
    assert [g['initial_lr'] for g in optim.param_groups] == [0.04, 0.08]
    hook.before_train_iter(runner)
    assert [g['lr'] for g in optim.param_groups] == _approx([.04, .08])
    with pytest.raises(ValueError, match='total steps'):
        OneCycleLrUpdaterHook(max_lr=1., total_steps=5).before_run(runner)
    optims = dict(a=SGD([0.1]), b=SGD([0.1, 0.1]))
    hook = OneCycleLrUpdaterHook(max_lr=dict(a=1., b=[2., 3.]))
    hook.before_run(FakeRunner(optims, max_iters=12))
    assert hook.base_lr == dict(a=[0.04], b=[0.08, 0.12])


def test_hooks_agree_with_v1_trace():
    cfg = dict(policy='CosineRestart', periods=[5, 10], restart_weights=[1, .5], min_lr_ratio=.1,
               warmup='exp', warmup_iters=4, warmup_ratio=0.01)
    want = [r['lr'] for r in v1_trace(cfg, None, dict(type='EpochBasedRunner', max_epochs=15), 1, [1.0, .5])]
    runner = FakeRunner(SGD([1.0, .5]), max_epochs=15, epoch_len=1)
    hook = CosineRestartLrUpdaterHook(periods=[5, 10], restart_weights=[1, .5], min_lr_ratio=.1,
                                      warmup='exp', warmup_iters=4, warmup_ratio=0.01)
    got = []
    hook.before_run(runner)
    for runner.epoch in range(15):
        hook.before_train_epoch(runner)
        hook.before_train_iter(runner)
        got.append([g['lr'] for g in runner.optimizer.param_groups])
        runner.iter += 1
    assert got == want


# ----------------------------------------------------------------------------- momentum
def test_momentum_before_run_and_betas():
    optim = AdamW([0.1, 0.05], beta1=0.8)
    runner = FakeRunner(optim, max_epochs=3)
    hook = StepMomentumUpdaterHook(step=[1])
    seen = runner.run_epochs([hook], key='momentum')
    assert [g['initial_momentum'] for g in optim.param_groups] == [0.8, 0.8]
    assert seen == _approx([.8] * 5 + [.4] * 10)
    assert optim.param_groups[0]['betas'] == (pytest.approx(0.4), 0.999)
    assert 'momentum' not in optim.param_groups[0]


def test_momentum_warmup_divides():
    runner = FakeRunner(SGD([1.0]), max_epochs=3)
    hook = LinearAnnealingMomentumUpdaterHook(min_momentum=.5, by_epoch=False, warmup='linear',
                                              warmup_iters=3, warmup_ratio=.9)
    assert runner.run_epochs([hook], key='momentum')[:5] == _approx([1.0, .935714, .875862, .82, .793333])
    runner = FakeRunner(SGD([1.0], momentum=0.9), max_epochs=2, epoch_len=3)
    hook = CosineAnnealingMomentumUpdaterHook(min_momentum_ratio=.1, warmup='constant', warmup_iters=2,
                                              warmup_ratio=0.5)
    assert runner.run_epochs([hook], key='momentum') == _approx([1.8, 1.8, .9, .495, .495, .495])


def test_one_cycle_momentum_before_run():
    optim = SGD([0.1, 0.1], momentum=0.5)
    runner = FakeRunner(optim, max_iters=12)
    hook = OneCycleMomentumUpdaterHook(base_momentum=[0.8, 0.85], max_momentum=0.95)
    hook.before_run(runner)
    assert [g['momentum'] for g in optim.param_groups] == [0.95, 0.95]
    assert [(g['base_momentum'], g['max_momentum']) for g in optim.param_groups] == [(0.8, .95), (.85, .95)]
    assert 'initial_momentum' not in optim.param_groups[0]
    assert len(hook.momentum_phases) == 2
    runner.iter = 11
    hook.before_train_iter(runner)
    assert [g['momentum'] for g in optim.param_groups] == _approx([.95, .95])
    adam = AdamW([0.1])
    OneCycleMomentumUpdaterHook().before_run(FakeRunner(adam, max_iters=12))
    assert adam.param_groups[0]['betas'] == (0.95, 0.999)
    with pytest.raises(ValueError, match='support momentum'):
        OneCycleMomentumUpdaterHook().before_run(FakeRunner(Plain([0.1]), max_iters=12))


def test_cyclic_momentum_with_cyclic_lr():
    runner = FakeRunner(SGD([1.0]), max_iters=12)
    hooks = [CyclicLrUpdaterHook(), CyclicMomentumUpdaterHook()]
    seen = []
    for h in hooks:
        h.before_run(runner)
    for runner.iter in range(5):
        for h in hooks:
            h.before_train_iter(runner)
        seen.append(runner.optimizer.param_groups[0]['momentum'])
    assert seen == _approx([.9, .886126, .852632, .819137, .805263])
    assert hooks[1].momentum_phases[0][:2] == [0, 4]
