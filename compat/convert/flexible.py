"""``--flexible``: make a converted config run under mmengine's ``FlexibleRunner``.

Adds ``runner_type='FlexibleRunner'`` and a ``strategy``: ``DDPStrategy`` when the v1 config names a
distributed ``launcher`` (``pytorch``/``slurm``/``mpi``), else ``SingleDeviceStrategy``. Runner-only
wrapper keys (``find_unused_parameters``, ``model_wrapper_cfg``, ``sync_bn``) move into the strategy,
where FlexibleRunner reads them.
"""
from typing import Any, Dict

DISTRIBUTED_LAUNCHERS = ('pytorch', 'slurm', 'mpi')


def make_flexible(v2: Dict[str, Any], v1: Dict[str, Any]) -> Dict[str, Any]:
    """A copy of ``v2`` selecting FlexibleRunner with the strategy the v1 launcher implies."""
    out = dict(v2)
    distributed = v1.get('launcher') in DISTRIBUTED_LAUNCHERS
    strategy: Dict[str, Any] = dict(type='DDPStrategy' if distributed else 'SingleDeviceStrategy')
    if distributed:
        wrapper = dict(out.pop('model_wrapper_cfg', None) or {})
        if out.get('find_unused_parameters'):
            wrapper['find_unused_parameters'] = True
        if wrapper:
            strategy['model_wrapper'] = wrapper
        if out.get('sync_bn'):
            strategy['sync_bn'] = out['sync_bn']
    out.pop('find_unused_parameters', None)
    out.pop('sync_bn', None)
    out['runner_type'] = 'FlexibleRunner'
    out['strategy'] = strategy
    return out
