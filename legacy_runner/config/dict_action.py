"""``DictAction``: argparse action for ``--cfg-options KEY=VAL [KEY=VAL ...]`` (mmcv 1.x syntax).

Value syntax (mmcv's): quotes ``'``/``"`` are stripped from both ends and *all* spaces removed;
``(a,b)`` is a tuple, ``[a,b]`` a list and a top-level comma makes a list (``1,`` -> ``[1]``,
``[]`` -> ``[]``); brackets nest. Scalars become int, then float, then bool ('true'/'false' in any
case), ``'None'`` -> None, else stay str. A repeated flag replaces the previous dict.

Unlike mmcv, malformed input (no ``=``, unbalanced or crossed brackets) is reported as an argparse
error naming the offending ``KEY=VAL`` instead of a traceback, and ``(1,2),(3,4)`` parses as a list
of two tuples (mmcv recursed forever on it).
"""
from argparse import Action, ArgumentError, ArgumentParser, Namespace
from typing import Any, Dict, List, Optional, Sequence, Union

_OPEN = {'(': ')', '[': ']'}
_CLOSE = {')': '(', ']': '['}


def _check_brackets(text: str) -> None:
    """Raise ValueError unless every bracket in ``text`` is closed, in order."""
    stack: List[str] = []
    for pos, char in enumerate(text):
        if char in _OPEN:
            stack.append(char)
        elif char in _CLOSE:
            if not stack or stack[-1] != _CLOSE[char]:
                raise ValueError(f'unexpected {char!r} at position {pos} in {text!r}')
            stack.pop()
    if stack:
        raise ValueError(f'unclosed {stack[-1]!r} in {text!r}')


def _split_top_level(text: str) -> List[str]:
    """Split at commas outside brackets; a trailing empty piece (``'1,'``) is dropped."""
    pieces: List[str] = []
    depth = 0
    start = 0
    for pos, char in enumerate(text):
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth -= 1
        elif char == ',' and depth == 0:
            pieces.append(text[start:pos])
            start = pos + 1
    last = text[start:]
    if last:
        pieces.append(last)
    return pieces


def _is_one_group(text: str) -> bool:
    """True if ``text`` is a single bracketed group, e.g. ``(1,[2])`` but not ``(1),(2)``."""
    depth = 0
    for pos, char in enumerate(text):
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth -= 1
            if depth == 0:
                return pos == len(text) - 1
    return False


class DictAction(Action):
    """argparse action turning ``KEY=VAL`` items into a dict (use with ``nargs='+'``)."""

    @staticmethod
    def _parse_int_float_bool(val: str) -> Any:
        """int, else float, else bool ('true'/'false', any case), else None for 'None', else str."""
        try:
            return int(val)
        except ValueError:
            pass
        try:
            return float(val)
        except ValueError:
            pass
        if val.lower() in ('true', 'false'):
            return val.lower() == 'true'
        if val == 'None':
            return None
        return val

    @staticmethod
    def _parse_iterable(val: str) -> Any:
        """Parse one VAL: nested tuples/lists of scalars (brackets must already be balanced)."""
        val = val.strip('\'"').replace(' ', '')
        is_tuple = False
        if val[:1] in _OPEN and _is_one_group(val) and _OPEN[val[0]] == val[-1]:
            is_tuple = val[0] == '('
            val = val[1:-1]
        elif ',' not in val:
            return DictAction._parse_int_float_bool(val)
        values = [DictAction._parse_iterable(piece) for piece in _split_top_level(val)]
        return tuple(values) if is_tuple else values

    @classmethod
    def parse_options(cls, items: Sequence[str]) -> Dict[str, Any]:
        """Parse ``KEY=VAL`` strings into a dict; raise ValueError naming a malformed item."""
        options: Dict[str, Any] = {}
        for item in items:
            key, sep, val = item.partition('=')
            if not sep or not key:
                raise ValueError(f'expected KEY=VALUE, got {item!r}')
            try:
                _check_brackets(val.strip('\'"').replace(' ', ''))
            except ValueError as e:
                raise ValueError(f'invalid value in {item!r}: {e}') from None
            options[key] = cls._parse_iterable(val)
        return options

    def __call__(self, parser: ArgumentParser, namespace: Namespace,
                 values: Union[str, Sequence[Any], None], option_string: Optional[str] = None) -> None:
        if values is None:
            values = []
        elif isinstance(values, str):  # declared without nargs: a single KEY=VAL
            values = [values]
        try:
            options = self.parse_options(values)
        except ValueError as e:
            # argparse turns this into "usage: ...\nprog: error: argument --cfg-options: ..."
            raise ArgumentError(self, str(e)) from None
        setattr(namespace, self.dest, options)
