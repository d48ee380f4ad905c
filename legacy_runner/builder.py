"""MODELS / DATASETS / PIPELINES registries and the builders a 1.x training flow needs.

``build_dataset`` understands the dataset wrappers of mmdet/mmcls 1.x configs: a list of configs
(concatenation), ``type='ConcatDataset'`` and ``type='RepeatDataset'``.
"""
import bisect
import copy
from functools import partial
from typing import Any, Dict, List, Optional, Sequence

from torch.utils.data import ConcatDataset as _TorchConcatDataset
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from .dist import get_dist_info
from .registry import Registry, build_from_cfg

MODELS = Registry('model')
DATASETS = Registry('dataset')
PIPELINES = Registry('pipeline')


def build_model(cfg: Dict, default_args: Optional[Dict] = None) -> Any:
    """Build a model from ``cfg`` (``type`` looked up in MODELS)."""
    return build_from_cfg(cfg, MODELS, default_args)


@DATASETS.register_module()
class ConcatDataset(_TorchConcatDataset):
    """Concatenation of datasets that keeps ``CLASSES`` and can evaluate each part.

    Args:
        datasets: the datasets to concatenate (objects, already built).
        separate_eval: evaluate every part on its slice of the results, keys prefixed with
            ``'{index}_'`` (the only mode supported).
    """

    def __init__(self, datasets: Sequence[Dataset], separate_eval: bool = True) -> None:
        super().__init__(datasets)
        if not separate_eval:
            raise NotImplementedError('ConcatDataset only supports separate_eval=True')
        self.separate_eval = separate_eval
        self.CLASSES = getattr(datasets[0], 'CLASSES', None)

    def evaluate(self, results: List[Any], logger: Any = None, **kwargs: Any) -> Dict[str, Any]:
        """Evaluate each part on its slice of ``results``; keys become ``'{i}_{key}'``."""
        assert len(results) == self.cumulative_sizes[-1], \
            f'Dataset and results have different sizes: {self.cumulative_sizes[-1]} v.s. {len(results)}'
        out: Dict[str, Any] = {}
        start = 0
        for i, (dataset, end) in enumerate(zip(self.datasets, self.cumulative_sizes)):
            part = dataset.evaluate(results[start:end], logger=logger, **kwargs)
            out.update({f'{i}_{k}': v for k, v in part.items()})
            start = end
        return out

    def get_dataset_index(self, idx: int) -> int:
        """Which part holds sample ``idx``."""
        return bisect.bisect_right(self.cumulative_sizes, idx)


@DATASETS.register_module()
class RepeatDataset(Dataset):
    """``dataset`` repeated ``times`` times (shortens epochs' overhead on small datasets)."""

    def __init__(self, dataset: Dataset, times: int) -> None:
        self.dataset = dataset
        self.times = times
        self.CLASSES = getattr(dataset, 'CLASSES', None)
        self._ori_len = len(dataset)  # type: ignore[arg-type]

    def __getitem__(self, idx: int) -> Any:
        return self.dataset[idx % self._ori_len]

    def __len__(self) -> int:
        return self.times * self._ori_len


def build_dataset(cfg: Any, default_args: Optional[Dict] = None) -> Dataset:
    """Build a dataset (or a wrapper) from a config dict, or concatenate a list of configs."""
    if isinstance(cfg, (list, tuple)):
        return ConcatDataset([build_dataset(c, default_args) for c in cfg])
    if not isinstance(cfg, dict):
        raise TypeError(f'cfg must be a dict, but got {type(cfg)}')
    kind = cfg.get('type')
    if kind == 'ConcatDataset':
        args = copy.deepcopy(dict(cfg))
        args.pop('type')
        parts = [build_dataset(c, default_args) for c in args.pop('datasets')]
        return ConcatDataset(parts, **args)
    if kind == 'RepeatDataset':
        return RepeatDataset(build_dataset(cfg['dataset'], default_args), cfg['times'])
    return build_from_cfg(cfg, DATASETS, default_args)


def build_dataloader(dataset: Dataset, samples_per_gpu: int, workers_per_gpu: int, num_gpus: int = 1,
                     dist: bool = False, shuffle: bool = True, seed: Optional[int] = None,
                     persistent_workers: bool = False, **kwargs: Any) -> DataLoader:
    """A DataLoader as mmdet/mmcls 1.x built it.

    In distributed mode every process loads ``samples_per_gpu`` samples from its own shard of a
    ``DistributedSampler`` (shuffled with ``seed``); otherwise one process loads
    ``num_gpus * samples_per_gpu``. Workers are seeded with ``worker_init_fn`` when ``seed`` is set.
    Unknown ``kwargs`` (e.g. ``runner_type``, ``pin_memory``) go to DataLoader except the mmdet-only
    ``runner_type``/``class_aware_sampler``, which are dropped.
    """
    from .parallel import collate
    from .seed import worker_init_fn

    rank, world_size = get_dist_info()
    if dist:
        sampler = DistributedSampler(dataset, world_size, rank, shuffle=shuffle,
                                     seed=seed if seed is not None else 0)
        shuffle = False
        batch_size, num_workers = samples_per_gpu, workers_per_gpu
    else:
        sampler = None
        batch_size, num_workers = num_gpus * samples_per_gpu, num_gpus * workers_per_gpu
    # Sampler choices of later mmdet versions; they mean nothing for these loaders.
    kwargs.pop('runner_type', None)
    kwargs.pop('class_aware_sampler', None)
    init_fn = (partial(worker_init_fn, num_workers=num_workers, rank=rank, seed=seed)
               if seed is not None else None)
    if num_workers > 0:
        # torch rejects persistent_workers=True without worker processes.
        kwargs['persistent_workers'] = persistent_workers
    kwargs.setdefault('pin_memory', False)
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, num_workers=num_workers,
                      collate_fn=partial(collate, samples_per_gpu=samples_per_gpu), shuffle=shuffle,
                      worker_init_fn=init_fn, **kwargs)
