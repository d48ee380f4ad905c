"""Third-party logger hooks: Wandb, Mlflow, Pavi, Neptune, Dvclive, Segmind, ClearML.

None of the packages is installed: each test puts a recording fake module in ``sys.modules``.
"""
import logging
import os
import sys
import types
import warnings

import pytest
import torch
import torch.nn as nn
import yaml

import legacy_runner.dist as dist_mod
from legacy_runner.hooks import (
                                 HOOKS,
                                 ClearMLLoggerHook,
                                 DvcliveLoggerHook,
                                 LoggerHook,
                                 MlflowLoggerHook,
                                 NeptuneLoggerHook,
                                 PaviLoggerHook,
                                 SegmindLoggerHook,
                                 WandbLoggerHook,
)
from legacy_runner.runner.epoch_based_runner import EpochBasedRunner
from legacy_runner.runner.iter_based_runner import IterBasedRunner

# mmcv 1.7.2's HOOKS (every hook class of mmcv.runner except EvalHook/DistEvalHook,
# plus EmptyCacheHook and ProfilerHook from mmcv.runner.hooks).
MMCV_HOOK_NAMES = [
    'CheckpointHook', 'ClosureHook', 'EMAHook', 'IterTimerHook', 'DistSamplerSeedHook', 'SyncBuffersHook',
    'EmptyCacheHook', 'ProfilerHook',
    'FixedLrUpdaterHook', 'StepLrUpdaterHook', 'ExpLrUpdaterHook', 'PolyLrUpdaterHook', 'InvLrUpdaterHook',
    'CosineAnnealingLrUpdaterHook', 'FlatCosineAnnealingLrUpdaterHook', 'CosineRestartLrUpdaterHook',
    'CyclicLrUpdaterHook', 'OneCycleLrUpdaterHook', 'LinearAnnealingLrUpdaterHook',
    'StepMomentumUpdaterHook', 'CosineAnnealingMomentumUpdaterHook', 'LinearAnnealingMomentumUpdaterHook',
    'CyclicMomentumUpdaterHook', 'OneCycleMomentumUpdaterHook',
    'OptimizerHook', 'GradientCumulativeOptimizerHook', 'Fp16OptimizerHook',
    'GradientCumulativeFp16OptimizerHook',
    'TextLoggerHook', 'TensorboardLoggerHook', 'WandbLoggerHook', 'MlflowLoggerHook', 'PaviLoggerHook',
    'NeptuneLoggerHook', 'DvcliveLoggerHook', 'SegmindLoggerHook', 'ClearMLLoggerHook',
]

LR, MOMENTUM = 0.1, 0.9


class StubModel(nn.Module):
    """Every train_step/val_step call k returns loss = k (one sample)."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))
        self.k = 0

    def _step(self):
        self.k += 1
        return dict(log_vars=dict(loss=float(self.k - 1)), num_samples=1)

    def train_step(self, data, optimizer, **kw):
        return self._step()

    def val_step(self, data, optimizer=None, **kw):
        return self._step()


def run_epochs(tmp_path, hook_cfg, meta=None, train_data=None):
    """2 epochs of [4 train iters, 2 val iters], log interval 2; returns (runner, hook)."""
    model = StubModel()
    runner = EpochBasedRunner(model, optimizer=torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM),
                              work_dir=str(tmp_path), logger=logging.getLogger('ext_loggers'), meta=meta,
                              max_epochs=2)
    runner.register_training_hooks(None, log_config=dict(interval=2, hooks=[hook_cfg]))
    hook = next(h for h in runner.hooks if type(h).__name__ == hook_cfg['type'])
    train_data = list(range(4)) if train_data is None else train_data
    runner.run([train_data, list(range(2))], [('train', 1), ('val', 1)])
    return runner, hook


def tags(mode, loss, add_mode=True):
    key = f'{mode}/loss' if add_mode else 'loss'
    return {key: loss, 'learning_rate': LR, 'momentum': MOMENTUM}


# (iter+1, tags) of every log of run_epochs: train windows [0,1], [2,3]; val [4,5]; and so on
EXPECTED = [(2, tags('train', 0.5)), (4, tags('train', 2.5)), (5, tags('val', 4.5)),
            (6, tags('train', 6.5)), (8, tags('train', 8.5)), (9, tags('val', 10.5))]


def fake_module(monkeypatch, name, **attrs):
    """Install a module called ``name`` (and its parents' attribute) in sys.modules."""
    mod = types.ModuleType(name)
    for key, value in attrs.items():
        setattr(mod, key, value)
    monkeypatch.setitem(sys.modules, name, mod)
    if '.' in name:
        parent, child = name.rsplit('.', 1)
        monkeypatch.setattr(sys.modules[parent], child, mod, raising=False)
    return mod


# ------------------------------------------------------------------------------- registry
def test_hooks_registry_holds_every_mmcv_hook():
    assert len(MMCV_HOOK_NAMES) == len(set(MMCV_HOOK_NAMES)) == 37
    # as in mmcv, importing the cnn package adds its RFSearchHook (other tests may have imported it)
    registered = sorted(set(HOOKS.module_dict) - {'RFSearchHook'})
    assert registered == sorted(MMCV_HOOK_NAMES)
    assert len(HOOKS) == 37 + ('RFSearchHook' in HOOKS.module_dict)
    for cls in (WandbLoggerHook, MlflowLoggerHook, PaviLoggerHook, NeptuneLoggerHook, DvcliveLoggerHook,
                SegmindLoggerHook, ClearMLLoggerHook):
        assert HOOKS.get(cls.__name__) is cls and issubclass(cls, LoggerHook)


@pytest.mark.parametrize('cls, modules, pip_name', [
    (WandbLoggerHook, ['wandb'], 'wandb'),
    (MlflowLoggerHook, ['mlflow', 'mlflow.pytorch'], 'mlflow'),
    (NeptuneLoggerHook, ['neptune', 'neptune.new'], 'neptune-client'),
    (DvcliveLoggerHook, ['dvclive'], 'dvclive'),
    (SegmindLoggerHook, ['segmind'], 'segmind'),
    (ClearMLLoggerHook, ['clearml'], 'clearml'),
])
def test_missing_package_fails_at_construction(monkeypatch, cls, modules, pip_name):
    for name in modules:
        monkeypatch.setitem(sys.modules, name, None)  # makes `import name` raise ImportError
    with pytest.raises(ImportError) as info:
        cls()
    msg = str(info.value)
    assert msg.startswith(f'{cls.__name__} needs ') and msg.endswith(f'pip install {pip_name}')
    assert '\n' not in msg


def test_missing_pavi_fails_in_before_run(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, 'pavi', None)
    hook = PaviLoggerHook()  # pavi is only imported in before_run, as in mmcv
    runner = EpochBasedRunner(StubModel(), work_dir=str(tmp_path), logger=logging.getLogger('ext_loggers'))
    with pytest.raises(ImportError) as info:
        hook.before_run(runner)
    msg = str(info.value)
    assert msg.startswith('PaviLoggerHook needs pavi') and 'pip install pavi' in msg and '\n' not in msg


# ---------------------------------------------------------------------------------- wandb
def install_wandb(monkeypatch, calls):
    class Artifact:
        def __init__(self, name, type):
            calls.append(('Artifact', name, type))

        def add_file(self, path):
            calls.append(('add_file', path))

    return fake_module(monkeypatch, 'wandb', Artifact=Artifact,
                       init=lambda **kw: calls.append(('init', kw)),
                       define_metric=lambda metric, summary: calls.append(('define_metric', metric, summary)),
                       log=lambda data, **kw: calls.append(('log', dict(data), kw)),
                       log_artifact=lambda art: calls.append(('log_artifact', type(art).__name__)),
                       join=lambda: calls.append(('join',)))


def test_wandb_logger(monkeypatch, tmp_path):
    calls = []
    install_wandb(monkeypatch, calls)
    (tmp_path / 'sub').mkdir()
    for name in ('a.log.json', 'b.txt', 'sub/c.py'):
        (tmp_path / name).write_text('x')
    with pytest.warns(UserWarning, match='summary=median will be skipped'):
        run_epochs(tmp_path, dict(type='WandbLoggerHook', init_kwargs=dict(project='p'), commit=False,
                                  define_metric_cfg={'val/loss': 'min', 'x': 'median'}))
    assert calls[:3] == [('init', {'project': 'p'}), ('define_metric', 'val/loss', 'min'),
                         ('define_metric', 'x', 'median')]  # mmcv defines it despite the warning
    logs = [c for c in calls if c[0] == 'log']
    assert logs == [('log', t, dict(step=step, commit=False)) for step, t in EXPECTED]
    end = calls[3 + len(logs):]
    assert end[0] == ('Artifact', 'artifacts', 'model')
    assert sorted(end[1:3]) == [('add_file', str(tmp_path / 'a.log.json')),
                                ('add_file', str(tmp_path / 'sub' / 'c.py'))]
    assert end[3:] == [('log_artifact', 'Artifact'), ('join',)]


def test_wandb_without_step_and_artifact(monkeypatch, tmp_path):
    calls = []
    install_wandb(monkeypatch, calls)
    _, hook = run_epochs(tmp_path, dict(type='WandbLoggerHook', with_step=False, log_artifact=False))
    assert hook.commit and hook.init_kwargs is None and hook.out_suffix == ('.log.json', '.log', '.py')
    assert calls[0] == ('init', {})
    logs = [c for c in calls if c[0] == 'log']
    assert logs == [('log', dict(t, global_step=step), dict(commit=True)) for step, t in EXPECTED]
    assert calls[-1] == ('join',) and not any(c[0] == 'Artifact' for c in calls)


# --------------------------------------------------------------------------------- mlflow
def install_mlflow(monkeypatch, calls):
    fake_module(monkeypatch, 'mlflow', set_experiment=lambda name: calls.append(('set_experiment', name)),
                set_tags=lambda t: calls.append(('set_tags', t)),
                log_params=lambda p: calls.append(('log_params', p)),
                log_metrics=lambda m, step: calls.append(('log_metrics', dict(m), step)))
    def log_model(model, path, **kw):
        calls.append(('log_model', type(model).__name__, path, kw))

    fake_module(monkeypatch, 'mlflow.pytorch', log_model=log_model)


def test_mlflow_logger(monkeypatch, tmp_path):
    calls = []
    install_mlflow(monkeypatch, calls)
    run_epochs(tmp_path, dict(type='MlflowLoggerHook', exp_name='e', tags=dict(a=1), params=dict(b=2)))
    assert calls[:3] == [('set_experiment', 'e'), ('set_tags', {'a': 1}), ('log_params', {'b': 2})]
    assert calls[3:-1] == [('log_metrics', t, step) for step, t in EXPECTED]
    assert calls[-1] == ('log_model', 'StubModel', 'models',
                         dict(pip_requirements=[f'torch=={torch.__version__}']))

    calls.clear()
    run_epochs(tmp_path, dict(type='MlflowLoggerHook', log_model=False))
    assert [c[0] for c in calls] == ['log_metrics'] * len(EXPECTED)


def test_zero_dim_tensor_is_a_type_error(monkeypatch, tmp_path):
    """mmcv 1.7.2 quirk: is_scalar calls len() on a 0-d tensor, so every logger's log() raises."""
    install_mlflow(monkeypatch, [])
    hook = MlflowLoggerHook()
    runner = EpochBasedRunner(StubModel(), optimizer=torch.optim.SGD(StubModel().parameters(), lr=LR),
                              work_dir=str(tmp_path), logger=logging.getLogger('ext_loggers'))
    runner.mode = 'train'
    runner.log_buffer.output.update(time=0.1, loss=torch.tensor(1.0))
    with pytest.raises(TypeError):
        hook.log(runner)


# ----------------------------------------------------------------------------------- pavi
def install_pavi(monkeypatch, calls):
    class SummaryWriter:
        def __init__(self, **kwargs):
            calls.append(('init', kwargs))

        def add_scalars(self, mode, tags, step):
            calls.append(('add_scalars', mode, dict(tags), step))

        def add_snapshot_file(self, tag, snapshot_file_path, iteration):
            calls.append(('snapshot', tag, snapshot_file_path, iteration))

        def add_graph(self, model, img, tag, opset_version):
            calls.append(('graph', model(img), tag, opset_version))

        def close(self):
            calls.append(('close',))

    fake_module(monkeypatch, 'pavi', SummaryWriter=SummaryWriter)


def test_pavi_logger(monkeypatch, tmp_path):
    calls = []
    install_pavi(monkeypatch, calls)
    work_dir = tmp_path / 'my_run'
    work_dir.mkdir()
    meta = dict(config_dict=dict(lr=0.02, gpu_ids=range(1)))
    _, hook = run_epochs(work_dir, dict(type='PaviLoggerHook', init_kwargs=dict(project='p')), meta=meta)
    session = yaml.safe_load(calls[0][1].pop('session_text'))
    assert session == dict(lr=0.02, gpu_ids=[0], max_iter=8)
    assert calls[0] == ('init', dict(project='p', name='my_run', model='StubModel'))
    # no mode prefix; the mode is the first argument; val steps are the epoch (by_epoch)
    expected = [('add_scalars', 'train', tags('train', 0.5, False), 2),
                ('add_scalars', 'train', tags('train', 2.5, False), 4),
                ('add_scalars', 'val', tags('val', 4.5, False), 1),
                ('add_scalars', 'train', tags('train', 6.5, False), 6),
                ('add_scalars', 'train', tags('train', 8.5, False), 8),
                ('add_scalars', 'val', tags('val', 10.5, False), 2)]
    assert calls[1:] == expected + [('close',)]
    assert meta['config_dict'] == dict(lr=0.02, gpu_ids=range(1))  # the meta is not modified


def test_pavi_steps_for_eval_records_and_iter_based(monkeypatch, tmp_path):
    calls = []
    install_pavi(monkeypatch, calls)
    runner = EpochBasedRunner(StubModel(), optimizer=torch.optim.SGD(StubModel().parameters(), lr=LR),
                              work_dir=str(tmp_path), logger=logging.getLogger('ext_loggers'), meta=None)
    by_epoch, by_iter = PaviLoggerHook(), PaviLoggerHook(by_epoch=False)
    runner.register_hook(by_epoch)
    by_epoch.before_run(runner)
    by_iter.before_run(runner)
    runner._epoch, runner._iter, runner.mode = 3, 11, 'train'
    runner.log_buffer.output.update(mAP=0.5)  # an EvalHook record: train mode, no 'time' -> 'val'
    by_epoch.log(runner)
    by_iter.log(runner)
    runner.mode = 'val'
    by_epoch.log(runner)
    by_iter.log(runner)
    assert [(c[1], c[3]) for c in calls if c[0] == 'add_scalars'] == [
        ('val', 4), ('val', 12), ('val', 3), ('val', 12)]  # epoch+1 / iter+1 / epoch / iter+1
    assert 'session_text' not in calls[0][1]

    calls.clear()
    model = StubModel()
    runner = IterBasedRunner(model, optimizer=torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM),
                             work_dir=str(tmp_path), logger=logging.getLogger('ext_loggers'), max_iters=4)
    runner.register_training_hooks(None, log_config=dict(
        interval=2, hooks=[dict(type='PaviLoggerHook', by_epoch=False)]))
    runner.run([list(range(3))], [('train', 1)])
    assert calls[1:] == [('add_scalars', 'train', tags('train', 0.5, False), 2),
                         ('add_scalars', 'train', tags('train', 2.5, False), 4), ('close',)]


class GraphModel(StubModel):
    def forward(self, x):
        return 'forward'

    def forward_dummy(self, x, scale=1):
        return ('dummy', scale)


def test_pavi_graph_and_checkpoints(monkeypatch, tmp_path):
    calls = []
    install_pavi(monkeypatch, calls)
    for name in ('epoch_1.pth', 'epoch_2.pth'):
        (tmp_path / name).write_text('x')
    os.symlink('epoch_2.pth', tmp_path / 'latest.pth')
    model = GraphModel()
    runner = EpochBasedRunner(model, optimizer=torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM),
                              work_dir=str(tmp_path), logger=logging.getLogger('ext_loggers'), max_epochs=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        hook = PaviLoggerHook(add_graph=True, img_key='x', add_last_ckpt=True, interval=2,
                              add_graph_kwargs=dict(start=2, dummy_forward_kwargs=dict(scale=3)),
                              add_ckpt_kwargs=dict(active=True))
    assert [w.category for w in caught] == [DeprecationWarning, DeprecationWarning]
    assert hook.add_graph and hook.img_key == 'x' and hook.opset_version == 11
    runner.register_hook(hook, 'VERY_LOW')
    runner.run([[dict(x=torch.ones(1))] * 2], [('train', 1)])
    path = str(tmp_path)
    assert [c for c in calls[1:] if c[0] != 'add_scalars'] == [
        ('snapshot', tmp_path.name, f'{path}/epoch_1.pth', 1),
        ('graph', ('dummy', 3), f'{tmp_path.name}_2', 11),  # before epoch 2 only (start=2)
        ('snapshot', tmp_path.name, f'{path}/epoch_2.pth', 2),
        ('snapshot', tmp_path.name, f'{path}/epoch_2.pth', 2),  # latest.pth, resolved, at after_run
        ('close',)]
    assert 'forward' not in vars(model) and model(0) == 'forward'  # forward restored


# -------------------------------------------------------------------------------- neptune
def install_neptune(monkeypatch, calls):
    class Field:
        def __init__(self, name):
            self.name = name

        def log(self, value, step=None):
            calls.append(('log', self.name, dict(value) if isinstance(value, dict) else value, step))

    class Run:
        def __getitem__(self, name):
            return Field(name)

        def stop(self):
            calls.append(('stop',))

    def init(**kwargs):
        calls.append(('init', kwargs))
        return Run()

    fake_module(monkeypatch, 'neptune')
    fake_module(monkeypatch, 'neptune.new', init=init)


def test_neptune_logger(monkeypatch, tmp_path):
    calls = []
    install_neptune(monkeypatch, calls)
    _, hook = run_epochs(tmp_path, dict(type='NeptuneLoggerHook', init_kwargs=dict(project='p/q')))
    assert calls[0] == ('init', {'project': 'p/q'})
    assert calls[1:-1] == [('log', k, v, step) for step, t in EXPECTED for k, v in t.items()]
    assert calls[-1] == ('stop',)

    # before_run skips the base class, so reset_flag is not forced on (mmcv)
    hook = NeptuneLoggerHook(reset_flag=False)
    runner = EpochBasedRunner(StubModel(), logger=logging.getLogger('ext_loggers'))
    runner.register_hook(hook)
    hook.before_run(runner)
    assert not hook.reset_flag and hook.run is not None


def test_neptune_without_step(monkeypatch, tmp_path):
    calls = []
    install_neptune(monkeypatch, calls)
    run_epochs(tmp_path, dict(type='NeptuneLoggerHook', with_step=False))
    assert calls[0] == ('init', {})
    # each tag name receives the whole dict plus global_step (mmcv crashed here instead)
    assert calls[1:-1] == [('log', k, dict(t, global_step=step), None) for step, t in EXPECTED for k in t]


# -------------------------------------------------------------------------------- dvclive
def install_dvclive(monkeypatch, calls):
    class Live:
        def __init__(self, **kwargs):
            calls.append(('Live', kwargs))

        def set_step(self, step):
            calls.append(('set_step', step))

        def log(self, name, value):
            calls.append(('log', name, value))

    fake_module(monkeypatch, 'dvclive', Live=Live)
    return Live


def test_dvclive_logger(monkeypatch, tmp_path):
    calls = []
    install_dvclive(monkeypatch, calls)
    model_file = tmp_path / 'models' / 'model.pth'
    _, hook = run_epochs(tmp_path, dict(type='DvcliveLoggerHook', model_file=str(model_file), path='live'))
    assert calls[0] == ('Live', {'path': 'live'})  # built with the hook, from **kwargs
    expected = []
    for step, t in EXPECTED:
        expected.append(('set_step', step))
        expected += [('log', k, v) for k, v in t.items()]
    assert calls[1:] == expected  # no end-of-run call
    assert model_file.is_file() and not (tmp_path / 'models' / 'latest.pth').exists()
    assert torch.load(str(model_file), map_location='cpu')['meta']['epoch'] == 2

    calls.clear()
    live = object()
    assert DvcliveLoggerHook(dvclive=live, path='ignored').dvclive is live and calls == []


# -------------------------------------------------------------------------------- segmind
def test_segmind_logger(monkeypatch, tmp_path):
    calls = []

    def log_metrics(*args, **kwargs):
        pass

    def try_mlflow_log(fn, metrics, **kwargs):
        calls.append((fn, dict(metrics), kwargs))

    fake_module(monkeypatch, 'segmind',
                tracking=types.SimpleNamespace(fluent=types.SimpleNamespace(log_metrics=log_metrics)),
                utils=types.SimpleNamespace(logging_utils=types.SimpleNamespace(try_mlflow_log=try_mlflow_log)))
    run_epochs(tmp_path, dict(type='SegmindLoggerHook'))
    # step and epoch are the 0-based runner.epoch (already incremented for val), as in mmcv
    epochs = [0, 0, 1, 1, 1, 2]
    assert calls == [(log_metrics, t, dict(step=e, epoch=e)) for (_, t), e in zip(EXPECTED, epochs)]


# -------------------------------------------------------------------------------- clearml
def test_clearml_logger(monkeypatch, tmp_path):
    calls = []

    class Logger:
        def report_scalar(self, title, series, value, iteration):
            calls.append((title, series, value, iteration))

    class Task:
        @staticmethod
        def init(**kwargs):
            calls.append(('Task.init', kwargs))
            return types.SimpleNamespace(get_logger=Logger)

    fake_module(monkeypatch, 'clearml', Task=Task)
    _, hook = run_epochs(tmp_path, dict(type='ClearMLLoggerHook', init_kwargs=dict(project_name='p')))
    assert calls[0] == ('Task.init', {'project_name': 'p'})
    assert calls[1:] == [(k, k, v, step) for step, t in EXPECTED for k, v in t.items()]


# ------------------------------------------------------------------------------ master_only
def test_non_master_ranks_do_nothing(monkeypatch, tmp_path):
    calls = []
    install_wandb(monkeypatch, calls)
    install_mlflow(monkeypatch, calls)
    install_pavi(monkeypatch, calls)
    install_neptune(monkeypatch, calls)
    install_dvclive(monkeypatch, calls)
    fake_module(monkeypatch, 'clearml', Task=None)  # would fail if before_run ran
    ns = types.SimpleNamespace
    fake_module(monkeypatch, 'segmind', tracking=ns(fluent=ns(log_metrics=None)),
                utils=ns(logging_utils=ns(try_mlflow_log=None)))  # would fail if log ran
    hooks = [WandbLoggerHook(), MlflowLoggerHook(), PaviLoggerHook(), NeptuneLoggerHook(),
             DvcliveLoggerHook(dvclive=object()), SegmindLoggerHook(), ClearMLLoggerHook()]
    monkeypatch.setattr(dist_mod, 'get_dist_info', lambda: (1, 2))
    runner = EpochBasedRunner(StubModel(), optimizer=torch.optim.SGD(StubModel().parameters(), lr=LR),
                              work_dir=str(tmp_path), logger=logging.getLogger('ext_loggers'))
    runner.mode = 'train'
    runner.log_buffer.output.update(loss=1.0, time=0.1)
    for hook in hooks:
        assert hook.before_run(runner) is None and hook.log(runner) is None and hook.after_run(runner) is None
    assert calls == []
