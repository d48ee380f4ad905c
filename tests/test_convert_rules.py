"""Each converter rule: a small v1 fragment -> the expected v2 fragment and the report category of
every key it touches. Schedules are checked numerically in test_convert_schedules.py."""
import pytest
from test_convert_support import DROP, convert, entry, same, statuses

from compat.convert import ConversionError, Options, convert_dict
from compat.convert.rules.hooks import checkpoint_rule

# ----------------------------------------------------------------------------- runner / workflow


def test_epoch_runner_and_train_only_workflow():
    r = convert(workflow=[('train', 1)])
    assert same(r.v2['train_cfg'], dict(type='EpochBasedTrainLoop', max_epochs=12))
    assert statuses(r, 'runner') == {'runner.type': 'exact', 'runner.max_epochs': 'exact'}
    assert entry(r, 'workflow').status == 'exact'


def test_iter_runner():
    r = convert(runner=dict(type='IterBasedRunner', max_iters=500))
    assert same(r.v2['train_cfg'], dict(type='IterBasedTrainLoop', max_iters=500))
    assert entry(r, 'runner.max_iters').to == 'train_cfg.max_iters'


def test_total_epochs_without_runner_and_agreeing():
    r = convert(runner=DROP, total_epochs=7)
    assert same(r.v2['train_cfg'], dict(type='EpochBasedTrainLoop', max_epochs=7))
    assert entry(r, 'total_epochs').status == 'exact'
    r = convert(total_epochs=12)
    assert entry(r, 'total_epochs').to == 'train_cfg.max_epochs'


def test_val_workflow_is_dropped():
    r = convert(workflow=[('train', 1), ('val', 1)])
    e = entry(r, 'workflow')
    assert e.status == 'dropped' and 'val_step' in e.reason


@pytest.mark.parametrize('overrides, key', [
    (dict(total_epochs=10), 'total_epochs'),
    (dict(runner=dict(type='EpochBasedRunner', max_epochs=2, max_iters=5)), 'runner'),
    (dict(runner=dict(type='IPUEpochBasedRunner', max_epochs=2)), 'runner.type'),
    (dict(runner=dict(type='IterBasedRunner', max_iters=10), total_epochs=3), 'total_epochs'),
    (dict(runner=DROP), 'runner'),
    (dict(workflow=[('test', 1)]), 'workflow'),
])
def test_runner_conflicts_are_errors(overrides, key):
    with pytest.raises(ConversionError) as info:
        convert(**overrides)
    assert info.value.key == key and 'test.py' in str(info.value)


# ----------------------------------------------------------------------------- optimizer


def test_optimizer_moves_paramwise_and_renames_constructor():
    r = convert(optimizer=dict(type='SGD', lr=0.02, momentum=0.9, paramwise_cfg=dict(bias_lr_mult=2.),
                               constructor='DefaultOptimizerConstructor'))
    assert same(r.v2['optim_wrapper'], dict(
        type='OptimWrapper', optimizer=dict(type='SGD', lr=0.02, momentum=0.9),
        paramwise_cfg=dict(bias_lr_mult=2.), constructor='DefaultOptimWrapperConstructor'))
    assert set(statuses(r, 'optimizer').values()) == {'exact'}
    assert entry(r, 'optimizer.paramwise_cfg.bias_lr_mult').to == 'optim_wrapper.paramwise_cfg.bias_lr_mult'


def test_custom_constructor_is_approximate():
    r = convert(optimizer=dict(type='SGD', lr=0.1, constructor='MyConstructor'))
    assert entry(r, 'optimizer.constructor').status == 'approximate'


def test_multi_optimizer():
    r = convert(optimizer=dict(gen=dict(type='Adam', lr=1e-4), disc=dict(type='Adam', lr=4e-4)),
                optimizer_config=None)
    ow = r.v2['optim_wrapper']
    assert ow['constructor'] == 'MultiOptimWrapperConstructor'
    assert same(ow['gen'], dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4)))
    assert entry(r, 'optimizer').status == 'approximate'
    assert 'train_step' in entry(r, 'optimizer_config').reason


def test_grad_clip_and_accumulation():
    r = convert(optimizer_config=dict(type='GradientCumulativeOptimizerHook', cumulative_iters=4,
                                      grad_clip=dict(max_norm=35, norm_type=2)))
    ow = r.v2['optim_wrapper']
    assert ow['type'] == 'OptimWrapper' and ow['accumulative_counts'] == 4
    assert same(ow['clip_grad'], dict(max_norm=35, norm_type=2))
    assert set(statuses(r, 'optimizer_config').values()) == {'exact'}


def test_plain_optimizer_hook_needs_nothing():
    r = convert(optimizer_config=dict(grad_clip=None))
    assert set(r.v2['optim_wrapper']) == {'type', 'optimizer'}
    assert entry(r, 'optimizer_config.grad_clip').status == 'exact'


def test_fp16_hook_becomes_amp_wrapper():
    r = convert(data=_data(), optimizer_config=dict(type='Fp16OptimizerHook', loss_scale=512., coalesce=True,
                                                    bucket_size_mb=-1, distributed=True))
    ow = r.v2['optim_wrapper']
    assert ow['type'] == 'AmpOptimWrapper' and ow['loss_scale'] == 512.
    s = statuses(r, 'optimizer_config')
    assert s['optimizer_config.type'] == 'approximate' and s['optimizer_config.loss_scale'] == 'approximate'
    assert s['optimizer_config.coalesce'] == s['optimizer_config.distributed'] == 'exact'
    assert same(r.v2['val_cfg'], dict(type='ValLoop', fp16=True))


def test_fp16_without_loss_scale_uses_v1_default_512():
    r = convert(fp16=dict(),
                optimizer_config=dict(type='GradientCumulativeOptimizerHook', cumulative_iters=2))
    ow = r.v2['optim_wrapper']
    assert ow['type'] == 'AmpOptimWrapper' and ow['loss_scale'] == 512.0 and ow['accumulative_counts'] == 2
    assert entry(r, 'fp16').status == 'approximate'


def test_fp16_loss_scale_dynamic():
    r = convert(fp16=dict(loss_scale='dynamic'))
    assert r.v2['optim_wrapper']['loss_scale'] == 'dynamic'
    assert entry(r, 'fp16.loss_scale').to == 'optim_wrapper.loss_scale'


def test_detect_anomalous_params():
    r = convert(optimizer_config=dict(detect_anomalous_params=True))
    assert same(r.v2['model_wrapper_cfg'],
                dict(type='MMDistributedDataParallel', detect_anomalous_params=True))
    assert entry(r, 'optimizer_config.detect_anomalous_params').status == 'approximate'


@pytest.mark.parametrize('overrides, key, unknown', [
    (dict(optimizer_config=dict(bogus=1)), 'optimizer_config.bogus', True),
    (dict(optimizer_config=dict(type='MyHook'), fp16=dict()), 'optimizer_config.type', False),
    (dict(fp16=dict(loss_scale=1., foo=2)), 'fp16.foo', True),
    (dict(optimizer_config=dict(type='Fp16OptimizerHook', loss_scale=1.), fp16=dict(loss_scale=2.)),
     'fp16.loss_scale', False),
])
def test_optimizer_config_errors(overrides, key, unknown):
    # an unknown key is dropped with a reason, and an error only with --strict
    if unknown:
        assert entry(convert(**overrides), key).status == 'dropped'
    with pytest.raises(ConversionError) as info:
        convert(strict=True, **overrides)
    assert info.value.key == key


def test_custom_optimizer_hook_is_dropped():
    r = convert(optimizer_config=dict(type='MyOptimizerHook'))
    assert entry(r, 'optimizer_config').status == 'dropped'


# ----------------------------------------------------------------------------- checkpoint / logging


def test_checkpoint_config():
    r = convert(checkpoint_config=dict(interval=2, max_keep_ckpts=3, create_symlink=True,
                                       file_client_args=dict(backend='disk'), sync_buffer=True))
    assert same(r.v2['default_hooks']['checkpoint'], dict(
        type='CheckpointHook', interval=2, by_epoch=True, max_keep_ckpts=3,
        backend_args=dict(backend='disk')))
    assert same(r.v2['custom_hooks'], [dict(type='SyncBuffersHook')])
    s = statuses(r, 'checkpoint_config')
    assert s == {'checkpoint_config.interval': 'exact', 'checkpoint_config.max_keep_ckpts': 'exact',
                 'checkpoint_config.create_symlink': 'dropped', 'checkpoint_config.file_client_args': 'exact',
                 'checkpoint_config.sync_buffer': 'approximate'}


def test_checkpoint_by_epoch_defaults_to_false_in_iter_runner():
    r = convert(runner=dict(type='IterBasedRunner', max_iters=100), checkpoint_config=dict(interval=10))
    assert r.v2['default_hooks']['checkpoint']['by_epoch'] is False


def test_no_checkpoint_config_disables_v2_default_checkpoints():
    r = convert()
    assert r.v2['default_hooks']['checkpoint'] is None
    assert list(r.v2['default_hooks']) == ['timer', 'param_scheduler', 'checkpoint', 'sampler_seed']
    r = convert(checkpoint_config=None)
    assert r.v2['default_hooks']['checkpoint'] is None and entry(r, 'checkpoint_config').status == 'exact'


def test_save_best_without_periodic_checkpoints():
    r = convert(data=dict(train=dict(type='A'), val=dict(type='A')), evaluation=dict(save_best='acc'))
    assert same(r.v2['default_hooks']['checkpoint'], dict(
        type='CheckpointHook', interval=-1, by_epoch=True, save_last=False, save_best='acc'))
    assert entry(r, 'evaluation.save_best').status == 'approximate'


def test_log_config_text_tensorboard_wandb_pavi():
    hooks = [dict(type='TextLoggerHook', ignore_last=False, reset_flag=True),
             dict(type='TensorboardLoggerHook', log_dir='/tb'),
             dict(type='WandbLoggerHook', init_kwargs=dict(project='p'), with_step=False),
             dict(type='PaviLoggerHook')]
    r = convert(log_config=dict(interval=50, hooks=hooks))
    assert same(r.v2['default_hooks']['logger'], dict(type='LoggerHook', interval=50, ignore_last=False))
    assert same(r.v2['log_processor'], dict(type='LogProcessor', window_size=50, by_epoch=True))
    backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend'),
                dict(type='WandbVisBackend', init_kwargs=dict(project='p'))]
    assert same(r.v2['vis_backends'], backends)
    assert same(r.v2['visualizer'], dict(type='Visualizer', vis_backends=backends, name='visualizer'))
    s = statuses(r, 'log_config')
    assert s['log_config.interval'] == 'exact'
    assert s['log_config.hooks[0].type'] == 'approximate' and s['log_config.hooks[0].ignore_last'] == 'exact'
    assert s['log_config.hooks[0].reset_flag'] == 'dropped'
    assert s['log_config.hooks[1].log_dir'] == 'dropped'
    assert s['log_config.hooks[2].init_kwargs'] == 'exact' and s['log_config.hooks[2].with_step'] == 'dropped'
    assert s['log_config.hooks[3]'] == 'dropped'


def test_log_config_in_iter_runner_logs_by_iteration():
    r = convert(runner=dict(type='IterBasedRunner', max_iters=100),
                log_config=dict(interval=5, hooks=[dict(type='TextLoggerHook')]))
    assert r.v2['log_processor']['by_epoch'] is False
    assert r.v2['default_hooks']['logger']['log_metric_by_epoch'] is False


def test_log_config_errors():
    with pytest.raises(ConversionError) as info:
        convert(log_config=dict(interval=5))
    assert info.value.key == 'log_config'


# ----------------------------------------------------------------------------- evaluation / data


def _data(**extra):
    return dict(samples_per_gpu=4, workers_per_gpu=2, train=dict(type='A'), val=dict(type='A'),
                test=dict(type='A'), **extra)


def test_evaluation_to_val_and_test_loops():
    r = convert(data=_data(), evaluation=dict(interval=3, metric='accuracy', metric_options=dict(topk=1),
                                              gpu_collect=True))
    assert same(r.v2['train_cfg'], dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=3))
    assert same(r.v2['val_cfg'], dict(type='ValLoop'))
    metric = dict(type='V1DatasetMetric', metric='accuracy', metric_options=dict(topk=1),
                  collect_device='gpu')
    assert same(r.v2['val_evaluator'], metric) and same(r.v2['test_evaluator'], metric)
    assert same(r.v2['test_cfg'], dict(type='TestLoop'))
    s = statuses(r, 'evaluation')
    assert s == {'evaluation.interval': 'exact', 'evaluation.metric': 'carried',
                 'evaluation.metric_options': 'carried', 'evaluation.gpu_collect': 'exact'}


@pytest.mark.parametrize('interval, start, epochs, status_interval, status_start', [
    (5, None, 12, 'approximate', 'exact'),   # v2 also validates after epoch 12
    (3, 3, 12, 'exact', 'exact'),
    (3, 1, 12, 'exact', 'approximate'),     # v1: 1, 4, 7, 10; v2: 3, 6, 9, 12
    (1, 0, 12, 'exact', 'approximate'),     # v1 start=0 also evaluates before training
])
def test_evaluation_schedule_classification(interval, start, epochs, status_interval, status_start):
    r = convert(data=_data(), runner=dict(type='EpochBasedRunner', max_epochs=epochs),
                evaluation=dict(interval=interval, start=start))
    assert entry(r, 'evaluation.interval').status == status_interval
    assert entry(r, 'evaluation.start').status == status_start
    if start:
        assert r.v2['train_cfg']['val_begin'] == start


def test_fp16_keeps_eval_autocast():
    r = convert(data=_data(), fp16=dict(loss_scale=512.))
    assert same(r.v2['val_cfg'], dict(type='ValLoop', fp16=True))
    assert same(r.v2['test_cfg'], dict(type='TestLoop', fp16=True))


def test_val_without_evaluation_validates_every_epoch():
    r = convert(data=_data())
    assert r.v2['train_cfg']['val_interval'] == 1
    assert same(r.v2['val_evaluator'], dict(type='V1DatasetMetric'))


def test_evaluation_without_val_data_is_dropped():
    r = convert(evaluation=dict(interval=1))
    assert 'val_cfg' not in r.v2 and entry(r, 'evaluation').status == 'dropped'


def test_data_loaders():
    data = _data(persistent_workers=True, train_dataloader=dict(shuffle=False, drop_last=True),
                 val_dataloader=dict(samples_per_gpu=16), shuffle=False)
    data['val'] = dict(type='A', samples_per_gpu=8)
    r = convert(data=data)
    assert same(r.v2['train_dataloader'], dict(
        batch_size=4, num_workers=2, persistent_workers=True, drop_last=True,
        sampler=dict(type='DefaultSampler', shuffle=False), dataset=dict(type='A')))
    assert same(r.v2['val_dataloader'], dict(
        batch_size=16, num_workers=2, persistent_workers=False,
        sampler=dict(type='DefaultSampler', shuffle=False), dataset=dict(type='A', test_mode=True)))
    assert r.v2['test_dataloader']['batch_size'] == 1  # the mmdet-style default for val/test
    s = statuses(r, 'data')
    assert s['data.samples_per_gpu'] == s['data.workers_per_gpu'] == 'exact'
    assert s['data.train'] == 'carried' and 'statistically equivalent' in entry(r, 'data.train').reason
    assert s['data.val'] == s['data.test'] == 'carried'
    assert s['data.train_dataloader.drop_last'] == 'exact'
    assert s['data.val.samples_per_gpu'] == 'exact'
    assert s['data.shuffle'] == 'dropped'


def test_data_defaults_and_concat():
    r = convert(data=dict(train=[dict(type='A'), dict(type='B')]))
    loader = r.v2['train_dataloader']
    assert loader['batch_size'] == 2 and loader['num_workers'] == 2 and loader['persistent_workers'] is False
    assert same(loader['dataset'], dict(type='ConcatDataset', datasets=[dict(type='A'), dict(type='B')]))


def test_persistent_workers_off_without_workers():
    r = convert(data=dict(workers_per_gpu=0, persistent_workers=True, train=dict(type='A')))
    assert r.v2['train_dataloader']['persistent_workers'] is False


def test_data_conflict_is_an_error():
    with pytest.raises(ConversionError) as info:
        convert(data=dict(samples_per_gpu=2, train_dataloader=dict(samples_per_gpu=4), train=dict(type='A')))
    assert info.value.key == 'data.samples_per_gpu'


# ----------------------------------------------------------------------------- model / runtime / hooks


def test_top_level_train_test_cfg_move_into_model():
    r = convert(train_cfg=dict(rpn=dict(a=1)), test_cfg=dict(rcnn=dict(b=2)))
    assert same(r.v2['model']['train_cfg'], dict(rpn=dict(a=1)))
    assert same(r.v2['model']['test_cfg'], dict(rcnn=dict(b=2)))
    assert entry(r, 'train_cfg').to == 'model.train_cfg' and entry(r, 'test_cfg').status == 'exact'
    with pytest.raises(ConversionError):
        convert(train_cfg=dict(x=1), model=dict(type='M', train_cfg=dict(y=2)))


def test_runtime_keys():
    r = convert(dist_params=dict(backend='nccl', port=29500), cudnn_benchmark=True, mp_start_method='spawn',
                opencv_num_threads=0, seed=3, deterministic=True, log_level='DEBUG', work_dir='./w',
                gpu_ids=[0, 1], find_unused_parameters=True, custom_imports=dict(imports=[]),
                img_scale=(1, 2))
    assert same(r.v2['env_cfg'], dict(cudnn_benchmark=True, mp_cfg=dict(mp_start_method='spawn',
                                      opencv_num_threads=0), dist_cfg=dict(backend='nccl', port=29500)))
    assert same(r.v2['randomness'], dict(seed=3, deterministic=True))
    assert r.v2['log_level'] == 'DEBUG' and r.v2['work_dir'] == './w' and 'gpu_ids' not in r.v2
    assert same(r.v2['img_scale'], (1, 2)) and r.v2['find_unused_parameters'] is True
    s = statuses(r)
    assert s['dist_params'] == s['cudnn_benchmark'] == s['mp_start_method'] == s['seed'] == 'exact'
    assert s['opencv_num_threads'] == s['deterministic'] == 'approximate'
    assert s['gpu_ids'] == 'dropped'
    assert s['log_level'] == s['work_dir'] == s['find_unused_parameters'] == s['img_scale'] == 'carried'


def test_v2_defaults_are_explicit():
    r = convert()
    assert same(r.v2['env_cfg'], dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method='fork',
                                      opencv_num_threads=0), dist_cfg=dict(backend='nccl')))
    assert same(r.v2['randomness'], dict(seed=None, deterministic=False))
    assert r.v2['log_level'] == 'INFO' and r.v2['load_from'] is None and r.v2['resume'] is False


@pytest.mark.parametrize('overrides, load_from, resume, statuses_', [
    (dict(load_from='a.pth'), 'a.pth', False, {'load_from': 'exact'}),
    (dict(load_from='a.pth', resume_from='b.pth'), 'b.pth', True,
     {'load_from': 'exact', 'resume_from': 'approximate'}),
    (dict(resume_from=None, auto_resume=True), None, True,
     {'resume_from': 'exact', 'auto_resume': 'approximate'}),
    (dict(load_from=None, resume_from=None), None, False, {'load_from': 'exact', 'resume_from': 'exact'}),
])
def test_load_and_resume(overrides, load_from, resume, statuses_):
    r = convert(**overrides)
    assert r.v2['load_from'] == load_from and r.v2['resume'] is resume
    for key, status in statuses_.items():
        assert entry(r, key).status == status


def test_custom_hooks():
    hooks = [dict(type='EMAHook', momentum=0.001, interval=2, warm_up=100, resume_from=None, priority=49),
             dict(type='EmptyCacheHook', after_iter=True), dict(type='DistSamplerSeedHook'),
             dict(type='MyHook', a=1, priority='LOW'),
             dict(type='ClosureHook', fn_name='after_iter', fn=None),
             dict(type='ProfilerHook', profile_iters=3, activities=['cpu', 'cuda'])]
    r = convert(custom_hooks=hooks)
    assert same(r.v2['custom_hooks'], [
        dict(type='EMAHook', momentum=0.001**2, interval=2, priority=49),
        dict(type='EmptyCacheHook', after_iter=True),
        dict(type='V1HookAdapter', hook=dict(type='MyHook', a=1), priority='LOW'),
        dict(type='ProfilerHook', profile_times=3, activity_with_cpu=True, activity_with_cuda=True)])
    s = statuses(r, 'custom_hooks')
    assert s['custom_hooks[0].type'] == 'approximate' and s['custom_hooks[0].momentum'] == 'exact'
    assert s['custom_hooks[0].warm_up'] == 'exact'  # 0.001**2 < 1/100: the warm-up never acts
    assert s['custom_hooks[0].resume_from'] == 'dropped'
    assert s['custom_hooks[1].type'] == 'exact' and s['custom_hooks[2].type'] == 'exact'
    assert s['custom_hooks[3].type'] == 'approximate' and s['custom_hooks[4]'] == 'dropped'
    assert s['custom_hooks[5].profile_iters'] == 'exact'


def test_ema_warm_up_that_acts_is_approximate():
    r = convert(custom_hooks=[dict(type='EMAHook', momentum=0.5, warm_up=100)])
    assert entry(r, 'custom_hooks[0].warm_up').status == 'approximate'


# ----------------------------------------------------------------------------- detection / coverage


@pytest.mark.parametrize('overrides, key', [
    (dict(optim_wrapper=dict(optimizer=dict(type='SGD'))), 'optim_wrapper'),
    (dict(param_scheduler=[]), 'param_scheduler'),
    (dict(train_cfg=dict(by_epoch=True, max_epochs=3)), 'train_cfg'),
    (dict(test_cfg=dict(type='TestLoop')), 'test_cfg'),
    (dict(model=DROP), 'model'),
])
def test_not_a_v1_config(overrides, key):
    with pytest.raises(ConversionError) as info:
        convert(**overrides)
    assert info.value.key == key


def test_every_top_level_key_is_reported_once_per_subkey():
    r = convert(data=_data(), evaluation=dict(interval=1, metric='acc', save_best='acc'),
                checkpoint_config=dict(interval=1),
                log_config=dict(interval=5, hooks=[dict(type='TextLoggerHook')]),
                lr_config=dict(policy='step', step=[8]), workflow=[('train', 1)],
                dist_params=dict(backend='nccl'), helper=1)
    keys = [e.key for e in r.entries]
    assert len(keys) == len(set(keys))
    tops = {k.split('.')[0].split('[')[0] for k in keys}
    assert tops == set(r.ctx.cfg)


def test_fragment_mode_skips_what_needs_a_runner():
    result = convert_dict(dict(lr_config=dict(policy='step', step=[8]), checkpoint_config=dict(interval=1)),
                          Options(fragment=True))
    assert 'param_scheduler' not in result.v2
    assert result.v2['default_hooks']['checkpoint']['interval'] == 1


def test_rules_are_pure_functions_of_the_config():
    from compat.convert.context import Context
    cfg = dict(checkpoint_config=dict(interval=1), runner=dict(type='EpochBasedRunner', max_epochs=1))
    before = repr(cfg)
    a = checkpoint_rule(Context(cfg))
    b = checkpoint_rule(Context(cfg))
    assert repr(cfg) == before and same(a[0], b[0])
