"""Tree mode and configs_v2/: every converted file loads to the conversion of its merged v1 config,
derived files hold only their differences, conversions are byte-identical when repeated, and the
committed configs_v2/ is exactly what the tool generates from configs_v1/."""
import filecmp
import os

import pytest
from run_helpers import ROOT
from test_convert_support import same

from compat.convert import Options, convert_dict
from compat.convert.tree import anchor_filter, convert_tree, find_configs, is_complete, write_tree
from compat.convert.writer import HEADER, format_config
from legacy_runner.config import Config

V1 = os.path.join(ROOT, 'configs_v1')
V2 = os.path.join(ROOT, 'configs_v2')
V1_FILES = find_configs(V1)


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('v2'))
    files = convert_tree(V1)
    write_tree(files, out)
    return out, {f.rel: f for f in files}


def _expected(path):
    merged = Config.fromfile(path).to_dict()
    complete = is_complete(merged)
    v2 = convert_dict(merged, Options(fragment=not complete), path).v2
    return v2 if complete else anchor_filter(v2, merged.keys())


@pytest.mark.parametrize('rel', V1_FILES)
def test_every_file_loads_to_its_conversion(converted, rel):
    out, _ = converted
    loaded = Config.fromfile(os.path.join(out, os.path.splitext(rel)[0] + '.py')).to_dict()
    assert same(loaded, _expected(os.path.join(V1, rel)))


def test_examples_are_full_configs_and_bases_fragments(converted):
    _, files = converted
    assert {r for r, f in files.items() if f.complete} == {r for r in V1_FILES if not r.startswith('_base_/')}
    for rel, f in files.items():
        if f.complete:
            assert f.mode == 'derived', rel  # written as _base_ + differences


def test_derived_files_hold_only_differences(converted):
    out, files = converted
    from compat.convert.tree import own_bases
    for rel, f in files.items():
        if f.mode != 'derived':
            continue
        path = os.path.join(out, f.out_rel)
        bases = own_bases(path)
        assert bases == [os.path.splitext(b)[0] + '.py' for b in own_bases(os.path.join(V1, rel))]
        merged_bases = {}
        for b in bases:
            merged_bases.update(Config.fromfile(os.path.join(os.path.dirname(path), b)).to_dict())
        with open(path) as fh:
            text = fh.read()
        from legacy_runner.config.loader import exec_python_config
        own = exec_python_config(text, path)
        own.pop('_base_')
        for key, value in own.items():
            assert key not in merged_bases or not same(value, merged_bases[key]), (rel, key)


@pytest.mark.parametrize('rel', [r for r in V1_FILES if not r.startswith('_base_/')])
def test_single_file_conversion_is_byte_identical_twice(tmp_path, rel):
    from compat.convert.cli import main
    a, b = tmp_path / 'a.py', tmp_path / 'b.py'
    assert main([os.path.join(V1, rel), str(a), '-q']) == 0
    assert main([os.path.join(V1, rel), str(b), '-q']) == 0
    assert a.read_bytes() == b.read_bytes()


def test_tree_conversion_is_byte_identical_twice():
    first = {f.out_rel: f.text for f in convert_tree(V1)}
    second = {f.out_rel: f.text for f in convert_tree(V1)}
    assert first == second


def test_configs_v2_is_up_to_date(tmp_path):
    """Fails when configs_v1/ or the converter changed: regenerate with
    ``python -m compat.convert configs_v1/ configs_v2/``."""
    write_tree(convert_tree(V1), str(tmp_path))
    fresh = sorted(find_configs(str(tmp_path)))
    assert sorted(find_configs(V2)) == fresh, 'configs_v2/ has missing or extra files'
    match, mismatch, errors = filecmp.cmpfiles(str(tmp_path), V2, fresh, shallow=False)
    assert not mismatch and not errors, f'stale configs_v2 files: {mismatch + errors}'


def test_own_printer_means_what_pretty_text_means(converted, tmp_path):
    # the converter prints without yapf; the result loads to the same values as mmcv's layout
    _, files = converted
    for i, f in enumerate(files.values()):
        if '_base_' in f.target:
            continue
        ours, mmcv = tmp_path / f'ours{i}.py', tmp_path / f'mmcv{i}.py'
        ours.write_text(format_config(f.target))
        mmcv.write_text(Config(f.target).pretty_text)
        assert same(Config.fromfile(str(ours)).to_dict(), Config.fromfile(str(mmcv)).to_dict())


# ----------------------------------------------------------------------------- synthetic trees

FULL = """
model = dict(type='M', depth=50, neck=dict(type='N', out=256))
data = dict(samples_per_gpu=2, workers_per_gpu=0, train=dict(type='D'), val=dict(type='D'))
evaluation = dict(interval=1, metric='acc')
optimizer = dict(type='SGD', lr=0.02, momentum=0.9)
optimizer_config = dict(grad_clip=None)
lr_config = dict(policy='step', step=[8, 11])
runner = dict(type='EpochBasedRunner', max_epochs=12)
checkpoint_config = dict(interval=1)
"""


def _tree(tmp_path, files):
    src = tmp_path / 'src'
    for rel, text in files.items():
        path = src / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return str(src)


def _check(tmp_path, src):
    dst = str(tmp_path / 'dst')
    files = convert_tree(src)
    write_tree(files, dst)
    for f in files:
        loaded = Config.fromfile(os.path.join(dst, f.out_rel)).to_dict()
        assert same(loaded, _expected(os.path.join(src, f.rel)))
    return {f.rel: f for f in files}, dst


def test_delete_and_longer_schedule(tmp_path):
    src = _tree(tmp_path, {
        'base.py': FULL,
        'child.py': "_base_ = './base.py'\nruntime_note = 1\nrunner = dict(max_epochs=24)\n"
                    "model = dict(neck=dict(_delete_=True, type='FPN'))\n",
    })
    files, dst = _check(tmp_path, src)
    assert files['child.py'].mode == 'derived'
    text = open(os.path.join(dst, 'child.py')).read()
    assert '_delete_=True' in text and 'max_epochs=24' in text
    assert 'param_scheduler' not in text  # ends are left to the Runner: nothing else changes


def test_key_that_must_disappear_falls_back_to_standalone(tmp_path):
    src = _tree(tmp_path, {'base.py': FULL, 'child.py': "_base_ = ['base.py']\ndata = dict(val=None)\n"})
    files, dst = _check(tmp_path, src)
    assert files['child.py'].mode == 'standalone'
    assert '_base_' not in open(os.path.join(dst, 'child.py')).read()


def test_yaml_and_json_configs_become_python(tmp_path):
    src = _tree(tmp_path, {
        'base/schedule.json': '{"optimizer": {"type": "SGD", "lr": 0.1}, '
                              '"runner": {"type": "EpochBasedRunner", "max_epochs": 3}, '
                              '"lr_config": {"policy": "fixed"}}',
        'base/model.yaml': 'model:\n  type: M\n',
        'exp.py': "_base_ = ['base/schedule.json', 'base/model.yaml']\ndata = dict(train=dict(type='D'))\n",
    })
    files, dst = _check(tmp_path, src)
    assert sorted(find_configs(dst)) == ['base/model.py', 'base/schedule.py', 'exp.py']
    assert "'base/schedule.py', 'base/model.py'" in open(os.path.join(dst, 'exp.py')).read()


def test_header_names_the_source(converted):
    out, files = converted
    for f in files.values():
        assert f.text.startswith(HEADER.format(source=f.rel))
