"""The convert-config command line: outputs, report, --strict, --verify, bad input, atomic writes,
and that it never imports torch."""
import json
import os
import subprocess
import sys

import pytest
from run_helpers import ROOT
from test_convert_support import same

from compat.convert import Options, convert_dict
from compat.convert.cli import main
from compat.convert.writer import atomic_write, load_text
from legacy_runner.config import Config

STEP = os.path.join(ROOT, 'configs_v1', 'mlp_step_epoch.py')
CLEAN_V1 = """
model = dict(type='MLPClassifier', in_channels=8, num_classes=4)
data = dict(samples_per_gpu=8, workers_per_gpu=0, train=dict(type='ToyClsDataset', num_samples=64))
optimizer = dict(type='SGD', lr=0.1, momentum=0.9)
optimizer_config = dict(grad_clip=dict(max_norm=1.0))
lr_config = dict(policy='step', step=[2], warmup='linear', warmup_iters=5, warmup_ratio=0.1)
runner = dict(type='EpochBasedRunner', max_epochs=3)
checkpoint_config = dict(interval=1)
"""
OVERLAP_V1 = CLEAN_V1.replace("lr_config = dict(policy='step', step=[2],",
                              "lr_config = dict(policy='CosineAnnealing', min_lr_ratio=0.1,")


def write(path, text):
    with open(path, 'w') as f:
        f.write(text)
    return str(path)


def run(argv, capsys):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_single_file_with_report(tmp_path, capsys):
    new, rep = tmp_path / 'out' / 'new.py', tmp_path / 'report.json'
    rc, out, err = run([STEP, new, '--report', rep], capsys)
    assert rc == 0 and err == ''
    assert 'v1 key' in out and 'keys:' in out and f'wrote {new}' in out
    expected = convert_dict(Config.fromfile(STEP).to_dict(), Options(), STEP).v2
    assert same(Config.fromfile(str(new)).to_dict(), expected)
    records = json.loads(rep.read_text())
    assert isinstance(records, list) and records
    for record in records:
        assert list(record)[:5] == ['key', 'status', 'to', 'bound', 'reason']
        assert record['status'] in ('exact', 'approximate', 'carried', 'dropped')
        if record['status'] in ('approximate', 'dropped'):
            # a number, or null with the reason it has none
            assert record['bound'] is not None or record['bound_note'], record
        else:
            assert record['bound'] is None and list(record) == ['key', 'status', 'to', 'bound', 'reason']
    by_key = {r['key']: r for r in records}
    assert by_key['lr_config.warmup_iters']['to'] == 'param_scheduler[0].end'
    assert by_key['workflow']['status'] == 'dropped' and by_key['workflow']['reason']


def test_stdout_and_report_only(tmp_path, capsys):
    rc, out, err = run([STEP, '-', '-q'], capsys)
    assert rc == 0 and out.startswith('# Generated from mlp_step_epoch.py')
    assert same(load_text(out, str(tmp_path / 'x.py')), convert_dict(Config.fromfile(STEP).to_dict()).v2)
    rc, out, _ = run([STEP], capsys)
    assert rc == 0 and 'v1 key' in out and 'wrote' not in out


def test_strict(tmp_path, capsys):
    clean = write(tmp_path / 'clean.py', CLEAN_V1)
    rc, _, err = run([clean, tmp_path / 'clean_v2.py', '--strict', '-q'], capsys)
    assert rc == 0 and err == ''
    rc, _, err = run([STEP, tmp_path / 'step_v2.py', '--strict', '-q'], capsys)
    assert rc == 1 and '--strict' in err
    assert (tmp_path / 'step_v2.py').exists()  # the conversion itself succeeded


def test_verify(tmp_path, capsys):
    clean = write(tmp_path / 'clean.py', CLEAN_V1)
    rc, out, _ = run([clean, '--verify', '--epoch-length', 7, '-q'], capsys)
    assert rc == 0 and 'max relative lr difference' in out and 'OK' in out
    overlap = write(tmp_path / 'overlap.py', OVERLAP_V1)
    rc, out, _ = run([overlap, '--verify', '--epoch-length', 2, '-q'], capsys)
    assert rc == 1 and 'FAILED' in out  # warmup overlapping a cosine floor: approximate
    rc, out, _ = run([overlap, '--verify', '--epoch-length', 2, '--tolerance', 0.5, '-q'], capsys)
    assert rc == 0
    rc, out, _ = run([clean, '--verify', '-q'], capsys)  # no epoch length: several are tried
    assert rc == 0 and 'tried these' in out


def test_cfg_options(tmp_path, capsys):
    clean = write(tmp_path / 'clean.py', CLEAN_V1)
    rc, out, _ = run([clean, '-', '-q', '--cfg-options', 'runner.max_epochs=5'], capsys)
    assert rc == 0 and 'max_epochs=5' in out


BAD = {
    'v2_config': ("optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))\nmodel = dict(type='M')\n",
                  'optim_wrapper'),
    'unknown_policy': (CLEAN_V1 + "lr_config = dict(policy='cosineannealing', min_lr=0)\n",
                       'lr_config.policy'),
    'conflict': (CLEAN_V1 + 'total_epochs = 12\n', 'total_epochs=12'),
    'syntax': ('model = dict(\n', 'cannot load config'),
    'not_v1': ("a = 1\n", 'not a complete v1 training config'),
}


@pytest.mark.parametrize('name', sorted(BAD))
def test_bad_input_one_line_exit_2_and_no_partial_file(tmp_path, capsys, name):
    text, needle = BAD[name]
    old = write(tmp_path / f'{name}.py', text)
    new = tmp_path / 'out' / 'new.py'
    new.parent.mkdir()
    new.write_text('previous content\n')
    rc, out, err = run([old, new, '--report', tmp_path / 'out' / 'r.json'], capsys)
    assert rc == 2
    assert err.count('\n') == 1 and err.startswith('convert-config: error: '), err
    assert needle in err and f'{name}.py' in err
    assert new.read_text() == 'previous content\n'
    assert sorted(os.listdir(new.parent)) == ['new.py']  # no report, no temp file


def test_bad_arguments(tmp_path, capsys):
    rc, _, err = run([tmp_path / 'missing.py', tmp_path / 'x.py'], capsys)
    assert rc == 2 and err.count('\n') == 1 and 'no such file' in err
    rc, _, err = run([STEP, '--epoch-length', 0], capsys)
    assert rc == 2 and err.count('\n') == 1
    with pytest.raises(SystemExit) as info:
        main([STEP, '--bogus'])
    assert info.value.code == 2


def test_atomic_write_leaves_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / 'a.py'
    target.write_text('old\n')

    def boom(src, dst):
        raise OSError('disk full')

    monkeypatch.setattr(os, 'replace', boom)
    with pytest.raises(OSError):
        atomic_write(str(target), 'new\n')
    assert target.read_text() == 'old\n' and os.listdir(tmp_path) == ['a.py']


def test_tree_mode_cli(tmp_path, capsys):
    out_dir, rep = tmp_path / 'v2', tmp_path / 'tree.json'
    rc, out, err = run([os.path.join(ROOT, 'configs_v1'), out_dir, '--report', rep], capsys)
    assert rc == 0 and err == ''
    assert 'mlp_step_epoch.py:' in out and '_base_ fragment' in out
    report = json.loads(rep.read_text())
    assert 'mlp_step_epoch.py' in report and '_base_/default_runtime.py' not in report
    rc, out, _ = run([os.path.join(ROOT, 'configs_v1'), tmp_path / 'v2b', '--verify', '--epoch-length', 64],
                     capsys)
    assert 'max relative lr difference' in out


def test_tree_mode_bad_file_writes_nothing(tmp_path, capsys):
    src = tmp_path / 'src'
    src.mkdir()
    write(src / 'good.py', CLEAN_V1)
    write(src / 'bad.py', CLEAN_V1 + "lr_config = dict(policy='bogus')\n")
    rc, _, err = run([src, tmp_path / 'dst'], capsys)
    assert rc == 2 and err.count('\n') == 1 and 'bad.py' in err
    assert not (tmp_path / 'dst').exists()


def test_tree_output_inside_input_is_refused(tmp_path, capsys):
    src = tmp_path / 'src'
    src.mkdir()
    write(src / 'a.py', CLEAN_V1)
    rc, _, err = run([src, src / 'v2'], capsys)
    assert rc == 2 and 'inside' in err and not (src / 'v2').exists()


def test_several_optimizers_are_not_traced(tmp_path, capsys):
    multi = CLEAN_V1.replace("optimizer = dict(type='SGD', lr=0.1, momentum=0.9)",
                             "optimizer = dict(a=dict(type='SGD', lr=0.1), b=dict(type='SGD', lr=0.2))")
    old = write(tmp_path / 'multi.py', multi)
    rc, _, _ = run([old, '-q'], capsys)
    assert rc == 0
    rc, _, err = run([old, '--verify', '--epoch-length', 3], capsys)
    assert rc == 2 and 'single optimizer' in err


def test_no_torch_and_fast_start(tmp_path):
    out = tmp_path / 'x.py'
    code = ('import sys, time\n'
            't = time.time()\n'
            'import compat.convert.cli as cli\n'
            'elapsed = time.time() - t\n'
            f'rc = cli.main([{STEP!r}, {str(out)!r}, "-q", "--verify", "--epoch-length", "64"])\n'
            'assert rc == 0, rc\n'
            "assert 'torch' not in sys.modules\n"
            'assert elapsed < 1.0, elapsed\n')
    proc = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert out.exists()


def test_python_dash_m(tmp_path):
    proc = subprocess.run([sys.executable, '-m', 'compat.convert', STEP, str(tmp_path / 'y.py'), '-q'],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / 'y.py').exists()


def test_tree_mode_keep_going_skips_bad_files(tmp_path, capsys):
    src = tmp_path / 'src'
    src.mkdir()
    write(src / 'good.py', CLEAN_V1)
    write(src / 'bad.py', CLEAN_V1 + "lr_config = dict(policy='bogus')\n")
    rc, _, err = run([src, tmp_path / 'dst', '--keep-going'], capsys)
    assert rc == 1 and err.count('\n') == 1 and 'bad.py' in err and '--keep-going' in err
    assert (tmp_path / 'dst' / 'good.py').exists() and not (tmp_path / 'dst' / 'bad.py').exists()
