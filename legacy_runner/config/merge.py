"""Merging a child config (or ``--cfg-options``) into its base, with mmcv 1.x rules.

Kept free of file handling so that the converter and tests can use it on plain dicts.
"""
import copy
from typing import Any, Dict, Mapping, Union

from .config_dict import ConfigDict

BASE_KEY = '_base_'
DELETE_KEY = '_delete_'


def merge_a_into_b(a: Mapping, b: Union[Dict, list], allow_list_keys: bool = False) -> Any:
    """Return a copy of ``b`` with ``a`` merged in; values of ``a`` win.

    * a dict value merges recursively into a dict of the same key in ``b``, unless it carries
      ``_delete_=True``, in which case it replaces it (``_delete_`` is only removed when the key
      exists in ``b``: otherwise it stays in the result, exactly as in mmcv);
    * with ``allow_list_keys``, digit keys such as ``'0'`` address list items of ``b``;
    * anything else replaces the value in ``b``.

    The child's dicts lose their ``_delete_`` key in place (mmcv pops it from the child too).
    """
    b = b.copy()
    for key, value in a.items():
        if allow_list_keys and isinstance(b, list) and isinstance(key, str) and key.isdigit():
            index = int(key)
            if index >= len(b):
                raise KeyError(f'Index {index} exceeds the length of list {b}')
            if not isinstance(value, dict):
                # a leaf such as ``--cfg-options a.0=5`` replaces the item (mmcv crashed here)
                b[index] = value
            elif isinstance(b[index], (dict, list)):
                b[index] = merge_a_into_b(value, b[index], allow_list_keys)
            else:
                raise TypeError(f'{key}={value} cannot be merged into item {index} of {b}: the item '
                                f'is of type {type(b[index])}, not a dict or list')
        elif isinstance(value, dict):
            # the order of the two tests matters: ``_delete_`` is popped only for inherited keys
            if key in b and not value.pop(DELETE_KEY, False):
                allowed = (dict, list) if allow_list_keys else dict
                if not isinstance(b[key], allowed):
                    raise TypeError(
                        f'{key}={value} in child config cannot inherit from base because {key} is '
                        f'a dict in the child config but is of type {type(b[key])} in base config. '
                        f'You may set `{DELETE_KEY}=True` to ignore the base config.')
                b[key] = merge_a_into_b(value, b[key], allow_list_keys)
            else:
                b[key] = ConfigDict(value)
        else:
            b[key] = value
    return b


def nest_dotted_keys(options: Mapping[str, Any]) -> Dict[str, Any]:
    """``{'a.b.0.c': 1}`` -> ``{'a': {'b': {'0': {'c': 1}}}}`` (inner levels are ConfigDicts)."""
    nested: Dict[str, Any] = {}
    for full_key, value in options.items():
        node: Any = nested
        *parents, leaf = full_key.split('.')
        for part in parents:
            node = node.setdefault(part, ConfigDict())
            if not isinstance(node, dict):
                raise TypeError(
                    f'cannot set option {full_key!r}: {part!r} is given a non-dict value by '
                    'another option')
        node[leaf] = value
    return nested


def substitute_base_refs(cfg: Any, refs: Mapping[str, str], base_cfg: Mapping, filename: str) -> Any:
    """Replace placeholder strings (whole values only) by the base values they stand for.

    ``refs`` maps each placeholder to its dotted path below ``_base_``. A placeholder embedded in a
    longer string is left as it is (mmcv 1.x behaviour). Returns new containers; the base values
    are not copied here because ``Config`` rebuilds every container afterwards.
    """
    if isinstance(cfg, str):
        if cfg in refs:
            return _lookup(base_cfg, refs[cfg], filename)
        return cfg
    if isinstance(cfg, dict):
        new = copy.copy(cfg)  # keeps the dict's class and key order
        for key, value in cfg.items():
            new[key] = substitute_base_refs(value, refs, base_cfg, filename)
        return new
    if isinstance(cfg, (list, tuple)):
        items = [substitute_base_refs(v, refs, base_cfg, filename) for v in cfg]
        if isinstance(cfg, tuple) and hasattr(cfg, '_fields'):
            return type(cfg)(*items)
        return type(cfg)(items)
    return cfg


def _lookup(base_cfg: Mapping, dotted: str, filename: str) -> Any:
    value: Any = base_cfg
    walked = BASE_KEY
    for part in dotted.split('.'):
        try:
            value = value[part]
        except (KeyError, TypeError, IndexError):
            raise KeyError(
                f'{{{{{BASE_KEY}.{dotted}}}}} in config file {filename}: {walked!r} has no key '
                f'{part!r}') from None
        walked += '.' + part
    return value
