"""``SingleDeviceStrategy``: one process, SyncBN reverted to BN, the model on the default device."""
from typing import Optional

from torch import nn

from .. import builders
from ..registry import STRATEGIES
from .base import BaseStrategy


@STRATEGIES.register_module()
class SingleDeviceStrategy(BaseStrategy):
    """Train on one device; the launcher is always ``'none'``."""

    def _resolve_launcher(self, launcher: Optional[str]) -> str:
        return 'none'

    def _wrap_model(self, model: nn.Module) -> nn.Module:
        return builders.wrap_model(model, False, self.logger, None)
