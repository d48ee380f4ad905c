"""``mmcv.runner.dist_utils`` (shim)."""
from legacy_runner.dist import (
    allreduce_grads,
    allreduce_params,
    get_dist_info,
    init_dist,
    master_only,
)

__all__ = ['allreduce_grads', 'allreduce_params', 'get_dist_info', 'init_dist', 'master_only']
