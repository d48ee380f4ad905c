"""MessageHub / HistoryBuffer (mmengine's runtime message store) and the v2 logger.

HistoryBuffer keeps plain Python lists so ``update`` is O(1) (mmengine re-allocates a numpy array
per value); windowed statistics go through numpy so the means are bit-identical with mmengine's.
Pickled state uses mmengine's field names and numpy arrays, and ``__setstate__`` accepts
mmengine's pickles (mapped here by :mod:`compat.v2.checkpoint`).
"""
import copy
import logging
import sys
from collections import OrderedDict
from typing import Any, Dict, Optional, Sequence, Union

import numpy as np

from legacy_runner import safe_load
from legacy_runner.dist import get_dist_info
from legacy_runner.utils.logging import _FORMAT

_current: Dict[str, Any] = {'logger': None, 'hub': None}
_hubs: Dict[str, 'MessageHub'] = {}


class HistoryBuffer:
    """Values and counts of one scalar; ``mean(w) = sum(values[-w:]) / sum(counts[-w:])``."""

    _statistics = ('min', 'max', 'current', 'mean')

    def __init__(self, log_history: Sequence = (), count_history: Sequence = (),
                 max_length: int = 1000000) -> None:
        self.max_length = max_length
        if len(log_history) != len(count_history):
            raise AssertionError('The lengths of log_history and count_histroy should be equal')
        self._values = [float(v) for v in log_history][-max_length:]
        self._counts = [int(c) for c in count_history][-max_length:]

    def update(self, log_val: Union[int, float], count: int = 1) -> None:
        if not isinstance(log_val, (int, float)) or not isinstance(count, (int, float)):
            raise TypeError(f'log_val must be int or float but got {type(log_val)}, '
                            f'count must be int but got {type(count)}')
        self._values.append(log_val)
        self._counts.append(count)
        if len(self._values) > self.max_length + 4096:  # trim in chunks: O(1) amortised
            del self._values[:-self.max_length], self._counts[:-self.max_length]

    @property
    def data(self) -> tuple:
        values, counts = self._window(None)
        return np.asarray(values, dtype=np.float64), np.asarray(counts, dtype=np.int64)

    def _window(self, window_size: Optional[int]) -> tuple:
        if window_size is None:
            return self._values[-self.max_length:], self._counts[-self.max_length:]
        if not isinstance(window_size, int):
            raise TypeError(f'The type of window size should be int, but got {type(window_size)}')
        return self._values[-window_size:], self._counts[-window_size:]

    def mean(self, window_size: Optional[int] = None) -> np.float64:
        values, counts = self._window(window_size)
        return np.sum(np.asarray(values, dtype=np.float64)) / np.sum(np.asarray(counts, dtype=np.int64))

    def max(self, window_size: Optional[int] = None) -> np.float64:
        return np.max(np.asarray(self._window(window_size)[0], dtype=np.float64))

    def min(self, window_size: Optional[int] = None) -> np.float64:
        return np.min(np.asarray(self._window(window_size)[0], dtype=np.float64))

    def current(self) -> np.float64:
        if not self._values:
            raise ValueError('HistoryBuffer._log_history is an empty array! please call update first')
        return np.float64(self._values[-1])

    def statistics(self, method_name: str, *args: Any, **kwargs: Any) -> Any:
        if method_name not in self._statistics:
            raise KeyError(f'{method_name} has not been registered in HistoryBuffer._statistics_methods')
        return getattr(self, method_name)(*args, **kwargs)

    def __getstate__(self) -> Dict[str, Any]:
        values, counts = self.data
        return {'max_length': self.max_length, '_log_history': values, '_count_history': counts}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.max_length = state.get('max_length', 1000000)
        self._values = [float(v) for v in state.get('_log_history', ())]
        self._counts = [int(c) for c in state.get('_count_history', ())]

    def __deepcopy__(self, memo: Dict) -> 'HistoryBuffer':
        new = HistoryBuffer.__new__(HistoryBuffer)
        new.max_length, new._values, new._counts = self.max_length, list(self._values), list(self._counts)
        return new

    def __len__(self) -> int:
        return min(len(self._values), self.max_length)

    def __repr__(self) -> str:
        return f'HistoryBuffer(n={len(self._values)}, current={self._values[-1] if self._values else None})'


def _as_scalar(value: Any) -> Union[int, float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, np.ndarray):
        assert value.size == 1
        return value.item()
    if isinstance(value, np.number):
        return value.item()
    if hasattr(value, 'numel') and hasattr(value, 'item'):  # a torch.Tensor, without importing torch
        assert value.numel() == 1
        return value.item()
    return value


class MessageHub:
    """Scalars (HistoryBuffers) and runtime info of one experiment, as mmengine's MessageHub.

    ``get_instance(name)`` returns the hub registered under ``name`` (creating it) and makes it
    current; ``get_current_instance()`` returns the current one (creating ``'mmengine'``).
    """

    def __init__(self, name: str = 'mmengine', log_scalars: Optional[Dict] = None,
                 runtime_info: Optional[Dict] = None, resumed_keys: Optional[Dict] = None) -> None:
        self.instance_name = name
        self._log_scalars: Dict[str, HistoryBuffer] = OrderedDict(log_scalars or {})
        self._runtime_info: Dict[str, Any] = OrderedDict(runtime_info or {})
        self._resumed_keys: Dict[str, bool] = OrderedDict(resumed_keys or {})

    @classmethod
    def get_instance(cls, name: str = 'mmengine', **kwargs: Any) -> 'MessageHub':
        if name not in _hubs:
            _hubs[name] = cls(name, **kwargs)
        _current['hub'] = _hubs[name]
        return _hubs[name]

    @classmethod
    def create_current(cls, name: str) -> 'MessageHub':
        """A fresh hub registered under ``name`` and made current (one per runner: unlike mmengine,
        two runners started in the same second never share a hub)."""
        hub = _hubs[name] = cls(name)
        _current['hub'] = hub
        return hub

    @classmethod
    def get_current_instance(cls) -> 'MessageHub':
        if _current['hub'] is None:
            return cls.get_instance('mmengine')
        return _current['hub']

    @classmethod
    def check_instance_created(cls, name: str) -> bool:
        return name in _hubs

    @property
    def log_scalars(self) -> Dict[str, HistoryBuffer]:
        return self._log_scalars

    @property
    def runtime_info(self) -> Dict[str, Any]:
        return self._runtime_info

    def _set_resumed(self, key: str, resumed: bool) -> None:
        if key not in self._resumed_keys:
            self._resumed_keys[key] = resumed

    def update_scalar(self, key: str, value: Any, count: int = 1, resumed: bool = True) -> None:
        buf = self._log_scalars.get(key)
        if buf is None:
            buf = self._log_scalars[key] = HistoryBuffer()
            self._set_resumed(key, resumed)
        buf.update(_as_scalar(value), _as_scalar(count))

    def update_scalars(self, log_dict: Dict[str, Any], resumed: bool = True) -> None:
        assert isinstance(log_dict, dict), f'`log_dict` must be a dict!, but got {type(log_dict)}'
        for key, item in log_dict.items():
            if isinstance(item, dict):
                assert 'value' in item, f'value must be defined in {item}'
                self.update_scalar(key, item['value'], item.get('count', 1), resumed)
            else:
                self.update_scalar(key, item, 1, resumed)

    def update_info(self, key: str, value: Any, resumed: bool = True) -> None:
        self._set_resumed(key, resumed)
        self._runtime_info[key] = value

    def update_info_dict(self, info_dict: Dict[str, Any], resumed: bool = True) -> None:
        assert isinstance(info_dict, dict), f'`log_dict` must be a dict!, but got {type(info_dict)}'
        for key, value in info_dict.items():
            self.update_info(key, value, resumed)

    def pop_info(self, key: str, default: Any = None) -> Any:
        return self._runtime_info.pop(key, default)

    def get_scalar(self, key: str) -> HistoryBuffer:
        if key not in self._log_scalars:
            raise KeyError(f'{key} is not found in Messagehub.log_buffers: '
                           f'instance name is: {self.instance_name}')
        return self._log_scalars[key]

    def get_info(self, key: str, default: Any = None) -> Any:
        return self._runtime_info.get(key, default)

    def state_dict(self) -> Dict[str, Any]:
        """Resumable scalars and infos (deep copies) plus ``resumed_keys``."""
        scalars = OrderedDict((k, copy.deepcopy(v)) for k, v in self._log_scalars.items()
                              if self._resumed_keys.get(k, False))
        infos: Dict[str, Any] = OrderedDict()
        for key, value in self._runtime_info.items():
            if self._resumed_keys.get(key, False):
                try:
                    infos[key] = copy.deepcopy(value)
                except Exception:  # an uncopyable info is not worth failing a checkpoint for
                    print_log(f'{key} in message_hub cannot be copied, just return its reference.',
                              level=logging.WARNING)
                    infos[key] = value
        return dict(log_scalars=scalars, runtime_info=infos, resumed_keys=self._resumed_keys)

    def load_state_dict(self, state_dict: Union['MessageHub', Dict[str, Any]]) -> None:
        """Load a ``state_dict()`` (or a pickled MessageHub, mmengine's old format)."""
        if isinstance(state_dict, dict):
            for key in ('log_scalars', 'runtime_info', 'resumed_keys'):
                assert key in state_dict, ('The loaded `state_dict` of `MessageHub` must contain '
                                           f'key: `{key}`')
            self._log_scalars = OrderedDict(copy.deepcopy(state_dict['log_scalars']))
            self._runtime_info = OrderedDict(copy.deepcopy(state_dict['runtime_info']))
            self._resumed_keys = OrderedDict(copy.deepcopy(state_dict['resumed_keys']))
        else:
            self._log_scalars = OrderedDict(copy.deepcopy(state_dict._log_scalars))
            self._runtime_info = OrderedDict(copy.deepcopy(state_dict._runtime_info))
            self._resumed_keys = OrderedDict(copy.deepcopy(state_dict._resumed_keys))

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault('instance_name', 'mmengine')


# ----------------------------------------------------------------------------------- logger
def build_logger(name: str = 'mmengine', log_file: Optional[str] = None, log_level: Union[int, str] = 'INFO',
                 file_mode: str = 'a') -> logging.Logger:
    """A logger that prints ``... - mmengine - LEVEL - msg`` (mmengine's MMLogger layout).

    A fresh ``logging.Logger`` per runner (not ``logging.getLogger``), so two runners in one process
    write to their own files. Rank 0 logs at ``log_level`` to stdout and the file; others ERROR only.
    """
    if isinstance(log_level, str):
        log_level = logging._nameToLevel[log_level.upper()]
    logger = logging.Logger(name)
    logger.propagate = False
    rank, _ = get_dist_info()
    stream = logging.StreamHandler(sys.stdout)
    stream.setFormatter(logging.Formatter(_FORMAT, datefmt='%m/%d %H:%M:%S'))
    stream.setLevel(log_level if rank == 0 else logging.ERROR)
    logger.addHandler(stream)
    if rank == 0 and log_file is not None:
        handler = logging.FileHandler(log_file, file_mode, encoding='utf-8')
        handler.setFormatter(logging.Formatter(_FORMAT, datefmt='%Y/%m/%d %H:%M:%S'))
        handler.setLevel(log_level)
        logger.addHandler(handler)
    logger.setLevel(log_level)
    return logger


def set_current_logger(logger: Optional[logging.Logger]) -> None:
    _current['logger'] = logger


def get_current_logger() -> logging.Logger:
    """The logger of the current runner, or a default stdout logger named 'mmengine'."""
    if _current['logger'] is None:
        _current['logger'] = build_logger()
    return _current['logger']


def print_log(msg: Any, logger: Union[None, str, logging.Logger] = 'current',
              level: int = logging.INFO) -> None:
    """mmengine's print_log: 'current' (default) logs to the current runner's logger."""
    if logger == 'current':
        get_current_logger().log(level, msg)
    elif isinstance(logger, logging.Logger):
        logger.log(level, msg)
    elif logger is None:
        print(msg)
    elif logger != 'silent':
        raise TypeError(f'`logger` should be either a logging.Logger object, str, "silent", '
                        f'"current" or None, but got {type(logger)}')


# checkpoints pickle mmengine's paths of these classes: the (core) safe loader resolves them to ours
safe_load.register_mapped_classes({
    'mmengine.logging.history_buffer.HistoryBuffer': HistoryBuffer,
    'mmengine.logging.HistoryBuffer': HistoryBuffer,
    'mmengine.logging.message_hub.MessageHub': MessageHub,
    'mmengine.logging.MessageHub': MessageHub})
