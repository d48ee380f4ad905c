"""Tests for legacy_runner.config.DictAction (``--cfg-options KEY=VAL ...``)."""
import argparse
import math
from typing import Any, List

import pytest

from legacy_runner.config import Config, DictAction


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='train')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser


def parse(*items: str) -> Any:
    return make_parser().parse_args(['--cfg-options', *items]).cfg_options


def strict(value: Any) -> Any:
    """A comparable form that keeps container and scalar types apart (1 vs 1.0 vs True, [] vs ())."""
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [strict(v) for v in value])
    return (type(value).__name__, value)


@pytest.mark.parametrize('raw,expected', [
    ('1', 1),
    ('-3', -3),
    ('1.5', 1.5),
    ('1e-4', 1e-4),
    ('true', True),
    ('False', False),
    ('TRUE', True),
    ('None', None),
    ('none', 'none'),
    ('abc', 'abc'),
    ('', ''),
    ('"quoted"', 'quoted'),
    ("'single'", 'single'),
    ('a b c', 'abc'),  # every space is removed
    ('[1,2]', [1, 2]),
    ('[ 1 , 2 ]', [1, 2]),
    ('(1,2)', (1, 2)),
    ('"(1,2)"', (1, 2)),
    ('(1)', (1, )),
    ('()', ()),
    ('[]', []),
    ('x,y', ['x', 'y']),
    ('1,', [1]),
    ('1,,2', [1, '', 2]),
    ('[(1,2),(3,4)]', [(1, 2), (3, 4)]),
    ('[[1,[2,3]],(4,)]', [[1, [2, 3]], (4, )]),
    ("['a','b']", ['a', 'b']),
    ('(1,2),(3,4)', [(1, 2), (3, 4)]),  # mmcv recursed forever here
    ('[1],[2]', [[1], [2]]),
    ('a.pth', 'a.pth'),
    ('ckpt(1).pth', 'ckpt(1).pth'),
])
def test_value_parsing_table(raw: str, expected: Any) -> None:
    assert strict(parse(f'key={raw}')['key']) == strict(expected)


def test_inf_and_nan_are_floats() -> None:
    opts = parse('a=inf', 'b=nan')
    assert opts['a'] == math.inf and math.isnan(opts['b'])


def test_several_items_and_value_containing_equals() -> None:
    opts = parse('a=1', 'b=[1,2]', 'c=(1,2)', 'd=x,y', 'model.backbone.depth=50', 'e=k=v')
    assert opts == {'a': 1, 'b': [1, 2], 'c': (1, 2), 'd': ['x', 'y'], 'model.backbone.depth': 50,
                    'e': 'k=v'}


def test_repeated_flag_replaces_previous_dict() -> None:
    args = make_parser().parse_args(['--cfg-options', 'a=1', 'b=2', '--cfg-options', 'c=3'])
    assert args.cfg_options == {'c': 3}


def test_default_is_none_when_flag_absent() -> None:
    assert make_parser().parse_args([]).cfg_options is None


def test_without_nargs_a_single_item_still_works() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--opt', action=DictAction)
    assert parser.parse_args(['--opt', 'a=[1,2]']).opt == {'a': [1, 2]}


@pytest.mark.parametrize('bad,fragment', [
    ('a=[1,2', "unclosed '['"),
    ('a=(1,[2)]', "unexpected ')'"),
    ('a=1,2]', "unexpected ']'"),
    ('novalue', 'expected KEY=VALUE'),
    ('=3', 'expected KEY=VALUE'),
])
def test_bad_syntax_is_an_argparse_error_naming_the_item(bad: str, fragment: str,
                                                         capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as info:
        make_parser().parse_args(['--cfg-options', 'ok=1', bad])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert 'argument --cfg-options' in err
    assert repr(bad) in err and fragment in err
    assert 'Traceback' not in err


def test_parse_options_can_be_used_without_argparse() -> None:
    assert DictAction.parse_options(['a=1']) == {'a': 1}
    with pytest.raises(ValueError, match="'a=\\['"):
        DictAction.parse_options(['a=['])


def test_cfg_options_feed_merge_from_dict() -> None:
    cfg = Config(dict(model=dict(backbone=dict(depth=50, out_indices=(3, ))),
                      data=dict(pipeline=[dict(type='Resize', scale=(1, 1)), dict(type='Flip')])))
    opts: List[str] = ['model.backbone.depth=18', 'model.backbone.out_indices=(2,3)',
                       'data.pipeline.0.scale=[640, 480]', 'optimizer.lr=0.01']
    cfg.merge_from_dict(parse(*opts))
    assert cfg.model.backbone.depth == 18
    assert cfg.model.backbone.out_indices == (2, 3)
    assert cfg.data.pipeline[0].scale == [640, 480]
    assert cfg.optimizer.lr == 0.01
