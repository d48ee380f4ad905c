"""An MLP classifier following the mmcv 1.x model contract (train_step / val_step / forward)."""
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from ..base_module import BaseModule
from ..builder import MODELS
from ..fp16_utils import auto_fp16
from ..loss_checks import require_total_loss


@MODELS.register_module()
class MLPClassifier(BaseModule):
    """``Linear -> ReLU`` blocks and a linear head, trained with cross-entropy.

    ``forward(img, gt_label=None, return_loss=True)`` returns a loss dict (``loss``, ``acc``) in
    training and a list of per-sample softmax score arrays otherwise (what ``single_gpu_test``
    collects and ``ToyClsDataset.evaluate`` consumes).

    With ``fp16_enabled`` (set by ``wrap_fp16_model``, i.e. by Fp16OptimizerHook) the layers run
    through ``auto_fp16`` (bfloat16 autocast on CPU, float16 on CUDA); the logits come back as
    float32, so the loss is always computed in float32.
    """

    def __init__(self, in_channels: int = 8, hidden_channels: Sequence[int] = (64, 64),
                 num_classes: int = 4, dropout: float = 0.0, loss_weight: float = 1.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        layers: List[nn.Module] = []
        width = in_channels
        for hidden in hidden_channels:
            layers += [nn.Linear(width, hidden), nn.ReLU(inplace=True)]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = hidden
        self.backbone = nn.Sequential(*layers)
        self.head = nn.Linear(width, num_classes)
        self.loss_weight = loss_weight
        self.fp16_enabled = False

    @auto_fp16(apply_to=('img', ), out_fp32=True)
    def _logits(self, img: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(img))

    def forward(self, img: torch.Tensor, gt_label: Optional[torch.Tensor] = None,
                return_loss: bool = True, **kwargs: Any) -> Any:
        if return_loss:
            if gt_label is None:
                raise ValueError('gt_label is required when return_loss=True')
            return self.forward_train(img, gt_label)
        return self.forward_test(img)

    def forward_train(self, img: torch.Tensor, gt_label: torch.Tensor) -> Dict[str, torch.Tensor]:
        logits = self._logits(img)
        loss = F.cross_entropy(logits, gt_label) * self.loss_weight
        acc = (logits.argmax(dim=1) == gt_label).float().mean()
        return OrderedDict(loss=loss, acc=acc)

    def forward_test(self, img: torch.Tensor) -> List[np.ndarray]:
        scores = F.softmax(self._logits(img), dim=1)
        return list(scores.detach().cpu().numpy())

    @staticmethod
    def _parse_losses(losses: Dict[str, Any]) -> Tuple[torch.Tensor, Dict[str, float]]:
        """Sum every entry whose key contains 'loss'; log every entry as a float (rank-averaged)."""
        log_vars: Dict[str, torch.Tensor] = OrderedDict()
        for name, value in losses.items():
            if isinstance(value, torch.Tensor):
                log_vars[name] = value.mean()
            elif isinstance(value, (list, tuple)):
                log_vars[name] = sum(v.mean() for v in value)
            else:
                raise TypeError(f'{name} is not a tensor or list of tensors')
        loss = sum(v for k, v in log_vars.items() if 'loss' in k)
        require_total_loss(loss, log_vars.keys())  # no *loss* entry: 0, and nothing to optimize
        log_vars['loss'] = loss
        distributed = dist.is_available() and dist.is_initialized()
        out: Dict[str, float] = OrderedDict()
        for name, value in log_vars.items():
            value = value.detach().clone()
            if distributed:
                dist.all_reduce(value.div_(dist.get_world_size()))
            out[name] = value.item()
        return loss, out

    def train_step(self, data_batch: Dict[str, torch.Tensor], optimizer: Any = None,
                   **kwargs: Any) -> Dict[str, Any]:
        """One forward pass; OptimizerHook does backward/step. Returns loss, log_vars, num_samples."""
        losses = self(**data_batch)
        loss, log_vars = self._parse_losses(losses)
        return dict(loss=loss, log_vars=log_vars, num_samples=len(data_batch['img']))

    def val_step(self, data_batch: Dict[str, torch.Tensor], optimizer: Any = None,
                 **kwargs: Any) -> Dict[str, Any]:
        """Same outputs as train_step (used by the ('val', N) workflow phase)."""
        losses = self(**data_batch)
        loss, log_vars = self._parse_losses(losses)
        return dict(loss=loss, log_vars=log_vars, num_samples=len(data_batch['img']))
