"""``load`` / ``dump`` for json, yaml/yml and pickle/pkl files with mmcv 1.x semantics.

Only the local disk is supported (``file_client_args`` is accepted for signature compatibility and
must describe the local disk). yaml is imported on first use so that importing this module (and
``legacy_runner.config``) stays cheap; torch and numpy are never imported.

YAML: keys are sorted on dump (PyYAML's default, as in mmcv), tuples are written as
``!!python/tuple`` like mmcv's full ``yaml.Dumper`` did, and loading uses a *safe* loader that also
understands ``!!python/tuple`` so that configs dumped by mmcv or by us round-trip.
"""
import io
import json
import os
import os.path as osp
import pickle
from pathlib import Path
from typing import IO, Any, Callable, Dict, Optional, Tuple, Union

FileLike = Union[str, Path, IO]

_TUPLE_TAG = 'tag:yaml.org,2002:python/tuple'
# (loader class, dumper class), built on first yaml use
_yaml_classes: Optional[Tuple[type, type]] = None


def _yaml_loader_dumper() -> Tuple[type, type]:
    """Safe yaml Loader/Dumper subclasses that know tuples (and dumps dict subclasses as dicts)."""
    global _yaml_classes
    if _yaml_classes is None:
        import yaml  # type: ignore[import-untyped,import-not-found]  # optional, no stubs here

        base_loader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)
        base_dumper = getattr(yaml, 'CSafeDumper', yaml.SafeDumper)

        class TupleSafeLoader(base_loader):  # type: ignore[misc, valid-type]
            pass

        class TupleSafeDumper(base_dumper):  # type: ignore[misc, valid-type]
            pass

        def construct_tuple(loader: Any, node: Any) -> tuple:
            return tuple(loader.construct_sequence(node, deep=True))

        def represent_tuple(dumper: Any, data: tuple) -> Any:
            return dumper.represent_sequence(_TUPLE_TAG, list(data))

        def represent_mapping(dumper: Any, data: dict) -> Any:
            # ConfigDict and other dict subclasses are written as plain mappings, not python objects
            return dumper.represent_dict(data)

        TupleSafeLoader.add_constructor(_TUPLE_TAG, construct_tuple)
        TupleSafeDumper.add_representer(tuple, represent_tuple)
        TupleSafeDumper.add_multi_representer(dict, represent_mapping)
        _yaml_classes = (TupleSafeLoader, TupleSafeDumper)
    return _yaml_classes


def _json_default(obj: Any) -> Any:
    """Make sets, ranges and numpy arrays/scalars json-serialisable (as mmcv's handler did)."""
    if isinstance(obj, (set, range)):
        return list(obj)
    # duck-typed numpy support: numpy is never imported here
    if type(obj).__module__ == 'numpy':
        if hasattr(obj, 'tolist') and getattr(obj, 'ndim', 0) > 0:
            return obj.tolist()
        if hasattr(obj, 'item'):
            return obj.item()
    raise TypeError(f'{type(obj)} is unsupported for json dump')


# --- per-format handlers: (text mode?, load(fileobj), dump(obj, fileobj), dumps(obj)) --------------

def _json_load(f: IO, **kwargs: Any) -> Any:
    return json.load(f, **kwargs)


def _json_dump(obj: Any, f: IO, **kwargs: Any) -> None:
    kwargs.setdefault('default', _json_default)
    json.dump(obj, f, **kwargs)


def _json_dumps(obj: Any, **kwargs: Any) -> str:
    kwargs.setdefault('default', _json_default)
    return json.dumps(obj, **kwargs)


def _yaml_load(f: IO, **kwargs: Any) -> Any:
    import yaml
    kwargs.setdefault('Loader', _yaml_loader_dumper()[0])
    return yaml.load(f, **kwargs)


def _yaml_dump(obj: Any, f: IO, **kwargs: Any) -> None:
    import yaml
    kwargs.setdefault('Dumper', _yaml_loader_dumper()[1])
    yaml.dump(obj, f, **kwargs)


def _yaml_dumps(obj: Any, **kwargs: Any) -> str:
    import yaml
    kwargs.setdefault('Dumper', _yaml_loader_dumper()[1])
    return yaml.dump(obj, **kwargs)


def _pickle_load(f: IO, **kwargs: Any) -> Any:
    return pickle.load(f, **kwargs)


def _pickle_dump(obj: Any, f: IO, **kwargs: Any) -> None:
    kwargs.setdefault('protocol', 2)
    pickle.dump(obj, f, **kwargs)


def _pickle_dumps(obj: Any, **kwargs: Any) -> bytes:
    kwargs.setdefault('protocol', 2)
    return pickle.dumps(obj, **kwargs)


_Handler = Tuple[bool, Callable[..., Any], Callable[..., None], Callable[..., Any]]
_HANDLERS: Dict[str, _Handler] = {
    'json': (True, _json_load, _json_dump, _json_dumps),
    'yaml': (True, _yaml_load, _yaml_dump, _yaml_dumps),
    'yml': (True, _yaml_load, _yaml_dump, _yaml_dumps),
    'pickle': (False, _pickle_load, _pickle_dump, _pickle_dumps),
    'pkl': (False, _pickle_load, _pickle_dump, _pickle_dumps),
}


def _check_client_args(file_client_args: Optional[dict]) -> None:
    if file_client_args and file_client_args.get('backend', 'disk') not in ('disk', 'local'):
        raise NotImplementedError(
            f'only the local disk is supported, got file_client_args={file_client_args}')


def _handler(file_format: Optional[str]) -> _Handler:
    from .file_handlers import registered_handler  # handlers users registered for new formats
    custom = registered_handler(file_format)
    if custom is not None:
        return custom.str_like, custom.load_from_fileobj, custom.dump_to_fileobj, custom.dump_to_str
    if file_format not in _HANDLERS:
        raise TypeError(f'Unsupported format: {file_format}')
    return _HANDLERS[file_format]


def load(file: FileLike, file_format: Optional[str] = None,
         file_client_args: Optional[dict] = None, **kwargs: Any) -> Any:
    """Load a json/yaml/yml/pickle/pkl file (path or file object); the format defaults to the suffix."""
    _check_client_args(file_client_args)
    if isinstance(file, Path):
        file = str(file)
    if file_format is None and isinstance(file, str):
        file_format = file.split('.')[-1]
    text_mode, load_fn, _, _ = _handler(file_format)
    if isinstance(file, str):
        if text_mode:
            with open(file, encoding='utf-8') as f:
                return load_fn(f, **kwargs)
        with open(file, 'rb') as f:
            return load_fn(f, **kwargs)
    if hasattr(file, 'read'):
        return load_fn(file, **kwargs)
    raise TypeError('"file" must be a filepath str or a file-object')


def dump(obj: Any, file: Optional[FileLike] = None, file_format: Optional[str] = None,
         file_client_args: Optional[dict] = None, **kwargs: Any) -> Union[None, str, bytes]:
    """Dump ``obj`` to a path or file object; with ``file=None`` return the text (bytes for pickle)."""
    _check_client_args(file_client_args)
    if isinstance(file, Path):
        file = str(file)
    if file_format is None:
        if isinstance(file, str):
            file_format = file.split('.')[-1]
        elif file is None:
            raise ValueError('file_format must be specified since file is None')
    text_mode, _, dump_fn, dumps_fn = _handler(file_format)
    if file is None:
        return dumps_fn(obj, **kwargs)
    if isinstance(file, str):
        # like mmcv's disk backend: create the parent directory, then write the whole content
        parent = osp.dirname(file)
        if parent:
            os.makedirs(parent, exist_ok=True)
        buf: Union[io.StringIO, io.BytesIO] = io.StringIO() if text_mode else io.BytesIO()
        dump_fn(obj, buf, **kwargs)
        with open(file, 'w' if text_mode else 'wb', encoding='utf-8' if text_mode else None) as f:
            f.write(buf.getvalue())
        return None
    if hasattr(file, 'write'):
        dump_fn(obj, file, **kwargs)
        return None
    raise TypeError('"file" must be a filename str or a file-object')


__all__ = ['load', 'dump']
