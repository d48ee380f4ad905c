"""mmcv 1.x runners and their bookkeeping."""
from .log_buffer import LogBuffer
from .priority import Priority, get_priority

__all__ = ['LogBuffer', 'Priority', 'get_priority']
