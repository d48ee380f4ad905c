"""Hook call order and counters, default_hooks merge, custom hooks, loop scheduling (val_begin,
val_interval, dynamic_intervals), iteration loops with dataloader rollover."""
import logging

import pytest
from v2_helpers import MeanErrorMetric, PointDataset, TwoLinear

from compat.v2 import Hook, Runner
from compat.v2.hooks.hook import STAGES


class TraceHook(Hook):
    """Records (stage, epoch, iter[, batch_idx]) for every stage."""

    priority = 'HIGHEST'

    def __init__(self):
        self.trace = []


def _make_stage(stage):
    def method(self, runner, **kwargs):
        entry = (stage, runner.epoch, runner.iter)
        if 'batch_idx' in kwargs:
            entry += (kwargs['batch_idx'], )
        self.trace.append(entry)
    return method


for _stage in STAGES:
    setattr(TraceHook, _stage, _make_stage(_stage))


def make_runner(tmp_path, train_cfg, n=3, val=True, **kw):
    args = dict(model=TwoLinear(), work_dir=str(tmp_path),
                train_dataloader=dict(dataset=PointDataset(n), batch_size=1,
                                      sampler=dict(type='DefaultSampler', shuffle=False)),
                train_cfg=train_cfg, optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
                log_level='WARNING', randomness=dict(seed=0))
    if val:
        args.update(val_dataloader=dict(dataset=PointDataset(2), batch_size=1,
                                        sampler=dict(type='DefaultSampler', shuffle=False)),
                    val_cfg=dict(), val_evaluator=MeanErrorMetric())
    args.update(kw)
    return Runner(**args)


def test_epoch_loop_trace_matches_mmengine(tmp_path):
    trace = TraceHook()
    runner = make_runner(tmp_path, dict(by_epoch=True, max_epochs=3, val_interval=2), custom_hooks=[trace])
    runner.train()
    expected = [('before_run', 0, 0), ('before_train', 0, 0)]
    it = 0
    for epoch in range(3):
        expected.append(('before_train_epoch', epoch, it))
        for b in range(3):
            expected += [('before_train_iter', epoch, it, b), ('after_train_iter', epoch, it, b)]
            it += 1
        expected += [('after_train_epoch', epoch, it), ('before_save_checkpoint', epoch, it)]
        if epoch + 1 in (2, 3):  # val_interval 2, and always after the last epoch
            expected += [('before_val', epoch + 1, it), ('before_val_epoch', epoch + 1, it)]
            for b in range(2):
                expected += [('before_val_iter', epoch + 1, it, b), ('after_val_iter', epoch + 1, it, b)]
            expected += [('after_val_epoch', epoch + 1, it), ('after_val', epoch + 1, it)]
    expected += [('after_train', 3, 9), ('after_run', 3, 9)]
    assert trace.trace == expected


def test_iter_loop_rollover_and_validation(tmp_path, caplog):
    trace = TraceHook()
    runner = make_runner(tmp_path, dict(type='IterBasedTrainLoop', max_iters=7, val_interval=3),
                         custom_hooks=[trace])
    runner.train()
    vals = [e[2] for e in trace.trace if e[0] == 'before_val']
    assert vals == [3, 6, 7]
    iters = [e for e in trace.trace if e[0] == 'before_train_iter']
    assert [(e[2], e[3]) for e in iters] == [(i, i) for i in range(7)]  # batch_idx == runner.iter
    assert all(e[1] == 0 for e in iters)  # the epoch never advances
    assert [e[0] for e in trace.trace[-4:]] == ['after_train_epoch', 'before_save_checkpoint', 'after_train',
                                                'after_run']
    assert trace.trace[-4][1:] == (0, 7)
    assert (tmp_path / 'epoch_1.pth').exists()  # the default CheckpointHook is by_epoch
    assert runner.train_loop.dataloader_iterator._epoch == 2  # restarted twice (3 batches, 7 iters)


@pytest.mark.parametrize('cfg, expected', [
    (dict(val_interval=5, dynamic_intervals=[(10, 1)]), [5, 9, 10, 11, 12]),
    (dict(val_begin=4, val_interval=3), [6, 9, 12]),
])
def test_validation_schedule(tmp_path, cfg, expected):
    trace = TraceHook()
    runner = make_runner(tmp_path, dict(by_epoch=True, max_epochs=12, **cfg), n=1, custom_hooks=[trace],
                         default_hooks=dict(checkpoint=None))
    runner.train()
    assert [e[1] for e in trace.trace if e[0] == 'before_val'] == expected


def test_default_hooks_merge_and_priorities(tmp_path):
    runner = make_runner(tmp_path, dict(by_epoch=True, max_epochs=1), val=False,
                         default_hooks=dict(timer=None, sampler_seed=None, extra=dict(type='EmptyCacheHook'),
                                            logger=dict(type='LoggerHook', interval=5)),
                         custom_hooks=[dict(type='EmptyCacheHook', priority=49)])
    names = [type(h).__name__ for h in runner.hooks]
    assert names == [
        'RuntimeInfoHook', 'EmptyCacheHook', 'EmptyCacheHook', 'LoggerHook', 'ParamSchedulerHook',
        'CheckpointHook'
    ]
    assert runner.hooks[1].priority == 49 and runner.hooks[3].interval == 5
    assert '(49          ) EmptyCacheHook' in runner.get_hooks_info()
    with pytest.raises(AssertionError):
        make_runner(tmp_path, dict(by_epoch=True, max_epochs=1), val=False, default_hooks=dict(unknown=None))
    with pytest.raises(TypeError):
        runner.register_hook(object())
    runner.register_hook(dict(type='EmptyCacheHook'), priority='HIGHEST')
    assert type(runner.hooks[0]).__name__ == 'EmptyCacheHook' and runner.hooks[0].priority == 'HIGHEST'


def test_counters_and_message_hub(tmp_path):
    runner = make_runner(tmp_path, dict(by_epoch=True, max_epochs=2), val=True)
    assert (runner.epoch, runner.iter, runner.max_epochs) == (0, 0, 0)  # loops still configs
    runner.train()
    assert (runner.epoch, runner.iter, runner.max_epochs, runner.max_iters) == (2, 6, 2, 6)
    hub = runner.message_hub
    assert list(hub.log_scalars) == [
        'train/lr', 'train/data_time', 'train/loss', 'train/time', 'val/data_time', 'val/time', 'val/mae'
    ]
    assert hub.get_info('loop_stage') is None and hub.get_info('iter') == 5 and hub.get_info('epoch') == 1
    assert len(hub.get_scalar('train/loss')) == 6 and len(hub.get_scalar('val/mae')) == 2


def test_early_stopping_stops_training(tmp_path):
    runner = make_runner(
        tmp_path,
        dict(by_epoch=True, max_epochs=20),
        default_hooks=dict(checkpoint=None),
        custom_hooks=[dict(type='EarlyStoppingHook', monitor='mae', rule='less', min_delta=10., patience=2)])
    runner.train()
    assert runner.epoch == 3  # best set at 1, no improvement >= 10 at epochs 2 and 3


def test_call_hook_reports_the_hook_on_type_error(tmp_path):
    class Bad(Hook):
        def before_run(self, runner, unexpected):
            pass

    runner = make_runner(tmp_path, dict(by_epoch=True, max_epochs=1), val=False, custom_hooks=[Bad()])
    with pytest.raises(TypeError, match='Bad'):
        runner.call_hook('before_run')


def test_unknown_top_level_keys_are_warned(tmp_path, caplog):
    with pytest.warns(UserWarning, match='data, lr_config'):
        make_runner(tmp_path, dict(by_epoch=True, max_epochs=1), val=False, lr_config=dict(policy='step'),
                    data=dict(), find_unused_parameters=False)
    with pytest.raises(ValueError):
        Runner(model=TwoLinear(), work_dir=str(tmp_path), train_cfg=dict(by_epoch=True, max_epochs=1),
               log_level='WARNING')


def test_stage_dispatch_only_calls_overriding_hooks(tmp_path):
    runner = make_runner(tmp_path, dict(by_epoch=True, max_epochs=1), val=False)
    assert [type(fn.__self__).__name__ for fn in runner._dispatch['before_train_iter']] == \
        ['RuntimeInfoHook', 'IterTimerHook']
    assert runner._dispatch['before_save_checkpoint'] == []
    logging.getLogger(__name__).debug('ok')
