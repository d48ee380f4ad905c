"""Property-based: random config trees and --cfg-options never fail with an undocumented error.

The documented failures of ``Config.fromfile`` / ``merge_from_dict`` are the exception types that
mmcv raises for bad input (missing file, duplicate keys across bases, bad ``_delete_``, bad
``{{_base_.x}}``, syntax errors, circular bases); the CLI turns them into one ``ConfigError`` line.
Anything else (AttributeError, IndexError, a hang...) would be a bug.
"""
import json
import os
import os.path as osp
import string

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from legacy_runner.config import Config
from legacy_runner.config.loader import CircularBaseError
from legacy_runner.errors import ConfigError, load_config

DOCUMENTED = (FileNotFoundError, KeyError, TypeError, ValueError, SyntaxError, OSError, CircularBaseError)

KEYS = st.sampled_from(['a', 'b', 'model', 'lr', 'data', 'x_1'])
SCALARS = st.one_of(st.integers(-5, 5), st.floats(-2, 2, allow_nan=False), st.booleans(), st.none(),
                    st.text(string.ascii_letters, max_size=4))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=6)


@st.composite
def file_node(draw, n_files: int, index: int) -> dict:
    """One file of the tree: its format, its body and which other files it lists as bases."""
    body = draw(st.dictionaries(KEYS, VALUES, max_size=4))
    if body and draw(st.booleans()):
        # a dict value that asks to replace the base's one
        key = draw(st.sampled_from(sorted(body)))
        body[key] = {'_delete_': True, 'v': 1}
    if draw(st.booleans()):
        body[draw(KEYS)] = '{{_base_.%s}}' % draw(st.sampled_from(['a', 'b.c', 'model', 'nope']))
    # bases may point anywhere, including itself, later files (cycles) and missing files
    bases = draw(st.lists(st.integers(0, n_files), max_size=2))
    fmt = draw(st.sampled_from(['py', 'json', 'yaml']))
    return dict(body=body, bases=bases, fmt=fmt, broken=draw(st.integers(0, 15)) == 0)


def _write(root: str, nodes: list) -> list:
    names = [f'f{i}.{node["fmt"]}' for i, node in enumerate(nodes)]
    for i, node in enumerate(nodes):
        bases = [names[b] if b < len(names) else 'missing.py' for b in node['bases']]
        body = dict(node['body'])
        if bases:
            body['_base_'] = bases if len(bases) > 1 else bases[0]
        path = osp.join(root, names[i])
        if node['fmt'] == 'py':
            text = ''.join(f'{k} = {v!r}\n' for k, v in body.items())
            if node['broken']:
                text += 'x = (\n'
        elif node['fmt'] == 'json':
            text = json.dumps(body)
        else:
            text = yaml.safe_dump(body)
        with open(path, 'w') as f:
            f.write(text)
    return names


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_trees_load_or_fail_with_documented_errors(tmp_path_factory, data):
    root = str(tmp_path_factory.mktemp('tree'))
    n = data.draw(st.integers(1, 4))
    nodes = [data.draw(file_node(n, i)) for i in range(n)]
    names = _write(root, nodes)
    target = osp.join(root, names[-1])
    before = set(os.listdir(root))
    try:
        cfg = Config.fromfile(target)
    except DOCUMENTED as e:
        event(f'fromfile: {type(e).__name__}')
        # the CLI path reports the same failure as one ConfigError line naming the file
        try:
            load_config(target)
        except ConfigError as ce:
            assert names[-1] in str(ce) and '\n' not in str(ce)
        else:
            raise AssertionError('load_config accepted what Config.fromfile rejected')
        return
    finally:
        assert set(os.listdir(root)) == before  # no temporary files left behind
    event('fromfile: loaded')
    # a loaded config must round-trip through its own pretty_text
    again = Config.fromstring(cfg.pretty_text, '.py')
    assert again.to_dict() == cfg.to_dict() or '_delete_' in cfg.pretty_text


OPTION_KEYS = st.lists(st.sampled_from(['a', 'b', 'model', '0', '1', 'data', 'new']), min_size=1,
                       max_size=3).map('.'.join)


def _independent(options: dict) -> bool:
    # 'a' and 'a.b' in one --cfg-options overlap: their outcome depends on argument order
    parts = [k.split('.') for k in options]
    return not any(p != q and q[:len(p)] == p for p in parts for q in parts)


@settings(max_examples=150, deadline=None)
@given(base=st.dictionaries(KEYS, VALUES, max_size=4),
       options=st.dictionaries(OPTION_KEYS, VALUES, max_size=3).filter(_independent))
def test_random_cfg_options_merge_or_fail_with_documented_errors(base, options):
    cfg = Config(base)
    try:
        cfg.merge_from_dict(options)
    except (KeyError, TypeError, ValueError) as e:
        event(f'merge: {type(e).__name__}')
        return
    event('merge: ok')
    for key, value in options.items():
        node = cfg._cfg_dict
        for part in key.split('.'):
            node = node[int(part)] if isinstance(node, list) else node[part]
        if not isinstance(value, dict):
            assert node == value


def test_list_item_leaf_and_bad_item_merges():
    # found by the property test: mmcv raised AttributeError on both
    cfg = Config(dict(a=[0, dict(x=1)]))
    cfg.merge_from_dict({'a.0': 5, 'a.1.x': 2})
    assert cfg.a == [5, dict(x=2)]
    try:
        cfg.merge_from_dict({'a.0.b': 1})
    except TypeError as e:
        assert 'item 0' in str(e)
    else:
        raise AssertionError('merging a dict into an int list item must fail')
