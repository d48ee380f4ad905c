"""Tests for legacy_runner.config (Config, ConfigDict) and legacy_runner.utils.fileio.

Golden data (tests/data/config_expected.json, tests/data/config_cases/) was recorded from mmcv 1.7.2.
"""
import builtins
import copy
import io
import json
import os
import os.path as osp
import pickle
import re
import subprocess
import sys
import tempfile
import textwrap
import warnings
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

from legacy_runner.config import CircularBaseError, Config, ConfigDict
from legacy_runner.config import pretty as pretty_mod
from legacy_runner.utils import fileio

DATA = Path(__file__).parent / 'data'
CASES_DIR = DATA / 'config_cases'
REPO_ROOT = Path(__file__).resolve().parent.parent
with open(DATA / 'config_expected.json', encoding='utf-8') as _f:
    GOLDEN = json.load(_f)
CASES: List[Dict[str, Any]] = GOLDEN['cases']


def decode(obj: Any) -> Any:
    """Undo the golden encoding: {"__tuple__": [...]} -> tuple."""
    if isinstance(obj, dict):
        if set(obj) == {'__tuple__'}:
            return tuple(decode(x) for x in obj['__tuple__'])
        return {k: decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [decode(x) for x in obj]
    return obj


def assert_strict_equal(actual: Any, expected: Any, path: str = 'cfg', ordered: bool = True) -> None:
    """Equal values *and* types (tuple vs list, int vs float vs bool) and, if ``ordered``, key order."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f'{path}: expected a dict, got {type(actual)}'
        if ordered:
            assert list(actual) == list(expected), f'{path}: keys {list(actual)} != {list(expected)}'
        else:
            assert set(actual) == set(expected), f'{path}: keys {set(actual)} != {set(expected)}'
        for key in expected:
            assert_strict_equal(actual[key], expected[key], f'{path}.{key}', ordered)
    elif isinstance(expected, (list, tuple)):
        assert type(actual) is type(expected), f'{path}: {type(actual)} != {type(expected)}'
        assert len(actual) == len(expected), f'{path}: length {len(actual)} != {len(expected)}'
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_strict_equal(a, e, f'{path}[{i}]', ordered)
    else:
        assert type(actual) is type(expected), f'{path}: {type(actual)} != {type(expected)}'
        assert actual == expected, f'{path}: {actual!r} != {expected!r}'


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding='utf-8')
    return path


def case_id(case: Dict[str, Any]) -> str:
    return case['file']


OPTION_CASES = [(case, i, opt) for case in CASES for i, opt in enumerate(case.get('cfg_options', []))]


# ----------------------------------------------------------------------------------------------------
# golden comparisons
# ----------------------------------------------------------------------------------------------------
def test_golden_has_expected_shape() -> None:
    assert len(CASES) == 5
    assert sum(len(c.get('cfg_options', [])) for c in CASES) == 4


@pytest.mark.parametrize('case', CASES, ids=case_id)
def test_golden_merged_dict(case: Dict[str, Any]) -> None:
    cfg = Config.fromfile(str(CASES_DIR / case['file']))
    assert_strict_equal(cfg.to_dict(), decode(case['merged']))


@pytest.mark.parametrize('case', CASES, ids=case_id)
def test_golden_pretty_text(case: Dict[str, Any]) -> None:
    cfg = Config.fromfile(str(CASES_DIR / case['file']))
    assert cfg.pretty_text == case['pretty_text']


@pytest.mark.parametrize('case,index,option', OPTION_CASES,
                         ids=[f'{c["file"]}-{i}' for c, i, _ in OPTION_CASES])
def test_golden_merge_from_dict(case: Dict[str, Any], index: int, option: Dict[str, Any]) -> None:
    cfg = Config.fromfile(str(CASES_DIR / case['file']))
    cfg.merge_from_dict(decode(option['options']))
    assert_strict_equal(cfg.to_dict(), decode(option['merged']))


@pytest.mark.parametrize('case', CASES, ids=case_id)
def test_golden_pretty_text_reloads_to_same_dict(case: Dict[str, Any]) -> None:
    cfg = Config.fromfile(str(CASES_DIR / case['file']))
    again = Config.fromstring(cfg.pretty_text, '.py')
    assert_strict_equal(again.to_dict(), cfg.to_dict())


def test_golden_merged_values_are_config_dicts() -> None:
    cfg = Config.fromfile(str(CASES_DIR / 'tree_a/sub/tiny_b32_cos_warm.py'))
    assert isinstance(cfg.model, ConfigDict)
    assert isinstance(cfg.data.train.pipeline[0], ConfigDict)
    assert cfg.data.train.pipeline[0].type == 'RandomCrop'
    assert cfg.workflow == [('train', 1), ('val', 1)]
    assert cfg.model.head.topk == (1, )


def test_filename_is_kept_as_given_and_text_concatenates_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CASES_DIR)
    rel = 'tree_a/sub/tiny_b32_cos_warm.py'
    cfg = Config.fromfile(rel)
    assert cfg.filename == rel  # relative stays relative (mmcv)
    root = CASES_DIR / 'tree_a'
    chain = [root / '_base_/models/tiny_cls.py', root / '_base_/datasets/toy.py',
             root / '_base_/schedules/sgd_step.py', root / '_base_/default_runtime.py',
             root / 'tiny_b16_toy.py', root / 'sub/tiny_b32_cos_warm.py']
    expected = '\n'.join(f'{p}\n{p.read_text(encoding="utf-8")}' for p in chain)
    assert cfg.text == expected
    assert Config.fromfile(Path(rel)).filename == rel  # Path -> str


def test_text_of_file_without_base() -> None:
    path = CASES_DIR / 'tree_a/_base_/default_runtime.py'
    cfg = Config.fromfile(str(path))
    assert cfg.text == f'{path}\n' + path.read_text(encoding='utf-8')


# ----------------------------------------------------------------------------------------------------
# file formats, _base_ and substitutions
# ----------------------------------------------------------------------------------------------------
def test_base_as_str_list_relative_nested_and_mixed_formats(tmp_path: Path) -> None:
    write(tmp_path / 'bases/a.yaml', """\
        a: 1
        shared:
          from_a: [1, 2]
        """)
    write(tmp_path / 'bases/b.json', '{"b": {"x": 1}, "_base_": "./c.py"}')
    write(tmp_path / 'bases/c.py', "c = (1, 2)\nb_extra = dict(k='v')\n")
    write(tmp_path / 'configs/mid.py', "_base_ = ['../bases/a.yaml', '../bases/b.json']\nmid = True\n")
    write(tmp_path / 'configs/leaf.yml', '_base_: ./mid.py\nb:\n  y: 2\na: 3\n')
    cfg = Config.fromfile(str(tmp_path / 'configs/leaf.yml'))
    assert_strict_equal(cfg.to_dict(), {
        'a': 3, 'shared': {'from_a': [1, 2]}, 'c': (1, 2), 'b_extra': {'k': 'v'},
        'b': {'x': 1, 'y': 2}, 'mid': True})


def test_child_keys_come_after_base_keys(tmp_path: Path) -> None:
    write(tmp_path / 'base.py', 'b = 1\na = 2\n')
    write(tmp_path / 'child.py', "_base_ = 'base.py'\nz = 0\na = 3\n")
    assert list(Config.fromfile(str(tmp_path / 'child.py')).keys()) == ['b', 'a', 'z']


def test_delete_replaces_inherited_dict(tmp_path: Path) -> None:
    write(tmp_path / 'base.py',
          "opt = dict(type='SGD', lr=0.1, momentum=0.9)\nnested = dict(a=dict(x=1, y=2))\n")
    write(tmp_path / 'child.py', """\
        _base_ = './base.py'
        opt = dict(_delete_=True, type='Adam', lr=0.001)
        nested = dict(a=dict(_delete_=True, z=3))
        """)
    cfg = Config.fromfile(str(tmp_path / 'child.py'))
    assert_strict_equal(cfg.to_dict(), {'opt': {'type': 'Adam', 'lr': 0.001}, 'nested': {'a': {'z': 3}}})


def test_delete_key_stays_when_base_lacks_the_key(tmp_path: Path) -> None:
    write(tmp_path / 'base.py', 'a = 1\n')
    write(tmp_path / 'child.py', "_base_ = './base.py'\nnew = dict(_delete_=True, k=1)\n")
    cfg = Config.fromfile(str(tmp_path / 'child.py'))
    assert cfg.new.to_dict() == {'_delete_': True, 'k': 1}  # mmcv quirk, replicated
    assert '_delete_=True' in cfg.pretty_text


def test_predefined_variables_are_evaluated_per_file(tmp_path: Path) -> None:
    write(tmp_path / 'dir_a/base_cfg.py', """\
        base_name = '{{ fileBasenameNoExtension }}'
        base_dir = '{{fileDirname}}'
        """)
    write(tmp_path / 'dir_b/child.yaml', """\
        _base_: ../dir_a/base_cfg.py
        name: '{{ fileBasename }}'
        stem: '{{ fileBasenameNoExtension }}'
        ext: '{{ fileExtname }}'
        work_dir: './work_dirs/{{ fileBasenameNoExtension }}'
        """)
    cfg = Config.fromfile(str(tmp_path / 'dir_b/child.yaml'))
    assert cfg.base_name == 'base_cfg'
    assert cfg.base_dir == str(tmp_path / 'dir_a').replace('\\', '/')
    assert (cfg.name, cfg.stem, cfg.ext) == ('child.yaml', 'child', '.yaml')
    assert cfg.work_dir == './work_dirs/child'


def test_predefined_variables_can_be_disabled(tmp_path: Path) -> None:
    write(tmp_path / 'c.json', '{"name": "{{ fileBasename }}"}')
    assert Config.fromfile(str(tmp_path / 'c.json'), use_predefined_variables=False).name == \
        '{{ fileBasename }}'
    assert Config.fromfile(str(tmp_path / 'c.json')).name == 'c.json'


def test_base_references_whole_values_lists_dicts_tuples(tmp_path: Path) -> None:
    write(tmp_path / 'base.py', """\
        lr = 0.1
        model = dict(depth=50, head=dict(num_classes=10))
        runner = dict(max_epochs=12)
        """)
    write(tmp_path / 'child.py', """\
        _base_ = './base.py'
        head_copy = {{_base_.model.head}}
        epochs = {{ _base_.runner.max_epochs }}
        in_list = [{{_base_.lr}}, 2]
        in_dict = dict(k={{_base_.model.depth}}, nested=dict(v={{_base_.lr}}))
        in_tuple = ({{_base_.lr}}, 1)
        in_list_of_dicts = [dict(n={{_base_.model.head.num_classes}})]
        """)
    cfg = Config.fromfile(str(tmp_path / 'child.py'))
    assert cfg.head_copy.to_dict() == {'num_classes': 10}
    assert cfg.epochs == 12
    assert cfg.in_list == [0.1, 2]
    assert cfg.in_dict.to_dict() == {'k': 50, 'nested': {'v': 0.1}}
    assert_strict_equal(cfg.in_tuple, (0.1, 1))
    assert cfg.in_list_of_dicts[0].n == 10


def test_base_references_in_yaml_and_json(tmp_path: Path) -> None:
    write(tmp_path / 'base.py', 'runner = dict(max_epochs=7)\nsteps = [3, 5]\n')
    write(tmp_path / 'child.yaml',
          '_base_: base.py\nepochs: {{_base_.runner.max_epochs}}\ns: {{_base_.steps}}\n')
    write(tmp_path / 'child.json', '{"_base_": "base.py", "epochs": {{_base_.runner.max_epochs}}}')
    assert Config.fromfile(str(tmp_path / 'child.yaml')).epochs == 7
    assert Config.fromfile(str(tmp_path / 'child.yaml')).s == [3, 5]
    assert Config.fromfile(str(tmp_path / 'child.json')).epochs == 7


def test_base_reference_inside_a_longer_string_gives_the_placeholder(tmp_path: Path) -> None:
    # mmcv 1.x quirk (spec section 7 #18): only whole values are substituted
    write(tmp_path / 'base.py', 'lr = 0.1\n')
    write(tmp_path / 'child.py', "_base_ = './base.py'\nname = 'prefix_{{_base_.lr}}'\n")
    cfg = Config.fromfile(str(tmp_path / 'child.py'))
    assert re.fullmatch(r'prefix_"_lr_[0-9a-f]{6}"', cfg.name), cfg.name


def test_base_reference_to_missing_key_names_reference_and_file(tmp_path: Path) -> None:
    write(tmp_path / 'base.py', 'runner = dict(max_epochs=7)\n')
    child = write(tmp_path / 'child.py', "_base_ = './base.py'\nx = {{_base_.runner.max_iters}}\n")
    with pytest.raises(KeyError) as info:
        Config.fromfile(str(child))
    msg = str(info.value)
    assert '{{_base_.runner.max_iters}}' in msg and str(child) in msg and 'max_iters' in msg


def test_duplicate_keys_among_bases(tmp_path: Path) -> None:
    write(tmp_path / 'a.py', 'x = 1\ny = 2\n')
    write(tmp_path / 'b.py', 'x = 3\n')
    write(tmp_path / 'child.py', "_base_ = ['a.py', 'b.py']\n")
    with pytest.raises(KeyError) as info:
        Config.fromfile(str(tmp_path / 'child.py'))
    assert info.value.args[0] == "Duplicate key is not allowed among bases. Duplicate keys: {'x'}"


def test_python_config_name_filtering(tmp_path: Path) -> None:
    write(tmp_path / 'c.py', """\
        import os
        import os.path as osp
        from math import floor, sqrt
        def helper():
            return 1
        lam = lambda: 2
        class Marker:
            pass
        _private = 1
        __dunder__ = 2
        squares = [i * i for i in range(3)]
        value = helper() + lam() + floor(1.5)
        root = osp.join('a', 'b')
        """)
    cfg = Config.fromfile(str(tmp_path / 'c.py'))
    assert set(cfg.keys()) == {'floor', 'sqrt', 'Marker', '_private', 'squares', 'value', 'root'}
    assert cfg.squares == [0, 1, 4] and cfg.value == 4 and cfg.root == osp.join('a', 'b')


def test_fromfile_inside_a_config(tmp_path: Path) -> None:
    write(tmp_path / 'other.py', 'inner = dict(a=1)\n')
    write(tmp_path / 'c.py', """\
        from legacy_runner.config import Config
        _other = Config.fromfile('{{ fileDirname }}/other.py')
        item = _other.inner.a + 1
        """)
    cfg = Config.fromfile(str(tmp_path / 'c.py'))
    assert cfg.item == 2


def test_runtime_error_in_config_points_at_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / 'c.py', 'a = 1\nb = undefined_name\n')
    with pytest.raises(NameError) as info:
        Config.fromfile(str(path))
    frames = [(f.filename, f.lineno) for f in __import__('traceback').extract_tb(info.tb)]
    assert (str(path), 2) in frames


def test_custom_imports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / 'mods/lr_custom_mod_ok.py', 'import sys\nsys._lr_custom_marker = 42\n')
    monkeypatch.syspath_prepend(str(tmp_path / 'mods'))
    monkeypatch.delitem(sys.modules, 'lr_custom_mod_ok', raising=False)
    write(tmp_path / 'c.py',
          "custom_imports = dict(imports=['lr_custom_mod_ok'], allow_failed_imports=False)\n")
    try:
        cfg = Config.fromfile(str(tmp_path / 'c.py'), import_custom_modules=False)
        assert 'lr_custom_mod_ok' not in sys.modules
        cfg = Config.fromfile(str(tmp_path / 'c.py'))
        assert sys.modules['lr_custom_mod_ok'] is not None
        assert sys._lr_custom_marker == 42  # type: ignore[attr-defined]
        assert cfg.custom_imports.imports == ['lr_custom_mod_ok']
    finally:
        sys.modules.pop('lr_custom_mod_ok', None)
        if hasattr(sys, '_lr_custom_marker'):
            del sys._lr_custom_marker  # type: ignore[attr-defined]


def test_custom_imports_failures(tmp_path: Path) -> None:
    bad = write(tmp_path / 'bad.py', "custom_imports = dict(imports=['lr_no_such_module_xyz'])\n")
    with pytest.raises(ImportError) as info:
        Config.fromfile(str(bad))
    assert 'lr_no_such_module_xyz' in str(info.value) and str(bad) in str(info.value)
    allowed = write(tmp_path / 'ok.py', "custom_imports = dict(imports='lr_no_such_module_xyz', "
                                         'allow_failed_imports=True)\n')
    with pytest.warns(UserWarning, match='lr_no_such_module_xyz'):
        Config.fromfile(str(allowed))


def test_deprecation_warning(tmp_path: Path) -> None:
    path = write(tmp_path / 'old.py', """\
        _deprecation_ = dict(expected='new.py', reference='https://example.com/x')
        a = 1
        """)
    with pytest.warns(DeprecationWarning) as record:
        cfg = Config.fromfile(str(path))
    assert str(record[0].message) == (
        f'The config file {path} will be deprecated in the future. Please use new.py instead. '
        'More information can be found at https://example.com/x')
    assert '_deprecation_' not in cfg
    bare = write(tmp_path / 'bare.py', '_deprecation_ = dict()\n')
    with pytest.warns(DeprecationWarning, match=r'will be deprecated in the future\.$'):
        Config.fromfile(str(bare))


# ----------------------------------------------------------------------------------------------------
# error paths
# ----------------------------------------------------------------------------------------------------
def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / 'nope.py'
    with pytest.raises(FileNotFoundError, match=re.escape(f'file "{missing}" does not exist')):
        Config.fromfile(str(missing))


def test_missing_base_names_missing_path_and_referrer(tmp_path: Path) -> None:
    child = write(tmp_path / 'sub/child.py', "_base_ = ['../base_missing.py']\n")
    with pytest.raises(FileNotFoundError) as info:
        Config.fromfile(str(child))
    msg = str(info.value)
    assert f'file "{tmp_path / "base_missing.py"}" does not exist' in msg
    assert str(child) in msg and '../base_missing.py' in msg


def test_circular_base_chain_is_detected(tmp_path: Path) -> None:
    a = write(tmp_path / 'a.py', "_base_ = './b.yaml'\nx = 1\n")
    b = write(tmp_path / 'b.yaml', '_base_: ./sub/../a.py\ny: 2\n')
    with pytest.raises(CircularBaseError) as info:
        Config.fromfile(str(a))
    assert str(info.value) == f'Circular _base_ inheritance: {a} -> {b} -> {a}'
    assert isinstance(info.value, RecursionError)
    me = write(tmp_path / 'self.py', "_base_ = 'self.py'\n")
    with pytest.raises(CircularBaseError, match='self.py -> .*self.py'):
        Config.fromfile(str(me))


def test_diamond_is_not_a_cycle(tmp_path: Path) -> None:
    write(tmp_path / 'root.py', 'r = 1\n')
    write(tmp_path / 'left.py', "_base_ = 'root.py'\nl = 1\n")
    write(tmp_path / 'right.py', "_base_ = 'root.py'\nrr = 1\n")
    write(tmp_path / 'child.py', "_base_ = ['left.py', 'right.py']\n")
    # not a cycle, but both sides bring 'r': mmcv's duplicate-key rule applies
    with pytest.raises(KeyError, match='Duplicate key'):
        Config.fromfile(str(tmp_path / 'child.py'))


def test_child_dict_over_non_dict_base_names_the_key(tmp_path: Path) -> None:
    write(tmp_path / 'base.py', 'item = 1\n')
    write(tmp_path / 'child.py', "_base_ = 'base.py'\nitem = dict(a=1)\n")
    with pytest.raises(TypeError) as info:
        Config.fromfile(str(tmp_path / 'child.py'))
    assert str(info.value) == (
        "item={'a': 1} in child config cannot inherit from base because item is a dict in the "
        "child config but is of type <class 'int'> in base config. You may set `_delete_=True` "
        'to ignore the base config.')
    write(tmp_path / 'fixed.py', "_base_ = 'base.py'\nitem = dict(_delete_=True, a=1)\n")
    assert Config.fromfile(str(tmp_path / 'fixed.py')).item.to_dict() == {'a': 1}


def test_unsupported_extension(tmp_path: Path) -> None:
    path = write(tmp_path / 'c.txt', 'a = 1\n')
    with pytest.raises(OSError, match=r'^Only py/yml/yaml/json type are supported now!') as info:
        Config.fromfile(str(path))
    assert str(path) in str(info.value)
    child = write(tmp_path / 'child.py', "_base_ = 'c.txt'\n")
    with pytest.raises(OSError, match='c.txt'):
        Config.fromfile(str(child))


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / 'broken.py', 'a = 1\nb = dict()\nc = = 3\n')
    with pytest.raises(SyntaxError) as info:
        Config.fromfile(str(path))
    msg = str(info.value)
    assert msg.startswith(f'There are syntax errors in config file {path}: ')
    assert 'line 3' in msg
    assert isinstance(info.value.__cause__, SyntaxError) and info.value.__cause__.lineno == 3
    base_user = write(tmp_path / 'user.py', "_base_ = 'broken.py'\n")
    with pytest.raises(SyntaxError, match=re.escape(str(path))):
        Config.fromfile(str(base_user))


def test_yaml_top_level_must_be_mapping(tmp_path: Path) -> None:
    path = write(tmp_path / 'list.yaml', '- 1\n- 2\n')
    with pytest.raises(TypeError, match=re.escape(str(path))):
        Config.fromfile(str(path))
    assert len(Config.fromfile(str(write(tmp_path / 'empty.yaml', '')))) == 0


# ----------------------------------------------------------------------------------------------------
# no temp files, no sys.modules / sys.path pollution, no torch
# ----------------------------------------------------------------------------------------------------
def test_loading_writes_no_files_and_leaves_sys_modules_alone(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    files = [str(CASES_DIR / c['file']) for c in CASES]
    for f in files:  # warm up: lazy imports of yaml/json handlers happen once
        Config.fromfile(f)
    Config.fromstring('a = 1\n', '.py')

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError('config loading must not create temporary files')

    for name in ('NamedTemporaryFile', 'TemporaryDirectory', 'mkstemp', 'mkdtemp', 'gettempdir',
                 'TemporaryFile', 'SpooledTemporaryFile'):
        monkeypatch.setattr(tempfile, name, refuse)
    real_open = builtins.open
    write_modes: List[str] = []

    def watching_open(file: Any, mode: str = 'r', *args: Any, **kwargs: Any) -> Any:
        if any(c in mode for c in 'wax+'):
            write_modes.append(f'{file}:{mode}')
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, 'open', watching_open)
    modules_before = set(sys.modules)
    path_before = list(sys.path)
    for f in files:
        Config.fromfile(f)
    Config.fromstring("_base_ = '%s'\nb = 2\n" % files[0], '.py')
    Config.fromstring('{"a": 1}', '.json')
    Config.fromstring('a: 1\n', '.yaml')
    assert write_modes == []
    assert set(sys.modules) == modules_before
    assert sys.path == path_before


def _run_python(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env['PYTHONPATH'] = str(REPO_ROOT) + os.pathsep + env.get('PYTHONPATH', '')
    return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env,
                          cwd=str(REPO_ROOT), timeout=120)


def test_import_does_not_import_torch_or_heavy_modules() -> None:
    code = ("import legacy_runner.config, sys\n"
            "heavy = [m for m in ('torch', 'numpy', 'yapf', 'yaml', 'addict', 'mmcv') if m in sys.modules]\n"
            "assert not heavy, heavy\n"
            "from legacy_runner.config import Config\n"
            "Config.fromfile('tests/data/config_cases/tree_a/sub/tiny_b32_cos_warm.py').pretty_text\n"
            "assert 'torch' not in sys.modules\n")
    proc = _run_python(code)
    assert proc.returncode == 0, proc.stderr


def test_top_level_package_exposes_config_lazily() -> None:
    proc = _run_python("import legacy_runner, sys\n"
                       "from legacy_runner import Config, ConfigDict, DictAction\n"
                       "import legacy_runner.config as c\n"
                       "assert (Config, ConfigDict, DictAction) == (c.Config, c.ConfigDict, c.DictAction)\n"
                       "assert 'torch' not in sys.modules\n")
    assert proc.returncode == 0, proc.stderr


# ----------------------------------------------------------------------------------------------------
# fromstring
# ----------------------------------------------------------------------------------------------------
def test_fromstring_formats() -> None:
    py = Config.fromstring("a = 1\nb = dict(c=(1, 2))\nname = '{{ fileExtname }}'\n", '.py')
    assert_strict_equal(py.to_dict(), {'a': 1, 'b': {'c': (1, 2)}, 'name': '.py'})
    assert py.filename.endswith('.py')
    assert Config.fromstring('{"a": [1, 2]}', '.json').a == [1, 2]
    assert Config.fromstring('a:\n  b: 2\n', '.yml').a.b == 2
    assert Config.fromstring('a: 1', '.yaml').dump().strip() == 'a: 1'
    with pytest.raises(OSError, match='Only py/yml/yaml/json type are supported now!'):
        Config.fromstring('a = 1', '.txt')
    with pytest.warns(UserWarning, match='the file format may be .py'):
        Config.fromstring('{"a": "dict(x=1)"}', '.json')


def test_fromstring_resolves_relative_base_against_cwd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CASES_DIR / 'tree_a')
    cfg = Config.fromstring("_base_ = 'tiny_b16_toy.py'\noptimizer = dict(lr=0.5)\n", '.py')
    assert cfg.optimizer.lr == 0.5 and cfg.optimizer.type == 'SGD'


def test_fromstring_syntax_error_has_line() -> None:
    with pytest.raises(SyntaxError, match='line 2'):
        Config.fromstring('a = 1\nb = (\n', '.py')


# ----------------------------------------------------------------------------------------------------
# merge_from_dict
# ----------------------------------------------------------------------------------------------------
def _pipeline_cfg() -> Config:
    return Config(dict(model=dict(depth=50), data=dict(train=dict(
        pipeline=[dict(type='Load'), dict(type='Resize', scale=(1, 1))]))))


def test_merge_from_dict_dotted_keys_and_list_indices() -> None:
    cfg = _pipeline_cfg()
    cfg.merge_from_dict({'model.depth': 18, 'data.train.pipeline.1.scale': (2, 2),
                         'data.train.pipeline.0': dict(extra=True), 'new.key': 3})
    assert_strict_equal(cfg.to_dict(), {
        'model': {'depth': 18},
        'data': {'train': {'pipeline': [{'type': 'Load', 'extra': True},
                                        {'type': 'Resize', 'scale': (2, 2)}]}},
        'new': {'key': 3}})
    assert isinstance(cfg.new, ConfigDict)


def test_merge_from_dict_list_key_errors() -> None:
    cfg = _pipeline_cfg()
    with pytest.raises(KeyError, match='Index 5 exceeds the length of list'):
        cfg.merge_from_dict({'data.train.pipeline.5.type': 'X'})
    with pytest.raises(TypeError):
        cfg.merge_from_dict({'data.train.pipeline.name': 'X'})
    with pytest.raises(TypeError, match='pipeline'):
        cfg.merge_from_dict({'data.train.pipeline.0.type': 'X'}, allow_list_keys=False)


def test_merge_from_dict_does_not_alias_the_old_dict() -> None:
    cfg = _pipeline_cfg()
    old = cfg._cfg_dict
    cfg.merge_from_dict({'model.depth': 1})
    assert old.model.depth == 50 and cfg.model.depth == 1


def test_merge_a_into_b_examples() -> None:
    assert Config._merge_a_into_b(dict(obj=dict(a=2)), dict(obj=dict(a=1))) == {'obj': {'a': 2}}
    assert Config._merge_a_into_b(dict(obj=dict(_delete_=True, a=2)),
                                  dict(obj=dict(a=1, b=1))) == {'obj': {'a': 2}}
    assert Config._merge_a_into_b({'0': dict(a=2)}, [dict(a=1), dict(b=2)], True) == \
        [{'a': 2}, {'b': 2}]


# ----------------------------------------------------------------------------------------------------
# Config access, construction, copies, dump
# ----------------------------------------------------------------------------------------------------
def test_construct_and_reserved_keys() -> None:
    assert len(Config()) == 0 and Config().text == '' and Config().filename is None
    with pytest.raises(TypeError, match="cfg_dict must be a dict, but got <class 'list'>"):
        Config([1])  # type: ignore[arg-type]
    for key in ('filename', 'text', 'pretty_text'):
        with pytest.raises(KeyError, match=f'{key} is reserved for config file'):
            Config({key: 1})
    assert Config(dict(a=1), filename=Path('x.py'), cfg_text='t').filename == 'x.py'


def test_reserved_key_in_file(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match='filename is reserved'):
        Config.fromfile(str(write(tmp_path / 'c.py', "filename = 'x'\n")))


def test_text_read_from_filename_when_no_text(tmp_path: Path) -> None:
    path = write(tmp_path / 'c.py', 'a = 1\n')
    assert Config(dict(a=1), filename=str(path)).text == 'a = 1\n'


def test_attribute_and_item_access() -> None:
    cfg = Config(dict(a=1, b=dict(c=[dict(d=2)], e=(dict(f=3), 4))))
    assert cfg.a == 1 and cfg['a'] == 1 and cfg.get('a') == 1 and cfg.get('zz', 5) == 5
    assert cfg.b.c[0].d == 2 and cfg.b.e[0].f == 3
    assert isinstance(cfg.b.e, tuple) and isinstance(cfg.b.e[0], ConfigDict)
    assert 'a' in cfg and 'zz' not in cfg and len(cfg) == 2 and list(cfg) == ['a', 'b']
    assert dict(cfg.items())['a'] == 1 and list(cfg.keys()) == ['a', 'b']
    with pytest.raises(AttributeError) as info:
        _ = cfg.missing
    assert str(info.value) == "'ConfigDict' object has no attribute 'missing'"
    with pytest.raises(KeyError) as kinfo:
        cfg['missing']
    assert kinfo.value.args == ('missing', )
    with pytest.raises(AttributeError, match="'ConfigDict' object has no attribute 'nope'"):
        _ = cfg.b.nope


def test_setattr_setitem_wrap_dicts_and_no_autovivification() -> None:
    cfg = Config(dict(a=1))
    cfg.x = dict(y=dict(z=1))
    cfg['w'] = dict(v=2)
    assert isinstance(cfg.x, ConfigDict) and isinstance(cfg.x.y, ConfigDict) and cfg.w.v == 2
    with pytest.raises(AttributeError):
        cfg.missing.child = 1
    cd = ConfigDict()
    with pytest.raises(AttributeError):
        cd.a.b = 1
    assert cd == {}
    cfg.update(dict(x=dict(y=dict(q=2))))  # addict-style recursive update
    assert cfg.x.to_dict() == {'y': {'z': 1, 'q': 2}}
    assert cfg.pop('w') == {'v': 2} and 'w' not in cfg


def test_repr() -> None:
    assert repr(Config(dict(a=1), filename='f.py', cfg_text='x')) == "Config (path: f.py): {'a': 1}"
    assert repr(Config(dict(a=(1, 2)))) == "Config (path: None): {'a': (1, 2)}"


def test_pickle_copy_deepcopy() -> None:
    cfg = Config.fromfile(str(CASES_DIR / CASES[1]['file']))
    for other in (pickle.loads(pickle.dumps(cfg)), pickle.loads(pickle.dumps(cfg, protocol=2)),
                  copy.copy(cfg), copy.deepcopy(cfg)):
        assert isinstance(other, Config)
        assert other.filename == cfg.filename and other.text == cfg.text
        assert_strict_equal(other.to_dict(), cfg.to_dict())
        assert isinstance(other._cfg_dict, ConfigDict) and isinstance(other.model, ConfigDict)
        assert other.pretty_text == cfg.pretty_text
    shallow, deep = copy.copy(cfg), copy.deepcopy(cfg)
    assert shallow._cfg_dict is cfg._cfg_dict
    deep.model.head.num_classes = -1
    assert cfg.model.head.num_classes == 100


def test_dump_round_trips(tmp_path: Path) -> None:
    cfg = Config.fromfile(str(CASES_DIR / 'tree_a/sub/tiny_iter_fp16.py'))
    assert cfg.dump() == cfg.pretty_text
    for ext in ('py', 'yaml', 'yml', 'json'):
        out = tmp_path / f'dumped.{ext}'
        assert cfg.dump(str(out)) is None
        again = Config.fromfile(str(out))
        if ext == 'json':  # json has no tuples
            assert json.loads(json.dumps(again.to_dict())) == json.loads(json.dumps(cfg.to_dict()))
        else:  # yaml sorts keys on dump (PyYAML default, as in mmcv)
            assert_strict_equal(again.to_dict(), cfg.to_dict(), ordered=ext == 'py')
    cfg.dump(tmp_path / 'as_path.py')  # a Path works too
    assert (tmp_path / 'as_path.py').read_text(encoding='utf-8') == cfg.pretty_text


def test_dump_without_file_follows_the_filename_format() -> None:
    cfg = Config.fromfile(str(CASES_DIR / 'tree_a/sub/tiny_json_child.json'))
    assert json.loads(cfg.dump())['log_level'] == 'DEBUG'
    ycfg = Config.fromfile(str(CASES_DIR / 'tree_a/sub/tiny_yaml_child.yaml'))
    text = ycfg.dump()
    assert 'max_epochs: 100' in text and '!!python/tuple' in text
    assert_strict_equal(fileio.load(io.StringIO(text), file_format='yaml'), ycfg.to_dict(), ordered=False)
    assert Config(dict(a=1)).dump() == 'a = 1\n'


# ----------------------------------------------------------------------------------------------------
# pretty_text details
# ----------------------------------------------------------------------------------------------------
def test_pretty_text_mapping_form_and_strings() -> None:
    cfg = Config(dict(item=dict({'a-b': 1, 2: 'c', 'ok': [dict(x=1)]}), quoted='say "hi"',
                      tricky="it's", lst=[dict(a=1), dict(b=dict(c=2))], empty=[], tup=(1, )))
    text = cfg.pretty_text
    assert "item = dict({'a-b': 1, 2: 'c', 'ok': [dict(x=1)]})" in text
    assert "quoted = 'say \"hi\"'" in text  # no escaping needed, same bytes as mmcv
    assert 'tup = (1, )' in text
    again = Config.fromstring(text, '.py').to_dict()
    assert_strict_equal(again, cfg.to_dict())


def test_pretty_text_keyword_keys_use_mapping_form() -> None:
    cfg = Config(dict(d={'class': 1, 'ok': 2}))
    assert Config.fromstring(cfg.pretty_text, '.py').d.to_dict() == {'class': 1, 'ok': 2}


def test_pretty_text_unformattable_value_raises_syntax_error() -> None:
    with pytest.raises(SyntaxError, match='Failed to format the config file'):
        _ = Config(dict(obj=object())).pretty_text


def test_yapf_with_and_without_verify_parameter(monkeypatch: pytest.MonkeyPatch) -> None:
    import yapf.yapflib.yapf_api as yapf_api

    import legacy_runner.config.pretty as pretty_mod
    real = yapf_api.FormatCode
    calls: List[Dict[str, Any]] = []

    def old_style(unformatted_source: str, filename: str = '<unknown>', style_config: Any = None,
                  lines: Any = None, print_diff: bool = False, verify: bool = False) -> Any:
        calls.append({'verify': verify})
        return real(unformatted_source, style_config=style_config)

    def new_style(unformatted_source: str, filename: str = '<unknown>', style_config: Any = None,
                  lines: Any = None, print_diff: bool = False) -> Any:
        calls.append({})
        return real(unformatted_source, style_config=style_config)

    def lying(unformatted_source: str, style_config: Any = None, verify: bool = False) -> Any:
        # signature says ``verify`` but the call refuses it: the TypeError fallback must retry
        if verify:
            calls.append({'refused': True})
            raise TypeError("FormatCode() got an unexpected keyword argument 'verify'")
        calls.append({'retried': True})
        return real(unformatted_source, style_config=style_config)

    cfg = Config.fromfile(str(CASES_DIR / CASES[0]['file']))
    for fake, expected_calls in ((old_style, [{'verify': True}]), (new_style, [{}]),
                                 (lying, [{'refused': True}, {'retried': True}])):
        calls.clear()
        pretty_mod._yapf_format.cache_clear()  # memoised per source: a fresh format each time here
        monkeypatch.setattr(yapf_api, 'FormatCode', fake)
        assert cfg.pretty_text == CASES[0]['pretty_text']
        assert calls == expected_calls
        assert cfg.pretty_text == CASES[0]['pretty_text'] and calls == expected_calls  # memoised


def test_layout_matches_mmcv_structure() -> None:
    src = pretty_mod.layout({'a': 1, 'b': {'c': [dict(d=1), dict(e='x')]}, 'f': [1, 'g']})
    assert src == ("a=1\n"
                   "b=dict(\n"
                   "    c=[\n"
                   "        dict(d=1),\n"
                   "        dict(e='x')])\n"
                   "f=[1, 'g']")


# ----------------------------------------------------------------------------------------------------
# ConfigDict
# ----------------------------------------------------------------------------------------------------
def test_config_dict_conversion_and_to_dict() -> None:
    cd = ConfigDict(dict(a=[dict(b=1), (dict(c=2), [dict(d=3)])], e=dict(f=dict(g=1))), h=dict(i=1))
    assert isinstance(cd.a[0], ConfigDict) and isinstance(cd.a[1], tuple)
    assert isinstance(cd.a[1][0], ConfigDict) and isinstance(cd.a[1][1][0], ConfigDict)
    assert isinstance(cd.e.f, ConfigDict) and cd.h.i == 1
    plain = cd.to_dict()
    assert_strict_equal(plain, {'a': [{'b': 1}, ({'c': 2}, [{'d': 3}])], 'e': {'f': {'g': 1}},
                                'h': {'i': 1}})
    assert type(plain['e']) is dict and type(plain['a'][1][1][0]) is dict
    assert ConfigDict([('k', 1)]) == {'k': 1} and ConfigDict(('k', 1)) == {'k': 1}


def test_config_dict_setattr_rules() -> None:
    cd = ConfigDict()
    cd.x = {'plain': 1}
    assert type(cd.x) is dict  # assignment stores the value unchanged (addict behaviour)
    with pytest.raises(AttributeError, match="attribute 'keys' is read-only"):
        cd.keys = 1
    del cd.x
    assert 'x' not in cd
    with pytest.raises(KeyError):
        del cd.x
    assert 'x' not in dir(cd)
    cd.visible = 1
    assert 'visible' in dir(cd)


def test_config_dict_copies_and_pickle() -> None:
    cd = ConfigDict(a=dict(b=[1, dict(c=2)]), t=(1, 2))
    for other in (cd.copy(), copy.copy(cd), cd.deepcopy(), copy.deepcopy(cd), pickle.loads(pickle.dumps(cd)),
                  pickle.loads(pickle.dumps(cd, protocol=0))):
        assert type(other) is ConfigDict and other == cd and isinstance(other.a, ConfigDict)
        assert isinstance(other.t, tuple)
    assert cd.copy().a is cd.a and cd.deepcopy().a is not cd.a
    loop = ConfigDict(a=1)
    loop['self'] = loop
    restored = pickle.loads(pickle.dumps(loop))
    assert restored['self'] is restored


def test_config_dict_update_and_or() -> None:
    cd = ConfigDict(a=dict(b=1, c=2), d=1)
    cd.update(dict(a=dict(b=3)), d=dict(x=1))
    assert cd.to_dict() == {'a': {'b': 3, 'c': 2}, 'd': {'x': 1}}
    merged = cd | {'a': {'z': 0}}
    assert isinstance(merged, ConfigDict) and merged.a.to_dict() == {'b': 3, 'c': 2, 'z': 0}
    assert ({'q': 1} | ConfigDict(r=2)).to_dict() == {'q': 1, 'r': 2}
    with pytest.raises(TypeError):
        cd.update({}, {})


# ----------------------------------------------------------------------------------------------------
# fileio
# ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('fmt', ['json', 'yaml', 'yml', 'pickle', 'pkl'])
def test_fileio_round_trip(tmp_path: Path, fmt: str) -> None:
    obj = {'a': [1, 2.5, 'x', None, True], 'b': {'c': 'd'}}
    path = tmp_path / 'deep' / f'obj.{fmt}'
    fileio.dump(obj, str(path))  # creates the parent directory
    assert fileio.load(str(path)) == obj
    assert fileio.load(path) == obj
    mode = 'rb' if fmt in ('pickle', 'pkl') else 'r'
    with open(path, mode) as f:
        assert fileio.load(f, file_format=fmt) == obj
    text = fileio.dump(obj, file_format=fmt)
    assert isinstance(text, bytes if fmt in ('pickle', 'pkl') else str)
    buf = io.BytesIO() if fmt in ('pickle', 'pkl') else io.StringIO()
    fileio.dump(obj, buf, file_format=fmt)
    buf.seek(0)
    assert fileio.load(buf, file_format=fmt) == obj


def test_fileio_yaml_tuples_sorted_keys_and_config_dict() -> None:
    text = fileio.dump({'b': (1, 2), 'a': ConfigDict(c=1)}, file_format='yaml')
    assert text == 'a:\n  c: 1\nb: !!python/tuple\n- 1\n- 2\n'
    assert_strict_equal(fileio.load(io.StringIO(text), file_format='yaml'), {'a': {'c': 1}, 'b': (1, 2)})
    with pytest.raises(yaml.YAMLError):  # the safe loader refuses arbitrary python objects
        fileio.load(io.StringIO('!!python/object/apply:os.system ["true"]'), file_format='yaml')


def test_fileio_json_extras_and_errors(tmp_path: Path) -> None:
    assert json.loads(fileio.dump({'s': {1}, 'r': range(2)}, file_format='json')) == {'s': [1], 'r': [0, 1]}
    with pytest.raises(TypeError, match='unsupported for json dump'):
        fileio.dump({'o': object()}, file_format='json')
    with pytest.raises(TypeError, match='Unsupported format: txt'):
        fileio.load(str(tmp_path / 'x.txt'))
    with pytest.raises(ValueError, match='file_format must be specified'):
        fileio.dump({'a': 1})
    with pytest.raises(TypeError, match='must be a filepath str or a file-object'):
        fileio.load(123, file_format='json')  # type: ignore[arg-type]
    with pytest.raises(TypeError, match='must be a filename str or a file-object'):
        fileio.dump({}, 123, file_format='json')  # type: ignore[arg-type]


def test_no_warnings_on_plain_loads() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        for case in CASES:
            Config.fromfile(str(CASES_DIR / case['file']))
