"""A small, stable PEP 8 printer for config values (no yapf; linear in the size of the value).

Layout: a value stays on one line when it fits in 79 columns; otherwise a ``dict(...)`` puts its
arguments on the next line when they fit there, else one argument per line, and a list or tuple packs
scalar items into full lines (every line, its trailing comma included, within 79 columns) and puts
compound items one per line. Dicts whose keys are not all identifiers are written as ``{...}``
literals. For a flat list of scalars assigned at top level this is the layout yapf (pep8 style)
produces. The converter writes its v2 configs with it, and ``pretty_text`` uses it for a statement
too large for yapf to format in reasonable time.
"""
import keyword
import math
from typing import Any, Dict, List

WIDTH = 79
_INDENT = '    '
_SCALARS = (type(None), bool, int, float, str)


class Unprintable(Exception):
    """A value with no literal form here (an object, a set, ...)."""


def scalar(v: Any) -> str:
    """A scalar as a Python literal; non-finite floats as ``float('inf')`` (``inf`` is no literal)."""
    if isinstance(v, float) and not math.isfinite(v):
        return f"float('{v}')"
    if type(v) not in _SCALARS:
        raise Unprintable(type(v).__name__)
    return repr(v)


def is_kwargs(d: Dict[Any, Any]) -> bool:
    """Whether every key can be spelled as a keyword argument of ``dict(...)``."""
    return all(isinstance(k, str) and k.isidentifier() and not keyword.iskeyword(k) for k in d)


class Printer:
    """Formats values; one instance memoises the one-line form of each container it has seen."""

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
            if is_kwargs(v):
                text = 'dict(' + ', '.join(f'{k}={self.flat(x)}' for k, x in v.items()) + ')'
            else:
                text = '{' + ', '.join(f'{scalar(k)}: {self.flat(x)}' for k, x in v.items()) + '}'
        elif isinstance(v, list):
            text = '[' + ', '.join(self.flat(x) for x in v) + ']'
        elif isinstance(v, tuple):
            text = '(' + ', '.join(self.flat(x) for x in v) + (', )' if len(v) == 1 else ')')
        else:
            return scalar(v)
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
            kwargs = is_kwargs(v)
            opening, closing = ('dict(', ')') if kwargs else ('{', '}')
            body = one[len(opening):-len(closing)]
            if len(inner) + len(body) + len(closing) <= WIDTH:  # all arguments on the next line
                return opening + '\n' + inner + body + closing
            items = []
            for k, x in v.items():
                head = f'{k}=' if kwargs else f'{scalar(k)}: '
                items.append(inner + head + self.block(x, inner, len(inner) + len(head)))
            return opening + '\n' + ',\n'.join(items) + closing
        opening, closing = ('[', ']') if isinstance(v, list) else ('(', ')')
        lines: List[str] = []
        line = ''
        last = len(v) - 1 if not (len(v) == 1 and closing == ')') else -1
        for i, x in enumerate(v):
            if isinstance(x, _SCALARS) or not x:
                piece = self.flat(x)
                # ', ' before the piece must fit, and the ',' after it unless it is the last item
                if line and len(inner) + len(line) + len(piece) + (2 if i == last else 3) > WIDTH:
                    lines.append(line + ',')
                    line = ''
                line = f'{line}, {piece}' if line else piece
            else:
                if line:
                    lines.append(line + ',')
                    line = ''
                lines.append(self.block(x, inner, len(inner)) + ',')
        if line:
            lines.append(line + ',')
        # the last item carries no comma, except a one-item tuple
        if not (len(v) == 1 and closing == ')'):
            lines[-1] = lines[-1][:-1]
        return opening + '\n' + '\n'.join(inner + ln for ln in lines) + '\n' + indent + closing


def format_assignment(key: str, value: Any) -> str:
    """``key = value`` with a trailing newline; raises Unprintable for values without a literal."""
    return f'{key} = {Printer().block(value, "", len(key) + 3)}\n'
