"""Formatting a v2 dict as config source (Config's pretty_text, i.e. yapf), checking that it loads
back to the same dict, and writing files atomically (temp file in the same directory + rename)."""
import os
import tempfile
from typing import Any, Dict, Optional

from legacy_runner.config import Config
from legacy_runner.config.pretty import pretty_text

from .errors import ConversionError

HEADER = '# Generated from {source} by convert-config (mmcv 1.x -> mmengine-style v2).\n'

_cache: Dict[str, str] = {}


def _format_item(key: str, value: Any) -> str:
    # One top-level assignment at a time, memoised on its layout: trees repeat the same values
    # (models, pipelines) many times, and yapf is by far the slowest step.
    probe = repr((key, value, type(value).__name__))
    text = _cache.get(probe)
    if text is None:
        text = pretty_text({key: value})
        if len(_cache) < 20_000:
            _cache[probe] = text
    return text


def format_config(cfg: Dict[str, Any], header: Optional[str] = None) -> str:
    """``Config(cfg).pretty_text``, built one top-level key at a time (same bytes, memoised)."""
    body = ''.join(_format_item(k, v) for k, v in cfg.items())
    return (header or '') + body


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


def check_round_trip(text: str, expected: Dict[str, Any], filename: str) -> None:
    """The written text must load back to ``expected`` (our Config, the same merge rules)."""
    loaded = load_text(text, filename)
    if not same_values(loaded, Config(expected).to_dict()):
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
