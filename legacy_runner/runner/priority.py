"""``mmcv.runner.priority``: the hook priorities live in the core (``legacy_runner.utils.priority``),
where both runtimes use them; this module keeps mmcv's import path."""
from ..utils.priority import Priority, get_priority

__all__ = ['Priority', 'get_priority']
