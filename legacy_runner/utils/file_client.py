"""A minimal ``FileClient`` (local disk only) plus ``list_from_file`` / ``dict_from_file``.

Old code mostly does ``FileClient(backend='disk')`` or ``FileClient.infer_client(...)`` and then
``get``/``get_text``/``put``/``exists``; remote backends (petrel, ceph, memcached, lmdb, http) are
out of scope and raise a ValueError naming the backend.
"""
import os
import os.path as osp
from abc import ABCMeta, abstractmethod
from contextlib import contextmanager
from typing import Any, Dict, Generator, Iterator, List, Optional, Tuple, Union

PathLike = Union[str, 'os.PathLike[str]']


class BaseStorageBackend(metaclass=ABCMeta):
    """What a FileClient backend provides: at least ``get`` (bytes) and ``get_text`` (str)."""

    _allow_symlink = False

    @property
    def name(self) -> str:
        return self.__class__.__name__

    @property
    def allow_symlink(self) -> bool:
        return self._allow_symlink

    @abstractmethod
    def get(self, filepath: PathLike) -> bytes:
        pass

    @abstractmethod
    def get_text(self, filepath: PathLike, encoding: str = 'utf-8') -> str:
        pass


class _RemoteStoreBackend(BaseStorageBackend):
    """A storage service legacy_runner does not talk to: constructing it is the one clear error."""

    package = ''
    service = ''

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise ImportError(f'{type(self).__name__} needs {self.package} and a {self.service}, which '
                           'legacy_runner does not support: copy the files to the local disk (or serve '
                           'them over http) and use the disk/http backend')

    def get(self, filepath: PathLike) -> bytes:  # pragma: no cover - never constructed
        raise NotImplementedError

    def get_text(self, filepath: PathLike, encoding: str = 'utf-8') -> str:  # pragma: no cover
        raise NotImplementedError


class CephBackend(_RemoteStoreBackend):
    package, service = 'ceph', 'Ceph cluster'


class PetrelBackend(_RemoteStoreBackend):
    package, service = 'petrel_client', 'Petrel (s3) store'


class MemcachedBackend(_RemoteStoreBackend):
    package, service = 'memcached (mc)', 'memcached server'


class LmdbBackend(_RemoteStoreBackend):
    package, service = 'lmdb', 'lmdb database'


class HTTPBackend(BaseStorageBackend):
    """Read files over http(s)."""

    def get(self, filepath: PathLike) -> bytes:
        from urllib.request import urlopen  # imported on use: it is slow to import
        return urlopen(str(filepath)).read()

    def get_text(self, filepath: PathLike, encoding: str = 'utf-8') -> str:
        return self.get(filepath).decode(encoding)

    @contextmanager
    def get_local_path(self, filepath: PathLike) -> Generator[str, None, None]:
        """Download to a temporary file, yield its path, delete it afterwards."""
        import tempfile
        f = tempfile.NamedTemporaryFile(delete=False)
        try:
            f.write(self.get(filepath))
            f.close()
            yield f.name
        finally:
            os.remove(f.name)


class HardDiskBackend(BaseStorageBackend):
    """Read and write local files."""

    def get(self, filepath: PathLike) -> bytes:
        with open(filepath, 'rb') as f:
            return f.read()

    def get_text(self, filepath: PathLike, encoding: str = 'utf-8') -> str:
        with open(filepath, encoding=encoding) as f:
            return f.read()

    def put(self, obj: bytes, filepath: PathLike) -> None:
        os.makedirs(osp.dirname(osp.abspath(filepath)), exist_ok=True)
        with open(filepath, 'wb') as f:
            f.write(obj)

    def put_text(self, obj: str, filepath: PathLike, encoding: str = 'utf-8') -> None:
        os.makedirs(osp.dirname(osp.abspath(filepath)), exist_ok=True)
        with open(filepath, 'w', encoding=encoding) as f:
            f.write(obj)

    def remove(self, filepath: PathLike) -> None:
        os.remove(filepath)

    def exists(self, filepath: PathLike) -> bool:
        return osp.exists(filepath)

    def isdir(self, filepath: PathLike) -> bool:
        return osp.isdir(filepath)

    def isfile(self, filepath: PathLike) -> bool:
        return osp.isfile(filepath)

    def join_path(self, filepath: PathLike, *parts: PathLike) -> str:
        return osp.join(filepath, *parts)

    @contextmanager
    def get_local_path(self, filepath: PathLike) -> Iterator[PathLike]:
        yield filepath

    def list_dir_or_file(self, dir_path: PathLike, list_dir: bool = True, list_file: bool = True,
                         suffix: Union[None, str, Tuple[str, ...]] = None,
                         recursive: bool = False) -> Iterator[str]:
        """Relative paths of the entries under ``dir_path`` (directories never suffix-filtered)."""
        if list_dir and suffix is not None:
            raise TypeError('`suffix` should be None when `list_dir` is True')
        root = str(dir_path)

        def walk(path: str) -> Iterator[str]:
            for entry in os.scandir(path):
                rel = osp.relpath(entry.path, root)
                if entry.is_dir():
                    if list_dir:
                        yield rel
                    if recursive:
                        yield from walk(entry.path)
                elif list_file and not entry.name.startswith('.') and (
                        suffix is None or rel.endswith(suffix)):
                    yield rel

        return walk(root)


class FileClient:
    """mmcv's FileClient: local disk and http(s); the remote stores raise one clear error."""

    # mmcv's registry: the remote stores are registered (so names and prefixes resolve as in mmcv)
    # and raise their one clear error when constructed.
    _backends: Dict[str, type] = {'disk': HardDiskBackend, 'ceph': CephBackend,
                                  'memcached': MemcachedBackend, 'lmdb': LmdbBackend,
                                  'petrel': PetrelBackend, 'http': HTTPBackend}
    _prefix_to_backends: Dict[str, type] = {'s3': PetrelBackend, 'http': HTTPBackend,
                                            'https': HTTPBackend}

    def __init__(self, backend: Optional[str] = None, prefix: Optional[str] = None,
                 **kwargs: Any) -> None:
        if backend is None and prefix is None:
            backend = 'disk'
        if prefix is not None and backend is None:
            if prefix not in self._prefix_to_backends:
                raise ValueError(f'prefix {prefix!r} is not supported (only local files are)')
            self.client = self._prefix_to_backends[prefix](**kwargs)
        elif backend in self._backends:
            self.client = self._backends[backend](**kwargs)
        else:
            raise ValueError(f'FileClient backend {backend!r} is not supported by legacy_runner '
                             f'(supported: {", ".join(self._backends)})')
        self.backend = backend

    @property
    def name(self) -> str:
        return self.client.name

    @staticmethod
    def parse_uri_prefix(uri: PathLike) -> Optional[str]:
        text = str(uri)
        return text.split('://')[0] if '://' in text else None

    @classmethod
    def infer_client(cls, file_client_args: Optional[Dict] = None,
                     uri: Optional[PathLike] = None) -> 'FileClient':
        """A client from explicit args, else from the URI's prefix (local when none)."""
        if file_client_args is not None:
            return cls(**file_client_args)
        prefix = cls.parse_uri_prefix(uri) if uri is not None else None
        return cls(backend='disk') if prefix is None else cls(prefix=prefix)

    @classmethod
    def register_backend(cls, name: str, backend: Optional[type] = None, force: bool = False,
                         prefixes: Union[None, str, List[str]] = None) -> Any:
        """Register a backend class (usable as a decorator when ``backend`` is None)."""
        def _register(backend_cls: type) -> type:
            if name in cls._backends and not force:
                raise KeyError(f'{name} is already registered as a storage backend')
            cls._backends[name] = backend_cls
            for prefix in [prefixes] if isinstance(prefixes, str) else (prefixes or []):
                cls._prefix_to_backends[prefix] = backend_cls
            return backend_cls
        return _register(backend) if backend is not None else _register

    def __getattr__(self, name: str) -> Any:
        # get/get_text/put/put_text/exists/isdir/isfile/join_path/get_local_path/... of the backend
        if name == 'client':
            raise AttributeError(name)
        return getattr(self.client, name)


def list_from_file(filename: PathLike, prefix: str = '', offset: int = 0, max_num: int = 0,
                   encoding: str = 'utf-8', file_client_args: Optional[Dict] = None) -> List[str]:
    """Lines of a text file (newline stripped), skipping ``offset`` lines, at most ``max_num``."""
    text = FileClient.infer_client(file_client_args, filename).get_text(filename, encoding)
    lines = text.splitlines()[offset:]
    if max_num > 0:
        lines = lines[:max_num]
    return [prefix + line.rstrip('\n\r') for line in lines]


def dict_from_file(filename: PathLike, key_type: type = str, encoding: str = 'utf-8',
                   file_client_args: Optional[Dict] = None) -> Dict[Any, Any]:
    """Whitespace-split lines -> ``{key_type(first): rest (one value or a list)}``."""
    text = FileClient.infer_client(file_client_args, filename).get_text(filename, encoding)
    mapping: Dict[Any, Any] = {}
    for line in text.splitlines():
        items = line.split()
        if not items:
            continue
        assert len(items) >= 2, f'line {line!r} needs a key and a value'
        mapping[key_type(items[0])] = items[1] if len(items) == 2 else items[1:]
    return mapping
