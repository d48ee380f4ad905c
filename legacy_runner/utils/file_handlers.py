"""mmcv's file handler classes (``mmcv.fileio.handlers``) and ``register_handler``.

The built-in handlers use the same json/yaml/pickle code as ``load``/``dump`` (yaml with the safe
loader that also knows ``!!python/tuple``); a handler registered here for a new extension is used
by ``load``/``dump`` for files with that extension, as in mmcv.
"""
from abc import ABCMeta, abstractmethod
from io import BytesIO, StringIO
from typing import Any, Callable, Dict, List, TextIO, Union

from . import fileio as _io

FileLikeObject = Union[TextIO, StringIO, BytesIO]


def set_default(obj: Any) -> Any:
    """json ``default=``: sets and ranges as lists, numpy arrays/scalars as Python values."""
    return _io._json_default(obj)


class BaseFileHandler(metaclass=ABCMeta):
    """One file format: read/write a file object, a path, or a string."""

    str_like = True  # text (True) or bytes (False) files

    @abstractmethod
    def load_from_fileobj(self, file: Any, **kwargs: Any) -> Any:
        pass

    @abstractmethod
    def dump_to_fileobj(self, obj: Any, file: Any, **kwargs: Any) -> None:
        pass

    @abstractmethod
    def dump_to_str(self, obj: Any, **kwargs: Any) -> Union[str, bytes]:
        pass

    def load_from_path(self, filepath: str, mode: str = 'r', **kwargs: Any) -> Any:
        with open(filepath, mode) as f:
            return self.load_from_fileobj(f, **kwargs)

    def dump_to_path(self, obj: Any, filepath: str, mode: str = 'w', **kwargs: Any) -> None:
        with open(filepath, mode) as f:
            self.dump_to_fileobj(obj, f, **kwargs)


class JsonHandler(BaseFileHandler):

    def load_from_fileobj(self, file: Any, **kwargs: Any) -> Any:
        return _io._json_load(file, **kwargs)

    def dump_to_fileobj(self, obj: Any, file: Any, **kwargs: Any) -> None:
        _io._json_dump(obj, file, **kwargs)

    def dump_to_str(self, obj: Any, **kwargs: Any) -> str:
        return _io._json_dumps(obj, **kwargs)


class YamlHandler(BaseFileHandler):

    def load_from_fileobj(self, file: Any, **kwargs: Any) -> Any:
        return _io._yaml_load(file, **kwargs)

    def dump_to_fileobj(self, obj: Any, file: Any, **kwargs: Any) -> None:
        _io._yaml_dump(obj, file, **kwargs)

    def dump_to_str(self, obj: Any, **kwargs: Any) -> str:
        return _io._yaml_dumps(obj, **kwargs)


class PickleHandler(BaseFileHandler):

    str_like = False

    def load_from_fileobj(self, file: Any, **kwargs: Any) -> Any:
        return _io._pickle_load(file, **kwargs)

    def load_from_path(self, filepath: str, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().load_from_path(filepath, mode='rb', **kwargs)

    def dump_to_fileobj(self, obj: Any, file: Any, **kwargs: Any) -> None:
        _io._pickle_dump(obj, file, **kwargs)

    def dump_to_str(self, obj: Any, **kwargs: Any) -> bytes:
        return _io._pickle_dumps(obj, **kwargs)

    def dump_to_path(self, obj: Any, filepath: str, **kwargs: Any) -> None:  # type: ignore[override]
        super().dump_to_path(obj, filepath, mode='wb', **kwargs)


file_handlers: Dict[str, BaseFileHandler] = {
    'json': JsonHandler(), 'yaml': YamlHandler(), 'yml': YamlHandler(), 'pickle': PickleHandler(),
    'pkl': PickleHandler(),
}
# formats registered by users (load/dump look here first)
_registered: Dict[str, BaseFileHandler] = {}


def _register_handler(handler: BaseFileHandler, file_formats: Union[str, List[str]]) -> None:
    if not isinstance(handler, BaseFileHandler):
        raise TypeError(f'handler must be a child of BaseFileHandler, not {type(handler)}')
    if isinstance(file_formats, str):
        file_formats = [file_formats]
    if not all(isinstance(item, str) for item in file_formats):
        raise TypeError('file_formats must be a str or a list of str')
    for ext in file_formats:
        file_handlers[ext] = handler
        _registered[ext] = handler


def register_handler(file_formats: Union[str, List[str]], **kwargs: Any) -> Callable:
    """Class decorator: ``@register_handler('txt')`` makes load/dump use the class for '.txt'."""

    def wrap(cls: type) -> type:
        _register_handler(cls(**kwargs), file_formats)
        return cls

    return wrap


def registered_handler(file_format: Any) -> Any:
    """The handler a user registered for ``file_format``, or None."""
    return _registered.get(file_format)


def __getattr__(name: str) -> Any:
    # mmcv's yaml handler module exposes PyYAML's (C) Loader/Dumper; yaml is imported on demand
    if name in ('Loader', 'Dumper'):
        import yaml  # type: ignore[import-untyped,import-not-found]  # optional, no stubs here
        value = getattr(yaml, f'C{name}', None) or getattr(yaml, name)
        globals()[name] = value
        return value
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


__all__ = ['BaseFileHandler', 'JsonHandler', 'PickleHandler', 'YamlHandler', 'file_handlers',
           'register_handler']
