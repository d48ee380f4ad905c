"""v2 checkpoint I/O: mmengine's layout, atomic writes (shared core), and a restricted unpickler.

mmengine pickles its own classes into checkpoints (``message_hub`` holds HistoryBuffers; OneCycle
state holds a function). :func:`load_checkpoint_file` reads those files *without mmengine*: the
unpickler only resolves an allow-list of globals (torch tensor rebuilders, containers, numpy arrays
and scalars) and maps mmengine's class paths to this package's classes. Anything else is refused,
so loading a checkpoint cannot run arbitrary code.
"""
import collections
import os.path as osp
import pickle
import re
import types
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch

from legacy_runner.checkpoint import CheckpointLoader, _atomic_write, load_state_dict

from .logging import print_log

# mmengine class path -> (our module, our name); our own classes map to themselves
_MAPPED: Dict[Tuple[str, str], Tuple[str, str]] = {
    ('mmengine.logging.history_buffer', 'HistoryBuffer'): ('compat.v2.logging', 'HistoryBuffer'),
    ('mmengine.logging.message_hub', 'MessageHub'): ('compat.v2.logging', 'MessageHub'),
    ('mmengine.logging', 'HistoryBuffer'): ('compat.v2.logging', 'HistoryBuffer'),
    ('mmengine.logging', 'MessageHub'): ('compat.v2.logging', 'MessageHub'),
    ('mmengine.optim.scheduler.param_scheduler', 'OneCycleParamScheduler'):
        ('compat.v2.scheduler', 'OneCycleParamScheduler'),
    ('mmengine.optim.scheduler.lr_scheduler', 'OneCycleLR'): ('compat.v2.scheduler', 'OneCycleLR'),
}
_OWN = {('compat.v2.logging', 'HistoryBuffer'), ('compat.v2.logging', 'MessageHub'),
        ('compat.v2.scheduler', 'OneCycleParamScheduler'), ('compat.v2.scheduler', 'OneCycleLR')}
# attributes ``getattr`` may fetch during unpickling (mmengine pickles bound statistics/anneal functions)
_GETATTR_OK = {'min', 'max', 'current', 'mean', '_annealing_cos', '_annealing_linear'}

_SAFE_GLOBALS: Dict[Tuple[str, str], Any] = {
    ('collections', 'OrderedDict'): collections.OrderedDict,
    ('collections', 'Counter'): collections.Counter,
    ('collections', 'defaultdict'): collections.defaultdict,
    ('collections', 'deque'): collections.deque,
    ('builtins', 'set'): set, ('builtins', 'frozenset'): frozenset, ('builtins', 'slice'): slice,
    ('builtins', 'complex'): complex, ('builtins', 'range'): range, ('builtins', 'bytearray'): bytearray,
    ('__builtin__', 'set'): set, ('__builtin__', 'frozenset'): frozenset,
    ('_codecs', 'encode'): __import__('codecs').encode,
    ('numpy', 'ndarray'): np.ndarray, ('numpy', 'dtype'): np.dtype,
    ('torch', 'Size'): torch.Size, ('torch', 'device'): torch.device,
}
_NP_MULTIARRAY = np._core.multiarray if hasattr(np, '_core') else np.core.multiarray  # numpy 2 / 1
for _mod in ('numpy.core.multiarray', 'numpy._core.multiarray'):
    _SAFE_GLOBALS[(_mod, '_reconstruct')] = _NP_MULTIARRAY._reconstruct
    _SAFE_GLOBALS[(_mod, 'scalar')] = _NP_MULTIARRAY.scalar


def _safe_getattr(obj: Any, name: str, *default: Any) -> Any:
    if name not in _GETATTR_OK or not isinstance(obj, type):
        raise pickle.UnpicklingError(f'refusing getattr({obj!r}, {name!r}) while loading a checkpoint')
    return getattr(obj, name, *default)


def _resolve(module: str, name: str) -> Any:
    target = _MAPPED.get((module, name)) or ((module, name) if (module, name) in _OWN else None)
    if target is not None:
        mod = __import__(target[0], fromlist=[target[1]])
        return getattr(mod, target[1])
    if (module, name) in _SAFE_GLOBALS:
        return _SAFE_GLOBALS[(module, name)]
    if module in ('builtins', '__builtin__') and name == 'getattr':
        return _safe_getattr
    if module.startswith('numpy') and name.endswith('DType') and module in ('numpy.dtypes', 'numpy'):
        return getattr(__import__('numpy.dtypes', fromlist=[name]), name)
    if module == 'torch' or module.startswith('torch.'):
        obj = getattr(__import__(module, fromlist=[name]), name, None)
        # tensor/parameter rebuilders, dtypes and layouts only
        if (name.startswith('_rebuild') or isinstance(obj, (torch.dtype, torch.layout, torch.memory_format))
                or name in ('_get_layout', 'Size')):
            return obj
    raise pickle.UnpicklingError(
        f'checkpoint needs global {module}.{name}, which the restricted loader does not allow '
        '(pass unsafe=True to load_checkpoint_file only for files you trust)')


class RestrictedUnpickler(pickle.Unpickler):
    """An Unpickler resolving only allow-listed globals and mmengine's mapped classes."""

    def find_class(self, module: str, name: str) -> Any:
        return _resolve(module, name)


class _MappingUnpickler(pickle.Unpickler):
    """Full unpickling (trusted files) that still maps mmengine's classes to ours."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _MAPPED:
            return _resolve(module, name)
        return super().find_class(module, name)


def _pickle_module(unpickler: type) -> types.ModuleType:
    mod = types.ModuleType(f'compat_v2_{unpickler.__name__}')
    mod.Unpickler = unpickler  # type: ignore[attr-defined]
    mod.load = lambda f, **kw: unpickler(f, **kw).load()  # type: ignore[attr-defined]
    mod.__dict__.update(dumps=pickle.dumps, dump=pickle.dump, Pickler=pickle.Pickler)
    return mod


_RESTRICTED = _pickle_module(RestrictedUnpickler)
_TRUSTED = _pickle_module(_MappingUnpickler)


def load_checkpoint_file(filename: str, map_location: Any = 'cpu', unsafe: bool = False) -> Any:
    """Load a (v1 or v2, mmengine or ours) checkpoint file; remote schemes use the shared loaders."""
    if re.match(r'^[a-zA-Z0-9+-]+://', filename) and not filename.startswith('file://'):
        return CheckpointLoader.load_checkpoint(filename, map_location)
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return torch.load(filename, map_location=map_location, weights_only=False,
                      pickle_module=_TRUSTED if unsafe else _RESTRICTED)



def load_model_weights(model: torch.nn.Module, checkpoint: Dict, strict: bool = False,
                       revise_keys: List[Tuple[str, str]] = [(r'^module.', '')],  # noqa: B006 (mmengine default)
                       logger: Any = None) -> Dict:
    """Load ``checkpoint['state_dict']`` (or a bare state dict) into ``model`` after key revision."""
    state_dict = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else checkpoint
    load_state_dict(model, revise_state_dict_keys(state_dict, revise_keys), strict, logger)
    return checkpoint


def revise_state_dict_keys(state_dict: Dict, revise_keys: List[Tuple[str, str]]) -> 'OrderedDict[str, Any]':
    """Apply each ``(pattern, replacement)`` to every key, keeping ``_metadata``."""
    metadata = getattr(state_dict, '_metadata', OrderedDict())
    for pattern, repl in revise_keys:
        state_dict = OrderedDict((re.sub(pattern, repl, k), v) for k, v in state_dict.items())
    state_dict._metadata = metadata  # type: ignore[attr-defined]
    return state_dict


def save_checkpoint_file(checkpoint: Dict, filename: str) -> None:
    """Write ``checkpoint`` atomically (temp file + fsync + rename, from the shared core)."""
    _atomic_write(filename, lambda f: torch.save(checkpoint, f))


def find_latest_checkpoint(path: str) -> Optional[str]:
    """The path stored in ``path/last_checkpoint``, or None (logged) when there is none."""
    save_file = osp.join(path, 'last_checkpoint')
    if osp.exists(save_file):
        with open(save_file) as f:
            return f.read().strip()
    print_log('Did not find last_checkpoint to be resumed.')
    return None


def scheduler_state_dict(schedulers: Any) -> Any:
    """States of built schedulers: a list, or a dict of lists (one per optimizer)."""
    if isinstance(schedulers, dict):
        return {name: [s.state_dict() for s in group] for name, group in schedulers.items()}
    return [s.state_dict() for s in schedulers]


def load_scheduler_state_dict(schedulers: Any, saved: Any) -> None:
    """Inverse of :func:`scheduler_state_dict` (pairs schedulers and states in order)."""
    if isinstance(schedulers, dict):
        for name, group in schedulers.items():
            for scheduler, state in zip(group, saved[name]):
                scheduler.load_state_dict(state)
    else:
        for scheduler, state in zip(schedulers, saved):
            scheduler.load_state_dict(state)
