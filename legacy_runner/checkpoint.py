"""Checkpoint I/O with mmcv 1.x file layout: ``{'meta', 'state_dict'[, 'optimizer']}``.

Differences from mmcv, all deliberate:
- files are written atomically (temp file in the same directory, fsync, ``os.replace``) and
  ``latest.pth`` is swapped in atomically too, so a crash never leaves a truncated checkpoint;
- every file is read with ``torch.load(weights_only=True)`` plus the allow-list of
  :mod:`legacy_runner.safe_load` (numpy arrays and scalars, ``OrderedDict``/``defaultdict``,
  mmengine's logging classes); a file needing anything else is refused with
  :class:`~legacy_runner.safe_load.UnsafeCheckpointError` (an ``UnpicklingError``) naming the file and
  the refused global, without running its code. Full unpickling only on request: ``unsafe=True``
  in the loaders below, or ``--unsafe-load`` on the command line (``safe_load.allow_unsafe``);
- schemes that need network services or tables shipped with mmcv (torchvision://,
  open-mmlab://, mmcls://, pavi://, s3://) are registered but raise a clear error;
- ``save_checkpoint`` does not modify the caller's ``meta`` dict.
"""
import contextlib
import errno
import io
import logging
import os
import os.path as osp
import re
import shutil
import time
import uuid
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional, Tuple, Union, cast
from urllib.parse import urlparse

import torch
import torch.nn as nn

from . import safe_load
from .dist import get_dist_info
from .errors import StorageFullError
from .parallel import is_module_wrapper
from .utils.logging import print_log
from .utils.misc import mkdir_or_exist
from .version import __version__ as _our_version
from .version import mmcv_version

LoggerLike = Union[None, str, logging.Logger]


def _get_mmcv_home() -> str:
    home = osp.expanduser(os.getenv('MMCV_HOME', osp.join(os.getenv('XDG_CACHE_HOME', '~/.cache'),
                                                           'mmcv')))
    mkdir_or_exist(home)
    return home


# ----------------------------------------------------------------------------------- state dicts
def _save_to_state_dict(module: nn.Module, destination: Dict, prefix: str, keep_vars: bool) -> None:
    # Unlike nn.Module._save_to_state_dict this keeps non-persistent buffers too (mmcv parity:
    # they end up in the file and show up as unexpected keys when loading).
    for name, param in module._parameters.items():
        if param is not None:
            destination[prefix + name] = param if keep_vars else param.detach()
    for name, buf in module._buffers.items():
        if buf is not None:
            destination[prefix + name] = buf if keep_vars else buf.detach()


def get_state_dict(module: nn.Module, destination: Optional[OrderedDict] = None, prefix: str = '',
                   keep_vars: bool = False) -> OrderedDict:
    """``module.state_dict()`` that unwraps module wrappers at every level (mmcv semantics)."""
    if is_module_wrapper(module):
        module = cast(nn.Module, module.module)  # nn.Module types it Tensor | Module
    if destination is None:
        destination = OrderedDict()
        destination._metadata = OrderedDict()  # type: ignore[attr-defined]
    local_metadata = dict(version=module._version)
    destination._metadata[prefix[:-1]] = local_metadata  # type: ignore[attr-defined]
    _save_to_state_dict(module, destination, prefix, keep_vars)
    for name, child in module._modules.items():
        if child is not None:
            get_state_dict(child, destination, prefix + name + '.', keep_vars=keep_vars)
    for hook in module._state_dict_hooks.values():
        result = hook(module, destination, prefix, local_metadata)
        if result is not None:
            destination = result
    return destination


def weights_to_cpu(state_dict: OrderedDict) -> OrderedDict:
    """Copy of ``state_dict`` with every tensor on CPU (``_metadata`` kept)."""
    cpu_dict = OrderedDict((k, v.cpu()) for k, v in state_dict.items())
    cpu_dict._metadata = getattr(state_dict, '_metadata', OrderedDict())  # type: ignore[attr-defined]
    return cpu_dict


def load_state_dict(module: nn.Module, state_dict: Dict, strict: bool = False,
                    logger: Optional[logging.Logger] = None) -> None:
    """Load ``state_dict`` into ``module`` (wrappers unwrapped), reporting mismatched keys.

    Missing ``num_batches_tracked`` keys are ignored. With ``strict`` a mismatch raises
    RuntimeError; otherwise it is logged as a warning (or printed when logger is None).
    """
    unexpected_keys: List[str] = []
    all_missing_keys: List[str] = []
    err_msg: List[str] = []
    metadata = getattr(state_dict, '_metadata', None)
    state_dict = state_dict.copy()
    if metadata is not None:
        state_dict._metadata = metadata  # type: ignore[attr-defined]

    def load(mod: nn.Module, prefix: str = '') -> None:
        if is_module_wrapper(mod):
            mod = cast(nn.Module, mod.module)
        local_metadata = {} if metadata is None else metadata.get(prefix[:-1], {})
        mod._load_from_state_dict(state_dict, prefix, local_metadata, True, all_missing_keys,
                                  unexpected_keys, err_msg)
        for name, child in mod._modules.items():
            if child is not None:
                load(child, prefix + name + '.')

    load(module)
    missing_keys = [k for k in all_missing_keys if 'num_batches_tracked' not in k]
    if unexpected_keys:
        err_msg.append(f'unexpected key in source state_dict: {", ".join(unexpected_keys)}\n')
    if missing_keys:
        err_msg.append(f'missing keys in source state_dict: {", ".join(missing_keys)}\n')
    rank, _ = get_dist_info()
    if err_msg and rank == 0:
        err_msg.insert(0, 'The model and loaded state dict do not match exactly\n')
        message = '\n'.join(err_msg)
        if strict:
            raise RuntimeError(message)
        if logger is not None:
            logger.warning(message)
        else:
            print(message)


# --------------------------------------------------------------------------------------- loading
def _torch_load(source: Any, map_location: Any, name: str, unsafe: Optional[bool] = None) -> Any:
    """torch.load with the checkpoint allow-list; full unpickling only when trusted (``unsafe``,
    or :func:`legacy_runner.safe_load.allow_unsafe` when None)."""
    return safe_load.torch_load(source, map_location=map_location, name=name, unsafe=unsafe)


class CheckpointLoader:
    """Dispatches a checkpoint path to the loader registered for its prefix (regex match)."""

    _schemes: Dict[str, Callable] = {}

    @classmethod
    def _register_scheme(cls, prefixes: Union[str, List[str], Tuple[str, ...]], loader: Callable,
                         force: bool = False) -> None:
        if isinstance(prefixes, str):
            prefixes = [prefixes]
        else:
            assert isinstance(prefixes, (list, tuple))
        for prefix in prefixes:
            if prefix not in cls._schemes or force:
                cls._schemes[prefix] = loader
            else:
                raise KeyError(f'{prefix} is already registered as a loader backend, '
                               'add "force=True" if you want to override it')
        # Longer / more specific prefixes sort first; '' (local) sorts last.
        cls._schemes = OrderedDict(sorted(cls._schemes.items(), key=lambda t: t[0], reverse=True))

    @classmethod
    def register_scheme(cls, prefixes: Union[str, List[str], Tuple[str, ...]],
                        loader: Optional[Callable] = None, force: bool = False) -> Any:
        """Register ``loader`` for ``prefixes``; usable as a decorator when loader is None."""
        if loader is not None:
            cls._register_scheme(prefixes, loader, force=force)
            return None

        def _register(loader_cls: Callable) -> Callable:
            cls._register_scheme(prefixes, loader_cls, force=force)
            return loader_cls

        return _register

    @classmethod
    def _get_checkpoint_loader(cls, path: str) -> Callable:
        for prefix in cls._schemes:
            if re.match(prefix, path) is not None:
                return cls._schemes[prefix]
        raise ValueError(f'no checkpoint loader matches {path}')  # unreachable: '' matches all

    @classmethod
    def load_checkpoint(cls, filename: str, map_location: Any = None, logger: LoggerLike = None, *,
                        unsafe: Optional[bool] = None) -> Any:
        """Load with the loader registered for ``filename``'s scheme; ``unsafe=True`` trusts the file
        (full unpickling), None follows ``--unsafe-load`` / ``safe_load.allow_unsafe``."""
        loader = cls._get_checkpoint_loader(filename)
        # 'load_from_local'[10:] == 'local': the message names the scheme, as mmcv's does.
        print_log(f'load checkpoint from {loader.__name__[10:]} path: {filename}', logger)
        if unsafe is None:
            return loader(filename, map_location)
        with safe_load.trusting(unsafe):  # reaches loaders registered with mmcv's (filename, map_location)
            return loader(filename, map_location)


@CheckpointLoader.register_scheme(prefixes='')
def load_from_local(filename: str, map_location: Any = None, *, unsafe: Optional[bool] = None) -> Any:
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return _torch_load(filename, map_location, filename, unsafe)


def _download(url: str, model_dir: Optional[str]) -> str:
    if model_dir is None:
        model_dir = osp.join(torch.hub.get_dir(), 'checkpoints')
    mkdir_or_exist(model_dir)
    cached = osp.join(model_dir, osp.basename(urlparse(url).path))
    if not osp.exists(cached):
        torch.hub.download_url_to_file(url, cached, progress=True)
    return cached


@CheckpointLoader.register_scheme(prefixes=('http://', 'https://'))
def load_from_http(filename: str, map_location: Any = None, model_dir: Optional[str] = None, *,
                   unsafe: Optional[bool] = None) -> Any:
    """Download into ``$TORCH_HOME/hub/checkpoints`` (rank 0 first, then the others) and load."""
    rank, world_size = get_dist_info()
    path = _download(filename, model_dir) if rank == 0 else None
    if world_size > 1:
        torch.distributed.barrier()
        if rank > 0:
            path = _download(filename, model_dir)
    return _torch_load(path, map_location, filename, unsafe)


def _unavailable(scheme: str) -> Callable:
    def loader(filename: str, map_location: Any = None) -> Any:
        raise RuntimeError(f'{scheme} checkpoints are not available offline in legacy_runner '
                           f'(asked for {filename}): download the file and pass its local path or '
                           'an http(s) URL instead.')
    return loader


# Registered so that the scheme resolution (and its log line) matches mmcv; loading fails clearly.
for _prefixes, _name, _scheme in (
        (('torchvision://', 'modelzoo://'), 'load_from_torchvision', 'torchvision'),
        (('open-mmlab://', 'openmmlab://'), 'load_from_openmmlab', 'open-mmlab'),
        ('mmcls://', 'load_from_mmcls', 'mmcls'),
        ('pavi://', 'load_from_pavi', 'pavi'),
        (r'(\S+\:)?s3://', 'load_from_ceph', 's3 / petrel')):
    _fn = _unavailable(_scheme)
    _fn.__name__ = _fn.__qualname__ = _name
    globals()[_name] = _fn
    CheckpointLoader.register_scheme(_prefixes, _fn)


def _load_checkpoint(filename: str, map_location: Any = None, logger: LoggerLike = None, *,
                     unsafe: Optional[bool] = None) -> Any:
    """The checkpoint dict (any registered scheme); ``unsafe=True`` trusts the file."""
    return CheckpointLoader.load_checkpoint(filename, map_location, logger, unsafe=unsafe)


def _load_checkpoint_with_prefix(prefix: str, filename: str, map_location: Any = None) -> Dict:
    """The entries of the checkpoint's state_dict under ``prefix``, with the prefix stripped."""
    checkpoint = _load_checkpoint(filename, map_location=map_location)
    state_dict = checkpoint['state_dict'] if 'state_dict' in checkpoint else checkpoint
    if not prefix.endswith('.'):
        prefix += '.'
    n = len(prefix)
    state_dict = {k[n:]: v for k, v in state_dict.items() if k.startswith(prefix)}
    assert state_dict, f'{prefix} is not in the pretrained model'
    return state_dict


def load_checkpoint(model: nn.Module, filename: str, map_location: Any = None, strict: bool = False,
                    logger: LoggerLike = None,
                    revise_keys: List[Tuple[str, str]] = [(r'^module\.', '')],  # noqa: B006 (mmcv default; never mutated)
                    *, unsafe: Optional[bool] = None) -> Dict:
    """Load weights into ``model`` and return the whole checkpoint dict.

    ``unsafe=True`` unpickles the file fully (trusted files only); by default it is read with
    the allow-list of :mod:`legacy_runner.safe_load` (``--unsafe-load`` on the command line).
    """
    checkpoint = _load_checkpoint(filename, map_location, logger, unsafe=unsafe)
    if not isinstance(checkpoint, dict):
        raise RuntimeError(f'No state_dict found in checkpoint file {filename}')
    state_dict = checkpoint['state_dict'] if 'state_dict' in checkpoint else checkpoint
    # passed on as is, like mmcv 1.7.2 (a logger name fails only when a mismatch is reported)
    load_state_dict(model, revise_state_dict_keys(state_dict, revise_keys), strict,
                    logger)  # type: ignore[arg-type]
    return checkpoint


def revise_state_dict_keys(state_dict: Dict, revise_keys: List[Tuple[str, str]]) -> Dict[str, Any]:
    """Apply each ``(pattern, replacement)`` to every key in turn, keeping ``_metadata``."""
    metadata = getattr(state_dict, '_metadata', OrderedDict())
    revised: Dict[str, Any] = state_dict  # an OrderedDict once a pattern ran
    for pattern, repl in revise_keys:
        revised = OrderedDict((re.sub(pattern, repl, k), v) for k, v in revised.items())
    revised._metadata = metadata  # type: ignore[attr-defined]
    return revised


# ---------------------------------------------------------------------------------------- saving
def _temp_path(filename: str) -> str:
    # Hidden (scandir skips dot files) and unique, in the target directory so os.replace is atomic.
    return osp.join(osp.dirname(filename), f'.{osp.basename(filename)}.{uuid.uuid4().hex[:12]}.tmp')


def _fsync_dir(dirname: str) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(dirname, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(filename: str, write: Callable[[io.BufferedWriter], None]) -> None:
    """Write ``filename`` through ``write(f)`` on a temporary file that is then renamed over it, so a
    crash never leaves a half-written checkpoint (both runtimes save through this)."""
    filename = osp.abspath(filename)
    mkdir_or_exist(osp.dirname(filename))
    tmp = _temp_path(filename)
    try:
        # os.open with 0o666 lets the umask decide the mode, like a plain open() would.
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), 'wb') as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filename)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        if isinstance(e, Exception) and _storage_full(e, osp.dirname(filename)):
            raise StorageFullError(
                f'no space left on the device while writing {filename}: the file was not written and '
                'earlier checkpoints are intact (free some space, or pass --work-dir on another disk, '
                'then resume with --auto-resume)') from e
        raise
    _fsync_dir(osp.dirname(filename))


# What counts as a full file system after a failed write: torch.save reports ENOSPC as a bare
# RuntimeError from its zip writer, so the free space itself is looked at.
_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
_FULL_BELOW_BYTES = 1 << 20


def _storage_full(error: Exception, directory: str) -> bool:
    if isinstance(error, OSError) and error.errno in _FULL_ERRNOS:
        return True
    try:
        return shutil.disk_usage(directory).free < _FULL_BELOW_BYTES
    except OSError:
        return False


def link_latest(filename: str, dst: str) -> None:
    """Point ``dst`` at ``filename`` (a name relative to dst's directory), atomically.

    A relative symlink as in mmcv; where symlinks are impossible, an (atomic) copy.
    """
    dst = osp.abspath(dst)
    tmp = _temp_path(dst)
    try:
        os.symlink(filename, tmp)
    except (OSError, NotImplementedError):
        src = osp.join(osp.dirname(dst), filename)

        def copy(f: io.BufferedWriter) -> None:
            with open(src, 'rb') as s:
                shutil.copyfileobj(s, f)

        atomic_write(dst, copy)
        return
    try:
        os.replace(tmp, dst)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def _check_disk_backend(file_client_args: Optional[Dict], filename: str) -> None:
    backend = (file_client_args or {}).get('backend', 'disk')
    if backend not in ('disk', 'HardDiskBackend') or re.match(r'(\S+\:)?s3://', filename):
        raise ValueError(f'only local-disk checkpoints are supported, got backend {backend!r} '
                         f'for {filename}')


def save_checkpoint(model: nn.Module, filename: str, optimizer: Any = None, meta: Optional[Dict] = None,
                    file_client_args: Optional[Dict] = None) -> None:
    """Write ``{'meta', 'state_dict'[, 'optimizer']}`` to ``filename`` atomically.

    meta gets ``mmcv_version`` (the version ``mmcv.__version__`` reports, for mmcv readers),
    ``time``, ``legacy_runner_version`` (which says that legacy_runner, not mmcv, wrote it) and,
    when the model has them, ``CLASSES``.
    """
    if meta is None:
        meta = {}
    elif not isinstance(meta, dict):
        raise TypeError(f'meta must be a dict or None, but got {type(meta)}')
    meta = dict(meta)  # the caller's dict stays as it was
    meta.update(mmcv_version=mmcv_version(), time=time.asctime(), legacy_runner_version=_our_version)
    if filename.startswith('pavi://'):
        raise RuntimeError(f'pavi checkpoints are not available offline in legacy_runner ({filename})')
    _check_disk_backend(file_client_args, filename)

    if is_module_wrapper(model):
        model = cast(nn.Module, model.module)
    if getattr(model, 'CLASSES', None) is not None:
        meta.update(CLASSES=model.CLASSES)
    checkpoint: Dict[str, Any] = {'meta': meta, 'state_dict': weights_to_cpu(get_state_dict(model))}
    if isinstance(optimizer, torch.optim.Optimizer):
        checkpoint['optimizer'] = optimizer.state_dict()
    elif isinstance(optimizer, dict):
        checkpoint['optimizer'] = {name: optim.state_dict() for name, optim in optimizer.items()}
    atomic_write(filename, lambda f: torch.save(checkpoint, f))
