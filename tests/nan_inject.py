"""Test-only module imported through a config's ``custom_imports`` (tests/test_dist_nonfinite.py).

``NanInjectHook`` (in the v1 and the v2 ``HOOKS``) fills the model's first parameter with NaN
before training iteration ``NAN_INJECT_ITER`` (0-based) on rank ``NAN_INJECT_RANK`` only, so that
one rank's loss turns non-finite while the others stay finite. ``RankLocalLossModel`` is a v2
model whose logged losses are its own rank's (mmengine's ``parse_losses`` averages nothing).
"""
import os

import torch
import torch.nn.functional as F
from torch import nn

from compat.v2.hooks.hook import Hook as V2Hook
from compat.v2.model import BaseModel as V2BaseModel
from compat.v2.registry import HOOKS as V2_HOOKS
from compat.v2.registry import MODELS as V2_MODELS
from legacy_runner.hooks import HOOKS as V1_HOOKS
from legacy_runner.hooks import Hook as V1Hook


def _poison(runner: object) -> None:
    rank = int(os.environ.get('RANK', '0'))
    if rank == int(os.environ['NAN_INJECT_RANK']) and runner.iter == int(os.environ['NAN_INJECT_ITER']):
        with torch.no_grad():
            next(runner.model.parameters()).fill_(float('nan'))


@V1_HOOKS.register_module(name='NanInjectHook')
class V1NanInjectHook(V1Hook):
    def before_train_iter(self, runner: object) -> None:
        _poison(runner)


@V2_HOOKS.register_module(name='NanInjectHook')
class V2NanInjectHook(V2Hook):
    def before_train_iter(self, runner: object, batch_idx: int, data_batch: object = None) -> None:
        _poison(runner)


@V2_MODELS.register_module()
class RankLocalLossModel(V2BaseModel):
    def __init__(self, in_channels: int = 8, num_classes: int = 4) -> None:
        super().__init__()
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, img: object = None, gt_label: object = None, mode: str = 'tensor', **kwargs: object):
        x = torch.stack(list(img)) if isinstance(img, (list, tuple)) else img
        logits = self.fc(x)
        if mode == 'loss':
            labels = torch.stack(list(gt_label)) if isinstance(gt_label, (list, tuple)) else gt_label
            return dict(loss=F.cross_entropy(logits, labels))
        return list(logits)
