"""plot-lr and convert-config --plot: figures (Agg PNG, line count), exact --table numbers against
the shared schedule functions, epoch-length handling, and the no-matplotlib path."""
import os.path as osp
import subprocess
import sys
import textwrap

import pytest
from run_helpers import ROOT, subprocess_env
from run_helpers import run_cli as run_main

from legacy_runner.errors import ConfigError
from legacy_runner.schedules import v1_trace, v2_trace
from legacy_runner.tools.lr_plot import build_traces, format_table, lr_figure, plot_lr
from legacy_runner.tools.lr_trace import compare, derive_epoch_length, detect_format

pytest.importorskip('matplotlib')

V1_STEP = osp.join(ROOT, 'configs_v1', 'mlp_step_epoch.py')
V2_STEP = osp.join(ROOT, 'configs_v2', 'mlp_step_epoch.py')
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'
# Blocks `import matplotlib` in a subprocess, then runs the CLI with the remaining arguments.
NO_MPL = textwrap.dedent('''
    import sys
    class Block:
        def find_spec(self, name, path=None, target=None):
            if name == 'matplotlib' or name.startswith('matplotlib.'):
                raise ImportError('blocked for the test: ' + name)
    sys.meta_path.insert(0, Block())
    from legacy_runner.cli import main
    sys.exit(main(sys.argv[1:]))
''')

V1_MOMENTUM = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.95,
                   paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=10.0)})),
    lr_config=dict(policy='cyclic', target_ratio=(10, 1e-4), cyclic_times=1, step_ratio_up=0.4),
    momentum_config=dict(policy='cyclic', target_ratio=(0.85 / 0.95, 1), cyclic_times=1,
                         step_ratio_up=0.4),
    runner=dict(type='IterBasedRunner', max_iters=40))


def run_cli(*args, script=None):
    """The command in-process; with ``script``, ``python -c script ARGS`` in a fresh interpreter
    (for what a new process imports)."""
    if script is None:
        return run_main(*args)
    return subprocess.run([sys.executable, '-c', script, *args], cwd=ROOT, capture_output=True, text=True,
                          env=subprocess_env(MPLBACKEND='Agg', PYTHONWARNINGS='ignore'), timeout=120)


def _load(path):
    from legacy_runner.errors import load_config
    return load_config(path).to_dict()


def _assert_png(path):
    with open(path, 'rb') as f:
        assert f.read(8) == PNG_MAGIC
    assert osp.getsize(path) > 1000


def _parse_table(text):
    """{column: [float, ...]} from the --table output (comment lines skipped)."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith('#')]
    start = next(i for i, ln in enumerate(lines) if ln.split()[:2] == ['iter', 'epoch'])
    header = lines[start].split()
    rows = []
    for ln in lines[start + 1:]:
        parts = ln.split()
        if len(parts) != len(header) or not parts[0].isdigit():
            break
        rows.append(parts)
    return {name: [float(r[i]) for r in rows] for i, name in enumerate(header)}


def test_compare_figure_has_one_line_per_config_and_png(tmp_path):
    traces, note = build_traces([(_load(V1_STEP), V1_STEP), (_load(V2_STEP), V2_STEP)], None)
    assert 'epoch length 64' in note
    fig = lr_figure(traces)
    assert len(fig.axes) == 1  # momentum is not scheduled
    assert len(fig.axes[0].lines) == 2
    v1 = traces[0]
    assert list(fig.axes[0].lines[0].get_ydata()) == v1.values('lr', 0)
    out = tmp_path / 'lr.png'
    fig.savefig(out)
    _assert_png(out)
    diff = compare(traces[0], traces[1])
    assert diff['lr'].max_rel < 1e-12 and diff['momentum'].max_rel == 0


def test_momentum_axes_and_param_groups(tmp_path):
    traces, _ = build_traces([(V1_MOMENTUM, 'cyc.py')], None)
    (trace, ) = traces
    assert trace.base_lrs == [0.1, 1.0] and trace.momentum_scheduled
    fig = lr_figure(traces)
    assert [len(ax.lines) for ax in fig.axes] == [2, 2]
    expected = v1_trace(V1_MOMENTUM['lr_config'], V1_MOMENTUM['momentum_config'], V1_MOMENTUM['runner'], 1,
                        [0.1, 1.0], [0.95, 0.95])
    assert list(fig.axes[1].lines[1].get_ydata()) == [r['momentum'][1] for r in expected]
    assert list(fig.axes[0].lines[1].get_ydata()) == [r['lr'][1] for r in expected]
    fig.savefig(tmp_path / 'm.png')
    _assert_png(tmp_path / 'm.png')


def test_table_matches_schedule_functions_exactly():
    traces, _ = build_traces([(V1_MOMENTUM, 'cyc.py')], None)
    table = _parse_table('\n'.join(format_table(traces)))
    expected = v1_trace(V1_MOMENTUM['lr_config'], V1_MOMENTUM['momentum_config'], V1_MOMENTUM['runner'], 1,
                        [0.1, 1.0], [0.95, 0.95])
    assert table['iter'] == [r['iter'] for r in expected]
    for g in (0, 1):
        assert table[f'lr[{g}]'] == [r['lr'][g] for r in expected]
        assert table[f'momentum[{g}]'] == [r['momentum'][g] for r in expected]


def test_cli_compare_table_and_png(tmp_path):
    out = tmp_path / 'lr.png'
    proc = run_cli('plot-lr', V1_STEP, '--compare', V2_STEP, '--out', str(out), '--table')
    assert proc.returncode == 0, proc.stderr
    _assert_png(out)
    assert 'max relative lr difference' in proc.stdout
    table = _parse_table(proc.stdout)
    v1, v2 = _load(V1_STEP), _load(V2_STEP)
    a = v1_trace(v1['lr_config'], None, v1['runner'], 64, [0.1], [0.9], 'SGD')
    b = v2_trace(v2['param_scheduler'], v2['train_cfg'], 64, [0.1], [0.9])
    assert table['A.lr[0]'] == [r['lr'][0] for r in a]
    assert table['B.lr[0]'] == [r['lr'][0] for r in b]
    assert len(table['iter']) == 8 * 64


def test_no_matplotlib_prints_hint_and_table(tmp_path):
    out = tmp_path / 'lr.png'
    proc = run_cli('plot-lr', V2_STEP, '--epoch-length', '10', '--out', str(out), script=NO_MPL)
    assert proc.returncode == 0, proc.stderr
    assert 'pip install legacy-runner[plot]' in proc.stderr
    assert not out.exists()
    table = _parse_table(proc.stdout)
    v2 = _load(V2_STEP)
    assert table['lr[0]'] == [r['lr'][0] for r in v2_trace(v2['param_scheduler'], v2['train_cfg'], 10, [0.1],
                                                              [0.9])]


def test_epoch_length_required_without_dataset_size(tmp_path):
    cfg = tmp_path / 'nodata.py'
    cfg.write_text("optimizer = dict(type='SGD', lr=0.1)\nlr_config = dict(policy='step', step=[1])\n"
                   "runner = dict(type='EpochBasedRunner', max_epochs=2)\n")
    proc = run_cli('plot-lr', str(cfg), '--table')
    assert proc.returncode == 2
    assert '--epoch-length' in proc.stderr and proc.stderr.count('\n') == 1
    proc = run_cli('plot-lr', str(cfg), '--table', '--epoch-length', '3', '--out', str(tmp_path / 'a.png'))
    assert proc.returncode == 0, proc.stderr
    assert _parse_table(proc.stdout)['lr[0]'] == [0.1] * 3 + [0.1 * 0.1] * 3


def test_epoch_length_derivation_and_format_detection():
    v1, v2 = _load(V1_STEP), _load(V2_STEP)
    assert detect_format(v1) == 'v1' and detect_format(v2) == 'v2'
    assert derive_epoch_length(v1, 'v1')[0] == 64
    assert derive_epoch_length(v2, 'v2')[0] == 64
    v2['train_dataloader']['drop_last'] = True
    v2['train_dataloader']['dataset']['num_samples'] = 100
    assert derive_epoch_length(v2, 'v2')[0] == 3
    with pytest.raises(ConfigError, match='mixes'):
        detect_format(dict(lr_config=dict(policy='fixed'), param_scheduler=[]), 'mixed.py')


def test_plot_lr_function_writes_png(tmp_path, capsys):
    out = str(tmp_path / 'x.png')
    assert plot_lr([(V1_MOMENTUM, 'cyc.py')], out=out) == 0
    _assert_png(out)
    assert f'wrote {out}' in capsys.readouterr().out


def test_convert_config_plot(tmp_path):
    from compat.convert.cli import main as convert_main

    out, png = tmp_path / 'step.py', tmp_path / 'conv.png'
    assert convert_main([V1_STEP, str(out), '--plot', str(png), '-q']) == 0
    _assert_png(png)
    assert out.exists()
    assert convert_main([osp.join(ROOT, 'configs_v1'), str(tmp_path / 'tree'), '--plot', str(png)]) == 2


def test_plot_lr_never_imports_torch(tmp_path):
    script = ('import sys\nfrom legacy_runner.cli import main\nrc = main(sys.argv[1:])\n'
              "print('TORCH', 'torch' in sys.modules)\nsys.exit(rc)\n")
    proc = run_cli('plot-lr', V1_STEP, '--compare', V2_STEP, '--out', str(tmp_path / 'a.png'), script=script)
    assert proc.returncode == 0, proc.stderr
    assert 'TORCH False' in proc.stdout


def test_iteration_runs_need_an_epoch_length_only_when_the_schedule_counts_epochs():
    traces, _ = build_traces([(V1_MOMENTUM, 'cyc.py')], None)
    assert traces[0].epoch_length is None
    by_epoch = dict(V1_MOMENTUM, lr_config=dict(policy='step', step=[2], by_epoch=True), momentum_config=None)
    with pytest.raises(ConfigError, match='--epoch-length'):
        build_traces([(by_epoch, 'e.py')], None)
    v2 = dict(optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
              train_cfg=dict(by_epoch=False, max_iters=6),
              param_scheduler=[dict(type='MultiStepLR', milestones=[1], by_epoch=True,
                                    convert_to_iter_based=True)])
    with pytest.raises(ConfigError, match='--epoch-length'):
        build_traces([(v2, 'v2.py')], None)
    (trace, ), _ = build_traces([(v2, 'v2.py')], 2)
    assert trace.values('lr', 0) == v2_trace_lrs(v2, 2)


def v2_trace_lrs(cfg, length):
    return [r['lr'][0] for r in v2_trace(cfg['param_scheduler'], cfg['train_cfg'], length, [0.1], [0.0])]
