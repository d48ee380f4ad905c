"""The architecture of the golden mmcv/mmengine runs: fc=Linear(4,2) then bn=BatchNorm1d(2)."""
from torch import nn


class GoldenNet(nn.Module):
    """Subclasses add the train_step/val_step each test needs."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 2)
        self.bn = nn.BatchNorm1d(2)

    def forward(self, x):
        return self.bn(self.fc(x))
