"""Hook priorities (lower value runs first) and hook order, shared by the v1 and v2 runtimes.

Both runtimes keep their hooks in one list sorted by priority (:func:`insert_hook`), know which
stages a hook acts on from the methods its class overrides (:func:`triggered_stages`), group the
hooks per stage (:func:`hooks_by_stage`) and log the same per-stage table (:func:`hook_table`).
"""
from enum import Enum
from typing import Any, Dict, List, Mapping, Sequence, Union

from .misc import is_method_overridden


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


def insert_hook(hooks: List[Any], hook: Any) -> None:
    """Insert ``hook`` after the last hook of lower-or-equal priority (ties keep registration order)."""
    value = get_priority(hook.priority)
    for i in range(len(hooks) - 1, -1, -1):
        if value >= get_priority(hooks[i].priority):
            hooks.insert(i + 1, hook)
            return
    hooks.insert(0, hook)


def triggered_stages(hook: Any, base: type, stages: Sequence[str],
                     generic: Mapping[str, Sequence[str]]) -> List[str]:
    """The ``stages`` (in their order) whose method ``hook``'s class overrides from ``base``; an
    override of a generic method (``generic``: name -> the stages forwarding to it) counts for all."""
    overridden = {s for s in stages if is_method_overridden(s, base, hook)}
    for method, served in generic.items():
        if is_method_overridden(method, base, hook):
            overridden.update(served)
    return [s for s in stages if s in overridden]


def hooks_by_stage(hooks: Sequence[Any], stages: Sequence[str]) -> Dict[str, List[Any]]:
    """Per stage, in priority order, the hooks whose ``get_triggered_stages()`` name it."""
    table: Dict[str, List[Any]] = {stage: [] for stage in stages}
    for hook in hooks:
        for stage in hook.get_triggered_stages():
            table[stage].append(hook)
    return table


def hook_table(hooks: Sequence[Any], stages: Sequence[str]) -> str:
    """The 'Hooks will be executed in the following order' text: per stage, each hook's priority
    (its name when it is a standard one) and class."""
    blocks = []
    for stage, members in hooks_by_stage(hooks, stages).items():
        if not members:
            continue
        lines = []
        for hook in members:
            try:
                name: Union[str, int] = Priority(hook.priority).name
            except ValueError:
                name = hook.priority
            lines.append(f'({name:<12}) {hook.__class__.__name__:<35}')
        blocks.append(f'{stage}:\n' + '\n'.join(lines) + '\n -------------------- ')
    return '\n'.join(blocks)
