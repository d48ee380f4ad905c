"""Reading config files: predefined variables, ``{{_base_.x}}`` references, ``_base_`` chains.

Everything happens in memory. A ``.py`` config is read as text, substituted, compiled with its real
absolute path (so tracebacks and syntax errors point at the user's file) and executed in a fresh
namespace: no temporary file is written and nothing is added to ``sys.modules`` or ``sys.path``
(mmcv 1.x copied every file to a temp dir and imported it as a module).
"""
import builtins
import io
import os
import os.path as osp
import re
import warnings
from types import FunctionType, ModuleType
from typing import Any, Dict, List, Optional, Tuple

from .merge import BASE_KEY, merge_a_into_b, substitute_base_refs

DEPRECATION_KEY = '_deprecation_'
# ``__name__`` of the namespace a .py config runs in: tracebacks find the config's frames by it
CONFIG_MODULE_NAME = '__legacy_runner_config__'
# attribute set on a json/yaml parse error: the absolute path of the file that failed to parse
ERROR_FILE_ATTR = 'config_filename'
SUPPORTED_EXTS = ('.py', '.json', '.yaml', '.yml')
UNSUPPORTED_MSG = 'Only py/yml/yaml/json type are supported now!'

_PREDEFINED_RE = re.compile(
    r'\{\{\s*(fileDirname|fileBasename|fileBasenameNoExtension|fileExtname)\s*\}\}')
_BASE_REF_RE = re.compile(r'\{\{\s*' + BASE_KEY + r'\.([\w\.]+)\s*\}\}')


class CircularBaseError(RecursionError):
    """A ``_base_`` chain leads back to a file that is already being loaded."""


def substitute_predefined_vars(text: str, filename: str) -> str:
    """Expand ``{{ fileDirname }}`` & co. for ``filename`` (backslashes become '/', as in mmcv)."""
    basename = osp.basename(filename)
    values = {
        'fileDirname': osp.dirname(filename),
        'fileBasename': basename,
        'fileBasenameNoExtension': osp.splitext(basename)[0],
        'fileExtname': osp.splitext(filename)[1],
    }
    values = {k: v.replace('\\', '/') for k, v in values.items()}
    return _PREDEFINED_RE.sub(lambda m: values[m.group(1)], text)


def presubstitute_base_refs(text: str) -> Tuple[str, Dict[str, str]]:
    """Replace each ``{{_base_.a.b}}`` by a quoted placeholder ``"_a.b_<6 hex>"``.

    Returns the new text and ``{placeholder: 'a.b'}``. The placeholder is swapped for the base value
    once the bases are loaded, and only where it is a whole value (see ``substitute_base_refs``).
    """
    refs: Dict[str, str] = {}
    by_path: Dict[str, str] = {}

    def placeholder(match: 're.Match[str]') -> str:
        path = match.group(1)
        if path not in by_path:
            by_path[path] = f'_{path}_{os.urandom(3).hex()}'
            refs[by_path[path]] = path
        return f'"{by_path[path]}"'

    if '{{' not in text:  # fast path: most files have no references
        return text, refs
    return _BASE_REF_RE.sub(placeholder, text), refs


def _warn_embedded_refs(cfg: Any, refs: Dict[str, str], filename: str) -> None:
    """A ``{{_base_.x}}`` that was quoted or is part of a longer string is not replaced by the base
    value (only a whole value is): mmcv leaves its placeholder string there, and so do we, but say so."""
    if isinstance(cfg, str):
        for placeholder, path in refs.items():
            if placeholder in cfg:
                warnings.warn(f'{{{{_base_.{path}}}}} in config file {filename} is inside a string (quoted, '
                              f'or part of a longer one), so it is not substituted: the value is {cfg!r} '
                              f'(as in mmcv); write it unquoted as a whole value to get the base value')
    elif isinstance(cfg, dict):
        for value in cfg.values():
            _warn_embedded_refs(value, refs, filename)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            _warn_embedded_refs(value, refs, filename)


def exec_python_config(text: str, filename: str) -> Dict[str, Any]:
    """Execute config source ``text`` as if it were ``filename`` and return its public names.

    Like mmcv, names starting with ``__``, modules and (Python) functions are dropped; classes and
    other objects are kept.
    """
    try:
        code = compile(text, filename, 'exec', dont_inherit=True)
    except SyntaxError as e:
        # str(e) carries the file's basename and line number, e.g. "invalid syntax (x.py, line 3)"
        raise SyntaxError(f'There are syntax errors in config file {filename}: {e}') from e
    namespace: Dict[str, Any] = {
        '__name__': CONFIG_MODULE_NAME,
        '__file__': filename,
        '__builtins__': builtins,
    }
    exec(code, namespace)
    return {
        name: value
        for name, value in namespace.items()
        if not name.startswith('__') and not isinstance(value, (ModuleType, FunctionType))
    }


def _load_structured(text: str, filename: str, ext: str) -> Dict[str, Any]:
    from ..utils.fileio import load
    cfg = load(io.StringIO(text), file_format=ext[1:])
    if cfg is None:  # an empty yaml file
        return {}
    if not isinstance(cfg, dict):
        raise TypeError(f'config file {filename} must hold a mapping at top level, '
                        f'but holds a {type(cfg).__name__}')
    return cfg


def _warn_deprecation(cfg_dict: Dict[str, Any], filename: str) -> None:
    info = cfg_dict.pop(DEPRECATION_KEY)
    msg = f'The config file {filename} will be deprecated in the future.'
    if 'expected' in info:
        msg += f' Please use {info["expected"]} instead.'
    if 'reference' in info:
        msg += f' More information can be found at {info["reference"]}'
    warnings.warn(msg, DeprecationWarning)


def text2dict(raw_text: str, filename: str, use_predefined_variables: bool = True,
              _chain: Tuple[str, ...] = ()) -> Tuple[Dict[str, Any], str]:
    """Parse config source ``raw_text`` that lives (or pretends to live) at absolute ``filename``.

    Returns ``(cfg_dict, cfg_text)`` with every ``_base_`` resolved, as mmcv's ``_file2dict``.
    """
    ext = osp.splitext(filename)[1]
    if ext not in SUPPORTED_EXTS:
        raise OSError(f'{UNSUPPORTED_MSG} Got "{ext}" for file "{filename}"')
    text = substitute_predefined_vars(raw_text, filename) if use_predefined_variables else raw_text
    text, base_refs = presubstitute_base_refs(text)
    if ext == '.py':
        cfg_dict = exec_python_config(text, filename)
    else:
        try:
            cfg_dict = _load_structured(text, filename, ext)
        except Exception as e:
            # the parsers read a string: record which file (a _base_ maybe) their line refers to
            if getattr(e, ERROR_FILE_ATTR, None) is None:
                setattr(e, ERROR_FILE_ATTR, filename)
            raise

    if DEPRECATION_KEY in cfg_dict:
        _warn_deprecation(cfg_dict, filename)

    cfg_text = filename + '\n' + raw_text
    if BASE_KEY not in cfg_dict:
        if base_refs:  # nothing to take the value from: it would stay a placeholder string
            raise KeyError(f'{{{{_base_.{sorted(base_refs.values())[0]}}}}} in config file {filename}: '
                           f'the file has no {BASE_KEY} to take the value from')
        return cfg_dict, cfg_text

    cfg_dir = osp.dirname(filename)
    bases = cfg_dict.pop(BASE_KEY)
    bases = list(bases) if isinstance(bases, (list, tuple)) else [bases]
    chain = _chain + (filename, )
    base_dicts: List[Dict[str, Any]] = []
    base_texts: List[str] = []
    for base in bases:
        if not isinstance(base, str):
            raise TypeError(f'{BASE_KEY} entries must be file paths (str), got {base!r} in {filename}')
        # mmcv always expands predefined variables in bases, whatever the flag said for the child
        base_dict, base_text = _file2dict(osp.join(cfg_dir, base), True, chain, referrer=(filename, base))
        base_dicts.append(base_dict)
        base_texts.append(base_text)

    merged_bases: Dict[str, Any] = {}
    for base_dict in base_dicts:
        duplicate_keys = merged_bases.keys() & base_dict.keys()
        if duplicate_keys:
            raise KeyError('Duplicate key is not allowed among bases. '
                           f'Duplicate keys: {duplicate_keys}')
        merged_bases.update(base_dict)

    if base_refs:
        cfg_dict = substitute_base_refs(cfg_dict, base_refs, merged_bases, filename)
        _warn_embedded_refs(cfg_dict, base_refs, filename)
    cfg_dict = merge_a_into_b(cfg_dict, merged_bases)
    return cfg_dict, '\n'.join(base_texts + [cfg_text])


def _file2dict(filename: str, use_predefined_variables: bool, chain: Tuple[str, ...],
               referrer: Optional[Tuple[str, str]] = None) -> Tuple[Dict[str, Any], str]:
    abs_name = osp.abspath(osp.expanduser(filename))
    real = osp.realpath(abs_name)
    ancestors = [osp.realpath(p) for p in chain]
    if real in ancestors:
        cycle = chain[ancestors.index(real):] + (abs_name, )
        raise CircularBaseError('Circular _base_ inheritance: ' + ' -> '.join(cycle))
    if not osp.isfile(abs_name):
        msg = (f'"{abs_name}" is a directory, not a config file' if osp.isdir(abs_name)
               else f'file "{abs_name}" does not exist')
        if referrer is not None:
            msg += f' (listed as {BASE_KEY} {referrer[1]!r} in "{referrer[0]}")'
        raise FileNotFoundError(msg)
    if osp.splitext(abs_name)[1] not in SUPPORTED_EXTS:
        raise OSError(f'{UNSUPPORTED_MSG} Got "{osp.splitext(abs_name)[1]}" for file "{abs_name}"')
    with open(abs_name, encoding='utf-8') as f:
        raw_text = f.read()
    return text2dict(raw_text, abs_name, use_predefined_variables, chain)


def file2dict(filename: str, use_predefined_variables: bool = True) -> Tuple[Dict[str, Any], str]:
    """Load a config file and its ``_base_`` chain; returns ``(cfg_dict, cfg_text)``."""
    return _file2dict(filename, use_predefined_variables, ())
