"""User-input errors that the command line reports as one line (exit code 2), and the config
loading that produces them. Light on purpose: no torch import (``print-config`` uses it)."""
import os.path as osp
import sys
import warnings
from contextlib import contextmanager
from typing import Any, Dict, Iterator, Optional, Tuple


class ConfigError(Exception):
    """Bad user input: a missing or broken config file, a bad ``--cfg-options`` item, an unknown
    registry type or an invalid value in a config section. The message names the file and key."""


def check_positive_int(value: Any, key: str, fname: str) -> None:
    """ConfigError unless ``value`` is a positive int (a bool is not): intervals, lengths, counts."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f'{fname}: {key}: must be a positive int, got {value!r}')


def describe(exc: BaseException) -> str:
    """``exc``'s message on one line (a KeyError shows its text, not its repr)."""
    msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
    return _one_line(msg) or type(exc).__name__


def _one_line(msg: Any) -> str:
    return ' '.join(str(msg).split())


@contextmanager
def config_section(filename: Optional[str], key: str) -> Iterator[None]:
    """Turn build errors raised inside the block into a ConfigError naming ``filename`` and ``key``."""
    try:
        yield
    except ConfigError:
        raise
    except (KeyError, TypeError, ValueError, AssertionError, ImportError, AttributeError) as e:
        raise ConfigError(f'{filename or "<config>"}: {key}: {type(e).__name__}: {describe(e)}') from e


class StorageFullError(ConfigError, OSError):
    """A file could not be written because its file system is full (or over quota). Reported as
    one line; the write was atomic, so what was there before is intact."""


class UnprintableConfigError(ConfigError, SyntaxError):
    """A merged config that cannot be printed; still a SyntaxError, as mmcv's pretty_text raises."""


@contextmanager
def unprintable_config(filename: Optional[str]) -> Iterator[None]:
    """Turn a merged config that cannot be printed (the copy written to the work dir: nesting too
    deep for the formatter) into a ConfigError naming ``filename``."""
    try:
        yield
    except UnprintableConfigError:
        raise
    except (SyntaxError, RecursionError) as e:
        cause: BaseException = e.__cause__ if e.__cause__ is not None else e
        why = 'nested too deeply' if isinstance(cause, RecursionError) else 'not valid Python'
        raise UnprintableConfigError(f'{filename or "<config>"}: cannot print the merged config ({why}: '
                          f'{type(cause).__name__}: {_one_line(cause)[:200]})') from e


def load_config(path: str, cfg_options: Optional[Dict[str, Any]] = None) -> Any:
    """``Config.fromfile(path)`` then ``merge_from_dict(cfg_options)``; bad input -> ConfigError."""
    from .config import Config

    if not osp.isfile(path):
        raise ConfigError(f'config file not found: {path}')
    try:
        cfg = Config.fromfile(path)
    except Exception as e:  # syntax errors, bad _base_ paths, duplicate keys, failing custom_imports
        located = config_error_location(e)
        if located is None:
            raise ConfigError(f'{path}: cannot load config: {type(e).__name__}: {describe(e)}') from e
        filename, line, what = located
        if osp.abspath(filename) == osp.abspath(path):
            raise ConfigError(f'{path}:{line}: cannot load config: {what}') from e
        raise ConfigError(f'{filename}:{line}: cannot load config: {what} (while loading {path})') from e
    if cfg_options:
        new_keys = [key for key in cfg_options if not _has_key(cfg._cfg_dict, key)]
        try:
            cfg.merge_from_dict(cfg_options)
        except Exception as e:
            # Name the item that fails on its own (merge_from_dict applies them all at once).
            culprit = next((f'{k}={v!r}' for k, v in cfg_options.items()
                            if not _merges_cleanly(Config.fromfile(path), k, v)),
                           ' '.join(f'{k}={v!r}' for k, v in cfg_options.items()))
            raise ConfigError(f'{path}: bad --cfg-options {culprit}: {type(e).__name__}: '
                              f'{describe(e)}') from e
        if new_keys:  # added, as mmcv does, but a typo should not pass unnoticed
            warnings.warn(f'{path}: --cfg-options added key(s) the config did not have: '
                          f'{", ".join(new_keys)} (check the spelling if you meant to override an existing '
                          'key)', stacklevel=2)
    return cfg


def _has_key(cfg: Any, dotted: str) -> bool:
    """Whether the dotted path ``dotted`` ('a.b', 'a.0.b' for list items) exists in ``cfg``."""
    node = cfg
    for part in dotted.split('.'):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def _exception_chain(exc: BaseException) -> Iterator[BaseException]:
    seen = set()
    current: Optional[BaseException] = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        if current.__cause__ is not None or current.__suppress_context__:
            current = current.__cause__
        else:
            current = current.__context__


def _config_frame(exc: BaseException) -> Optional[Tuple[str, int]]:
    """(file, line) of the deepest traceback frame that runs config code.

    The loader executes a ``.py`` config in memory, compiled with the file's own absolute path and
    in a namespace named ``CONFIG_MODULE_NAME``; functions defined in a config keep that namespace,
    so this finds the failing line of the config (or of the ``_base_`` file) that raised.
    """
    from .config.loader import CONFIG_MODULE_NAME
    found = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_globals.get('__name__') == CONFIG_MODULE_NAME:
            found = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def config_error_location(exc: BaseException) -> Optional[Tuple[str, int, str]]:
    """``(file, line, 'Type: message')`` when ``exc`` (or an exception it was raised from) is a
    parse error with a line number (Python syntax, json, yaml) or a runtime error raised while a
    ``.py`` config file was executed; None otherwise (a missing base, a duplicate key...)."""
    from .config.loader import ERROR_FILE_ATTR
    for err in _exception_chain(exc):
        # (not a SyntaxError of code that the config compiles itself: its "file" is '<string>')
        if isinstance(err, SyntaxError) and err.lineno and err.filename and osp.isfile(err.filename):
            return err.filename, err.lineno, f'{type(err).__name__}: {_one_line(err.msg)}'
        filename = getattr(err, ERROR_FILE_ATTR, None)
        if filename is not None:
            located = _parse_error_line(err)
            if located is not None:
                return filename, located[0], located[1]
        frame = _config_frame(err)
        if frame is not None:
            return frame[0], frame[1], f'{type(err).__name__}: {describe(err)}'
    return None


def _parse_error_line(err: BaseException) -> Optional[Tuple[int, str]]:
    """(1-based line, message) of a json or yaml parse error, without the parser's own position."""
    import json
    if isinstance(err, json.JSONDecodeError):
        return err.lineno, f'JSONDecodeError: {err.msg} (column {err.colno})'
    yaml = sys.modules.get('yaml')  # a yaml error implies yaml was imported
    if yaml is not None and isinstance(err, yaml.MarkedYAMLError) and err.problem_mark is not None:
        problem = _one_line(err.problem or type(err).__name__)
        context = f' ({_one_line(err.context)})' if err.context else ''
        return err.problem_mark.line + 1, f'{type(err).__name__}: {problem}{context}'
    return None


def _merges_cleanly(cfg: Any, key: str, value: Any) -> bool:
    try:
        cfg.merge_from_dict({key: value})
    except Exception:
        return False
    return True


def check_checkpoint_file(path: str, what: str = 'checkpoint') -> None:
    """Raise ConfigError unless ``path`` is an existing file (a typo fails before any work)."""
    if not osp.isfile(path):
        raise ConfigError(f'{what} file not found: {path}')


@contextmanager
def checkpoint_input(path: str, what: str = 'checkpoint') -> Iterator[None]:
    """Turn a failure to read the user-named checkpoint ``path`` (missing, random bytes, a torn
    zip or pickle) into a ConfigError naming the file. Only for the CLI/train-flow boundary:
    library calls keep their own exception types."""
    check_checkpoint_file(path, what)
    try:
        yield
    except ConfigError:
        raise
    except Exception as e:  # unpickling random bytes raises almost anything (IndexError, KeyError...)
        hint = f' {TRUNCATED_HINT}' if looks_truncated(path, e) else ''
        detail = describe(e)
        for name in (path, osp.abspath(path)):  # say the file name once
            if detail.startswith(name):
                detail = 'the file' + detail[len(name):]
                break
        raise ConfigError(f'{path}: cannot load {what}: {type(e).__name__}: {detail}{hint}') from e


TRUNCATED_HINT = '(the file looks truncated: an interrupted write? use an earlier checkpoint)'
_TORN_MARKERS = ('failed finding central directory', 'PytorchStreamReader failed reading zip archive',
                 'Ran out of input', 'pickle data was truncated')
_ZIP_LOCAL_HEADER = b'PK\x03\x04'
_ZIP_END_OF_DIRECTORY = b'PK\x05\x06'
_ZIP_TAIL = 22 + 0xFFFF  # the end-of-directory record plus the longest archive comment


def looks_truncated(path: str, exc: BaseException) -> bool:
    """Whether the failure to load ``path`` (raising ``exc``) looks like a torn file: the reader
    ran out of data, or the file is a zip archive (torch's format) without its end record."""
    for err in _exception_chain(exc):
        if isinstance(err, EOFError) or any(m in str(err) for m in _TORN_MARKERS):
            return True
    return torn_checkpoint(path)


def torn_checkpoint(path: str) -> bool:
    """Whether ``path`` is an empty file, or a zip archive (torch's format) whose end record is
    missing or cut short (a write that stopped before its last bytes). Reads the tail only."""
    try:
        with open(path, 'rb') as f:
            head = f.read(4)
            if not head:
                return True
            if head != _ZIP_LOCAL_HEADER:
                return False
            size = f.seek(0, 2)
            f.seek(max(0, size - _ZIP_TAIL))
            tail = f.read()
    except OSError:
        return False
    record = tail[tail.rfind(_ZIP_END_OF_DIRECTORY):] if _ZIP_END_OF_DIRECTORY in tail else b''
    if len(record) < 22:  # no end record, or one cut by a few bytes
        return True
    return len(record) < 22 + int.from_bytes(record[20:22], 'little')  # its comment cut short


def check_metric_names(metric: Any, key: str, fname: str) -> None:
    """ConfigError unless ``metric`` is a metric name or a list/tuple of names (None: the default).
    The codebases' ``evaluate`` take nothing else, and fail only after a whole epoch of training."""
    names = metric if isinstance(metric, (list, tuple)) else [metric]
    if metric is not None and not all(isinstance(name, str) for name in names):
        raise ConfigError(f'{fname}: {key}: expected a metric name or a list of names, got {metric!r}')
