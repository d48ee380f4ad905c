"""Evaluator and BaseMetric (mmengine semantics), with distributed result collection."""
import logging
import os
import os.path as osp
import pickle
import shutil
import tempfile
from abc import ABCMeta, abstractmethod
from itertools import zip_longest
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

import torch
import torch.distributed as dist

from legacy_runner.dist import get_dist_info

from .logging import print_log
from .registry import EVALUATOR, METRICS


def _to_cpu(data: Any) -> Any:
    if isinstance(data, torch.Tensor):
        return data.cpu()
    if isinstance(data, dict):
        return type(data)((k, _to_cpu(v)) for k, v in data.items())
    if isinstance(data, (list, tuple)):
        return type(data)(_to_cpu(v) for v in data)
    return data


def collect_results(results: list,
                    size: int,
                    device: str = 'cpu',
                    tmpdir: Optional[str] = None) -> Optional[list]:
    """Gather per-rank result lists on rank 0, interleaved by rank (sampler order), truncated to ``size``."""
    if device not in ('gpu', 'cpu', 'npu'):
        raise NotImplementedError(f"device must be 'cpu' , 'gpu' or 'npu', but got {device}")
    rank, world_size = get_dist_info()
    if world_size == 1:
        return results[:size]
    if device == 'cpu':
        parts = _gather_via_files(results, rank, world_size, tmpdir)
    else:
        parts = [None] * world_size
        dist.all_gather_object(parts, results)
    if rank != 0:
        return None
    ordered = [item for group in zip_longest(*parts) for item in group if item is not None]
    return ordered[:size]


def _gather_via_files(results: list, rank: int, world_size: int, tmpdir: Optional[str]) -> List[list]:
    name = [None]
    if rank == 0:
        if tmpdir is None:
            os.makedirs('.dist_test', exist_ok=True)
            tmpdir = tempfile.mkdtemp(dir='.dist_test')
        else:
            os.makedirs(tmpdir, exist_ok=True)
        name[0] = tmpdir
    dist.broadcast_object_list(name, src=0)
    tmpdir = name[0]
    with open(osp.join(tmpdir, f'part_{rank}.pkl'), 'wb') as f:
        pickle.dump(results, f, protocol=2)
    dist.barrier()
    parts: List[list] = []
    if rank == 0:
        for i in range(world_size):
            with open(osp.join(tmpdir, f'part_{i}.pkl'), 'rb') as f:
                parts.append(pickle.load(f))
        shutil.rmtree(tmpdir)
    dist.barrier()
    return parts


class BaseMetric(metaclass=ABCMeta):
    """A metric: ``process`` appends to ``self.results``; ``compute_metrics`` turns them into a dict.

    ``evaluate(size)`` collects the results over ranks, computes on rank 0, prefixes the keys
    (``prefix or default_prefix``), broadcasts, and clears ``self.results``.
    """

    default_prefix: Optional[str] = None

    def __init__(self, collect_device: str = 'cpu', prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        if collect_dir is not None and collect_device != 'cpu':
            raise ValueError('`collec_dir` could only be configured when `collect_device=\'cpu\'`')
        self._dataset_meta: Optional[dict] = None
        self.collect_device = collect_device
        self.results: List[Any] = []
        self.prefix = prefix or self.default_prefix
        self.collect_dir = collect_dir
        if self.prefix is None:
            print_log(f'The prefix is not set in metric class {self.__class__.__name__}.',
                      level=logging.WARNING)

    @property
    def dataset_meta(self) -> Optional[dict]:
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: Optional[dict]) -> None:
        self._dataset_meta = dataset_meta

    @abstractmethod
    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Add the results of one batch to ``self.results``."""

    @abstractmethod
    def compute_metrics(self, results: list) -> Dict[str, Any]:
        """Metrics from all collected results."""

    def evaluate(self, size: int) -> Dict[str, Any]:
        if len(self.results) == 0:
            print_log(f'{self.__class__.__name__} got empty `self.results`. Please ensure that the '
                      'processed results are properly added into `self.results` in `process` method.',
                      level=logging.WARNING)
        results = collect_results(self.results, size, self.collect_device, tmpdir=self.collect_dir)
        rank, world_size = get_dist_info()
        if rank == 0:
            metrics = self.compute_metrics(_to_cpu(results))
            if self.prefix:
                metrics = {'/'.join((self.prefix, k)): v for k, v in metrics.items()}
            payload = [metrics]
        else:
            payload = [None]
        if world_size > 1:
            dist.broadcast_object_list(payload, src=0)
        self.results.clear()
        return payload[0]


@EVALUATOR.register_module()
class Evaluator:
    """Runs several metrics; ``evaluate`` merges their dicts (a duplicate name is a ValueError)."""

    def __init__(self, metrics: Union[dict, BaseMetric, Sequence]) -> None:
        self._dataset_meta: Optional[dict] = None
        if not isinstance(metrics, Sequence):
            metrics = [metrics]
        self.metrics: List[BaseMetric] = [METRICS.build(m) if isinstance(m, dict) else m for m in metrics]

    @property
    def dataset_meta(self) -> Optional[dict]:
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: Optional[dict]) -> None:
        self._dataset_meta = dataset_meta
        for metric in self.metrics:
            metric.dataset_meta = dataset_meta

    def process(self, data_samples: Sequence, data_batch: Optional[Any] = None) -> None:
        samples = [s.to_dict() if hasattr(s, 'to_dict') and not isinstance(s, dict) else s
                   for s in data_samples]
        for metric in self.metrics:
            metric.process(data_batch, samples)

    def evaluate(self, size: int) -> Dict[str, Any]:
        metrics: Dict[str, Any] = {}
        for metric in self.metrics:
            result = metric.evaluate(size)
            for name in result:
                if name in metrics:
                    raise ValueError('There are multiple evaluation results with the same metric name '
                                     f'{name}. Please make sure all metrics have different prefixes.')
            metrics.update(result)
        return metrics

    def __iter__(self) -> Iterator[BaseMetric]:
        return iter(self.metrics)


def build_evaluator(evaluator: Any) -> Evaluator:
    """``Runner.build_evaluator``: an instance, a dict (with/without ``metrics``) or a list."""
    if isinstance(evaluator, Evaluator):
        return evaluator
    if isinstance(evaluator, dict):
        if 'metrics' in evaluator:
            cfg = dict(evaluator)
            cfg.setdefault('type', 'Evaluator')
            return EVALUATOR.build(cfg)
        return Evaluator(evaluator)
    if isinstance(evaluator, (list, tuple)):
        return Evaluator(list(evaluator))
    if isinstance(evaluator, BaseMetric):  # mmengine raises here; one metric is unambiguous
        return Evaluator([evaluator])
    raise TypeError('evaluator should be one of dict, list of dict, and Evaluator, but got '
                    f'{evaluator}')
