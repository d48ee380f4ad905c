"""lr_config / momentum_config rules: the v2 scheduler lists docs/conversion-rules.md prescribes, the report
status of every key, and the numeric claim behind each status (v1_trace vs v2_trace)."""
import pytest
from test_convert_support import convert, entry, same, statuses

from compat.convert import ConversionError, Options, convert_dict
from compat.convert.verify import measure, v2_momenta

INF = 10**9
TWO_GROUPS = dict(type='SGD', lr=0.1, momentum=0.9, paramwise_cfg=dict(custom_keys={'b': dict(lr_mult=0.5)}))


def scheds(r):
    return r.v2.get('param_scheduler', [])


# ----------------------------------------------------------------------------- forms


def test_step_with_linear_warmup_ends_at_w_plus_1():
    r = convert(lr_config=dict(policy='step', step=[8, 11], warmup='linear', warmup_iters=500,
                               warmup_ratio=1e-3))
    assert same(scheds(r), [
        dict(type='LinearLR', start_factor=1e-3, end_factor=1.0, by_epoch=False, begin=0, end=501),
        dict(type='MultiStepLR', milestones=[8, 11], gamma=0.1, by_epoch=True)])
    assert set(statuses(r, 'lr_config').values()) == {'exact'}
    assert entry(r, 'lr_config.warmup_iters').to == 'param_scheduler[0].end'
    assert entry(r, 'lr_config.step').to == 'param_scheduler[1].milestones'


def test_int_step_and_constant_warmup():
    r = convert(lr_config=dict(policy='step', step=3, gamma=0.5, warmup='constant', warmup_iters=300))
    assert same(scheds(r), [
        dict(type='ConstantLR', factor=0.1, by_epoch=False, begin=0, end=301),
        dict(type='StepLR', step_size=3, gamma=0.5, by_epoch=True)])


def test_exp_warmup_is_constant_times_exponential():
    r = convert(lr_config=dict(policy='step', step=[8], warmup='exp', warmup_iters=300, warmup_ratio=0.01))
    assert same(scheds(r)[:2], [
        dict(type='ConstantLR', factor=0.01, by_epoch=False, begin=0, end=INF),
        dict(type='ExponentialLR', gamma=0.01**(-1 / 300), by_epoch=False, begin=0, end=301)])
    assert entry(r, 'lr_config.warmup').status == 'exact'


def test_warmup_by_epoch_with_epoch_length():
    r = convert(epoch_length=100, lr_config=dict(policy='step', step=[8, 11], warmup='linear', warmup_iters=2,
                                                 warmup_by_epoch=True, warmup_ratio=1e-3))
    assert scheds(r)[0]['end'] == 201 and entry(r, 'lr_config.warmup_by_epoch').status == 'exact'


def test_warmup_by_epoch_without_epoch_length_is_approximate():
    r = convert(lr_config=dict(policy='step', step=[8, 11], warmup='linear', warmup_iters=2,
                               warmup_by_epoch=True, warmup_ratio=1e-3))
    assert same(scheds(r)[0], dict(type='LinearLR', start_factor=1e-3, end_factor=1.0, by_epoch=True, begin=0,
                                   end=2, convert_to_iter_based=True))
    e = entry(r, 'lr_config.warmup_by_epoch')
    assert e.status == 'approximate' and '--epoch-length' in e.reason
    # the bound covers every epoch length tried, e.g. the real loader length of 7
    for length in (1, 7, 100):
        lr_diff, _, _ = measure(r.ctx, r.v2, length)
        assert 0 < lr_diff.max_rel <= e.bound


@pytest.mark.parametrize('runner, end', [
    (dict(type='EpochBasedRunner', max_epochs=12), 13),
    (dict(type='IterBasedRunner', max_iters=1000), 1001),
])
def test_poly_ends_at_t_plus_1(runner, end):
    r = convert(runner=runner, lr_config=dict(policy='poly', power=0.9, min_lr=1e-4))
    s = scheds(r)[0]
    assert s['type'] == 'PolyLR' and s['end'] == end and s['eta_min'] == 1e-4 and s['power'] == 0.9
    assert set(statuses(r, 'lr_config').values()) == {'exact'}


def test_poly_by_iteration_in_epoch_runner():
    r = convert(epoch_length=10, lr_config=dict(policy='poly', by_epoch=False))
    assert scheds(r)[0]['end'] == 121 and scheds(r)[0]['by_epoch'] is False
    r = convert(lr_config=dict(policy='poly', by_epoch=False))  # no L: converted epochs, one short
    assert scheds(r)[0]['convert_to_iter_based'] is True
    assert entry(r, 'lr_config.policy').status == 'approximate'


def test_linear_annealing_and_exp():
    r = convert(lr_config=dict(policy='LinearAnnealing', min_lr_ratio=0.01))
    assert same(scheds(r), [dict(type='LinearLR', start_factor=1.0, end_factor=0.01, by_epoch=True, begin=0,
                                 end=13)])
    r = convert(lr_config=dict(policy='exp', gamma=0.975))
    assert same(scheds(r), [dict(type='ExponentialLR', gamma=0.975, by_epoch=True)])


def test_cosine_leaves_end_to_the_runner():
    r = convert(lr_config=dict(policy='CosineAnnealing', min_lr=1e-4))
    assert same(scheds(r), [dict(type='CosineAnnealingLR', eta_min=1e-4, by_epoch=True)])
    r = convert(lr_config=dict(policy='CosineAnnealing', min_lr_ratio=0.01, by_epoch=False))
    assert same(scheds(r), [dict(type='CosineAnnealingLR', eta_min_ratio=0.01, by_epoch=True,
                                 convert_to_iter_based=True)])
    assert set(statuses(r, 'lr_config').values()) == {'exact'}  # exact without the epoch length


@pytest.mark.parametrize('start_percent, begin', [(0.25, 2), (0.35, 4), (0.75, 8)])
def test_flat_cosine_rounds_half_to_even(start_percent, begin):
    r = convert(runner=dict(type='EpochBasedRunner', max_epochs=10),
                lr_config=dict(policy='FlatCosineAnnealing', start_percent=start_percent, min_lr=1e-4))
    assert same(scheds(r), [dict(type='CosineAnnealingLR', T_max=10 - begin, eta_min=1e-4, by_epoch=True,
                                 begin=begin, end=10)])


def test_cosine_restart_weights_are_adjusted():
    r = convert(lr_config=dict(policy='CosineRestart', periods=[5, 4, 3], restart_weights=[1, 0.7, 0.3],
                               min_lr_ratio=0.01))
    s = scheds(r)[0]
    assert s['restart_weights'] == pytest.approx([1.0, 0.703, 0.307]) and s['eta_min_ratio'] == 0.01
    assert entry(r, 'lr_config.restart_weights').status == 'exact'
    r = convert(optimizer=TWO_GROUPS, epoch_length=5,
                lr_config=dict(policy='CosineRestart', periods=[5, 4, 3], restart_weights=[1, 0.7, 0.3],
                               min_lr=1e-3))
    assert entry(r, 'lr_config.restart_weights').status == 'approximate'  # absolute floor, two base lrs


def test_cyclic_is_two_cosines_reaching_the_peak():
    r = convert(runner=dict(type='IterBasedRunner', max_iters=1000),
                lr_config=dict(policy='cyclic', target_ratio=(10, 1e-4), cyclic_times=1, step_ratio_up=0.4))
    assert same(scheds(r), [
        dict(type='CosineAnnealingLR', T_max=400, eta_min_ratio=10, by_epoch=False, begin=0, end=401),
        dict(type='CosineAnnealingLR', T_max=600, eta_min_ratio=1e-4, by_epoch=False, begin=400, end=1000)])
    assert set(statuses(r, 'lr_config').values()) == {'exact'}


def test_one_cycle_forms():
    r = convert(runner=dict(type='IterBasedRunner', max_iters=1000),
                lr_config=dict(policy='OneCycle', max_lr=0.02))
    assert same(scheds(r), [dict(type='OneCycleLR', eta_max=0.02, by_epoch=False)])
    r = convert(lr_config=dict(policy='OneCycle', max_lr=0.02, pct_start=0.25))
    assert same(scheds(r), [dict(type='OneCycleLR', eta_max=0.02, pct_start=0.25, by_epoch=True, begin=0,
                                 end=12, convert_to_iter_based=True)])
    assert set(statuses(r, 'lr_config').values()) == {'exact'}


def test_one_cycle_momentum_sets_the_optimizer_momentum():
    r = convert(runner=dict(type='IterBasedRunner', max_iters=1000),
                lr_config=dict(policy='OneCycle', max_lr=0.02),
                momentum_config=dict(policy='OneCycle', base_momentum=0.85, max_momentum=0.95))
    assert r.v2['optim_wrapper']['optimizer']['momentum'] == 0.95
    assert same(scheds(r)[1:], [
        dict(type='CosineAnnealingMomentum', T_max=299, eta_min=0.85, by_epoch=False, begin=0, end=300),
        dict(type='CosineAnnealingMomentum', T_max=700, eta_min=0.95, by_epoch=False, begin=299, end=1000)])
    r = convert(runner=dict(type='IterBasedRunner', max_iters=100), optimizer=dict(type='AdamW', lr=1e-3),
                lr_config=dict(policy='OneCycle', max_lr=0.02), momentum_config=dict(policy='OneCycle'))
    assert same(r.v2['optim_wrapper']['optimizer']['betas'], (0.95, 0.999))


def test_momentum_policies():
    r = convert(lr_config=dict(policy='step', step=[8]),
                momentum_config=dict(policy='CosineAnnealing', min_momentum_ratio=0.5))
    assert same(scheds(r)[1], dict(type='CosineAnnealingMomentum', eta_min_ratio=0.5, by_epoch=True))
    assert entry(r, 'momentum_config.policy').to == 'param_scheduler[1].type'
    r = convert(momentum_config=dict(policy='step', step=[4, 8]))
    assert same(scheds(r), [dict(type='MultiStepMomentum', milestones=[4, 8], gamma=0.5, by_epoch=True)])


def test_iteration_runner_ignores_by_epoch_updaters():
    r = convert(runner=dict(type='IterBasedRunner', max_iters=100),
                lr_config=dict(policy='step', step=[2], by_epoch=True),
                momentum_config=dict(policy='CosineAnnealing', min_momentum=0.8))  # by_epoch default
    assert 'param_scheduler' not in r.v2
    for e in r.entries:
        if e.key.startswith(('lr_config', 'momentum_config')):
            assert e.status == 'exact' and 'never changes' in e.reason


def test_inv_and_momentum_warmup_are_dropped():
    r = convert(runner=dict(type='IterBasedRunner', max_iters=30),
                lr_config=dict(policy='inv', gamma=0.1, power=0.75))
    assert 'param_scheduler' not in r.v2
    assert set(statuses(r, 'lr_config').values()) == {'dropped'}
    assert 'measured' in entry(r, 'lr_config.policy').reason
    r = convert(momentum_config=dict(policy='step', step=[2], warmup='linear', warmup_iters=5,
                                     warmup_ratio=0.5))
    assert entry(r, 'momentum_config.warmup').status == 'dropped'


def test_step_min_lr_clip():
    r = convert(lr_config=dict(policy='step', step=[4, 8, 10], gamma=0.1, min_lr=5e-4))
    s = scheds(r)
    assert s[0] == dict(type='MultiStepLR', milestones=[4, 8], gamma=0.1, by_epoch=True)
    assert s[1]['milestones'] == [10] and s[1]['gamma'] == pytest.approx(0.5)
    assert entry(r, 'lr_config.min_lr').status == 'exact'
    r = convert(optimizer=TWO_GROUPS, lr_config=dict(policy='step', step=[4, 8, 10], gamma=0.1, min_lr=5e-4))
    assert entry(r, 'lr_config.min_lr').status == 'approximate'


@pytest.mark.parametrize('lr_config, key, extra', [
    (dict(policy='cosineannealing', min_lr=0), 'lr_config.policy', "write 'CosineAnnealing'"),
    (dict(policy='onecycle', max_lr=0.1), 'lr_config.policy', "write 'OneCycle'"),
    (dict(policy='bogus'), 'lr_config.policy', 'known policies'),
    (dict(step=[1]), 'lr_config', 'policy'),
    (dict(policy='step'), 'lr_config', 'mmcv rejects it'),
    (dict(policy='CosineRestart', periods=[5, 4], restart_weights=[1, 1], min_lr=0), 'lr_config.periods',
     'raises'),
])
def test_bad_lr_configs(lr_config, key, extra):
    with pytest.raises(ConversionError) as info:
        convert(lr_config=lr_config)
    assert info.value.key == key and extra in str(info.value)


def test_warmup_by_epoch_in_iteration_runner_is_an_error():
    with pytest.raises(ConversionError) as info:
        convert(runner=dict(type='IterBasedRunner', max_iters=10),
                lr_config=dict(policy='fixed', warmup='linear', warmup_iters=1, warmup_by_epoch=True))
    assert info.value.key == 'lr_config.warmup_by_epoch'


# ----------------------------------------------------------------------------- the report cannot lie

CASES = [
    ('EpochBasedRunner', 12, 100, dict(policy='CosineAnnealing', min_lr_ratio=0.01, warmup='linear',
                                       warmup_iters=500, warmup_ratio=1e-3), None),
    ('EpochBasedRunner', 12, 100, dict(policy='CosineAnnealing', min_lr_ratio=0.01, warmup='linear',
                                       warmup_iters=50, warmup_ratio=1e-3), None),
    ('IterBasedRunner', 1000, 7, dict(policy='poly', power=0.9, min_lr=1e-4, by_epoch=False, warmup='linear',
                                      warmup_iters=100, warmup_ratio=1e-6), None),
    ('EpochBasedRunner', 8, 9, dict(policy='FlatCosineAnnealing', start_percent=0.3, min_lr_ratio=0.01,
                                    by_epoch=False, warmup='exp', warmup_iters=10), None),
    ('IterBasedRunner', 90, 7, dict(policy='cyclic', target_ratio=(5, 1e-3), cyclic_times=4,
                                    step_ratio_up=0.3, anneal_strategy='linear', gamma=0.7),
     dict(policy='cyclic', target_ratio=(0.85 / 0.95, 1), cyclic_times=4, step_ratio_up=0.3,
          anneal_strategy='linear')),
    ('IterBasedRunner', 10, 7, dict(policy='cyclic', step_ratio_up=0.05), None),  # up phase of 0 iterations
    ('EpochBasedRunner', 6, 7, dict(policy='OneCycle', max_lr=0.3, three_phase=True,
                                    anneal_strategy='linear'),
     dict(policy='OneCycle', three_phase=True, anneal_strategy='linear')),
    ('EpochBasedRunner', 6, 13, dict(policy='OneCycle', max_lr=0.3, pct_start=0.33),
     dict(policy='OneCycle', pct_start=0.33)),  # phase boundaries between iterations
    ('EpochBasedRunner', 12, 10, dict(policy='step', step=3, gamma=0.3, min_lr=1e-3, warmup='constant',
                                      warmup_iters=25), dict(policy='LinearAnnealing', min_momentum=0.5)),
    ('EpochBasedRunner', 12, 10, dict(policy='LinearAnnealing', min_lr=0.3, by_epoch=False), None),
    ('EpochBasedRunner', 12, 10, dict(policy='CosineRestart', periods=[50, 70], restart_weights=[1, 0.5],
                                      min_lr_ratio=0.1, by_epoch=False, warmup='linear', warmup_iters=20),
     None),
]


@pytest.mark.parametrize('runner_type, length, epoch_length, lr_config, momentum_config', CASES)
@pytest.mark.parametrize('groups', ['one', 'two'])
def test_status_matches_measurement(runner_type, length, epoch_length, lr_config, momentum_config, groups):
    runner = dict(type=runner_type, **({'max_epochs': length} if runner_type == 'EpochBasedRunner'
                                       else {'max_iters': length}))
    cfg = dict(model=dict(type='M'), data=dict(train=dict(type='D')), runner=runner, lr_config=lr_config,
               optimizer=TWO_GROUPS if groups == 'two' else dict(type='SGD', lr=0.1, momentum=0.9))
    if momentum_config:
        cfg['momentum_config'] = momentum_config
    r = convert_dict(cfg, Options(epoch_length=epoch_length))
    lr_diff, mom_diff, _ = measure(r.ctx, r.v2, epoch_length)
    for param, diff in (('lr', lr_diff.max_rel), ('momentum', mom_diff.max_rel)):
        mine = [e for e in r.entries if e.param == param]
        if all(e.status == 'exact' for e in mine):
            assert diff <= 1e-9, (param, diff)
        for e in mine:
            if e.status == 'approximate' and e.bound is not None:
                assert diff <= e.bound * (1 + 1e-9)
    assert v2_momenta(r.ctx, r.v2) is not None


def test_cyclic_with_many_cycles_is_exact():
    r = convert(runner=dict(type='IterBasedRunner', max_iters=90),
                lr_config=dict(policy='cyclic', target_ratio=(5, 1e-3), cyclic_times=4, step_ratio_up=0.3,
                               anneal_strategy='linear', gamma=0.7))
    assert set(statuses(r, 'lr_config').values()) == {'exact'}
    lr_diff, _, _ = measure(r.ctx, r.v2, 90)
    assert lr_diff.max_rel < 1e-12
