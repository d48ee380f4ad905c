"""Dataloader building from config: DefaultSampler, InfiniteSampler, pseudo/default collate."""
import copy
import itertools
import math
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, Iterator, Optional, Sized

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import BatchSampler, DataLoader, Sampler
from torch.utils.data._utils.collate import default_collate as _torch_default_collate

from legacy_runner.dist import get_dist_info
from legacy_runner.seed import worker_init_fn

from .registry import DATA_SAMPLERS, DATASETS, FUNCTIONS


def sync_random_seed() -> int:
    """A random seed drawn on rank 0 and shared with every rank."""
    seed = int(np.random.randint(2**31))
    _, world_size = get_dist_info()
    if world_size > 1:
        box = [seed]
        dist.broadcast_object_list(box, src=0)
        seed = box[0]
    return seed


@DATA_SAMPLERS.register_module()
class DefaultSampler(Sampler):
    """This rank's slice of a (seeded, per-epoch) permutation; ``round_up`` pads to equal lengths."""

    def __init__(self,
                 dataset: Sized,
                 shuffle: bool = True,
                 seed: Optional[int] = None,
                 round_up: bool = True) -> None:
        rank, world_size = get_dist_info()
        self.rank, self.world_size = rank, world_size
        self.dataset = dataset
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0
        self.round_up = round_up
        if round_up:
            self.num_samples = math.ceil(len(dataset) / world_size)
            self.total_size = self.num_samples * world_size
        else:
            self.num_samples = math.ceil((len(dataset) - rank) / world_size)
            self.total_size = len(dataset)

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            g = torch.Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = torch.randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        if self.round_up:
            indices = (indices * int(self.total_size / len(indices) + 1))[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.world_size])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch


@DATA_SAMPLERS.register_module()
class InfiniteSampler(Sampler):
    """An endless stream of (re)shuffled indices; ``len`` is the dataset size, ``set_epoch`` a no-op."""

    def __init__(self, dataset: Sized, shuffle: bool = True, seed: Optional[int] = None) -> None:
        self.rank, self.world_size = get_dist_info()
        self.dataset = dataset
        self.size = len(dataset)
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else seed
        # one generator for the sampler's life: a restarted DataLoader continues the stream
        self.indices = itertools.islice(self._infinite_indices(), self.rank, None, self.world_size)

    def _infinite_indices(self) -> Iterator[int]:
        g = torch.Generator()
        g.manual_seed(self.seed)
        while True:
            if self.shuffle:
                yield from torch.randperm(self.size, generator=g).tolist()
            else:
                yield from range(self.size)

    def __iter__(self) -> Iterator[int]:
        yield from self.indices

    def __len__(self) -> int:
        return self.size

    def set_epoch(self, epoch: int) -> None:
        pass


DATA_SAMPLERS.register_module(module=BatchSampler)


def _transpose(data_batch: Sequence, leaf: Any) -> Any:
    first = data_batch[0]
    if isinstance(first, str) or not isinstance(first, (Mapping, Sequence)):
        return leaf(data_batch)
    if isinstance(first, tuple) and hasattr(first, '_fields'):
        return type(first)(*(_transpose(s, leaf) for s in zip(*data_batch)))
    if isinstance(first, Mapping):
        return type(first)({k: _transpose([d[k] for d in data_batch], leaf) for k in first})
    n = len(first)
    if not all(len(d) == n for d in data_batch):
        raise RuntimeError('each data_itement in list of batch should be of equal size')
    # per-position batches; a tuple becomes a list (mmengine)
    return [_transpose(list(samples), leaf) for samples in zip(*data_batch)]


@FUNCTIONS.register_module()
def pseudo_collate(data_batch: Sequence) -> Any:
    """Transpose a list of samples into a batch of lists (no stacking)."""
    return _transpose(data_batch, list)


def _stack_leaf(values: list) -> Any:
    first = values[0]
    if hasattr(first, 'to_dict') and not isinstance(first, (torch.Tensor, dict)):
        return list(values)  # data elements stay a list
    return _torch_default_collate(values)


@FUNCTIONS.register_module()
def default_collate(data_batch: Sequence) -> Any:
    """Transpose like pseudo_collate, then stack the leaves with torch's default_collate."""
    return _transpose(data_batch, _stack_leaf)


def build_dataloader(dataloader: Any, seed: Optional[int] = None, diff_rank_seed: bool = False) -> DataLoader:
    """``Runner.build_dataloader``: a DataLoader is returned as is, a dict is built."""
    if isinstance(dataloader, DataLoader):
        return dataloader
    cfg = copy.deepcopy(dict(dataloader))
    dataset = cfg.pop('dataset')
    if isinstance(dataset, dict):
        dataset = DATASETS.build(dataset)
        if hasattr(dataset, 'full_init'):
            dataset.full_init()
    rank, _ = get_dist_info()
    sampler = cfg.pop('sampler')
    if isinstance(sampler, dict):
        sampler = DATA_SAMPLERS.build(sampler, default_args=dict(dataset=dataset,
                                                                 seed=None if diff_rank_seed else seed))
    batch_sampler = cfg.pop('batch_sampler', None)
    if isinstance(batch_sampler, dict):
        batch_sampler = DATA_SAMPLERS.build(batch_sampler,
                                            default_args=dict(sampler=sampler,
                                                              batch_size=cfg.pop('batch_size')))
    init_fn = None
    if 'worker_init_fn' in cfg:
        fn_cfg = dict(cfg.pop('worker_init_fn'))
        fn_type = fn_cfg.pop('type')
        init_fn = partial(FUNCTIONS.get(fn_type) if isinstance(fn_type, str) else fn_type, **fn_cfg)
    elif seed is not None:
        cfg.pop('disable_subprocess_warning', None)
        init_fn = partial(worker_init_fn, num_workers=cfg.get('num_workers', 0), rank=rank, seed=seed)
    collate = cfg.pop('collate_fn', dict(type='pseudo_collate'))
    if isinstance(collate, dict):
        collate = dict(collate)
        fn_type = collate.pop('type')
        fn = FUNCTIONS.get(fn_type) if isinstance(fn_type, str) else fn_type
        if fn is None:
            raise KeyError(f'{fn_type} is not in the mmengine::function registry.')
        collate = partial(fn, **collate)
    elif not callable(collate):
        raise TypeError('collate_fn should be a dict or callable object, but got '
                        f'{collate}')
    if not cfg.get('num_workers'):
        cfg.pop('persistent_workers', None)  # torch rejects it without workers
    return DataLoader(dataset=dataset, sampler=sampler if batch_sampler is None else None,
                      batch_sampler=batch_sampler, collate_fn=collate, worker_init_fn=init_fn, **cfg)
