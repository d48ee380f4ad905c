"""``Config.pretty_text``: the config as Python source, laid out exactly like mmcv 1.x.

Two steps, as in mmcv: a small hand-written layout (top level ``key=value`` lines, nested dicts as
``key=dict(...)``, lists made only of dicts as ``[dict(...), ...]``, mappings with a key that is not
an identifier as ``dict({...})``), then yapf with mmcv's style. yapf's result depends on where the
first step puts line breaks and commas (a trailing comma forces a split), so the layout below
reproduces mmcv's line structure faithfully. yapf is imported on first use only. A statement too large
for yapf to finish in reasonable time is printed by legacy_runner.config.printer (see pretty_text).
"""
import functools
import inspect
import keyword
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple

from .printer import Unprintable, format_assignment

_INDENT = 4
YAPF_STYLE = dict(
    based_on_style='pep8',
    blank_line_before_nested_class_or_def=True,
    split_before_expression_after_opening_paren=True)
# largest top-level statement (characters of unformatted source) handed to yapf, and the largest
# piece per yapf call. Real configs stay well below it (the largest, a 133-keypoint whole-body pose
# config, has a 129 kB statement: ~20 s of yapf here); yapf's time grows about quadratically beyond.
YAPF_MAX_CHARS = 256 * 1024


def _indent_rest(text: str, spaces: int = _INDENT) -> str:
    """Indent every line of ``text`` except the first one."""
    if '\n' not in text:
        return text
    first, rest = text.split('\n', 1)
    pad = ' ' * spaces
    return first + '\n' + '\n'.join(pad + line for line in rest.split('\n'))


def _needs_mapping(d: Mapping) -> bool:
    # keyword arguments can only spell identifiers; ``class=1`` or ``a-b=1`` must use {'k': v}
    return any(not str(k).isidentifier() or keyword.iskeyword(str(k)) for k in d)


def _key(key: Any, mapping: bool) -> str:
    if mapping:
        return f"'{key}'" if isinstance(key, str) else str(key)
    return str(key)


def _str_literal(value: str) -> str:
    # mmcv writes f"'{value}'" without escaping; keep that byte-for-byte where it is valid Python
    # and means the same string, and fall back to repr() where it would not even parse.
    if "'" in value or '\\' in value or '\n' in value or '\r' in value:
        return repr(value)
    return f"'{value}'"


def _scalar_item(key: Any, value: Any, mapping: bool) -> str:
    value_str = _str_literal(value) if isinstance(value, str) else str(value)
    sep = ': ' if mapping else '='
    return _indent_rest(f'{_key(key, mapping)}{sep}{value_str}')


def _list_item(key: Any, value: list, mapping: bool) -> str:
    if not all(isinstance(item, dict) for item in value):
        return _scalar_item(key, value, mapping)
    sep = ': ' if mapping else '='
    items = ',\n'.join(f'dict({_indent_rest(_dict_body(item))})' for item in value)
    return _indent_rest(f'{_key(key, mapping)}{sep}[\n{items}') + ']'


def _item(key: Any, value: Any, mapping: bool, sep: str) -> str:
    if isinstance(value, dict):
        return _indent_rest(f'{_key(key, mapping)}{sep}dict(\n{_dict_body(value)}') + ')'
    if isinstance(value, list):
        return _list_item(key, value, mapping)
    return _scalar_item(key, value, mapping)


def _dict_body(d: Mapping, top_level: bool = False) -> str:
    """The inside of ``dict(...)``; at top level, one assignment per line without commas."""
    mapping = _needs_mapping(d)
    sep = ': ' if mapping else '='
    lines: List[str] = []
    last = len(d) - 1
    for idx, (key, value) in enumerate(d.items()):
        end = '' if top_level or idx == last else ','
        lines.append(_item(key, value, mapping, sep) + end)
    body = '\n'.join(lines)
    return '{' + body + '}' if mapping else body


def layout(cfg: Dict[str, Any]) -> str:
    """The unformatted source (before yapf) for a plain config dict."""
    return _dict_body(cfg, top_level=True)


@functools.lru_cache(maxsize=64)
def _yapf_format(source: str) -> str:
    # memoised: a launch prints the same config three times (log, dump, checkpoint meta) and
    # yapf's output depends only on the source and the fixed style
    # optional dependency without type information
    from yapf.yapflib.yapf_api import FormatCode  # type: ignore[import-untyped,import-not-found]

    kwargs: Dict[str, Any] = {'style_config': dict(YAPF_STYLE)}
    # yapf < 0.40.2 takes ``verify`` (mmcv passed True); later versions removed the parameter
    try:
        takes_verify = 'verify' in inspect.signature(FormatCode).parameters
    except (TypeError, ValueError):
        takes_verify = False
    if takes_verify:
        kwargs['verify'] = True
    try:
        formatted, _ = FormatCode(source, **kwargs)
    except TypeError as e:
        if 'verify' not in kwargs or 'verify' not in str(e):
            raise
        del kwargs['verify']
        formatted, _ = FormatCode(source, **kwargs)
    return formatted


def _statements(cfg: Dict[str, Any]) -> Iterator[Tuple[str, Any, str]]:
    """(key, value, unformatted source) per top-level assignment; ``layout`` joins the sources."""
    for key, value in cfg.items():
        yield key, value, _item(key, value, False, '=')


def _runs(cfg: Dict[str, Any]) -> Iterator[Tuple[str, Optional[Tuple[str, Any]]]]:
    """The layout cut at statement boundaries into pieces for yapf of at most YAPF_MAX_CHARS each,
    and statements larger than that on their own, with their (key, value)."""
    run: List[str] = []
    size = 0
    for key, value, source in _statements(cfg):
        if len(source) > YAPF_MAX_CHARS:
            if run:
                yield '\n'.join(run), None
                run, size = [], 0
            yield source, (key, value)
            continue
        if run and size + len(source) > YAPF_MAX_CHARS:
            yield '\n'.join(run), None
            run, size = [], 0
        run.append(source)
        size += len(source) + 1
    if run:
        yield '\n'.join(run), None


def _large_statement(key: str, value: Any, source: str) -> str:
    try:
        return format_assignment(key, value)
    except Unprintable:  # a value without a literal form: mmcv's own layout, unformatted
        return f'{key} = {source[len(key) + 1:]}\n'


def pretty_text(cfg: Dict[str, Any]) -> str:
    """Format a plain config dict as mmcv's ``Config.pretty_text`` does.

    yapf treats each top-level assignment as its own logical line and the layout has no blank lines
    or comments between them, so formatting the statements in pieces gives the same text as one
    call (tests compare both on real configs). A statement above YAPF_MAX_CHARS of source, where
    yapf's time grows about quadratically (a 100 kB list: ~20 s; 5 MB: days), is printed by
    our own PEP 8 printer instead, in linear time; for a flat list of scalars its layout is yapf's.
    """
    if not cfg or _needs_mapping(cfg):  # a top level spelled as one {...} literal cannot be cut
        pieces: Iterable[Tuple[str, Optional[Tuple[str, Any]]]] = [(layout(cfg), None)]
    else:
        pieces = _runs(cfg)
    out: List[str] = []
    for source, large in pieces:
        if large is not None:
            out.append(_large_statement(large[0], large[1], source))
            continue
        try:
            out.append(_yapf_format(source))
        except Exception as e:  # yapf raises its own error types for unparsable input
            raise SyntaxError('Failed to format the config file, please check the syntax of: \n'
                              f'{layout(cfg)}\n({type(e).__name__}: {e})') from e
    return ''.join(out)
