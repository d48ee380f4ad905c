"""Path, type-check and import helpers with mmcv 1.x semantics (no torch import)."""
import importlib
import os
import os.path as osp
import re
import subprocess
import warnings
from collections import abc
from typing import Any, Iterator, List, Optional, Sequence, Tuple, Type, Union


def is_str(x: Any) -> bool:
    return isinstance(x, str)


def is_seq_of(seq: Any, expected_type: Union[Type, Tuple[Type, ...]],
              seq_type: Optional[Type] = None) -> bool:
    """True if ``seq`` is a sequence (of ``seq_type`` exactly, when given) of ``expected_type``."""
    if seq_type is None:
        exp_seq_type = abc.Sequence
    else:
        assert isinstance(seq_type, type)
        exp_seq_type = seq_type
    if not isinstance(seq, exp_seq_type):
        return False
    return all(isinstance(item, expected_type) for item in seq)


def is_list_of(seq: Any, expected_type: Union[Type, Tuple[Type, ...]]) -> bool:
    return is_seq_of(seq, expected_type, seq_type=list)


def is_tuple_of(seq: Any, expected_type: Union[Type, Tuple[Type, ...]]) -> bool:
    return is_seq_of(seq, expected_type, seq_type=tuple)


def mkdir_or_exist(dir_name: str, mode: int = 0o777) -> None:
    if dir_name == '':
        return
    os.makedirs(osp.expanduser(dir_name), mode=mode, exist_ok=True)


def symlink(src: str, dst: str, overwrite: bool = True, **kwargs: Any) -> None:
    if osp.lexists(dst) and overwrite:
        os.remove(dst)
    os.symlink(src, dst, **kwargs)


def check_file_exist(filename: str, msg_tmpl: str = 'file "{}" does not exist') -> None:
    if not osp.isfile(filename):
        raise FileNotFoundError(msg_tmpl.format(filename))


def scandir(dir_path: str, suffix: Union[None, str, Tuple[str, ...]] = None, recursive: bool = False,
            case_sensitive: bool = True) -> Iterator[str]:
    """Yield paths relative to ``dir_path`` of files (hidden names skipped) matching ``suffix``."""
    if suffix is not None and not isinstance(suffix, (str, tuple)):
        raise TypeError('"suffix" must be a string or tuple of strings')
    if suffix is not None and not case_sensitive:
        suffix = suffix.lower() if isinstance(suffix, str) else tuple(s.lower() for s in suffix)
    root = dir_path

    def walk(path: str) -> Iterator[str]:
        for entry in os.scandir(path):
            if entry.name.startswith('.'):
                continue
            if entry.is_file():
                rel = osp.relpath(entry.path, root)
                name = rel if case_sensitive else rel.lower()
                if suffix is None or name.endswith(suffix):
                    yield rel
            elif recursive and entry.is_dir():
                yield from walk(entry.path)

    return walk(dir_path)


def import_modules_from_strings(imports: Union[str, Sequence[str], None],
                                allow_failed_imports: bool = False) -> Any:
    """Import one module name or a list of them; failed imports become None when allowed.

    Unlike mmcv (which raises a bare ImportError), the error names the module and the cause.
    """
    if not imports:
        return None
    single = isinstance(imports, str)
    names = [imports] if single else imports
    if not isinstance(names, list):
        raise TypeError(f'custom_imports must be a list but got type {type(imports)}')
    modules: List[Any] = []
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f'{name} is of type {type(name)} and cannot be imported.')
        try:
            mod = importlib.import_module(name)
        except ImportError as e:
            if not allow_failed_imports:
                raise ImportError(f'Failed to import {name}: {e}') from e
            warnings.warn(f'{name} failed to import and is ignored.', UserWarning)
            mod = None
        modules.append(mod)
    return modules[0] if single else modules


def digit_version(version_str: str, length: int = 4) -> Tuple[int, ...]:
    """Turn '1.7.2rc1' into a comparable tuple (pre-releases sort before the release)."""
    m = re.match(r'^(\d+(?:\.\d+)*)(?:(a|b|rc)(\d*))?', version_str.strip())
    if m is None:
        raise ValueError(f'failed to parse version {version_str}')
    nums = [int(x) for x in m.group(1).split('.')]
    nums = (nums + [0] * length)[:length]
    if m.group(2):
        pre = {'a': -3, 'b': -2, 'rc': -1}[m.group(2)]
        nums.extend([pre, int(m.group(3) or 0)])
    else:
        nums.extend([0, 0])
    return tuple(nums)


def get_git_hash(fallback: str = 'unknown', digits: Optional[int] = None) -> str:
    try:
        out = subprocess.run(['git', 'rev-parse', 'HEAD'], capture_output=True, text=True,
                             timeout=5, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return fallback
    return out[:digits] if digits is not None else out


def is_method_overridden(method: str, base_class: type, derived_class: Any) -> bool:
    """True if ``derived_class`` (a class or an instance) defines ``method`` differently from base."""
    assert isinstance(base_class, type), "base_class doesn't accept instance, Please pass class instead."
    if not isinstance(derived_class, type):
        derived_class = derived_class.__class__
    return getattr(derived_class, method) is not getattr(base_class, method)
