"""``mmcv.utils.misc`` (shim)."""
from legacy_runner.utils.helpers import *  # noqa: F401,F403
from legacy_runner.utils.misc import *  # noqa: F401,F403
