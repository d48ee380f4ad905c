"""v2 (mmengine-style) scheduler math: golden replay, spec reference values, building rules."""
import copy
import json
import math
import os.path as osp

import pytest

from legacy_runner.schedules import (
    INF,
    CosineAnnealingSchedule,
    LinearSchedule,
    MultiStepSchedule,
    OneCycleSchedule,
    ReduceOnPlateauSchedule,
    StepSchedule,
    build_v2_schedule,
    build_v2_schedules,
    compare_v1_v2,
    schedule_type,
    scheduler_step,
    trace_diff,
    v1_trace,
    v2_trace,
)

DATA = osp.join(osp.dirname(__file__), 'data', 'v2_lr_schedules.json')
with open(DATA) as f:
    GOLDEN = json.load(f)
CASES = {c['name']: c for c in GOLDEN['cases']}
GROUP_LRS = [0.1, 0.1, 0.05, 0.05]  # a.weight, a.bias, b.weight, b.bias (custom_keys lr_mult 0.5)


def _close(a, b):
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)


def test_golden_file_shape():
    assert len(CASES) == 23


@pytest.mark.parametrize('name', sorted(CASES))
def test_golden_case(name):
    case = CASES[name]
    recs = v2_trace(case['param_scheduler'], case['train_cfg'], case['iters_per_epoch'], GROUP_LRS, [0.9] * 4)
    assert len(recs) == len(case['records'])
    for got, want in zip(recs, case['records']):
        assert (got['iter'], got['epoch'], got['batch_idx']) == \
            (want['iter'], want['epoch'], want['batch_idx'])
        for key in ('lr', 'momentum'):
            assert len(got[key]) == len(want[key]) == 4
            for g, w in zip(got[key], want[key]):
                assert _close(g, w), (name, want['iter'], key, g, w)


def test_trace_does_not_mutate_inputs():
    scheds = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, end=3),
              dict(type='CosineAnnealingLR', by_epoch=True, convert_to_iter_based=True)]
    train_cfg = dict(by_epoch=True, max_epochs=2)
    snapshot = copy.deepcopy((scheds, train_cfg))
    v2_trace(scheds, train_cfg, 3, [0.1])
    assert (scheds, train_cfg) == snapshot


# ----------------------------------------------------------------------------- "Verified"
def _iter_trace(cfgs, n):
    return [r['lr'][0] for r in v2_trace(cfgs, dict(type='IterBasedTrainLoop', max_iters=n), 1, [1.0])]


def _approx(values):
    return pytest.approx(values, abs=6e-7)


@pytest.mark.parametrize('cfgs, n, expected', [
    ([dict(type='LinearLR', start_factor=.25, end=5, by_epoch=False)], 6, [.25, .4375, .625, .8125, 1, 1]),
    ([dict(type='CosineAnnealingLR', T_max=4, end=INF, by_epoch=False)], 9,
     [1, .853553, .5, .146447, 0, .146447, .5, .853553, 1]),
    ([dict(type='CosineAnnealingLR', begin=2, end=6, by_epoch=False)], 7,
     [1, 1, 1, .853553, .5, .146447, .146447]),
    ([dict(type='PolyLR', power=2, eta_min=.1, end=5, by_epoch=False)], 6, [1, .60625, .325, .15625, .1, .1]),
    ([dict(type='OneCycleLR', eta_max=1, total_steps=10, by_epoch=False)], 10,
     [.04, .52, 1, .950485, .811746, .611262, .388742, .188258, .049519, 4e-06]),
    ([dict(type='CosineRestartLR', periods=[3, 3], restart_weights=[1, .5], eta_min=0, by_epoch=False)], 7,
     [1, .75, .25, .5, .375, .125, .125]),
    ([dict(type='LinearLR', start_factor=.1, end=3, by_epoch=False),
      dict(type='CosineAnnealingLR', end=6, eta_min=.5, by_epoch=False)], 7,
     [.1, .546651, .897029, .764686, .632343, .535461, .535461]),
])
def test_verified_table(cfgs, n, expected):
    assert _iter_trace(cfgs, n) == _approx(expected)


def test_verified_conversions():
    recs = v2_trace([dict(type='CosineAnnealingLR', end=2, convert_to_iter_based=True)],
                    dict(by_epoch=True, max_epochs=2), 3, [1.0])
    assert [r['lr'][0] for r in recs] == _approx([1, .933013, .75, .5, .25, .066987])
    recs = v2_trace([dict(type='LinearLR', start_factor=.2, end=1, convert_to_iter_based=True)],
                    dict(by_epoch=True, max_epochs=1), 4, [1.0])
    assert [r['lr'][0] for r in recs] == _approx([.2, .466667, .733333, 1])


def test_runner_default_ends():
    epoch4 = dict(by_epoch=True, max_epochs=4)
    # Cosine by epoch without end: end = T_max = E
    spec, = build_v2_schedules([dict(type='CosineAnnealingLR')], epoch4, 3)
    assert (spec.end, spec.T_max, spec.by_epoch) == (4, 4, True)
    # with convert: E*L
    spec, = build_v2_schedules([dict(type='CosineAnnealingLR', convert_to_iter_based=True)], epoch4, 3)
    assert (spec.end, spec.T_max, spec.by_epoch) == (12, 12, False)
    # by_epoch=False: I
    spec, = build_v2_schedules([dict(type='CosineAnnealingLR', by_epoch=False)], epoch4, 3)
    assert spec.end == 12
    # a by_epoch scheduler in an IterBasedTrainLoop: end = 1, i.e. constant
    iter_loop = dict(type='IterBasedTrainLoop', max_iters=6)
    spec, = build_v2_schedules([dict(type='PolyLR')], iter_loop, 3)
    assert spec.end == 1
    assert {r['lr'][0] for r in v2_trace([dict(type='PolyLR')], iter_loop, 3, [1.0])} == {1.0}
    # PolyLR by epoch, E=4 -> 1, 2/3, 1/3, 0
    recs = v2_trace([dict(type='PolyLR')], epoch4, 1, [1.0])
    assert [r['lr'][0] for r in recs] == _approx([1, 2 / 3, 1 / 3, 0])


# ----------------------------------------------------------------------------- building
def test_schedule_type_names():
    assert schedule_type('CosineAnnealingLR') == (CosineAnnealingSchedule, 'lr')
    assert schedule_type('LinearMomentum') == (LinearSchedule, 'momentum')
    assert schedule_type('MultiStepParamScheduler') == (MultiStepSchedule, None)
    assert schedule_type('OneCycleLR') == (OneCycleSchedule, 'lr')
    for bad in ('OneCycleMomentum', 'FooLR', 'StepLrUpdaterHook'):
        with pytest.raises(KeyError):
            schedule_type(bad)


def test_build_iter_from_epoch_scales_units():
    spec = build_v2_schedule(dict(type='StepLR', step_size=2, begin=1, end=5, convert_to_iter_based=True), 10)
    assert (spec.step_size, spec.begin, spec.end, spec.by_epoch) == (20, 10, 50, False)
    spec = build_v2_schedule(dict(type='MultiStepLR', milestones=[1, 3], convert_to_iter_based=True), 10)
    assert (spec.milestones, spec.end) == ([10, 30], INF)
    spec = build_v2_schedule(dict(type='CosineRestartLR', periods=[1, 2], restart_weights=[1, 1], eta_min=0.,
                                  convert_to_iter_based=True, end=3), 4)
    assert spec.periods == [4, 8] and spec.cumulative_periods == [4, 12]
    spec = build_v2_schedule(dict(type='OneCycleLR', eta_max=1., total_steps=3, end=3,
                                  convert_to_iter_based=True), 4)
    assert spec.total_steps == 12
    spec = build_v2_schedule(dict(type='LinearLR', begin=0.5, end=1.5, convert_to_iter_based=True), 3)
    assert (spec.begin, spec.end) == (1, 4)  # int() truncation
    with pytest.raises(AssertionError):
        build_v2_schedule(dict(type='LinearLR', by_epoch=False, convert_to_iter_based=True), 3)
    with pytest.raises(AssertionError):
        build_v2_schedule(dict(type='LinearLR', convert_to_iter_based=True), None)


def test_build_does_not_mutate():
    cfg = dict(type='StepLR', step_size=2, convert_to_iter_based=True)
    build_v2_schedule(cfg, 3)
    assert cfg == dict(type='StepLR', step_size=2, convert_to_iter_based=True)


@pytest.mark.parametrize('cfg, exc', [
    (dict(type='LinearLR', begin=3, end=3), ValueError),
    (dict(type='ConstantLR', factor=2.0), ValueError),
    (dict(type='LinearLR', start_factor=1.5), ValueError),
    (dict(type='LinearLR', end_factor=-0.1), ValueError),
    (dict(type='CosineAnnealingLR', eta_min=0., eta_min_ratio=0.1), AssertionError),
    (dict(type='CosineRestartLR', periods=[2]), AssertionError),  # both None is an error here
    (dict(type='CosineRestartLR', periods=[2, 2], restart_weights=[1], eta_min=0.), AssertionError),
    (dict(type='OneCycleLR', eta_max=1., pct_start=1), ValueError),
    (dict(type='OneCycleLR', eta_max=1., total_steps=0), ValueError),
    (dict(type='OneCycleLR', eta_max=1., anneal_strategy='exp'), ValueError),
    (dict(type='OneCycleParamScheduler', param_name='momentum', eta_max=1.), AssertionError),
    (dict(type='ReduceOnPlateauLR', by_epoch=False), AssertionError),
    (dict(type='ReduceOnPlateauLR', factor=1.0), ValueError),
    (dict(type='ReduceOnPlateauLR', rule='bigger'), ValueError),
    (dict(type='ReduceOnPlateauLR', threshold_rule='pct'), ValueError),
    (dict(type='ReduceOnPlateauLR', threshold=-1), ValueError),
    (dict(type='StepLR', step_size=2, param_name='lr'), TypeError),
])
def test_validation(cfg, exc):
    with pytest.raises(exc):
        build_v2_schedule(cfg)


def test_train_cfg_rules():
    with pytest.raises(RuntimeError):
        v2_trace([], dict(type='EpochBasedTrainLoop', by_epoch=True, max_epochs=1), 2, [0.1])
    recs = v2_trace([], dict(type='EpochBasedTrainLoop', max_epochs=2), 2, [0.1])
    assert [(r['epoch'], r['batch_idx']) for r in recs] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    recs = v2_trace([], dict(by_epoch=False, max_iters=3), 2, [0.1])
    assert [(r['epoch'], r['batch_idx']) for r in recs] == [(0, 0), (0, 1), (0, 2)]


def test_momentum_needs_momentum():
    with pytest.raises(ValueError, match='support momentum'):
        v2_trace([dict(type='CosineAnnealingMomentum')], dict(by_epoch=True, max_epochs=2), 2, [0.1])


def test_one_cycle_group_init_and_lengths():
    spec = build_v2_schedule(dict(type='OneCycleLR', eta_max=[1., 2.], total_steps=10))
    assert spec.group_init(2) == [dict(initial_lr=0.04, max_lr=1., min_lr=0.04 / 1e4),
                                  dict(initial_lr=0.08, max_lr=2., min_lr=0.08 / 1e4)]
    with pytest.raises(ValueError):
        spec.group_init(3)
    with pytest.raises(ValueError, match='Tried to step'):
        spec.value(11, 0.0, 0.04, 0)


# ----------------------------------------------------------------------------- chained values
def test_scheduler_step_range():
    spec = StepSchedule(step_size=1, gamma=0.5, begin=1, end=3, by_epoch=False)
    state = (-1, -1, [1.0])
    seen = []
    for _ in range(5):
        state = scheduler_step(spec, state[0], state[1], state[2], [1.0])
        seen.append((state[0], state[1], state[2][0]))
    # global steps 1 and 2 are active (t = 0, 1); t=0 leaves StepLR's value alone
    assert seen == [(0, -1, 1.0), (1, 0, 1.0), (2, 1, 0.5), (3, 1, 0.5), (4, 1, 0.5)]


def test_multistep_duplicates_and_constant_end():
    spec = MultiStepSchedule(milestones=[2, 2], gamma=0.5)
    assert spec.value(2, 1.0, 1.0) == 0.25 and spec.value(1, 1.0, 1.0) == 1.0
    recs = _iter_trace([dict(type='ConstantLR', factor=0.5, end=3, by_epoch=False)], 5)
    assert recs == _approx([.5, .5, 1, 1, 1])


def test_cosine_eta_min_ratio_uses_group_base():
    spec = CosineAnnealingSchedule(T_max=2, eta_min_ratio=0.1)
    assert spec.value(1, 2.0, 2.0) == pytest.approx(1.1)  # (b + b*0.1) / 2


def test_momentum_and_lr_mixed():
    recs = v2_trace([dict(type='LinearMomentum', start_factor=0.5, end=3, by_epoch=False),
                     dict(type='ExponentialLR', gamma=0.5, by_epoch=False)],
                    dict(type='IterBasedTrainLoop', max_iters=4), 2, [1.0], [0.8])
    assert [r['lr'][0] for r in recs] == _approx([1, .5, .25, .125])
    assert [r['momentum'][0] for r in recs] == _approx([.4, .6, .8, .8])


# ----------------------------------------------------------------------------- ReduceOnPlateau
def test_plateau_patience_cooldown_and_floor():
    spec = ReduceOnPlateauSchedule(patience=1, cooldown=1, factor=0.5, min_value=0.3)
    state = spec.initial_state()
    assert state.best == INF and state.global_step == 0
    reduces = []
    for loss in [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]:
        state, _ = spec.update(state, None)  # after_train_epoch only counts
        state, reduce = spec.update(state, dict(loss=loss))
        reduces.append(reduce)
    # improve, bad 1, bad 2 -> reduce (cooldown 1), cooldown eats one, bad 1, bad 2 -> reduce
    assert reduces == [False, False, True, False, False, True]
    assert state.global_step == 6 and state.last_step == 5
    assert spec.reduced_value(1.0, 0.3) == 0.5
    assert spec.reduced_value(0.5, 0.3) == 0.3
    assert spec.reduced_value(0.3, 0.3) is None  # change below eps


def test_plateau_rules_and_errors():
    greater_abs = ReduceOnPlateauSchedule(rule='greater', threshold_rule='abs', threshold=0.5)
    assert greater_abs.is_better(2.0, 1.0) and not greater_abs.is_better(1.4, 1.0)
    assert ReduceOnPlateauSchedule(rule='less', threshold_rule='abs', threshold=0.5).is_better(0.4, 1.0)
    assert ReduceOnPlateauSchedule(rule='greater').initial_state().best == -INF
    spec = ReduceOnPlateauSchedule(monitor='acc')
    with pytest.raises(KeyError):
        spec.update(spec.initial_state(), dict(loss=1.0))
    with pytest.raises(TypeError):
        spec.update(spec.initial_state(), 1.0)
    late = ReduceOnPlateauSchedule(begin=2)
    state, reduce = late.update(late.initial_state(), dict(loss=1.0))
    assert not reduce and state.last_step == -1  # outside [begin, end): ignored
    assert ReduceOnPlateauSchedule(min_value=[0.1, 0.2]).min_values(3, pseudo_group=True) == [0.1, 0.2, 0.2]
    with pytest.raises(ValueError):
        ReduceOnPlateauSchedule(min_value=[0.1]).min_values(2)


def test_plateau_in_trace_only_counts():
    recs = v2_trace([dict(type='ReduceOnPlateauLR')], dict(by_epoch=True, max_epochs=3), 2, [0.1])
    assert {r['lr'][0] for r in recs} == {0.1}


# ----------------------------------------------------------------------------- compare helper
def test_compare_exact_and_approximate_warmup_rules():
    v1 = dict(policy='step', step=[2, 3], warmup='linear', warmup_iters=5, warmup_ratio=0.001)
    runner = dict(type='EpochBasedRunner', max_epochs=4)
    train_cfg = dict(by_epoch=True, max_epochs=4)
    exact = [dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=6),
             dict(type='MultiStepLR', milestones=[2, 3], by_epoch=True)]
    diff = compare_v1_v2(v1, None, runner, exact, train_cfg, 7, [0.1, 0.05], [0.9, 0.9])
    assert diff.exact() and diff.max_rel < 1e-13
    guide = [dict(exact[0], end=5), exact[1]]  # the off-by-one form, worst at iteration W-1
    diff = compare_v1_v2(v1, None, runner, guide, train_cfg, 7, [0.1, 0.05], [0.9, 0.9])
    gap = (1 - 0.001) / 5  # v1 factor at W-1 is 1 - gap, v2's is already 1
    assert not diff.exact()
    assert diff.max_rel == pytest.approx(gap / (1 - gap), rel=1e-9) and diff.where[:2] == (4, 'lr')


def test_trace_diff_shapes():
    a = v1_trace(dict(policy='fixed'), None, dict(type='EpochBasedRunner', max_epochs=1), 2, [0.1])
    with pytest.raises(ValueError):
        trace_diff(a, a[:1])
    assert trace_diff(a, a).max_rel == 0.0


@pytest.mark.parametrize('spec', [
    LinearSchedule(start_factor=0.001, end=50),
    LinearSchedule(start_factor=0.25, end_factor=0.5, begin=3, end=40),
    CosineAnnealingSchedule(T_max=7, eta_min_ratio=0.01, end=60),  # periodic past T_max
    CosineAnnealingSchedule(T_max=1, eta_min=0.001, end=9),
    build_v2_schedule(dict(type='ConstantLR', factor=0.3, end=20)),
    build_v2_schedule(dict(type='ExponentialLR', gamma=0.97, end=30)),
    build_v2_schedule(dict(type='PolyLR', eta_min=1e-4, power=0.9, end=25)),
], ids=repr)
def test_array_coefficients_step_like_value(spec):
    # the converter's numpy spans step (v - s) * k + a; each step must be value()'s, to rounding
    import numpy as np
    ts = np.arange(0, spec.end - spec.begin)
    for g, b in enumerate((0.1, 0.05)):
        s, k, a = (np.broadcast_to(x, ts.shape) for x in spec.coefficients(ts, b, g))
        v_scalar = v_array = b
        for t in ts.tolist():
            v_scalar = spec.value(t, v_scalar, b, g)
            v_array = (v_array - s[t]) * k[t] + a[t]
            assert v_array == pytest.approx(v_scalar, rel=1e-13, abs=1e-18), (t, g)


def test_v1_array_forms_equal_value():
    import numpy as np

    from legacy_runner.schedules.v1_policies import LR_POLICIES, MOMENTUM_POLICIES
    made = [LR_POLICIES['FixedLrUpdaterHook'](), LR_POLICIES['ExpLrUpdaterHook'](gamma=0.99),
            LR_POLICIES['PolyLrUpdaterHook'](power=0.9, min_lr=1e-4),
            LR_POLICIES['InvLrUpdaterHook'](gamma=0.1),
            LR_POLICIES['CosineAnnealingLrUpdaterHook'](min_lr_ratio=0.01),
            LR_POLICIES['LinearAnnealingLrUpdaterHook'](min_lr=1e-5),
            MOMENTUM_POLICIES['CosineAnnealingMomentumUpdaterHook'](min_momentum_ratio=0.9)]
    progress = np.arange(0, 101)
    for policy in made:
        arr = np.broadcast_to(policy.values(0.1, progress, 100), progress.shape)
        for p in progress.tolist():
            assert arr[p] == pytest.approx(policy.value(0.1, p, 100), rel=1e-14), (policy, p)
    assert LR_POLICIES['StepLrUpdaterHook'](step=[3]).values(0.1, progress, 100) is None  # no array form
