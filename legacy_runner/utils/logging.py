"""get_logger / print_log with mmcv 1.x semantics.

This module must stay importable without torch: the rank is only asked for when
``torch.distributed`` has already been imported by someone else (otherwise there can be no
initialised process group, so the rank is 0).
"""
import logging
import sys
from typing import Any, Dict, List, Optional, Union

# Names of loggers that get_logger has configured; children of these are left alone too.
logger_initialized: Dict[str, bool] = {}

_FORMAT = '%(asctime)s - %(name)s - %(levelname)s - %(message)s'


def _current_rank() -> int:
    tdist = sys.modules.get('torch.distributed')
    if tdist is not None and tdist.is_available() and tdist.is_initialized():
        return tdist.get_rank()
    return 0


def get_logger(name: str = 'mmcv', log_file: Optional[str] = None, log_level: int = logging.INFO,
               file_mode: str = 'w') -> logging.Logger:
    """Return a logger with a stream handler (and, on rank 0, a file handler).

    A logger that was already initialised here, or a child of one (``'a.b'`` when ``'a'`` was
    initialised), is returned unchanged. Non-zero ranks only log errors.
    """
    logger = logging.getLogger(name)
    if name in logger_initialized:
        return logger
    for parent in logger_initialized:
        if name.startswith(parent):
            return logger

    # A root StreamHandler (e.g. from logging.basicConfig) would print every line twice,
    # because records propagate to the root logger.
    for handler in logger.root.handlers:
        if type(handler) is logging.StreamHandler:
            handler.setLevel(logging.ERROR)

    handlers: List[logging.Handler] = [logging.StreamHandler()]
    rank = _current_rank()
    if rank == 0 and log_file is not None:
        handlers.append(logging.FileHandler(log_file, file_mode))

    formatter = logging.Formatter(_FORMAT)
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.setLevel(log_level)
        logger.addHandler(handler)

    logger.setLevel(log_level if rank == 0 else logging.ERROR)
    logger_initialized[name] = True
    return logger


def print_log(msg: Any, logger: Union[None, str, logging.Logger] = None, level: int = logging.INFO) -> None:
    """Print ``msg`` (None), log it (a Logger or a logger name) or drop it ('silent')."""
    if logger is None:
        print(msg)
    elif isinstance(logger, logging.Logger):
        logger.log(level, msg)
    elif logger == 'silent':
        pass
    elif isinstance(logger, str):
        get_logger(logger).log(level, msg)
    else:
        raise TypeError('logger should be either a logging.Logger object, str, '
                        f'"silent" or None, but got {type(logger)}')
