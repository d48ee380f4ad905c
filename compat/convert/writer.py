"""Formatting a v2 dict as config source, checking that it loads back to the same dict, and
writing files atomically (temp file in the same directory + rename).

The printer is our own (no yapf on this path: yapf took seconds on configs with long literals
such as a 133-keypoint dataset_info). Its layout is stable and PEP 8-ish: a value stays on one
line when it fits in 79 columns; otherwise a ``dict(...)`` puts its arguments on the next line
when they fit there, else one argument per line, and a list
or tuple packs scalar items into full lines and puts compound items one per line. Dicts whose keys
are not all identifiers are written as ``{...}`` literals. ``print-config`` still uses mmcv's
``pretty_text``.
"""
import keyword
import math
import os
import tempfile
from typing import Any, Dict, List, Optional

from legacy_runner.config import Config
from legacy_runner.config.pretty import pretty_text

from .errors import ConversionError

HEADER = '# Generated from {source} by convert-config (mmcv 1.x -> mmengine-style v2).\n'
WIDTH = 79
_INDENT = '    '
_SCALARS = (type(None), bool, int, float, str)


class _Unprintable(Exception):
    """A value with no literal form here (an object, a set, ...): the item falls back to yapf."""


def _scalar(v: Any) -> str:
    if isinstance(v, float) and not math.isfinite(v):
        return f"float('{v}')"  # repr() gives inf/nan, which are not Python literals
    if type(v) not in _SCALARS:
        raise _Unprintable(type(v).__name__)
    return repr(v)


def _is_kwargs(d: Dict[Any, Any]) -> bool:
    return all(isinstance(k, str) and k.isidentifier() and not keyword.iskeyword(k) for k in d)


class _Printer:
    def __init__(self) -> None:
        self._flat: Dict[int, str] = {}
        self._keep: List[Any] = []  # keep ids stable while memoised

    def flat(self, v: Any) -> str:
        """``v`` on one line (memoised per object: the layout asks for it at every depth)."""
        if isinstance(v, (dict, list, tuple)):
            hit = self._flat.get(id(v))
            if hit is not None:
                return hit
        if isinstance(v, dict):
            if _is_kwargs(v):
                text = 'dict(' + ', '.join(f'{k}={self.flat(x)}' for k, x in v.items()) + ')'
            else:
                text = '{' + ', '.join(f'{_scalar(k)}: {self.flat(x)}' for k, x in v.items()) + '}'
        elif isinstance(v, list):
            text = '[' + ', '.join(self.flat(x) for x in v) + ']'
        elif isinstance(v, tuple):
            text = '(' + ', '.join(self.flat(x) for x in v) + (', )' if len(v) == 1 else ')')
        else:
            return _scalar(v)
        self._keep.append(v)
        self._flat[id(v)] = text
        return text

    def block(self, v: Any, indent: str, used: int) -> str:
        """``v`` starting at column ``used`` of a line indented by ``indent``."""
        one = self.flat(v)
        if used + len(one) <= WIDTH or not isinstance(v, (dict, list, tuple)) or not v:
            return one
        inner = indent + _INDENT
        if isinstance(v, dict):
            kwargs = _is_kwargs(v)
            opening, closing = ('dict(', ')') if kwargs else ('{', '}')
            body = one[len(opening):-len(closing)]
            if len(inner) + len(body) + len(closing) <= WIDTH:  # all arguments on the next line
                return opening + '\n' + inner + body + closing
            items = []
            for k, x in v.items():
                head = f'{k}=' if kwargs else f'{_scalar(k)}: '
                items.append(inner + head + self.block(x, inner, len(inner) + len(head)))
            return opening + '\n' + ',\n'.join(items) + closing
        opening, closing = ('[', ']') if isinstance(v, list) else ('(', ')')
        lines: List[str] = []
        line = ''
        for x in v:
            if isinstance(x, _SCALARS) or not x:
                piece = self.flat(x)
                if line and len(inner) + len(line) + len(piece) + 2 > WIDTH:
                    lines.append(line + ',')
                    line = ''
                line = f'{line}, {piece}' if line else piece
            else:
                if line:
                    lines.append(line + ',')
                    line = ''
                lines.append(self.block(x, inner, len(inner)) + ',')
        if line:
            lines.append(line + (',' if len(v) == 1 and closing == ')' else ','))
        # the last item carries no comma, except a one-item tuple
        if not (len(v) == 1 and closing == ')'):
            lines[-1] = lines[-1][:-1]
        return opening + '\n' + '\n'.join(inner + ln for ln in lines) + '\n' + indent + closing


def format_item(key: str, value: Any) -> str:
    """One top-level assignment ``key = value`` with a trailing newline."""
    if not key.isidentifier() or keyword.iskeyword(key):
        return pretty_text({key: value})
    try:
        return f'{key} = {_Printer().block(value, "", len(key) + 3)}\n'
    except _Unprintable:
        return pretty_text({key: value})  # mmcv's layout (yapf) copes with any repr


def format_config(cfg: Dict[str, Any], header: Optional[str] = None) -> str:
    """The v2 dict as config source: one ``key = value`` assignment per top-level key."""
    return (header or '') + ''.join(format_item(k, v) for k, v in cfg.items())


def load_text(text: str, filename: str) -> Dict[str, Any]:
    """Load config source as if it were the file ``filename`` (so ``_base_`` paths resolve)."""
    from legacy_runner.config.loader import text2dict

    cfg_dict, _ = text2dict(text, os.path.abspath(filename))
    return Config(cfg_dict).to_dict()


def same_values(a: Any, b: Any) -> bool:
    """Equal values of equal types (1, 1.0 and True differ; list and tuple differ)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_values(a[k], b[k]) for k in a)
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_values(x, y) for x, y in zip(a, b))
    return a == b


def _exec_plain(text: str, filename: str) -> Dict[str, Any]:
    """Run generated source (no ``_base_``) with only the names the printer uses."""
    namespace: Dict[str, Any] = {'__builtins__': {'dict': dict, 'float': float}}
    exec(compile(text, filename, 'exec'), namespace)
    namespace.pop('__builtins__')
    return namespace


def check_round_trip(text: str, expected: Dict[str, Any], filename: str) -> None:
    """The written text must load back to ``expected``.

    Text with ``_base_`` goes through our Config loader (the same merge rules); a self-contained
    file is a list of assignments, so running it is what loading it does, minus the ConfigDict
    wrapping, and is several times faster on configs with large literals.
    """
    if '_base_' in expected:
        loaded, want = load_text(text, filename), Config(expected).to_dict()
    else:
        try:
            loaded, want = _exec_plain(text, filename), expected
        except (NameError, SyntaxError):  # a yapf-formatted fallback item may use other names
            loaded, want = load_text(text, filename), Config(expected).to_dict()
    if not same_values(loaded, want):
        raise ConversionError('internal: the generated config does not load back to the converted '
                              'dict', key='output', value=filename)


def atomic_write(path: str, text: str) -> None:
    """Write ``text`` to ``path`` via a temp file in the same directory, then ``os.replace``:
    readers never see a partial file, and a failure leaves any old file untouched."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.' + os.path.basename(path) + '.', suffix='.tmp', dir=directory)
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
