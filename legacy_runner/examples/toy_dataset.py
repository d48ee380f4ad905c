"""A classification dataset generated in-process from a seed (no files, no downloads).

Every class is a mixture of two Gaussian blobs placed on opposite sides of the origin
(``+r*e_c`` and ``-r*e_c`` in a randomly rotated basis), so the classes are not linearly separable
(a linear model stays near chance) while a small MLP reaches ~97% (the Bayes rate at the default
``radius=3, std=0.8`` is ~98%).
"""
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch.utils.data import Dataset

from ..builder import DATASETS, PIPELINES
from ..registry import build_from_cfg

_SPLITS = {'train': 0, 'val': 1, 'test': 2}


def make_blobs(num_samples: int, num_classes: int = 4, num_features: int = 8, radius: float = 3.0,
               std: float = 0.8, seed: int = 0, split: str = 'train') -> Tuple[np.ndarray, np.ndarray]:
    """Sample ``(features float32 [N, D], labels int64 [N])``.

    The blob geometry depends only on ``seed``; the samples on ``(seed, split)``, so the splits of
    one seed share their classes but not their points.
    """
    if num_features < num_classes:
        raise ValueError(f'num_features ({num_features}) must be >= num_classes ({num_classes})')
    if split not in _SPLITS:
        raise KeyError(f'split must be one of {sorted(_SPLITS)}, but got {split!r}')
    geometry = np.random.default_rng(seed)
    rotation, _ = np.linalg.qr(geometry.normal(size=(num_features, num_features)))
    axes = np.eye(num_features)[:num_classes] * radius
    centers = np.concatenate([axes, -axes]) @ rotation
    sampler = np.random.default_rng([seed, _SPLITS[split]])
    blob = sampler.integers(0, 2 * num_classes, size=num_samples)
    feats = centers[blob] + sampler.normal(size=(num_samples, num_features)) * std
    return feats.astype(np.float32), (blob % num_classes).astype(np.int64)


@PIPELINES.register_module()
class Normalize:
    """``img = (img - mean) / std`` (scalars or per-feature sequences)."""

    def __init__(self, mean: Union[float, Sequence[float]] = 0.0,
                 std: Union[float, Sequence[float]] = 1.0) -> None:
        self.mean = np.asarray(mean, dtype=np.float32)
        self.std = np.asarray(std, dtype=np.float32)

    def __call__(self, results: Dict[str, Any]) -> Dict[str, Any]:
        results['img'] = (results['img'] - self.mean) / self.std
        return results


@PIPELINES.register_module()
class RandomNoise:
    """Add Gaussian noise of ``std`` to the features with probability ``prob`` (train-time jitter)."""

    def __init__(self, std: float = 0.1, prob: float = 1.0) -> None:
        self.std = std
        self.prob = prob

    def __call__(self, results: Dict[str, Any]) -> Dict[str, Any]:
        # np.random is what set_random_seed / worker_init_fn seed, so runs stay reproducible.
        if np.random.rand() < self.prob:
            img = results['img']
            results['img'] = (img + np.random.normal(0.0, self.std, size=img.shape)).astype(np.float32)
        return results


class Compose:
    """Apply transforms (configs are built from PIPELINES) in order."""

    def __init__(self, transforms: Optional[Sequence[Union[Dict, Callable]]] = None) -> None:
        self.transforms: List[Callable] = []
        for t in transforms or []:
            if isinstance(t, dict):
                t = build_from_cfg(t, PIPELINES)
            if not callable(t):
                raise TypeError(f'transform must be callable or a dict, but got {type(t)}')
            self.transforms.append(t)

    def __call__(self, results: Dict[str, Any]) -> Dict[str, Any]:
        for t in self.transforms:
            results = t(results)
        return results


@DATASETS.register_module()
class ToyClsDataset(Dataset):
    """mmcls-style dataset over :func:`make_blobs`.

    ``__getitem__`` returns ``dict(img=FloatTensor[D], gt_label=LongTensor[])``; the pipeline works
    on numpy values before that conversion. ``evaluate`` takes the per-sample class scores that
    ``MLPClassifier(return_loss=False)`` produces.

    Args:
        num_samples, num_classes, num_features, radius, std, seed, split: see :func:`make_blobs`.
        pipeline: transform configs (PIPELINES) or callables.
        classes: class names; default ``('class_0', ...)``.
        test_mode: accepted for config compatibility (the labels are always returned).
    """

    CLASSES: Optional[Tuple[str, ...]] = None

    def __init__(self, num_samples: int = 1024, num_classes: int = 4, num_features: int = 8,
                 radius: float = 3.0, std: float = 0.8, seed: int = 0, split: str = 'train',
                 pipeline: Optional[Sequence[Union[Dict, Callable]]] = None,
                 classes: Optional[Sequence[str]] = None, test_mode: bool = False) -> None:
        self.data, self.gt_labels = make_blobs(num_samples, num_classes, num_features, radius, std,
                                               seed, split)
        self.num_classes = num_classes
        self.split = split
        self.test_mode = test_mode
        self.pipeline = Compose(pipeline)
        self.CLASSES = tuple(classes) if classes is not None else tuple(
            f'class_{i}' for i in range(num_classes))
        if len(self.CLASSES) != num_classes:
            raise ValueError(f'{len(self.CLASSES)} class names given for {num_classes} classes')

    def __len__(self) -> int:
        return len(self.gt_labels)

    def __getitem__(self, idx: int) -> Dict[str, torch.Tensor]:
        results = self.pipeline(dict(img=self.data[idx].copy(), gt_label=int(self.gt_labels[idx])))
        return dict(img=torch.from_numpy(np.ascontiguousarray(results['img'], dtype=np.float32)),
                    gt_label=torch.tensor(results['gt_label'], dtype=torch.long))

    def get_gt_labels(self) -> np.ndarray:
        return self.gt_labels

    def evaluate(self, results: Sequence[Any], metric: Union[str, Sequence[str]] = 'accuracy',
                 metric_options: Optional[Dict] = None, logger: Any = None,
                 **kwargs: Any) -> Dict[str, float]:
        """Metrics as fractions in [0, 1]: 'accuracy', and macro 'precision'/'recall'/'f1_score'.

        ``results`` holds one entry per sample: a score vector (argmax is the prediction) or an
        int label.
        """
        metrics = [metric] if isinstance(metric, str) else list(metric)
        allowed = ('accuracy', 'precision', 'recall', 'f1_score')
        for m in metrics:
            if m not in allowed:
                raise KeyError(f'metric {m} is not supported (choose from {allowed})')
        if len(results) != len(self):
            raise ValueError(f'got {len(results)} results for {len(self)} samples')
        preds = np.array([int(np.argmax(r)) if np.ndim(r) else int(r) for r in results])
        gts = self.gt_labels
        out: Dict[str, float] = {}
        if 'accuracy' in metrics:
            out['accuracy'] = float((preds == gts).mean())
        per_class = []
        for c in range(self.num_classes):
            tp = float(np.sum((preds == c) & (gts == c)))
            precision = tp / max(float(np.sum(preds == c)), 1.0)
            recall = tp / max(float(np.sum(gts == c)), 1.0)
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            per_class.append((precision, recall, f1))
        for i, name in enumerate(('precision', 'recall', 'f1_score')):
            if name in metrics:
                out[name] = float(np.mean([row[i] for row in per_class]))
        return out
