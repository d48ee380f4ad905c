"""More small mmcv 1.x utilities that old code imports (no torch): tuple casts, list helpers,
prerequisite decorators, deprecation renames and ``obj_from_dict``."""
import collections.abc
import functools
import importlib
import itertools
import os
import shutil
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union


def to_ntuple(n: int) -> Callable[[Any], Any]:
    """A function that repeats a scalar ``n`` times and passes iterables through."""
    def parse(x: Any) -> Any:
        if isinstance(x, collections.abc.Iterable) and not isinstance(x, str):
            return x
        return tuple(itertools.repeat(x, n))
    return parse


to_1tuple = to_ntuple(1)
to_2tuple = to_ntuple(2)
to_3tuple = to_ntuple(3)
to_4tuple = to_ntuple(4)


def iter_cast(inputs: Iterable, dst_type: type, return_type: Optional[type] = None) -> Any:
    """``map(dst_type, inputs)``, optionally materialised as ``return_type``."""
    if not isinstance(inputs, collections.abc.Iterable):
        raise TypeError('inputs must be an iterable object')
    if not isinstance(dst_type, type):
        raise TypeError('"dst_type" must be a valid type')
    out = map(dst_type, inputs)
    return out if return_type is None else return_type(out)


def list_cast(inputs: Iterable, dst_type: type) -> List[Any]:
    return iter_cast(inputs, dst_type, return_type=list)


def tuple_cast(inputs: Iterable, dst_type: type) -> tuple:
    return iter_cast(inputs, dst_type, return_type=tuple)


def slice_list(in_list: List[Any], lens: Union[int, List[int]]) -> List[List[Any]]:
    """Cut ``in_list`` into consecutive pieces of the given lengths (which must sum to its size)."""
    if isinstance(lens, int):
        assert len(in_list) % lens == 0
        lens = [lens] * (len(in_list) // lens)
    if not isinstance(lens, list):
        raise TypeError('"indices" must be an integer or a list of integers')
    if sum(lens) != len(in_list):
        raise ValueError(f'sum of lens and list length does not match: {sum(lens)} != {len(in_list)}')
    out, start = [], 0
    for n in lens:
        out.append(in_list[start:start + n])
        start += n
    return out


def concat_list(in_list: Iterable[Iterable[Any]]) -> List[Any]:
    return list(itertools.chain(*in_list))


def has_method(obj: object, method: str) -> bool:
    return hasattr(obj, method) and callable(getattr(obj, method))


def is_filepath(x: Any) -> bool:
    return isinstance(x, (str, Path))


def find_vcs_root(path: Union[str, Path], markers: Tuple[str, ...] = ('.git', )) -> Optional[str]:
    """The nearest directory at or above ``path`` that holds one of ``markers`` (None if none)."""
    path = str(path)
    if os.path.isfile(path):
        path = os.path.dirname(path)
    prev, cur = None, os.path.abspath(os.path.expanduser(path))
    while cur != prev:
        if any(os.path.exists(os.path.join(cur, marker)) for marker in markers):
            return cur
        prev, cur = cur, os.path.split(cur)[0]
    return None


def fopen(filepath: Union[str, Path], *args: Any, **kwargs: Any) -> Any:
    if isinstance(filepath, (str, Path)):
        return open(filepath, *args, **kwargs)
    raise ValueError('`filepath` should be a string or a Path')


def _module_available(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def check_prerequisites(prerequisites: Union[str, Sequence[str]], checker: Callable[[str], bool],
                        msg_tmpl: str = 'Prerequisites "{}" are required in method "{}" but not '
                        'found, please install them first.') -> Callable:
    """Decorator: raise RuntimeError at call time when a prerequisite is missing."""
    def wrap(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            names = [prerequisites] if isinstance(prerequisites, str) else list(prerequisites)
            missing = [n for n in names if not checker(n)]
            if missing:
                print(msg_tmpl.format(', '.join(missing), func.__name__))
                raise RuntimeError('Prerequisites not meet.')
            return func(*args, **kwargs)
        return wrapped
    return wrap


def requires_package(prerequisites: Union[str, Sequence[str]]) -> Callable:
    """Decorator requiring importable packages."""
    return check_prerequisites(prerequisites, checker=_module_available)


def requires_executable(prerequisites: Union[str, Sequence[str]]) -> Callable:
    """Decorator requiring executables on PATH."""
    return check_prerequisites(prerequisites, checker=lambda c: shutil.which(c) is not None)


def deprecated_api_warning(name_dict: Dict[str, str], cls_name: Optional[str] = None) -> Callable:
    """Decorator renaming deprecated keyword arguments (``{old: new}``) with a DeprecationWarning."""
    def api_warning_wrapper(old_func: Callable) -> Callable:
        @functools.wraps(old_func)
        def new_func(*args: Any, **kwargs: Any) -> Any:
            func_name = f'{cls_name}.{old_func.__name__}' if cls_name else old_func.__name__
            for old, new in name_dict.items():
                if old in kwargs:
                    if new in kwargs:
                        raise AssertionError(f'The expected behavior is to replace the deprecated key '
                                             f'`{old}` to new key `{new}`, but got them in the '
                                             f'arguments at the same time, which is confusing. `{old}` '
                                             f'will be deprecated in the future, please use `{new}` '
                                             'instead.')
                    warnings.warn(f'"{old}" is deprecated in `{func_name}`, please use "{new}" instead',
                                  DeprecationWarning)
                    kwargs[new] = kwargs.pop(old)
            return old_func(*args, **kwargs)
        return new_func
    return api_warning_wrapper


def obj_from_dict(info: Dict[str, Any], parent: Any = None, default_args: Optional[Dict] = None) -> Any:
    """Build ``info['type']`` (a class, a dotted path, or a name in the module ``parent``)."""
    assert isinstance(info, dict) and 'type' in info
    assert isinstance(default_args, dict) or default_args is None
    args = info.copy()
    obj_type = args.pop('type')
    if isinstance(obj_type, str):
        if parent is not None:
            obj_type = getattr(parent, obj_type)
        else:
            module_name, _, attr = obj_type.rpartition('.')
            obj_type = getattr(importlib.import_module(module_name), attr) if module_name \
                else importlib.import_module(attr)
    elif not isinstance(obj_type, type):
        raise TypeError(f'type must be a str or valid type, but got {type(obj_type)}')
    for key, value in (default_args or {}).items():
        args.setdefault(key, value)
    return obj_type(**args)


