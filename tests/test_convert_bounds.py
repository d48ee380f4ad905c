"""Measured bounds in every report: the fast per-group comparison equals the traced difference of
the shared schedule functions, every non-exact schedule entry of every golden case carries a
numeric bound (per group, lr and momentum), and --verify prints the report's numbers."""
import json
import os

import pytest

from compat.convert import Options, convert_dict
from compat.convert.cli import main as cli_main
from compat.convert.measure import group_diff
from compat.convert.verify import DEFAULT_EPOCH_LENGTH, measure_groups, v2_momenta, verify
from legacy_runner.schedules import trace_diff, v1_trace, v2_trace

GOLDEN = os.path.join(os.path.dirname(__file__), 'data', 'v1_lr_schedules.json')
with open(GOLDEN) as f:
    CASES = json.load(f)['cases']
IDS = [c['name'] for c in CASES]


def v1_config(case):
    from test_convert_golden import _v1_config
    return _v1_config(case)


def _traced(result, length):
    ctx, v2 = result.ctx, result.v2
    a = v1_trace(ctx.cfg.get('lr_config'), ctx.cfg.get('momentum_config'), ctx.runner.v1_runner(), length,
                 ctx.group_lrs(), ctx.group_momenta(), ctx.optimizer_type)
    b = v2_trace(v2.get('param_scheduler'), v2['train_cfg'], length, ctx.group_lrs(), v2_momenta(ctx, v2))
    return a, b


@pytest.mark.parametrize('case', CASES, ids=IDS)
@pytest.mark.parametrize('given', [True, False])
def test_fast_comparison_equals_traces(case, given):
    for length in (1, 3, case['iters_per_epoch'], 20):
        try:
            r = convert_dict(v1_config(case), Options(epoch_length=length if given else None))
            a, b = _traced(r, length)
        except Exception:
            continue  # e.g. OneCycle total_steps shorter than the run at this length: mmcv fails too
        ctx, v2 = r.ctx, r.v2
        d = group_diff(ctx.cfg.get('lr_config'), ctx.cfg.get('momentum_config'), ctx.runner.v1_runner(),
                       length, ctx.group_lrs(), ctx.group_momenta(), ctx.optimizer_type,
                       v2.get('param_scheduler'), v2['train_cfg'], v2_momenta(ctx, v2))
        for param in ('lr', 'momentum'):
            for g in range(len(ctx.group_lrs())):
                ref = max((abs(x[param][g] - y[param][g]) / abs(x[param][g]) if x[param][g] else
                           (0.0 if x[param][g] == y[param][g] else float('inf'))) for x, y in zip(a, b))
                assert abs(d.rel[param][g] - ref) <= 1e-9 * ref + 1e-12, (param, g, length, ref, d.rel)
            traced = trace_diff(a, b, (param, )).max_rel
            assert abs(d.max_rel(param) - traced) <= 1e-12 + 1e-9 * traced


@pytest.mark.parametrize('case', CASES, ids=IDS)
@pytest.mark.parametrize('given', [True, False])
def test_every_non_exact_entry_has_a_bound(case, given):
    length = case['iters_per_epoch'] if given else None
    r = convert_dict(v1_config(case), Options(epoch_length=length), case['name'])
    records = [e.to_dict() for e in r.entries]
    for e, rec in zip(r.entries, records):
        if rec['status'] not in ('approximate', 'dropped'):
            assert rec['bound'] is None
            continue
        if e.param is None:  # a key without a value difference to bound says why
            assert rec['bound'] is None and rec['bound_note'].startswith(('no numeric meaning',
                                                                          'no value difference')), rec
            continue
        assert isinstance(rec['bound'], float) and rec['bound'] > 0, rec
        assert set(rec['groups']) == {'lr', 'momentum'}
        assert all(len(v) == 2 for v in rec['groups'].values())  # the recording's two groups
        assert max(rec['groups'][e.param]) == rec['bound']
        if given or r.ctx.runner.kind == 'iter':
            assert 'at_default_length' not in rec
        else:
            assert f'default L={DEFAULT_EPOCH_LENGTH}' in rec['measured']
            assert rec['at_default_length'] <= rec['bound']
    json.dumps(records)  # serialisable (no inf/nan)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_bound_covers_the_golden_run_per_group(case):
    # the recorded groups differ from the converted run by at most the per-group bound
    r = convert_dict(v1_config(case), Options(epoch_length=case['iters_per_epoch']), case['name'])
    _, b = _traced(r, case['iters_per_epoch'])
    groups = next((e.groups for e in r.entries if e.groups), None)
    for param in ('lr', 'momentum'):
        for g in range(2):
            worst = max(abs(rec[param][g] - got[param][g]) / abs(rec[param][g]) if rec[param][g] else 0.0
                        for rec, got in zip(case['records'], b))
            limit = groups[param][g] if groups else 0.0
            assert worst <= limit * (1 + 1e-6) + 1e-9, (param, g, worst, limit)


def test_verify_prints_the_report_numbers(tmp_path, capsys):
    case = next(c for c in CASES if c['name'] == 'cos_minlr_linear2ep_epoch')
    src = tmp_path / 'v1.py'
    src.write_text('\n'.join(f'{k} = {v!r}' for k, v in v1_config(case).items()) + '\n')
    rep = tmp_path / 'r.json'
    rc = cli_main([str(src), '--report', str(rep), '--verify', '-q'])
    out = capsys.readouterr().out
    assert rc == 1  # approximate: --verify still fails at the default tolerance
    bound = max(r['bound'] for r in json.loads(rep.read_text()) if r['bound'] is not None)
    assert f'max relative lr difference: {bound:.3g}' in out
    assert f'default is L={DEFAULT_EPOCH_LENGTH}' in out


def test_long_runs_are_measured_quickly():
    # a 300-epoch run at the default 1000 iterations/epoch and a 160k-iteration poly run: the
    # comparison skips quiet spans and stops once the difference provably shrinks
    import time
    opt = dict(type='SGD', lr=0.01, momentum=0.9, paramwise_cfg=dict(custom_keys={'b': dict(lr_mult=0.5)}))
    base = dict(model=dict(type='T'), data=dict(train=dict(type='T')), optimizer=opt)
    cfgs = [dict(base, runner=dict(type='IterBasedRunner', max_iters=160000),
                 lr_config=dict(policy='poly', power=0.9, min_lr=1e-4, by_epoch=False, warmup='linear',
                                warmup_iters=1000)),
            dict(base, runner=dict(type='EpochBasedRunner', max_epochs=300),
                 lr_config=dict(policy='CosineAnnealing', min_lr=1e-5, warmup='linear', warmup_iters=5,
                                warmup_by_epoch=True))]
    for cfg in cfgs:
        t = time.perf_counter()
        r = convert_dict(cfg, Options())
        assert time.perf_counter() - t < 3.0
        warm = next(e for e in r.entries if e.key == 'lr_config.warmup')
        assert warm.status == 'approximate' and 0 < warm.bound < 1
        assert 0 < (warm.at_default or warm.bound) < 1e-2
        d = measure_groups(r.ctx, r.v2, 1000)
        assert d.evaluated < d.iterations // 10


def test_verify_uses_the_same_measurement():
    case = next(c for c in CASES if c['name'] == 'step_minlr_epoch')
    r = convert_dict(v1_config(case), Options(), case['name'])
    v = verify(r.ctx, r.v2)
    e = next(e for e in r.entries if e.key == 'lr_config.min_lr')
    assert v.lr.max_rel == e.bound and not v.ok


@pytest.mark.parametrize('lr_config', [
    dict(policy='poly', min_lr=0, by_epoch=False, warmup='constant', warmup_iters=50),
    dict(policy='poly', power=0.9, min_lr=0, by_epoch=False, warmup='linear', warmup_iters=30),
    dict(policy='poly', power=2.0, min_lr=0, by_epoch=False),
    dict(policy='poly', power=0.9, min_lr=1e-4, by_epoch=False, warmup='constant', warmup_iters=50),
], ids=['constant_warmup', 'linear_warmup_p09', 'p2', 'floor'])
def test_poly_one_iteration_shorter_in_v2_equals_traces(lr_config):
    # mmengine's PolyLR reaches its floor one iteration before mmcv's poly: with a zero floor the
    # comparison stops early and evaluates the last iteration (the largest difference there, 100%)
    opt = dict(type='SGD', lr=0.5, momentum=0.9, paramwise_cfg=dict(custom_keys={'b.': dict(lr_mult=0.5)}))
    cfg = dict(model=dict(type='T'), data=dict(train=dict(type='T')), optimizer=opt,
               runner=dict(type='EpochBasedRunner', max_epochs=30), lr_config=lr_config)
    r = convert_dict(cfg, Options())  # without --epoch-length: PolyLR by epoch, converted to iterations
    for length in (1, 7, 40):
        a, b = _traced(r, length)
        ctx, v2 = r.ctx, r.v2
        d = group_diff(ctx.cfg.get('lr_config'), None, ctx.runner.v1_runner(), length, ctx.group_lrs(),
                       ctx.group_momenta(), ctx.optimizer_type, v2.get('param_scheduler'), v2['train_cfg'],
                       v2_momenta(ctx, v2))
        for g in range(2):
            ref = max(abs(x['lr'][g] - y['lr'][g]) / abs(x['lr'][g]) for x, y in zip(a, b))
            assert abs(d.rel['lr'][g] - ref) <= 1e-9 * ref + 1e-12, (g, length, ref, d.rel)
        if lr_config['min_lr'] == 0 and length == 40:
            assert d.tail_from is not None and d.evaluated < d.iterations // 2
            assert d.rel['lr'] == [1.0, 1.0] and d.where['lr'] == [d.iterations - 1] * 2


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_array_spans_equal_the_scalar_loop(case, monkeypatch):
    # numpy spans (every span, even one iteration long) against the point-by-point loop: the same
    # maxima to rounding, found at the same iteration
    import compat.convert.measure as measure
    r = convert_dict(v1_config(case), Options())
    ctx, v2 = r.ctx, r.v2
    for length in (3, case['iters_per_epoch'], 50):
        found = []
        for span in (1, 10**9):
            monkeypatch.setattr(measure, 'MIN_SPAN', span)
            try:
                found.append(group_diff(ctx.cfg.get('lr_config'), ctx.cfg.get('momentum_config'),
                                        ctx.runner.v1_runner(), length, ctx.group_lrs(), ctx.group_momenta(),
                                        ctx.optimizer_type, v2.get('param_scheduler'), v2['train_cfg'],
                                        v2_momenta(ctx, v2)))
            except ValueError:
                break  # e.g. OneCycle total_steps shorter than the run at this length
        if len(found) < 2:
            continue
        arrays, scalar = found
        assert scalar.by_array == 0
        for param in ('lr', 'momentum'):
            for g, ref in enumerate(scalar.rel[param]):
                assert abs(arrays.rel[param][g] - ref) <= 1e-9 * ref + 1e-12, (param, g, length)
                if ref > 1e-9:
                    assert arrays.where[param][g] == scalar.where[param][g], (param, g, length)


def test_array_spans_cover_long_warmups(monkeypatch):
    # mmcls's mvitv2 schedule: a 70-epoch linear warmup over an iteration cosine; at the default
    # 1,000 iterations per epoch nearly all of the 70,000 warmup iterations go through numpy
    opt = dict(type='AdamW', lr=2.5e-4, weight_decay=0.05)
    cfg = dict(model=dict(type='T'), data=dict(train=dict(type='T')), optimizer=opt,
               runner=dict(type='EpochBasedRunner', max_epochs=300),
               lr_config=dict(policy='CosineAnnealing', by_epoch=False, min_lr_ratio=1e-2, warmup='linear',
                              warmup_ratio=1e-3, warmup_iters=70, warmup_by_epoch=True))
    r = convert_dict(cfg, Options())
    ctx, v2 = r.ctx, r.v2
    d = measure_groups(ctx, v2, DEFAULT_EPOCH_LENGTH)
    assert d.by_array > 69_000 and d.evaluated - d.by_array < 1_000
    import compat.convert.measure as measure
    monkeypatch.setattr(measure, 'MIN_SPAN', 10**9)  # point by point (checked against traces above)
    ref = group_diff(ctx.cfg.get('lr_config'), None, ctx.runner.v1_runner(), DEFAULT_EPOCH_LENGTH,
                     ctx.group_lrs(), None, ctx.optimizer_type, v2.get('param_scheduler'), v2['train_cfg'],
                     None)
    assert ref.by_array == 0 and ref.max_rel('lr') > 1e-3  # a real difference: v1's warmup vs LinearLR
    assert abs(d.max_rel('lr') - ref.max_rel('lr')) <= 1e-9 * ref.max_rel('lr')
    assert d.worst('lr')[1:] == ref.worst('lr')[1:]
