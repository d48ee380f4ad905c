"""analyze-logs: the golden v1 .log.json and v2 scalars.json are read (format detected from the
content), their loss values come back in the output and on the figure, and cal-train-time has
mmdet's semantics."""
import json
import os.path as osp
import statistics
import subprocess
import sys

import pytest
from run_helpers import ROOT, subprocess_env
from run_helpers import run_cli as run_main

from legacy_runner.errors import ConfigError
from legacy_runner.tools.log_analysis import collect_curves, curve_figure, load_log, train_time

V1_LOG = osp.join(ROOT, 'tests', 'data', 'mmcv_run', '20260101_000000.log.json')
V2_LOG = osp.join(ROOT, 'tests', 'data', 'mmengine_run', '20261121_172950__vis_data__scalars.json')
NO_MPL = ('import sys\n'
          'class Block:\n'
          '    def find_spec(self, name, path=None, target=None):\n'
          "        if name.split('.')[0] == 'matplotlib':\n"
          "            raise ImportError(name)\n"
          'sys.meta_path.insert(0, Block())\n'
          'from legacy_runner.cli import main\n'
          'sys.exit(main(sys.argv[1:]))\n')


def _records(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def _golden_v1_train():
    return [r for r in _records(V1_LOG) if r.get('mode') == 'train']


def _golden_v2_train():
    return [r for r in _records(V2_LOG) if 'loss' in r]


def run_cli(*args, script=None):
    """The command in-process; with ``script``, ``python -c script ARGS`` in a fresh interpreter
    (for what a new process imports)."""
    if script is None:
        return run_main(*args)
    return subprocess.run([sys.executable, '-c', script, *args], cwd=ROOT, capture_output=True, text=True,
                          env=subprocess_env(MPLBACKEND='Agg', PYTHONWARNINGS='ignore'), timeout=120)


def _parse_points(text):
    """{label: [(x, y), ...]} from the --print output."""
    curves, current = {}, None
    for line in text.splitlines():
        if line.startswith('# '):
            current = line[2:].rsplit(' (', 1)[0]
            curves[current] = []
        elif current is not None and len(line.split()) == 2:
            x, y = line.split()
            curves[current].append((float(x), float(y)))
    return curves


def test_load_v1_log_global_iterations():
    log = load_log(V1_LOG)
    assert log.fmt == 'v1' and log.by_epoch
    golden = _golden_v1_train()
    xs, ys, xlabel = log.curve('loss')
    assert ys == [r['loss'] for r in golden] and xlabel == 'iter'
    assert xs == [r['iter'] + 6 * (r['epoch'] - 1) for r in golden]  # 6 iterations per epoch
    xs, ys, xlabel = log.curve('acc')
    assert ys == [r['acc'] for r in golden]  # the train records win over the val ones


def test_load_v2_scalars():
    log = load_log(V2_LOG)
    assert log.fmt == 'v2' and log.by_epoch
    golden = _golden_v2_train()
    xs, ys, _ = log.curve('loss')
    assert ys == [r['loss'] for r in golden] and xs == [r['iter'] for r in golden]
    xs, ys, xlabel = log.curve('accuracy')
    assert xlabel == 'epoch' and xs == [1, 2, 3] and len(ys) == 3
    with pytest.raises(ConfigError, match="does not contain metric 'acc'"):
        log.curve('acc')


def test_figure_lines_hold_the_golden_losses(tmp_path):
    pytest.importorskip('matplotlib')
    curves = collect_curves([load_log(V1_LOG), load_log(V2_LOG)], ['loss'], ['v1', 'v2'])
    fig = curve_figure(curves, title='loss')
    lines = fig.axes[0].lines
    assert len(lines) == 2
    assert list(lines[0].get_ydata()) == [r['loss'] for r in _golden_v1_train()]
    assert list(lines[1].get_ydata()) == [r['loss'] for r in _golden_v2_train()]
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ['v1', 'v2']
    fig.savefig(tmp_path / 'c.png')
    assert (tmp_path / 'c.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_cli_plot_curve_prints_and_saves(tmp_path):
    pytest.importorskip('matplotlib')
    out = tmp_path / 'fig.png'
    proc = run_cli('analyze-logs', 'plot-curve', V1_LOG, V2_LOG, '--keys', 'loss', 'lr', '--out', str(out),
                   '--print', '--title', 'v1 vs v2')
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    curves = _parse_points(proc.stdout)
    assert len(curves) == 4
    assert [y for _, y in curves[f'{V1_LOG}_loss']] == [r['loss'] for r in _golden_v1_train()]
    assert [y for _, y in curves[f'{V2_LOG}_loss']] == [r['loss'] for r in _golden_v2_train()]
    assert [y for _, y in curves[f'{V2_LOG}_lr']] == [r['lr'] for r in _golden_v2_train()]


def test_cli_mmdet_spelling_and_no_matplotlib(tmp_path):
    proc = run_cli('analyze-logs', 'plot_curve', V2_LOG, '--keys', 'loss', '--out', str(tmp_path / 'x.png'),
                   script=NO_MPL)
    assert proc.returncode == 0, proc.stderr
    assert 'pip install legacy-runner[plot]' in proc.stderr
    (points, ) = _parse_points(proc.stdout).values()
    assert [y for _, y in points] == [r['loss'] for r in _golden_v2_train()]


def test_cli_bad_key_and_legend():
    proc = run_cli('analyze-logs', 'plot-curve', V2_LOG, '--keys', 'acc')
    assert proc.returncode == 2 and 'does not contain metric' in proc.stderr
    with pytest.raises(ConfigError, match='--legend'):
        collect_curves([load_log(V2_LOG)], ['loss'], ['a', 'b'])


def _expected_times(train, include_outliers):
    per_epoch = {}
    for r in train:
        per_epoch.setdefault(r['epoch'], []).append(r['time'])
    if not include_outliers:
        per_epoch = {e: t[1:] for e, t in per_epoch.items()}
    means = {e: statistics.fmean(t) for e, t in per_epoch.items()}
    every = [x for t in per_epoch.values() for x in t]
    return means, statistics.fmean(every)


@pytest.mark.parametrize('include', [False, True])
@pytest.mark.parametrize('path, golden', [(V1_LOG, _golden_v1_train), (V2_LOG, _golden_v2_train)])
def test_train_time(path, golden, include):
    means, overall = _expected_times(golden(), include)
    tt = train_time(load_log(path), include)
    assert tt.epoch_means == pytest.approx(means)
    assert tt.all_mean == pytest.approx(overall)
    assert tt.slowest[0] == max(means, key=means.get)
    assert tt.std == pytest.approx(statistics.pstdev(means.values()))


def test_cli_cal_train_time():
    proc = run_cli('analyze-logs', 'cal-train-time', V1_LOG, V2_LOG)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for path, golden in ((V1_LOG, _golden_v1_train), (V2_LOG, _golden_v2_train)):
        means, overall = _expected_times(golden(), False)
        slow = max(means, key=means.get)
        fast = min(means, key=means.get)
        assert f'Analyze train time of {path}' in out
        assert f'slowest epoch {slow}, average time is {means[slow]:.4f}' in out
        assert f'fastest epoch {fast}, average time is {means[fast]:.4f}' in out
        assert f'average iter time: {overall:.4f} s/iter' in out
    proc = run_cli('analyze-logs', 'cal_train_time', V1_LOG, '--include-outliers')
    assert proc.returncode == 0 and 'time std over epochs is' in proc.stdout


def test_iter_based_v1_log_and_run_dir(tmp_path):
    recs = [{'env_info': 'x'}] + [
        {'mode': 'train', 'epoch': 1 + (it - 1) // 30, 'iter': it, 'loss': 1.0 / it, 'time': 0.1}
        for it in (10, 20, 30, 40, 50)] + [{'mode': 'val', 'epoch': 2, 'iter': 5, 'acc': 0.5}]
    path = tmp_path / '20260101_000000.log.json'
    path.write_text('\n'.join(json.dumps(r) for r in recs) + '\n')
    log = load_log(str(tmp_path))  # a run dir: its *.log.json
    assert not log.by_epoch
    assert log.curve('loss')[0] == [10, 20, 30, 40, 50]
    assert log.curve('acc')[:2] == ([50], [0.5])
    bad = tmp_path / 'bad.json'
    bad.write_text('{"a": 1}\n')
    with pytest.raises(ConfigError, match='neither'):
        load_log(str(bad))
