"""Test-only module imported through a config's ``custom_imports`` (tests/test_torchrun_cli.py).

* ``DistWeightDumpHook`` (registered in the v1 ``HOOKS`` and in the v2 ``HOOKS`` under the same
  name) saves ``{name: tensor}`` of the unwrapped model to ``<dump_dir>/rank{RANK}.pt`` when
  training ends, on every rank, so that the test can compare the ranks' final weights (and the
  model wrapper's class name to ``rank{RANK}.json``).
* On a rank other than 0, importing the module also starts recording every path the process
  opens for writing, creates, renames, links or saves with ``torch.save`` (an audit hook), and
  writes the list to ``<dump_dir>/rank{RANK}_writes.json`` at exit: the test checks that none of
  them is under the work dir.

``dump_dir`` defaults to the ``DIST_WEIGHT_DUMP_DIR`` environment variable; it must lie outside
the work dir.
"""
import atexit
import json
import os
import os.path as osp
import sys
from typing import Any, Dict, List, Optional

import torch

from compat.v2.hooks.hook import Hook as V2Hook
from compat.v2.registry import HOOKS as V2_HOOKS
from legacy_runner.hooks import HOOKS as V1_HOOKS
from legacy_runner.hooks import Hook as V1Hook

ENV_VAR = 'DIST_WEIGHT_DUMP_DIR'
# read at import, before any launcher mapping runs: under slurm RANK is set later, from SLURM_PROCID
RANK = int(os.environ.get('RANK', os.environ.get('SLURM_PROCID', '0')))
_WRITES: List[List[str]] = []  # [event, path]
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_PATH_EVENTS = {  # audit event -> indexes of the path arguments it writes
    'os.mkdir': (0, ), 'os.rename': (1, ), 'os.replace': (1, ), 'os.symlink': (1, ), 'os.link': (1, ),
    'os.truncate': (0, ), 'shutil.copyfile': (1, ), 'shutil.copytree': (1, ), 'os.utime': (0, ),
}


def _dump_dir(dump_dir: Optional[str] = None) -> str:
    path = dump_dir or os.environ.get(ENV_VAR)
    if not path:
        raise RuntimeError(f'DistWeightDumpHook needs dump_dir or ${ENV_VAR}')
    return path


def _as_path(value: Any) -> Optional[str]:
    if isinstance(value, (str, bytes, os.PathLike)):
        path = os.fsdecode(value)
        return osp.abspath(path)
    return None  # a file descriptor or an object


def _audit(event: str, args: tuple) -> None:
    if event == 'open':
        path, mode, flags = (tuple(args) + (None, None, None))[:3]
        writes = (any(c in mode for c in 'wax+') if isinstance(mode, str)
                  else isinstance(flags, int) and bool(flags & _WRITE_FLAGS))
        if writes and _as_path(path):
            _WRITES.append([event, _as_path(path)])
    elif event in _PATH_EVENTS:
        for i in _PATH_EVENTS[event]:
            if i < len(args) and _as_path(args[i]):
                _WRITES.append([event, _as_path(args[i])])


def _recording_save(save):
    def wrapper(obj: Any, f: Any, *args: Any, **kwargs: Any) -> Any:
        if _as_path(f):  # torch writes a named file from C++: no 'open' audit event
            _WRITES.append(['torch.save', _as_path(f)])
        return save(obj, f, *args, **kwargs)
    return wrapper


def _write_log() -> None:
    path = osp.join(_dump_dir(), f'rank{RANK}_writes.json')
    with open(path, 'w') as f:
        json.dump(_WRITES, f)


if RANK != 0 and os.environ.get(ENV_VAR):
    sys.addaudithook(_audit)
    torch.save = _recording_save(torch.save)
    atexit.register(_write_log)


def _unwrap(model: torch.nn.Module) -> torch.nn.Module:
    while hasattr(model, 'module') and isinstance(model.module, torch.nn.Module):
        model = model.module
    return model


def dump_weights(model: torch.nn.Module, dump_dir: Optional[str] = None) -> str:
    """``rank{RANK}.pt`` ({name: tensor} of the unwrapped model) and ``rank{RANK}.json`` (the
    wrapper's class name and the world size)."""
    weights: Dict[str, torch.Tensor] = {
        k: v.detach().cpu().clone() for k, v in _unwrap(model).state_dict().items()}
    path = osp.join(_dump_dir(dump_dir), f'rank{RANK}.pt')
    torch.save(weights, path)
    world_size = torch.distributed.get_world_size() if torch.distributed.is_initialized() else 1
    with open(osp.join(_dump_dir(dump_dir), f'rank{RANK}.json'), 'w') as f:
        json.dump(dict(model_type=type(model).__name__, world_size=world_size), f)
    return path


@V1_HOOKS.register_module(name='DistWeightDumpHook')
class V1DistWeightDumpHook(V1Hook):

    def __init__(self, dump_dir: Optional[str] = None) -> None:
        self.dump_dir = dump_dir

    def after_run(self, runner: Any) -> None:
        dump_weights(runner.model, self.dump_dir)


@V2_HOOKS.register_module(name='DistWeightDumpHook')
class V2DistWeightDumpHook(V2Hook):
    priority = 'LOWEST'

    def __init__(self, dump_dir: Optional[str] = None) -> None:
        self.dump_dir = dump_dir

    def after_train(self, runner: Any) -> None:
        dump_weights(runner.model, self.dump_dir)
