"""Formatting a v2 dict as config source, checking that it loads back to the same dict, and
writing files atomically (temp file in the same directory + rename).

The printer is our own (legacy_runner.config.printer; no yapf on this path: yapf took seconds on
configs with long literals such as a 133-keypoint dataset_info); its layout is described there.
``print-config`` still uses mmcv's ``pretty_text``.
"""
import keyword
import os
import tempfile
from typing import Any, Dict, Optional

from legacy_runner.config import Config
from legacy_runner.config.pretty import pretty_text
from legacy_runner.config.printer import (
    WIDTH,  # noqa: F401  (the line width, re-exported)
    Unprintable,
    format_assignment,
)

from .errors import ConversionError

HEADER = '# Generated from {source} by convert-config (mmcv 1.x -> mmengine-style v2).\n'
def format_item(key: str, value: Any) -> str:
    """One top-level assignment ``key = value`` with a trailing newline."""
    if not key.isidentifier() or keyword.iskeyword(key):
        return pretty_text({key: value})
    try:
        return format_assignment(key, value)
    except Unprintable:
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
