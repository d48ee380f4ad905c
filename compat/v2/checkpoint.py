"""v2 checkpoint I/O: mmengine's layout, atomic writes and safe loading (both from the shared core).

mmengine pickles its own classes into checkpoints (``message_hub`` holds HistoryBuffers; OneCycle
state refers to an annealing function). :func:`load_checkpoint_file` reads those files *without
mmengine*: ``torch.load(weights_only=True)`` with the allow-list of :mod:`legacy_runner.safe_load`
(numpy arrays and scalars, containers, mmengine's logging classes resolved to ours in
:mod:`compat.v2.logging`). Anything else is refused (``UnsafeCheckpointError``), so loading a
checkpoint cannot run arbitrary code unless the file is trusted explicitly.
"""
import os.path as osp
import re
from typing import Any, Dict, List, Optional, Tuple

import torch

from legacy_runner import safe_load
from legacy_runner.checkpoint import (
    CheckpointLoader,
    atomic_write,
    load_state_dict,
    revise_state_dict_keys,
)
from legacy_runner.safe_load import UnsafeCheckpointError  # noqa: F401  (re-exported)

from .logging import print_log


def load_checkpoint_file(filename: str, map_location: Any = 'cpu', unsafe: Optional[bool] = None) -> Any:
    """Load a (v1 or v2, mmengine or ours) checkpoint file; remote schemes use the shared loaders.

    ``unsafe=True`` unpickles the file fully (trusted files only; mmengine's classes still map to
    ours); None follows ``--unsafe-load`` (:func:`legacy_runner.safe_load.allow_unsafe`).
    """
    if re.match(r'^[a-zA-Z0-9+-]+://', filename) and not filename.startswith('file://'):
        return CheckpointLoader.load_checkpoint(filename, map_location, unsafe=unsafe)
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return safe_load.torch_load(filename, map_location=map_location, name=filename, unsafe=unsafe)


def load_model_weights(model: torch.nn.Module, checkpoint: Dict, strict: bool = False,
                       revise_keys: List[Tuple[str, str]] = [(r'^module.', '')],  # noqa: B006 (mmengine default)
                       logger: Any = None) -> Dict:
    """Load ``checkpoint['state_dict']`` (or a bare state dict) into ``model`` after key revision."""
    state_dict = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else checkpoint
    load_state_dict(model, revise_state_dict_keys(state_dict, revise_keys), strict, logger)
    return checkpoint


def save_checkpoint_file(checkpoint: Dict, filename: str) -> None:
    """Write ``checkpoint`` atomically (temp file + fsync + rename, from the shared core)."""
    atomic_write(filename, lambda f: torch.save(checkpoint, f))


def find_latest_checkpoint(path: str) -> Optional[str]:
    """The path stored in ``path/last_checkpoint``, or None (logged) when there is none."""
    save_file = osp.join(path, 'last_checkpoint')
    if osp.exists(save_file):
        # garbage in the pointer (binary bytes, NULs) reads as a path that does not exist, and
        # auto-resume then takes the newest complete checkpoint instead
        with open(save_file, encoding='utf-8', errors='replace') as f:
            return f.read().strip().replace('\x00', '')
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
