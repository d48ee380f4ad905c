"""``mmcv.runner.utils`` (shim)."""
from legacy_runner.dist import get_host_info, get_time_str
from legacy_runner.seed import set_random_seed
from legacy_runner.utils.helpers import obj_from_dict

__all__ = ['get_host_info', 'get_time_str', 'obj_from_dict', 'set_random_seed']
