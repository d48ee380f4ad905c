"""User-input errors that the command line reports as one line (exit code 2), and the config
loading that produces them. Light on purpose: no torch import (``print-config`` uses it)."""
import os.path as osp
from contextlib import contextmanager
from typing import Any, Dict, Iterator, Optional


class ConfigError(Exception):
    """Bad user input: a missing or broken config file, a bad ``--cfg-options`` item, an unknown
    registry type or an invalid value in a config section. The message names the file and key."""


def describe(exc: BaseException) -> str:
    """``exc``'s message on one line (a KeyError shows its text, not its repr)."""
    msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
    return ' '.join(str(msg).split()) or type(exc).__name__


@contextmanager
def config_section(filename: Optional[str], key: str) -> Iterator[None]:
    """Turn build errors raised inside the block into a ConfigError naming ``filename`` and ``key``."""
    try:
        yield
    except ConfigError:
        raise
    except (KeyError, TypeError, ValueError, AssertionError, ImportError, AttributeError) as e:
        raise ConfigError(f'{filename or "<config>"}: {key}: {type(e).__name__}: {describe(e)}') from e


def load_config(path: str, cfg_options: Optional[Dict[str, Any]] = None) -> Any:
    """``Config.fromfile(path)`` then ``merge_from_dict(cfg_options)``; bad input -> ConfigError."""
    from .config import Config

    if not osp.isfile(path):
        raise ConfigError(f'config file not found: {path}')
    try:
        cfg = Config.fromfile(path)
    except Exception as e:  # syntax errors, bad _base_ paths, duplicate keys, failing custom_imports
        raise ConfigError(f'{path}: cannot load config: {type(e).__name__}: {describe(e)}') from e
    if cfg_options:
        try:
            cfg.merge_from_dict(cfg_options)
        except Exception as e:
            # Name the item that fails on its own (merge_from_dict applies them all at once).
            culprit = next((f'{k}={v!r}' for k, v in cfg_options.items()
                            if not _merges_cleanly(Config.fromfile(path), k, v)),
                           ' '.join(f'{k}={v!r}' for k, v in cfg_options.items()))
            raise ConfigError(f'{path}: bad --cfg-options {culprit}: {type(e).__name__}: '
                              f'{describe(e)}') from e
    return cfg


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
        raise ConfigError(f'{path}: cannot load {what}: {type(e).__name__}: {describe(e)}') from e
