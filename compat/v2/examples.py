"""The embedded example for v2 configs: the toy dataset, an MLP ``BaseModel`` and an accuracy metric.

Importing this module registers, in the v2 registries, ``ToyClsDataset`` (the v1 dataset plus
``metainfo``), ``ToyMLPClassifier`` (wraps the v1 ``MLPClassifier`` layers) and ``ToyAccuracy``.
"""
from typing import Any, Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F

from legacy_runner.examples import MLPClassifier
from legacy_runner.examples import ToyClsDataset as _V1ToyClsDataset

from .evaluator import BaseMetric
from .model import BaseModel
from .registry import DATASETS, METRICS, MODELS


@DATASETS.register_module()
class ToyClsDataset(_V1ToyClsDataset):
    """The v1 toy dataset (same generated samples) with mmengine's ``metainfo``."""

    @property
    def metainfo(self) -> Dict[str, Any]:
        return dict(classes=self.CLASSES)


@MODELS.register_module()
class ToyMLPClassifier(BaseModel):
    """``forward(img, gt_label, mode)``: 'loss' → cross-entropy, 'predict' → per-sample dicts.

    Args mirror the v1 ``MLPClassifier`` (its layers are reused as ``self.mlp``).
    """

    def __init__(self, in_channels: int = 8, hidden_channels: Sequence[int] = (64, 64), num_classes: int = 4,
                 dropout: float = 0.0, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.mlp = MLPClassifier(in_channels, hidden_channels, num_classes, dropout)

    def forward(self, img: Any, gt_label: Any = None, mode: str = 'tensor') -> Any:
        img = torch.stack(img) if isinstance(img, (list, tuple)) else img
        logits = self.mlp.head(self.mlp.backbone(img))
        if mode == 'tensor':
            return logits
        if gt_label is not None and isinstance(gt_label, (list, tuple)):
            gt_label = torch.stack(gt_label)
        if mode == 'loss':
            return dict(loss=F.cross_entropy(logits.float(), gt_label))
        scores = F.softmax(logits.float(), dim=1)
        preds = scores.argmax(dim=1)
        labels = gt_label if gt_label is not None else [None] * len(preds)
        return [dict(pred_label=int(p), pred_score=s, gt_label=None if g is None else int(g))
                for p, s, g in zip(preds, scores, labels)]


@METRICS.register_module()
class ToyAccuracy(BaseMetric):
    """``accuracy`` (fraction of samples whose ``pred_label`` equals ``gt_label``); no key prefix."""

    default_prefix = ''

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        self.results.extend(int(s['pred_label'] == s['gt_label']) for s in data_samples)

    def compute_metrics(self, results: List[int]) -> Dict[str, float]:
        return dict(accuracy=sum(results) / max(len(results), 1))
