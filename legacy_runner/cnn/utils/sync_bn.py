"""``revert_sync_batchnorm``: SyncBatchNorm layers back to plain batch norms (for CPU/one GPU)."""
import torch
from torch import nn


class _BatchNormXd(torch.nn.modules.batchnorm._BatchNorm):
    """A batch norm that accepts any input rank (SyncBatchNorm does not know its own)."""

    def _check_input_dim(self, input: torch.Tensor) -> None:
        return


def _sync_bn_types() -> tuple:
    types: tuple = (torch.nn.modules.batchnorm.SyncBatchNorm, )
    try:  # this package's mmcv.ops SyncBatchNorm, when present
        from ...ops.sync_bn import SyncBatchNorm
        types += (SyncBatchNorm, )
    except ImportError:
        pass
    return types


def revert_sync_batchnorm(module: nn.Module) -> nn.Module:
    """Replace every SyncBatchNorm in ``module`` (recursively) by a ``_BatchNormXd`` sharing its
    parameters and running statistics; returns the converted module."""
    module_output = module
    if isinstance(module, _sync_bn_types()):
        module_output = _BatchNormXd(module.num_features, module.eps, module.momentum, module.affine,
                                     module.track_running_stats)
        if module.affine:
            with torch.no_grad():
                module_output.weight = module.weight
                module_output.bias = module.bias
        module_output.running_mean = module.running_mean
        module_output.running_var = module.running_var
        module_output.num_batches_tracked = module.num_batches_tracked
        if hasattr(module, 'qconfig'):
            module_output.qconfig = module.qconfig
    for name, child in module.named_children():
        module_output.add_module(name, revert_sync_batchnorm(child))
    del module
    return module_output
