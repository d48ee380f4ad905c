"""Runners against mmcv 1.7.2 (and its quirks): construction, hooks, call traces, resume."""
import copy
import logging
import os.path as osp
import re
import time
import warnings

import pytest
import torch
import torch.nn as nn
from golden_model import GoldenNet

import legacy_runner.hooks.optimizer  # noqa: F401  (registers OptimizerHook)
from legacy_runner.hooks import HOOKS, Hook
from legacy_runner.hooks.checkpoint import CheckpointHook
from legacy_runner.hooks.iter_timer import IterTimerHook
from legacy_runner.runner.base_runner import BaseRunner
from legacy_runner.runner.builder import RUNNER_BUILDERS, RUNNERS, DefaultRunnerConstructor, build_runner
from legacy_runner.runner.epoch_based_runner import EpochBasedRunner, Runner
from legacy_runner.runner.iter_based_runner import IterBasedRunner
from legacy_runner.runner.iter_loader import IterLoader

LOGGER = logging.getLogger('test_runner')


class Model(GoldenNet):
    def train_step(self, data, optimizer, **kwargs):
        self.calls = getattr(self, 'calls', []) + [('train', optimizer, kwargs)]
        return dict(loss=self(data).sum(), log_vars=dict(loss=1.0), num_samples=len(data))

    def val_step(self, data, optimizer=None, **kwargs):
        self.calls = getattr(self, 'calls', []) + [('val', optimizer, kwargs)]
        return dict(log_vars=dict(loss=2.0), num_samples=len(data))


def batches(n):
    return [torch.ones(2, 4) * i for i in range(n)]


def make_runner(cls=EpochBasedRunner, **kw):
    model = kw.pop('model', None) or Model()
    kw.setdefault('optimizer', torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    kw.setdefault('logger', LOGGER)
    return cls(model, **kw)


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    # mmcv sleeps 2s per epoch and 1s before after_run; ours must never sleep.
    def forbidden(_):
        raise AssertionError('time.sleep called')
    monkeypatch.setattr(time, 'sleep', forbidden)


# ----------------------------------------------------------------------------------- ctor
class NoStep(nn.Module):
    def forward(self, x):
        return x


def _bp(model, data, train_mode):
    return dict()


CTOR_CASES = [
    # (description, kwargs, exception, message regex)
    ('bp not callable', dict(model=NoStep(), batch_processor=1, logger=None),
     TypeError, 'batch_processor must be callable'),
    ('bp with train_step', dict(model=Model(), batch_processor=_bp, logger=LOGGER),
     RuntimeError, 'cannot be both'),
    ('no bp, no train_step', dict(model=NoStep(), optimizer=3, logger=None), AssertionError, None),
    ('optimizer dict bad', dict(optimizer=dict(a=1), logger=None), TypeError, r'optimizer\["a"\] is a'),
    ('optimizer bad', dict(optimizer='sgd', logger=None, meta=1),
     TypeError, 'torch.optim.Optimizer object or dict or None'),
    ('logger None', dict(logger=None, meta=1), TypeError, 'logger must be a logging.Logger'),
    ('meta not dict', dict(meta=[1], work_dir=3), TypeError, 'meta must be a dict or None'),
    ('work_dir bad', dict(work_dir=3, max_iters=1, max_epochs=1),
     TypeError, '"work_dir" must be a str or None'),
    ('both max', dict(max_iters=1, max_epochs=1), ValueError, 'Only one of `max_epochs` or `max_iters`'),
]


@pytest.mark.parametrize('desc,kwargs,exc,msg', CTOR_CASES, ids=[c[0] for c in CTOR_CASES])
@pytest.mark.parametrize('cls', [EpochBasedRunner, IterBasedRunner])
def test_constructor_validation_order(cls, desc, kwargs, exc, msg):
    # Each case also violates a later rule, so the raised error proves the checking order.
    kwargs = dict(kwargs)
    model = kwargs.pop('model', Model())
    kwargs.setdefault('optimizer', None)
    kwargs.setdefault('logger', LOGGER)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        with pytest.raises(exc, match=msg):
            cls(model, **kwargs)


def test_constructor_attributes(tmp_path):
    with pytest.warns(DeprecationWarning, match='batch_processor is deprecated'):
        r = EpochBasedRunner(NoStep(), batch_processor=_bp, logger=LOGGER)
    assert r.optimizer is None and r.meta is None and r.work_dir is None
    work_dir = osp.relpath(str(tmp_path / 'a' / 'b'))
    class Wrapper(nn.Module):
        def __init__(self, module):
            super().__init__()
            self.module = module

        def train_step(self, *args):
            return self.module.train_step(*args)

    r = EpochBasedRunner(Wrapper(Model()), logger=LOGGER, work_dir=work_dir, meta=dict(x=1), max_epochs=3)
    assert r.work_dir == osp.abspath(work_dir) and osp.isdir(r.work_dir)
    assert r.model_name == 'Model'  # the wrapped module's class name
    assert (r.rank, r.world_size) == (0, 1)
    assert re.fullmatch(r'\d{8}_\d{6}', r.timestamp)
    assert r.mode is None and r.hooks == []
    assert (r.epoch, r.iter, r.inner_iter, r.max_epochs, r.max_iters) == (0, 0, 0, 3, None)
    assert not hasattr(r, 'outputs') and r.log_buffer.output == {}
    with pytest.raises(AttributeError):
        r.epoch = 1  # read-only properties
    with pytest.raises(TypeError):
        BaseRunner(Model(), logger=LOGGER)  # abstract
    with pytest.warns(DeprecationWarning, match='Runner was deprecated'):
        assert isinstance(Runner(Model(), logger=LOGGER), EpochBasedRunner)


def test_build_runner(tmp_path):
    assert {'EpochBasedRunner', 'Runner', 'IterBasedRunner'} <= set(RUNNERS.module_dict)
    assert RUNNER_BUILDERS.get('DefaultRunnerConstructor') is DefaultRunnerConstructor
    model = Model()
    cfg = dict(type='IterBasedRunner', max_iters=7)
    runner = build_runner(cfg, default_args=dict(model=model, logger=LOGGER, work_dir=str(tmp_path)))
    assert isinstance(runner, IterBasedRunner) and runner.max_iters == 7 and runner.model is model
    assert cfg == dict(type='IterBasedRunner', max_iters=7)
    with pytest.raises(TypeError):
        DefaultRunnerConstructor([1])

    @RUNNER_BUILDERS.register_module()
    class Tagging(DefaultRunnerConstructor):
        def __call__(self):
            runner = super().__call__()
            runner.tag = 'custom'
            return runner

    try:
        runner = build_runner(dict(type='EpochBasedRunner', max_epochs=2, constructor='Tagging'),
                              default_args=dict(model=model, logger=LOGGER))
    finally:
        RUNNER_BUILDERS.module_dict.pop('Tagging')
    assert runner.tag == 'custom' and runner.max_epochs == 2


# ----------------------------------------------------------------------------- hooks
class Named(Hook):
    def __init__(self, name):
        self.name = name


def test_register_hook_priority_and_fifo():
    r = make_runner()
    for name, prio in [('a', 'LOW'), ('b', 'HIGH'), ('c', 'LOW'), ('d', 10), ('e', 'high'), ('f', 100)]:
        r.register_hook(Named(name), priority=prio)
    assert [h.name for h in r.hooks] == ['d', 'b', 'e', 'a', 'c', 'f']
    assert [h.priority for h in r.hooks] == [10, 30, 30, 70, 70, 100]
    with pytest.raises(ValueError, match='"priority" is a reserved attribute for hooks'):
        r.register_hook(r.hooks[0])
    with pytest.raises(AssertionError):
        r.register_hook(object())
    with pytest.raises(ValueError):
        r.register_hook(Named('x'), priority=101)


def test_register_hook_from_cfg_keeps_cfg():
    r = make_runner()
    cfg = dict(type='CheckpointHook', interval=2, priority='VERY_LOW')
    r.register_hook_from_cfg(cfg)
    assert cfg == dict(type='CheckpointHook', interval=2, priority='VERY_LOW')
    assert isinstance(r.hooks[0], CheckpointHook) and r.hooks[0].priority == 90


class LrstubLrUpdaterHook(Hook):
    def __init__(self, by_epoch=True, **kwargs):
        self.by_epoch, self.kwargs = by_epoch, kwargs


class MomStubMomentumUpdaterHook(Hook):
    def __init__(self, by_epoch=True):
        self.by_epoch = by_epoch


class StubLogger(Hook):
    def __init__(self, interval, by_epoch=True):
        self.interval, self.by_epoch = interval, by_epoch


@pytest.fixture
def stub_hooks():
    # Registered only for the test, so the shared HOOKS registry is left as it was.
    stubs = (LrstubLrUpdaterHook, MomStubMomentumUpdaterHook, StubLogger)
    for cls in stubs:
        HOOKS.register_module(module=cls)
    yield
    for cls in stubs:
        HOOKS.module_dict.pop(cls.__name__)


def _cfgs():
    return dict(
        lr_config=dict(policy='lrstub', step=[1]),
        optimizer_config=dict(grad_clip=None),
        checkpoint_config=dict(interval=1),
        log_config=dict(interval=5, hooks=[dict(type='StubLogger'), dict(type='StubLogger', interval=7)]),
        momentum_config=dict(policy='MomStub'),
        custom_hooks_config=[dict(type='CheckpointHook', priority='ABOVE_NORMAL'), Named('custom')])


def test_register_training_hooks_positional_and_config_changes(stub_hooks):
    r = make_runner()
    cfgs = _cfgs()
    before = copy.deepcopy(cfgs)
    # mmdet's positional order: (lr, optimizer, checkpoint, log, momentum)
    r.register_training_hooks(cfgs['lr_config'], cfgs['optimizer_config'], cfgs['checkpoint_config'],
                              cfgs['log_config'], cfgs['momentum_config'],
                              custom_hooks_config=cfgs['custom_hooks_config'])
    names = [(type(h).__name__, h.priority) for h in r.hooks]
    assert names == [('LrstubLrUpdaterHook', 10), ('MomStubMomentumUpdaterHook', 30),
                     ('OptimizerHook', 40), ('CheckpointHook', 40), ('CheckpointHook', 50),
                     ('Named', 50), ('IterTimerHook', 70), ('StubLogger', 90), ('StubLogger', 90)]
    assert r.hooks[0].kwargs == dict(step=[1]) and r.hooks[0].by_epoch is True
    assert [h.interval for h in r.hooks[-2:]] == [5, 7]  # the entry's own interval wins
    # the caller's dicts change as in mmcv: 'policy' becomes 'type', 'type' is filled in; the logger
    # entries and custom hooks are built from copies
    assert cfgs['lr_config'] == dict(step=[1], type='LrstubLrUpdaterHook')
    assert cfgs['momentum_config'] == dict(type='MomStubMomentumUpdaterHook')
    assert cfgs['optimizer_config'] == dict(grad_clip=None, type='OptimizerHook')
    assert cfgs['checkpoint_config'] == dict(interval=1, type='CheckpointHook')
    assert cfgs['log_config'] == before['log_config']
    assert cfgs['custom_hooks_config'][0] == before['custom_hooks_config'][0]
    with pytest.raises(AssertionError):  # as in mmcv, the same lr_config cannot be registered twice
        make_runner().register_lr_hook(cfgs['lr_config'])


def test_register_training_hooks_policy_names_and_forms(stub_hooks):
    r = make_runner()
    with pytest.raises(KeyError, match='OnestubLrUpdaterHook'):
        r.register_lr_hook(dict(policy='onestub'))  # 'onestub' -> 'Onestub', not registered
    with pytest.raises(AssertionError):
        r.register_lr_hook(dict(step=1))
    hook = LrstubLrUpdaterHook()
    r.register_training_hooks(hook, timer_config=None, checkpoint_config=CheckpointHook())
    assert r.hooks[0] is hook and hook.priority == 10
    assert [type(h).__name__ for h in r.hooks] == ['LrstubLrUpdaterHook', 'CheckpointHook']
    r2 = make_runner()
    r2.register_training_hooks(None, custom_hooks_config=dict(type='CheckpointHook'))
    assert [type(h).__name__ for h in r2.hooks] == ['CheckpointHook', 'IterTimerHook']


def test_iter_runner_register_training_hooks(stub_hooks):
    r = make_runner(IterBasedRunner)
    cfgs = _cfgs()
    del cfgs['custom_hooks_config']
    before = copy.deepcopy(cfgs)
    r.register_training_hooks(cfgs['lr_config'], cfgs['optimizer_config'], cfgs['checkpoint_config'],
                              cfgs['log_config'], custom_hooks_config=None)
    # as mmcv: by_epoch=False set on lr, checkpoint and each logger entry, besides 'type'
    assert cfgs['lr_config'] == dict(step=[1], by_epoch=False, type='LrstubLrUpdaterHook')
    assert cfgs['checkpoint_config'] == dict(interval=1, by_epoch=False, type='CheckpointHook')
    assert cfgs['log_config'] == dict(interval=5, hooks=[dict(type='StubLogger', by_epoch=False),
                                                         dict(type='StubLogger', interval=7, by_epoch=False)])
    assert cfgs['momentum_config'] == before['momentum_config']  # not passed
    lr, _, ckpt, timer, log1, log2 = r.hooks
    assert lr.by_epoch is False and ckpt.by_epoch is False and isinstance(timer, IterTimerHook)
    assert log1.by_epoch is False and log2.by_epoch is False
    with pytest.raises(TypeError):
        r.register_training_hooks(None, timer_config=dict(type='IterTimerHook'))
    with pytest.raises(AttributeError):
        make_runner(IterBasedRunner).register_training_hooks(None, checkpoint_config=CheckpointHook())
    with pytest.raises(AttributeError):
        make_runner(IterBasedRunner).register_training_hooks(LrstubLrUpdaterHook())


class Counting(Hook):
    def __init__(self, log):
        self.log = log

    def after_train_iter(self, runner):
        self.log.append(('after_train_iter', id(self)))


class Generic(Hook):
    def __init__(self, log):
        self.log = log

    def after_iter(self, runner):
        self.log.append(('after_iter', runner.mode))


def test_call_hook_dispatch_is_precomputed_but_complete():
    r = make_runner()
    log = []
    plain, counting, generic = Hook(), Counting(log), Generic(log)
    closure = Hook()
    closure.before_run = lambda runner: log.append('closure before_run')  # as ClosureHook does
    for h in (plain, counting, generic, closure):
        r.register_hook(h)
    assert r._hooks_for('after_train_iter') == [counting, generic]
    assert r._hooks_for('after_val_iter') == [generic]
    assert r._hooks_for('before_run') == [closure]
    r.mode = 'train'
    r.call_hook('after_train_iter')
    r.call_hook('before_run')
    assert log == [('after_train_iter', id(counting)), ('after_iter', 'train'), 'closure before_run']
    # a new registration invalidates the per-stage cache
    late = Counting(log)
    r.register_hook(late, priority='HIGHEST')
    assert r._hooks_for('after_train_iter') == [late, counting, generic]
    # any other name goes to every hook, as in mmcv (a missing method raises)
    seen = []
    for h in r.hooks:
        h.custom_stage = lambda runner, h=h: seen.append(h)
    r.call_hook('custom_stage')
    assert seen == r.hooks
    del plain.custom_stage
    with pytest.raises(AttributeError):
        r.call_hook('custom_stage')


def test_current_lr_and_momentum():
    model = Model()
    sgd = torch.optim.SGD([{'params': model.fc.parameters()}, {'params': model.bn.parameters(), 'lr': 0.2}],
                          lr=0.1, momentum=0.9)
    adam = torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.99))
    rms = torch.optim.Adagrad(model.parameters(), lr=0.5)
    r = make_runner(model=model, optimizer=sgd)
    assert r.current_lr() == [0.1, 0.2] and r.current_momentum() == [0.9, 0.9]
    r = make_runner(model=model, optimizer=dict(a=adam, b=rms))
    assert r.current_lr() == dict(a=[0.01], b=[0.5])
    assert r.current_momentum() == dict(a=[0.8], b=[0])
    r = make_runner(model=model, optimizer=None)
    with pytest.raises(RuntimeError, match='lr is not applicable'):
        r.current_lr()
    with pytest.raises(RuntimeError, match='momentum is not applicable'):
        r.current_momentum()


# ---------------------------------------------------------------------------- traces
class Tracer(Hook):
    """Records (stage, mode, epoch, iter, inner_iter) for every stage and generic epoch call."""

    def __init__(self):
        self.trace = []
        for stage in Hook.stages + ('before_epoch', 'after_epoch'):
            setattr(self, stage, self._recorder(stage))

    def _recorder(self, stage):
        def record(runner):
            self.trace.append((stage, runner.mode, runner.epoch, runner.iter, runner.inner_iter))
        return record


def expected_epoch_trace():
    """Recorded with mmcv 1.7.2: 5 train batches, 2 val batches, [('train',1),('val',1)], max_epochs=2."""
    t = [('before_run', None, 0, 0, 0)]
    inner = 0
    for e in range(2):
        t.append(('before_train_epoch', 'train', e, 5 * e, inner))
        for i in range(5):
            state = ('train', e, 5 * e + i, i)
            t += [('before_train_iter', *state), ('after_train_iter', *state)]
        t.append(('after_train_epoch', 'train', e, 5 * e + 5, 4))
        t.append(('before_val_epoch', 'val', e + 1, 5 * e + 5, 4))  # stale inner_iter from train
        for j in range(2):
            state = ('val', e + 1, 5 * e + 5, j)
            t += [('before_val_iter', *state), ('after_val_iter', *state)]
        t.append(('after_val_epoch', 'val', e + 1, 5 * e + 5, 1))
        inner = 1
    t.append(('after_run', 'val', 2, 10, 1))
    return t


def test_epoch_based_trace():
    r = make_runner(max_epochs=2)
    tracer = Tracer()
    r.register_hook(tracer)
    r.run([batches(5), batches(2)], [('train', 1), ('val', 1)])
    assert tracer.trace == expected_epoch_trace()
    assert r.max_iters == 10 and (r.epoch, r.iter) == (2, 10)


def test_iter_based_trace():
    class Sampler(list):
        def __init__(self):
            super().__init__()
            self.epochs = []

        def set_epoch(self, e):
            self.epochs.append(e)

    class Loader(list):
        def __init__(self, n):
            super().__init__(batches(n))
            self.sampler = Sampler()

    r = make_runner(IterBasedRunner, max_iters=6)
    tracer = Tracer()
    r.register_hook(tracer)
    train, val = Loader(4), Loader(3)
    r.run([train, val], [('train', 3), ('val', 2)])

    def it(stage, *state):
        return [('before_' + stage, *state), ('after_' + stage, *state)]

    expected = [('before_run', None, 0, 0, 0), ('before_epoch', None, 0, 0, 0)]
    for i in range(3):
        expected += it('train_iter', 'train', 0, i, i)
    expected += it('val_iter', 'val', 0, 3, 0) + it('val_iter', 'val', 0, 3, 1)
    expected += it('train_iter', 'train', 0, 3, 0)
    expected += it('train_iter', 'train', 0, 4, 1)  # loader rolls over here, epoch lags
    expected += it('train_iter', 'train', 1, 5, 2)
    expected += it('val_iter', 'val', 1, 6, 0) + it('val_iter', 'val', 1, 6, 1)
    expected += [('after_epoch', 'val', 1, 6, 2), ('after_run', 'val', 1, 6, 2)]
    assert tracer.trace == expected
    assert train.sampler.epochs == [1] and val.sampler.epochs == [1]
    # val_step gets no optimizer; train_step gets it plus the run kwargs
    r2 = make_runner(IterBasedRunner, max_iters=1)
    r2.run([batches(1), batches(1)], [('train', 1), ('val', 1)], flag=3)
    assert r2.model.calls == [('train', r2.optimizer, dict(flag=3)), ('val', None, dict(flag=3))]


def test_iter_loader_rollover():
    class Sampler:
        def __init__(self):
            self.calls = []

        def set_epoch(self, e):
            self.calls.append(e)

    class Loader:
        def __init__(self):
            self.sampler = Sampler()

        def __iter__(self):
            return iter([1, 2])

        def __len__(self):
            return 2

    loader = Loader()
    it = IterLoader(loader)
    seen = [(next(it), it.epoch) for _ in range(5)]
    assert seen == [(1, 0), (2, 0), (1, 1), (2, 1), (1, 2)]
    assert loader.sampler.calls == [1, 2] and len(it) == 2
    plain = IterLoader([7])  # a list has no sampler: roll-over still works
    assert [next(plain) for _ in range(3)] == [7, 7, 7] and plain.epoch == 2


# ------------------------------------------------------------------------- EpochBased
def test_epoch_runner_steps_and_kwargs():
    r = make_runner(max_epochs=1)
    r.run([batches(1), batches(1)], [('train', 1), ('val', 1)], flag=1)
    # train_step gets kwargs; val_step gets the optimizer but the kwargs are dropped
    assert r.model.calls == [('train', r.optimizer, dict(flag=1)), ('val', r.optimizer, {})]
    assert r.outputs == dict(log_vars=dict(loss=2.0), num_samples=2)
    assert r.log_buffer.val_history['loss'] == [1.0, 2.0] and r.log_buffer.n_history['loss'] == [2, 2]
    assert not hasattr(r, 'data_batch')

    def batch_processor(model, data, train_mode, **kw):
        calls.append((train_mode, kw))
        return dict(num_samples=1)

    calls = []
    with pytest.warns(DeprecationWarning):
        r = EpochBasedRunner(NoStep(), batch_processor=batch_processor, logger=LOGGER, max_epochs=1)
    r.run([batches(1), batches(1)], [('train', 1), ('val', 1)], k=2)
    assert calls == [(True, dict(k=2)), (False, {})]


def test_epoch_runner_run_errors_and_deprecations():
    r = make_runner()
    with pytest.raises(AssertionError, match='max_epochs must be specified'):
        r.run([batches(1)], [('train', 1)])
    with pytest.warns(DeprecationWarning, match='setting max_epochs in run is deprecated'):
        r.run([batches(2)], [('train', 1)], max_epochs=2)
    assert (r.epoch, r.iter, r.max_epochs) == (2, 4, 2)
    with pytest.raises(AssertionError):
        make_runner(max_epochs=1).run(tuple(batches(1)), [('train', 1)])
    with pytest.raises(AssertionError):
        make_runner(max_epochs=1).run([batches(1)], [('train', 1), ('val', 1)])
    with pytest.raises(ValueError, match='runner has no method named "test"'):
        make_runner(max_epochs=1).run([batches(1)], [('test', 1)])
    with pytest.raises(TypeError, match='mode in workflow must be a str'):
        make_runner(max_epochs=1).run([batches(1)], [(1, 1)])

    class Bad(Model):
        def train_step(self, data, optimizer):
            return 1

    with pytest.raises(TypeError, match='must return a dict'):
        make_runner(model=Bad(), max_epochs=1).run([batches(1)], [('train', 1)])


def test_epoch_runner_workflow_counts():
    r = make_runner(max_epochs=3)
    tracer = Tracer()
    r.register_hook(tracer)
    r.run([batches(2), batches(1)], [('train', 2), ('val', 1)])
    modes = [s[1] for s in tracer.trace if s[0].startswith('before_') and s[0].endswith('_epoch')]
    # 2 train, 1 val, then only 1 train is left but the val epoch still runs after it
    assert modes == ['train', 'train', 'val', 'train', 'val']


def test_a_hook_calling_call_hook_is_still_the_running_hook_afterwards():
    # a checkpoint saved by a hook records the evaluations that run after that hook; a nested
    # call_hook inside it must not make the runner forget which hook is running
    seen = []

    class Nesting(Hook):
        def after_train_epoch(self, runner):
            runner.call_hook('after_val_epoch')
            seen.append(runner._running_hook is self)

    r = make_runner()
    hook = Nesting()
    r.register_hook(hook)
    r.call_hook('after_train_epoch')
    assert seen == [True] and r._running_hook is None
