"""Shared fixtures for the v2 runtime tests: tiny models, datasets and a recording hook."""
import torch
from torch import nn
from torch.utils.data import Dataset

from compat.v2 import BaseMetric, BaseModel, Hook


class TwoLinear(BaseModel):
    """``a = Linear(2, 2)``, ``b = Linear(2, 1)``, MSE loss (the golden LR-schedule model)."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(2, 2)
        self.b = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        x = torch.stack(inputs) if isinstance(inputs, list) else inputs
        out = self.b(self.a(x))
        if mode == 'loss':
            y = torch.stack(data_samples) if isinstance(data_samples, list) else data_samples
            return dict(loss=((out - y) ** 2).mean())
        return [dict(pred=o) for o in out]


class PointDataset(Dataset):
    """``n`` fixed samples ``dict(inputs=Tensor[dim], data_samples=Tensor[1])``."""

    def __init__(self, n: int, dim: int = 2, seed: int = 0) -> None:
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randn(n, dim, generator=g)
        self.y = torch.randn(n, 1, generator=g)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict:
        return dict(inputs=self.x[i], data_samples=self.y[i])


class RecordHook(Hook):
    """Records every param group's lr and momentum (or Adam betas[0]) at before_train_iter."""

    priority = 'LOWEST'

    def __init__(self) -> None:
        self.records = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        groups = runner.optim_wrapper.optimizer.param_groups
        self.records.append(dict(
            iter=runner.iter, epoch=runner.epoch, batch_idx=batch_idx, lr=[g['lr'] for g in groups],
            momentum=[g['momentum'] if 'momentum' in g else g['betas'][0] for g in groups]))


class MeanErrorMetric(BaseMetric):
    """``mae`` of the predictions (for loops that need an evaluator)."""

    default_prefix = ''

    def process(self, data_batch, data_samples):
        ys = data_batch['data_samples']
        for out, y in zip(data_samples, ys):
            self.results.append(float((out['pred'] - y).abs().mean()))

    def compute_metrics(self, results):
        return dict(mae=sum(results) / len(results))
