"""Sharded checkpoints: a directory holding torch.distributed.checkpoint (DCP) files for the weights and
optimizer state, plus ``meta.pth`` (meta, message hub, schedulers) written by rank 0."""
import os
import os.path as osp
from typing import Any, Dict

import torch.distributed.checkpoint as dcp
from torch import nn

from ..checkpoint import load_checkpoint_file, save_checkpoint_file

META_FILE = 'meta.pth'


def is_sharded_checkpoint(path: str) -> bool:
    return osp.isdir(path) and osp.isfile(osp.join(path, META_FILE))


def save_sharded(path: str, tensors: Dict[str, Any], extras: Dict[str, Any], rank: int) -> None:
    """Every rank writes its shards of ``tensors`` with DCP; rank 0 writes ``extras`` to ``meta.pth``."""
    os.makedirs(path, exist_ok=True)
    dcp.save(tensors, checkpoint_id=path)
    if rank == 0:
        save_checkpoint_file(extras, osp.join(path, META_FILE))


def load_sharded(path: str, template: Dict[str, Any]) -> Dict[str, Any]:
    """Fill ``template`` (DCP loads in place, resharding as needed) and return it."""
    dcp.load(template, checkpoint_id=path)
    return template


def read_meta(path: str, map_location: Any = 'cpu') -> Dict[str, Any]:
    return load_checkpoint_file(osp.join(path, META_FILE), map_location=map_location)


def read_sharded_as_full(path: str, model: nn.Module, map_location: Any = 'cpu') -> Dict[str, Any]:
    """A sharded checkpoint as one ``{state_dict, **meta}`` dict for an unsharded ``model`` (one process)."""
    checkpoint = read_meta(path, map_location)
    template = {'state_dict': {k: v.detach().clone() for k, v in model.state_dict().items()}}
    checkpoint['state_dict'] = load_sharded(path, template)['state_dict']
    return checkpoint
