"""v1 (mmcv 1.x updater) schedule math: golden replay, spec reference values, validation errors."""
import copy
import json
import math
import os.path as osp

import pytest

from legacy_runner.schedules import (
    CosineAnnealingLrPolicy,
    CyclicLrPolicy,
    FlatCosineAnnealingLrPolicy,
    OneCycleLrPolicy,
    OneCycleMomentumPolicy,
    StepLrPolicy,
    V1Schedule,
    annealing_cos,
    annealing_linear,
    build_v1_schedule,
    format_param,
    get_position_from_periods,
    policy_hook_type,
    v1_trace,
    warmup_lr,
    warmup_momentum,
)

DATA = osp.join(osp.dirname(__file__), 'data', 'v1_lr_schedules.json')
with open(DATA) as f:
    GOLDEN = json.load(f)
CASES = {c['name']: c for c in GOLDEN['cases']}

EPOCH3 = dict(type='EpochBasedRunner', max_epochs=3)
ITER12 = dict(type='IterBasedRunner', max_iters=12)


def _replayable(cfg):
    """JSON turned the recorded tuples into lists; mmcv only accepts a tuple target_ratio."""
    if cfg is None:
        return None
    cfg = dict(cfg)
    if isinstance(cfg.get('target_ratio'), list):
        cfg['target_ratio'] = tuple(cfg['target_ratio'])
    return cfg


def _close(a, b):
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)


def test_golden_file_shape():
    assert len(CASES) == 41


@pytest.mark.parametrize('name', sorted(CASES))
def test_golden_case(name):
    case = CASES[name]
    # SGD momentum 0.9 or AdamW betas[0] 0.9: both enter as each group's base momentum
    recs = v1_trace(_replayable(case['lr_config']), _replayable(case.get('momentum_config')),
                    case['runner'], case['iters_per_epoch'], [0.1, 0.05], [0.9, 0.9],
                    optimizer_name=case['optimizer'])
    assert len(recs) == len(case['records'])
    for got, want in zip(recs, case['records']):
        assert (got['iter'], got['epoch'], got['inner_iter']) == \
            (want['iter'], want['epoch'], want['inner_iter'])
        for key in ('lr', 'momentum'):
            assert len(got[key]) == len(want[key])
            for g, w in zip(got[key], want[key]):
                assert _close(g, w), (name, want['iter'], key, g, w)


def test_trace_does_not_mutate_inputs():
    lr = dict(policy='cyclic', target_ratio=(10, 1e-4))
    mom = dict(policy='cyclic', target_ratio=(0.85 / 0.95, 1))
    runner = dict(type='IterBasedRunner', max_iters=10)
    snapshot = copy.deepcopy((lr, mom, runner))
    v1_trace(lr, mom, runner, 4, [0.1], [0.9])
    assert (lr, mom, runner) == snapshot


# -----------------------------------------------------------------------------
def _lr(cfg, runner=EPOCH3, momentum_cfg=None, key='lr'):
    return [r[key][0] for r in v1_trace(cfg, momentum_cfg, runner, 5, [1.0], [0.9])]


def _approx(values):
    return pytest.approx(values, abs=6e-7)


def _head_tail(seq, head, tail=()):
    assert seq[:len(head)] == _approx(list(head))
    if tail:
        assert seq[-len(tail):] == _approx(list(tail))


def test_ref_step_linear_warmup():
    got = _lr(dict(policy='step', step=[1, 2], warmup='linear', warmup_iters=3, warmup_ratio=0.1))
    assert got == _approx([.1, .4, .7, 1, 1] + [.1] * 5 + [.01] * 5)


def test_ref_step_int_min_lr():
    assert _lr(dict(policy='step', step=2, gamma=.5, min_lr=.3)) == _approx([1] * 10 + [.5] * 5)


def test_ref_step_by_iter_constant_warmup():
    got = _lr(dict(policy='step', step=[4, 8], by_epoch=False, warmup='constant', warmup_iters=2,
                   warmup_ratio=.5))
    _head_tail(got, [.5, .5, 1, 1, .1, .1, .1, .1, .01])


def test_ref_step_exp_warmup():
    _head_tail(_lr(dict(policy='step', step=[2], warmup='exp', warmup_iters=3, warmup_ratio=.1)),
               [.1, .215443, .464159, 1])


def test_ref_step_warmup_by_epoch():
    got = _lr(dict(policy='step', step=[2], warmup='linear', warmup_iters=1, warmup_ratio=.1,
                   warmup_by_epoch=True))
    _head_tail(got, [.1, .28, .46, .64, .82, 1])


def test_ref_poly():
    assert _lr(dict(policy='poly', power=1., min_lr=.1)) == _approx([1] * 5 + [.7] * 5 + [.4] * 5)
    got = _lr(dict(policy='poly', power=.9, min_lr=1e-4), ITER12)
    assert len(got) == 12
    _head_tail(got, [1, .924685, .848681], [.10693])


def test_ref_cosine():
    assert _lr(dict(policy='CosineAnnealing', min_lr=0)) == _approx([1] * 5 + [.75] * 5 + [.25] * 5)
    got = _lr(dict(policy='CosineAnnealing', min_lr_ratio=.1, by_epoch=False))
    _head_tail(got, [1, .990166, .961095], [.109834])


def test_ref_flat_cosine():
    got = _lr(dict(policy='FlatCosineAnnealing', start_percent=.5, min_lr=0, by_epoch=False))
    assert got == _approx([1] * 9 + [.950484, .811745, .61126, .38874, .188255, .049516])


def test_ref_cosine_restart():
    got = _lr(dict(policy='CosineRestart', periods=[5, 10], restart_weights=[1, .5], min_lr=0,
                   by_epoch=False))
    _head_tail(got, [1, .904508, .654508, .345492, .095492, .5, .487764])


def test_ref_cyclic():
    got = _lr(dict(policy='cyclic', target_ratio=(10, 1e-4)), ITER12)
    assert len(got) == 12
    _head_tail(got, [1, 2.318019, 5.5, 8.681981, 10, 9.619401], [.380699])


def test_ref_one_cycle():
    got = _lr(dict(policy='OneCycle', max_lr=1.), ITER12)
    _head_tail(got, [.04, .34979, .879285, .994415, .933013], [4e-06])


def test_ref_momentum():
    _head_tail(_lr(None, EPOCH3, dict(policy='step', step=[1]), 'momentum'), [.9] * 5 + [.45])
    got = _lr(None, EPOCH3, dict(policy='CosineAnnealing', min_momentum_ratio=.1), 'momentum')
    assert got[::5] == _approx([.9, .6975, .2925])
    got = _lr(None, EPOCH3, dict(policy='LinearAnnealing', min_momentum=.5, by_epoch=False, warmup='linear',
                                 warmup_iters=3, warmup_ratio=.9), 'momentum')
    _head_tail(got, [1.0, .935714, .875862, .82, .793333])
    got = _lr(dict(policy='cyclic'), ITER12, dict(policy='cyclic'), 'momentum')
    _head_tail(got, [.9, .886126, .852632, .819137, .805263])
    got = _lr(dict(policy='OneCycle', max_lr=1.), ITER12, dict(policy='OneCycle'), 'momentum')
    _head_tail(got, [.95, .91773, .862574], [.95])


# ----------------------------------------------------------------------------- runner quirks
def test_iter_runner_counters():
    recs = v1_trace(None, None, dict(type='IterBasedRunner', max_iters=9), 4, [0.1])
    assert [r['epoch'] for r in recs] == [0, 0, 0, 0, 0, 1, 1, 1, 1]  # lags one iter at roll-over
    assert {r['inner_iter'] for r in recs} == {0}
    recs = v1_trace(None, None, dict(type='EpochBasedRunner', max_epochs=2), 3, [0.1])
    assert [(r['epoch'], r['inner_iter']) for r in recs] == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]


def test_iter_runner_by_epoch_updaters_never_update():
    # before_train_epoch never fires in IterBasedRunner: an explicit by_epoch=True lr schedule and
    # a momentum schedule (by_epoch not defaulted for momentum) leave the optimizer values alone
    recs = v1_trace(dict(policy='step', step=[1], by_epoch=True, warmup='linear', warmup_iters=2),
                    dict(policy='step', step=[1]), ITER12, 5, [0.1], [0.9])
    assert {r['lr'][0] for r in recs} == {0.1}
    assert {r['momentum'][0] for r in recs} == {0.9}


def test_iter_runner_warmup_by_epoch_asserts():
    with pytest.raises(AssertionError):
        v1_trace(dict(policy='step', step=[4], warmup='linear', warmup_iters=1, warmup_by_epoch=True),
                 None, ITER12, 5, [0.1])


def test_one_cycle_base_ignores_optimizer_lr_and_momentum_start():
    recs = v1_trace(dict(policy='OneCycle', max_lr=[0.5, 0.2], div_factor=10.), dict(policy='OneCycle'),
                    dict(type='IterBasedRunner', max_iters=10), 5, [123.0, 7.0], [0.1, 0.2])
    assert recs[0]['lr'] == pytest.approx([0.05, 0.02])
    assert recs[0]['momentum'] == pytest.approx([0.95, 0.95])


def test_one_cycle_total_steps_too_small():
    with pytest.raises(ValueError, match='total steps'):
        v1_trace(dict(policy='OneCycle', max_lr=1., total_steps=5), None, ITER12, 5, [0.1])


def test_one_cycle_momentum_needs_momentum():
    with pytest.raises(ValueError, match='support momentum'):
        v1_trace(None, dict(policy='OneCycle'), ITER12, 5, [0.1], None)


def test_cosine_restart_past_periods():
    with pytest.raises(ValueError, match='exceeds'):
        v1_trace(dict(policy='CosineRestart', periods=[2], min_lr=0.), None, EPOCH3, 5, [0.1])


def test_records_without_momentum_are_zero():
    recs = v1_trace(dict(policy='fixed'), None, EPOCH3, 2, [0.1, 0.2])
    assert recs[0]['momentum'] == [0.0, 0.0]


# ----------------------------------------------------------------------------- helpers
def test_helpers():
    assert annealing_cos(1, 0, 0) == 1 and annealing_cos(1, 0, 1) == pytest.approx(0, abs=1e-16)
    assert annealing_cos(1, 0, 0.5) == pytest.approx(0.5)
    assert annealing_cos(1, 0, 0, weight=0.5) == pytest.approx(0.5)
    assert annealing_linear(1, 3, 0.25) == 1.5
    cum = [100, 200, 300, 400]
    assert [get_position_from_periods(i, cum) for i in (50, 210, 300)] == [0, 2, 3]
    with pytest.raises(ValueError):
        get_position_from_periods(400, cum)
    assert format_param('SGD', 2, 0.1) == [0.1, 0.1]
    assert format_param('SGD', 2, [0.1, 0.2]) == [0.1, 0.2]
    assert format_param('a', 2, {'a': [0.1, 0.2]}) == [0.1, 0.2]
    with pytest.raises(ValueError):
        format_param('SGD', 2, [0.1])
    with pytest.raises(KeyError):
        format_param('b', 2, {'a': 0.1})


def test_warmup_functions():
    assert warmup_lr('constant', 0, 4, 0.5, 2.0) == 1.0
    assert warmup_lr('linear', 2, 4, 0.5, 2.0) == pytest.approx(1.5)
    assert warmup_lr('exp', 0, 4, 0.25, 2.0) == pytest.approx(0.5)
    assert warmup_momentum('constant', 0, 4, 0.5, 0.9) == pytest.approx(1.8)
    assert warmup_momentum('linear', 0, 5, 0.5, 0.9) == pytest.approx(1.8)
    assert warmup_momentum('exp', 0, 4, 0.5, 0.9) == pytest.approx(1.8)


def test_policy_name_mapping():
    assert policy_hook_type('step') == 'StepLrUpdaterHook'
    assert policy_hook_type('CosineAnnealing') == 'CosineAnnealingLrUpdaterHook'
    assert policy_hook_type('cyclic', 'momentum') == 'CyclicMomentumUpdaterHook'
    # only all-lowercase names are title-cased, so these are not registered (mmcv quirk)
    for bad in ('onecycle', 'cosine_restart', 'cosineannealing'):
        with pytest.raises(KeyError):
            build_v1_schedule(dict(policy=bad, max_lr=1.))


def test_build_does_not_mutate_and_resolves():
    cfg = dict(policy='step', step=[2], warmup='linear', warmup_iters=10)
    sched = build_v1_schedule(cfg)
    assert cfg == dict(policy='step', step=[2], warmup='linear', warmup_iters=10)
    assert isinstance(sched.policy, StepLrPolicy) and sched.by_epoch and sched.warmup_ratio == 0.1
    assert build_v1_schedule(dict(policy='cyclic')).by_epoch is False
    assert build_v1_schedule(dict(policy='OneCycle', max_lr=1.)).by_epoch is False
    assert build_v1_schedule(dict(policy='step', step=1), 'momentum').warmup_ratio == 0.9


# ----------------------------------------------------------------------------- validation
@pytest.mark.parametrize('cfg, exc', [
    (dict(policy='step', step=[2], warmup='bogus', warmup_iters=2), ValueError),
    (dict(policy='step', step=[2], warmup='linear', warmup_iters=0), AssertionError),
    (dict(policy='step', step=[2], warmup='linear', warmup_iters=2, warmup_ratio=0), AssertionError),
    (dict(policy='step', step=[2], warmup='linear', warmup_iters=2, warmup_ratio=1.5), AssertionError),
    (dict(policy='step', step='2'), TypeError),
    (dict(policy='step', step=[0, 2]), AssertionError),
    (dict(policy='step', step=[1.5]), AssertionError),
    (dict(policy='step', step=0), AssertionError),
    (dict(policy='step', step=[2], bogus=1), TypeError),
    (dict(policy='cyclic', target_ratio=[10, 1e-4]), ValueError),
    (dict(policy='cyclic', target_ratio=10), ValueError),
    (dict(policy='cyclic', target_ratio=(1., 2., 3.)), AssertionError),
    (dict(policy='cyclic', step_ratio_up=1.0), AssertionError),
    (dict(policy='cyclic', gamma=0), AssertionError),
    (dict(policy='cyclic', anneal_strategy='exp'), ValueError),
    (dict(policy='cyclic', by_epoch=True), AssertionError),
    (dict(policy='FlatCosineAnnealing', start_percent=1, min_lr=0.), ValueError),
    (dict(policy='FlatCosineAnnealing', start_percent=1.5, min_lr=0.), ValueError),
    (dict(policy='FlatCosineAnnealing', start_percent=0.5), AssertionError),
    (dict(policy='CosineAnnealing'), AssertionError),
    (dict(policy='CosineAnnealing', min_lr=0., min_lr_ratio=0.1), AssertionError),
    (dict(policy='LinearAnnealing'), AssertionError),
    (dict(policy='CosineRestart', periods=[1, 2], restart_weights=[1], min_lr=0.), AssertionError),
    (dict(policy='CosineRestart', periods=[1], min_lr=0., min_lr_ratio=0.), AssertionError),
    (dict(policy='OneCycle', max_lr='1'), ValueError),
    (dict(policy='OneCycle', max_lr=1., total_steps=10.), ValueError),
    (dict(policy='OneCycle', max_lr=1., pct_start=1), ValueError),
    (dict(policy='OneCycle', max_lr=1., anneal_strategy='exp'), ValueError),
    (dict(policy='OneCycle', max_lr=1., by_epoch=True), AssertionError),
    (dict(policy='fixed'), None),
])
def test_lr_validation(cfg, exc):
    if exc is None:
        build_v1_schedule(cfg)
        return
    with pytest.raises(exc):
        build_v1_schedule(cfg)


@pytest.mark.parametrize('cfg, exc', [
    (dict(policy='step', step=[2], warmup='bogus', warmup_iters=2), ValueError),
    (dict(policy='step', step=[2], warmup_by_epoch=True), TypeError),  # no warmup_by_epoch for momentum
    (dict(policy='CosineAnnealing'), AssertionError),
    (dict(policy='cyclic', target_ratio=[0.8, 1]), ValueError),
    (dict(policy='OneCycle', base_momentum=1), ValueError),
    (dict(policy='OneCycle', max_momentum=1), ValueError),
    (dict(policy='OneCycle', pct_start=0), ValueError),
    (dict(policy='OneCycle', anneal_strategy='exp'), ValueError),
    (dict(policy='Exp', gamma=0.9), KeyError),  # not a momentum policy
])
def test_momentum_validation(cfg, exc):
    with pytest.raises(exc):
        build_v1_schedule(cfg, 'momentum')


def test_missing_policy_asserts():
    with pytest.raises(AssertionError):
        build_v1_schedule(dict(step=[2]))


def test_error_message_names_the_hook():
    with pytest.raises(ValueError, match='^CyclicLrUpdaterHook: target_ratio should be either float'):
        build_v1_schedule(dict(policy='cyclic', target_ratio=[10, 1e-4]))
    with pytest.raises(ValueError, match='expected float between 0 and 1 start_percent'):
        FlatCosineAnnealingLrPolicy(start_percent=1, min_lr=0.)


def test_policy_objects_direct():
    assert CosineAnnealingLrPolicy(min_lr_ratio=0.1).value(1.0, 1, 2) == pytest.approx(0.55)
    cyc = CyclicLrPolicy(target_ratio=(10., 1e-4))
    assert cyc.phases(10) == (10, [[0, 4, 1, 10.], [4, 10, 10., 1e-4]])
    one = OneCycleLrPolicy(max_lr=[1., 2.])
    assert one.bases_from([0.5, 0.5], 'SGD') == [0.04, 0.08]
    mom = OneCycleMomentumPolicy()
    bases = mom.bases_from([0.9], 'SGD')
    assert bases == [(0.85, 0.95)] and mom.run_start_values(bases) == [0.95]
    assert mom.value(bases[0], 9, 10) == pytest.approx(0.95)
    assert mom.value(bases[0], 12, 10) > 0.85  # the last phase is taken (extrapolated) past its end
    with pytest.raises(ValueError):
        V1Schedule(StepLrPolicy(2), warmup='bogus', warmup_iters=1)
