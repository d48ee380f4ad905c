"""LoggerHook / TextLoggerHook / TensorboardLoggerHook / IterTimerHook and the
hook table that run() logs, checked against the golden mmcv log."""
import json
import logging
import os.path as osp
import re
import sys
import types
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn as nn

from legacy_runner.hooks import Hook
from legacy_runner.hooks.checkpoint import CheckpointHook
from legacy_runner.hooks.iter_timer import IterTimerHook
from legacy_runner.hooks.logger import LoggerHook, TensorboardLoggerHook, TextLoggerHook
from legacy_runner.runner.epoch_based_runner import EpochBasedRunner
from legacy_runner.runner.iter_based_runner import IterBasedRunner
from legacy_runner.utils.logging import get_logger

GOLDEN_LOG = osp.join(osp.dirname(__file__), 'data', 'mmcv_run', '20260101_000000.log')
TIME_RE = r'eta: \d+:\d\d:\d\d, time: \d+\.\d{3}, data_time: \d+\.\d{3}, '


class StubModel(nn.Module):
    """train_step/val_step return known log_vars: loss = k, acc = 3 (an int), frac = 1/3,
    weighted by num_samples = 1 + k % 2, where k counts the calls."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))
        self.k = 0

    def _step(self, scale):
        k = self.k
        self.k += 1
        return dict(log_vars=dict(loss=float(k) * scale, acc=3, frac=1 / 3), num_samples=1 + k % 2)

    def train_step(self, data, optimizer, **kw):
        return self._step(1.0)

    def val_step(self, data, optimizer=None, **kw):
        return self._step(-1.0)


def window_avg(ks, scale=1.0):
    """Independent computation of the count-weighted average of `loss` over calls ks."""
    counts = [1 + k % 2 for k in ks]
    return sum(scale * k * c for k, c in zip(ks, counts)) / sum(counts)


class LrPerIter(Hook):
    """Sets lr = 0.01 * (iter + 1) before each train iteration."""

    def before_train_iter(self, runner):
        for g in runner.optimizer.param_groups:
            g['lr'] = 0.01 * (runner.iter + 1)


_counter = [0]


def make_logger(tmp_path):
    _counter[0] += 1
    name = f'textlog{_counter[0]}'
    return get_logger(name, log_file=str(tmp_path / 'run.log')), name


def read_messages(tmp_path, name):
    lines = (tmp_path / 'run.log').read_text().splitlines()
    msgs = []
    for line in lines:
        m = re.match(rf'^\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d,\d{{3}} - {name} - INFO - (.*)$', line)
        if m:
            msgs.append(m.group(1))
        else:  # continuation of a multi-line message
            msgs[-1] += '\n' + line
    return msgs


def run_epoch_based(tmp_path, meta=(('exp_name', 'stub.py'),), **hook_kw):
    meta = None if meta is None else dict(meta)
    logger, name = make_logger(tmp_path)
    model = StubModel()
    runner = EpochBasedRunner(model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                              work_dir=str(tmp_path), logger=logger, meta=meta, max_epochs=2)
    runner.timestamp = 'ts'
    runner.register_hook(LrPerIter(), 'VERY_HIGH')
    runner.register_training_hooks(None, log_config=dict(interval=2, hooks=[dict(type='TextLoggerHook',
                                                                                 **hook_kw)]))
    runner.run([list(range(6)), list(range(4))], [('train', 1), ('val', 1)])
    records = [json.loads(line, object_pairs_hook=OrderedDict)
               for line in (tmp_path / 'ts.log.json').read_text().splitlines()]
    return runner, records, read_messages(tmp_path, name)


def test_text_logger_json_records(tmp_path):
    _, records, _ = run_epoch_based(tmp_path)
    assert records[0] == {'exp_name': 'stub.py'}  # the meta line
    keys = ['mode', 'epoch', 'iter', 'lr', 'data_time', 'loss', 'acc', 'frac', 'time']
    assert all(list(r) == keys for r in records[1:])  # no 'memory' without CUDA
    got = [(r['mode'], r['epoch'], r['iter'], r['lr'], r['loss'], r['acc'], r['frac']) for r in records[1:]]
    # calls 0-5 train epoch 1, 6-9 val, 10-15 train epoch 2, 16-19 val
    expected = []
    for e, base in ((1, 0), (2, 10)):
        for j in (1, 3, 5):
            ks = [base + j - 1, base + j]
            expected.append(('train', e, j + 1, round(0.01 * (6 * (e - 1) + j + 1), 5),
                             round(window_avg(ks), 5), 3.0, 0.33333))
        ks = list(range(base + 6, base + 10))
        expected.append(('val', e, 4, round(0.01 * 6 * e, 5), round(window_avg(ks, -1.0), 5), 3.0, 0.33333))
    assert got == expected
    for r in records[1:]:
        for key in ('time', 'data_time'):
            assert r[key] >= 0 and r[key] == round(r[key], 5)


def test_text_logger_lines(tmp_path):
    _, _, msgs = run_epoch_based(tmp_path)
    logged = [m for m in msgs if m.startswith(('Epoch', 'Exp name'))]
    expected = []
    for e, base in ((1, 0), (2, 10)):
        for j in (1, 3, 5):
            if j == 5:
                expected.append('Exp name: stub.py')
            lr = 0.01 * (6 * (e - 1) + j + 1)
            loss = window_avg([base + j - 1, base + j])
            expected.append(re.escape(f'Epoch [{e}][{j + 1}/6]\tlr: {lr:.3e}, ') + TIME_RE
                            + re.escape(f'loss: {loss:.4f}, acc: 3.0000, frac: 0.3333'))
        expected.append('Exp name: stub.py')
        loss = window_avg(list(range(base + 6, base + 10)), -1.0)
        expected.append(re.escape(f'Epoch(val) [{e}][4]\tloss: {loss:.4f}, acc: 3.0000, frac: 0.3333'))
    assert len(logged) == len(expected)
    for line, pattern in zip(logged, expected):
        assert re.fullmatch(pattern, line), (line, pattern)


def test_text_logger_no_meta_and_ignore_last(tmp_path):
    _, records, msgs = run_epoch_based(tmp_path, meta=None, interval=4, ignore_last=False)
    assert records[0]['mode'] == 'train'  # no meta line
    # interval 4 over 6 iters: a window at iter 4 and, with ignore_last=False, one at the epoch end
    # that still averages the last `interval` entries (so it overlaps the previous one)
    train = [(r['epoch'], r['iter'], r['loss']) for r in records if r['mode'] == 'train']
    assert train == [(1, 4, round(window_avg([0, 1, 2, 3]), 5)), (1, 6, round(window_avg([2, 3, 4, 5]), 5)),
                     (2, 4, round(window_avg([10, 11, 12, 13]), 5)),
                     (2, 6, round(window_avg([12, 13, 14, 15]), 5))]
    assert not any(m.startswith('Exp name') for m in msgs)


def test_iter_based_text_logger(tmp_path):
    logger, name = make_logger(tmp_path)
    model = StubModel()
    runner = IterBasedRunner(model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                             work_dir=str(tmp_path), logger=logger, meta=None, max_iters=4)
    runner.timestamp = 'ts'
    runner.register_training_hooks(None, log_config=dict(interval=2, hooks=[dict(type='TextLoggerHook')]))
    runner.run([list(range(3)), list(range(2))], [('train', 2), ('val', 1)])
    records = [json.loads(line) for line in (tmp_path / 'ts.log.json').read_text().splitlines()]
    # val iterations log nothing and their values join the train window
    assert [(r['mode'], r['epoch'], r['iter']) for r in records] == [('train', 1, 2), ('train', 1, 4)]
    # the history is now [0, 1, -2 (val), 3, 4]: the second window averages the last two entries
    assert records[1]['loss'] == round(window_avg([3, 4]), 5)
    lines = [m for m in read_messages(tmp_path, name) if m.startswith('Iter')]
    assert len(lines) == 2
    assert re.fullmatch(re.escape('Iter [4/4]\tlr: 1.000e-01, ') + TIME_RE
                        + re.escape(f'loss: {window_avg([3, 4]):.4f}, acc: 3.0000, frac: 0.3333'), lines[1])


def test_eval_style_record_and_dict_lr(tmp_path):
    """An EvalHook-like result in train mode: mode 'val' (no 'time'), iter = eval_iter_num."""
    logger, name = make_logger(tmp_path)
    model = nn.Linear(1, 1)
    model.train_step = None
    opt = dict(a=torch.optim.SGD([model.weight], lr=0.1), b=torch.optim.SGD([model.bias], lr=0.002))
    runner = EpochBasedRunner(model, optimizer=opt, work_dir=str(tmp_path), logger=logger, max_epochs=3)
    runner._epoch, runner.mode, runner.timestamp, runner._max_iters = 1, 'train', 'ts', 6
    runner.data_loader = [0, 0]
    runner._inner_iter = 0
    hook = TextLoggerHook(interval=1)
    runner.register_hook(hook)
    hook.before_run(runner)
    runner.log_buffer.output.update(eval_iter_num=5, mAP=0.5, info='txt', arr=np.float64(2))
    runner.log_buffer.ready = True
    hook.after_train_epoch(runner)
    record = json.loads((tmp_path / 'ts.log.json').read_text())
    assert record == dict(mode='val', epoch=2, iter=5, lr=dict(a=0.1, b=0.002), mAP=0.5, info='txt', arr=2.0)
    assert read_messages(tmp_path, name)[-1] == 'Epoch(val) [2][5]\tmAP: 0.5000, info: txt, arr: 2.0000'
    assert runner.log_buffer.output == {} and not runner.log_buffer.ready  # reset_flag set in before_run
    runner.log_buffer.output.update(time=0.5, data_time=0.25, loss=1.0)
    runner.log_buffer.ready = True
    hook.after_train_epoch(runner)
    assert read_messages(tmp_path, name)[-1].startswith(
        'Epoch [2][1/2]\tlr_a: 1.000e-01 lr_b: 2.000e-03, eta: ')


def test_logger_hook_helpers():
    class Logs(LoggerHook):
        def log(self, runner):
            pass

    hook = Logs()
    assert hook.is_scalar(1) and hook.is_scalar(np.array(1.0)) and hook.is_scalar(torch.tensor([1.0]))
    assert not hook.is_scalar('a') and not hook.is_scalar(torch.tensor([1.0]), include_torch=False)
    with pytest.raises(TypeError):
        hook.is_scalar(torch.tensor(1.0))  # len() of a 0-d tensor

    model = StubModel()
    runner = EpochBasedRunner(model, optimizer=torch.optim.Adam(model.parameters(), lr=0.1),
                              logger=logging.getLogger('h'))
    with pytest.raises(ValueError, match="runner mode should be 'train' or 'val'"):
        hook.get_mode(runner)
    runner.mode = 'train'
    runner.log_buffer.output.update(loss=1.0, time=0.1, note='x')
    assert hook.get_mode(runner) == 'train'
    assert hook.get_loggable_tags(runner) == {'train/loss': 1.0, 'learning_rate': 0.1, 'momentum': 0.9}
    assert hook.get_loggable_tags(runner, allow_text=True, add_mode=False)['note'] == 'x'
    assert hook.get_epoch(runner) == 1
    assert hook.get_iter(runner) == 1 and hook.get_iter(runner, inner_iter=True) == 1

    # only the last LoggerHook gets reset_flag
    first, last = Logs(), Logs()
    runner.register_hook(first, 'LOW')
    runner.register_hook(last, 'VERY_LOW')
    first.before_run(runner)
    assert last.reset_flag and not first.reset_flag


def test_iter_timer_hook():
    runner = EpochBasedRunner(StubModel(), logger=logging.getLogger('t'), max_epochs=1)
    runner.register_hook(IterTimerHook(), 'LOW')
    runner.run([[0, 1, 2], [0, 1]], [('train', 1), ('val', 1)])
    # before_iter and after_iter per iteration, train and val, unweighted (count 1)
    assert len(runner.log_buffer.val_history['data_time']) == 5
    assert runner.log_buffer.n_history['time'] == [1] * 5
    assert all(t >= d >= 0 for t, d in zip(runner.log_buffer.val_history['time'],
                                            runner.log_buffer.val_history['data_time']))


def test_tensorboard_logger(monkeypatch, tmp_path):
    runner = EpochBasedRunner(StubModel(), optimizer=torch.optim.SGD(StubModel().parameters(), lr=0.1),
                              work_dir=str(tmp_path), logger=logging.getLogger('tb'))
    monkeypatch.setitem(sys.modules, 'torch.utils.tensorboard', None)
    with pytest.raises(ImportError, match=re.escape('pip install legacy-runner[tensorboard]')):
        TensorboardLoggerHook().before_run(runner)

    calls = []

    class Writer:
        def __init__(self, log_dir):
            calls.append(('init', log_dir))

        def add_scalar(self, tag, val, step):
            calls.append(('scalar', tag, val, step))

        def add_text(self, tag, val, step):
            calls.append(('text', tag, val, step))

        def close(self):
            calls.append(('close',))

    monkeypatch.setitem(sys.modules, 'torch.utils.tensorboard', types.SimpleNamespace(SummaryWriter=Writer))
    hook = TensorboardLoggerHook(interval=1)
    runner.register_hook(hook)
    hook.before_run(runner)
    runner.mode, runner._iter = 'train', 4
    runner.log_buffer.output.update(loss=1.5, time=0.1, data_time=0.1, info='x')
    hook.log(runner)
    hook.after_run(runner)
    assert calls == [('init', osp.join(str(tmp_path), 'tf_logs')), ('scalar', 'train/loss', 1.5, 5),
                     ('text', 'train/info', 'x', 5), ('scalar', 'learning_rate', 0.1, 5),
                     ('scalar', 'momentum', 0, 5), ('close',)]


# --------------------------------------------------------------- hook table vs golden header
def _golden_header():
    text = open(GOLDEN_LOG).read()
    start = text.index('Hooks will be executed in the following order:\n') + len(
        'Hooks will be executed in the following order:\n')
    end = re.search(r'\n\d{4}-\d\d-\d\d ', text[start:]).start()
    return text[start:start + end]


def _stand_ins():
    """The real StepLrUpdaterHook/OptimizerHook if they exist, else same-named stand-ins."""
    try:
        from legacy_runner.hooks.lr_updater import StepLrUpdaterHook
        lr_hook = StepLrUpdaterHook(step=[2], warmup='linear', warmup_iters=4, warmup_ratio=0.1)
    except ImportError:
        class StepLrUpdaterHook(Hook):
            def before_run(self, runner):
                pass

            def before_train_epoch(self, runner):
                pass

            def before_train_iter(self, runner):
                pass

        lr_hook = StepLrUpdaterHook()
    try:
        from legacy_runner.hooks.optimizer import OptimizerHook
        opt_hook = OptimizerHook(grad_clip=dict(max_norm=1.0))
    except ImportError:
        class OptimizerHook(Hook):
            def after_train_iter(self, runner):
                pass

        opt_hook = OptimizerHook()
    return lr_hook, opt_hook


def test_get_hook_info_matches_golden_header(tmp_path):
    model = StubModel()
    runner = EpochBasedRunner(model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                              work_dir=str(tmp_path), logger=logging.getLogger('info'), max_epochs=1)
    lr_hook, opt_hook = _stand_ins()
    runner.register_training_hooks(lr_hook, opt_hook, CheckpointHook(interval=1, max_keep_ckpts=2),
                                   dict(interval=2, hooks=[dict(type='TextLoggerHook')]))
    assert runner.get_hook_info() == _golden_header()
    # an int priority that is not a Priority value prints as the number
    runner.register_hook(IterTimerHook(), priority=42)
    assert '(42          ) IterTimerHook                      ' in runner.get_hook_info()
