"""``DDPStrategy``: a process group per launcher and ``MMDistributedDataParallel`` (CPU/gloo or CUDA)."""
from typing import Dict, Optional

import torch
from torch import nn

from legacy_runner.checkpoint import weights_to_cpu

from .. import builders
from ..registry import STRATEGIES
from .base import BaseStrategy


@STRATEGIES.register_module()
class DDPStrategy(BaseStrategy):
    """Args: model_wrapper (a MODEL_WRAPPERS config), sync_bn (``'torch'`` converts BN to SyncBN)."""

    def __init__(self, *, model_wrapper: Optional[Dict] = None, sync_bn: Optional[str] = None,
                 **kwargs: object) -> None:
        self.model_wrapper = model_wrapper
        self.sync_bn = sync_bn
        super().__init__(**kwargs)  # type: ignore[arg-type]

    def _resolve_launcher(self, launcher: Optional[str]) -> str:
        return launcher if launcher not in (None, 'none') else 'pytorch'

    def _dist_cfg(self, dist_cfg: Optional[Dict]) -> Dict:
        cfg = dict(dist_cfg or {})
        # nccl needs CUDA: CPU-only machines fall back to gloo
        if not torch.cuda.is_available() and cfg.get('backend', 'nccl') == 'nccl':
            cfg['backend'] = 'gloo'
        return cfg

    def _wrap_model(self, model: nn.Module) -> nn.Module:
        wrapper = None
        if self.model_wrapper is not None:
            wrapper = dict(self.model_wrapper)
            wrapper.setdefault('type', 'MMDistributedDataParallel')
            if wrapper['type'] == 'MMDistributedDataParallel':
                wrapper.setdefault('broadcast_buffers', False)
        return builders.wrap_model(model, True, self.logger, wrapper, False, self.sync_bn)

    def model_state_dict(self) -> Dict:
        """The wrapper's state dict: keys keep the ``module.`` prefix (mmengine's DDPStrategy)."""
        return weights_to_cpu(self.model.state_dict())
