"""``mmcv.utils.parrots_wrapper`` (shim): the torch base classes old code imports from here."""
import torch
from torch.nn import SyncBatchNorm
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd, _ConvTransposeMixin
from torch.nn.modules.instancenorm import _InstanceNorm
from torch.nn.modules.pooling import _AdaptiveAvgPoolNd, _AdaptiveMaxPoolNd, _AvgPoolNd, _MaxPoolNd
from torch.utils.data import DataLoader, Dataset

TORCH_VERSION = torch.__version__

__all__ = ['DataLoader', 'Dataset', 'SyncBatchNorm', 'TORCH_VERSION', '_AdaptiveAvgPoolNd',
           '_AdaptiveMaxPoolNd', '_AvgPoolNd', '_BatchNorm', '_ConvNd', '_ConvTransposeMixin',
           '_InstanceNorm', '_MaxPoolNd']
