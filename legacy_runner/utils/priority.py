"""Hook priorities (lower value runs first), shared by the v1 and v2 runtimes."""
from enum import Enum
from typing import Union


class Priority(Enum):
    HIGHEST = 0
    VERY_HIGH = 10
    HIGH = 30
    ABOVE_NORMAL = 40
    NORMAL = 50
    BELOW_NORMAL = 60
    LOW = 70
    VERY_LOW = 90
    LOWEST = 100


def get_priority(priority: Union[int, str, Priority]) -> int:
    """Turn an int (0..100), a Priority or its (case-insensitive) name into an int."""
    if isinstance(priority, bool):
        raise TypeError('priority must be an integer or Priority enum value')
    if isinstance(priority, int):
        if priority < 0 or priority > 100:
            raise ValueError('priority must be between 0 and 100')
        return priority
    if isinstance(priority, Priority):
        return priority.value
    if isinstance(priority, str):
        return Priority[priority.upper()].value
    raise TypeError('priority must be an integer or Priority enum value')
