"""Safe checkpoint loading, shared by the legacy runtime and ``compat.v2``.

Every checkpoint is read with ``torch.load(weights_only=True)``. On top of what torch allows by
default (tensors, plain containers, ``OrderedDict``), the allow-list here admits what mmcv 1.x and
mmengine checkpoints legitimately hold:

- numpy arrays, dtypes and scalars (numpy 1 and numpy 2 module paths, the per-dtype classes);
- ``collections.defaultdict`` with a builtin factory (it comes back as a real defaultdict);
- classes registered by an upper layer (:func:`register_mapped_classes`): the v2 runtime maps
  mmengine's ``HistoryBuffer`` and ``MessageHub`` (and the OneCycle scheduler classes, whose state
  refers to an annealing function) to its own; mmengine pickles a few ``getattr(<class>, <statistic>)``
  calls, answered only for those classes and names. This core module never imports that layer: a
  launcher that may meet such files registers a provider (:func:`register_class_provider`) that
  imports it, run only when a file names one of the provider's modules.

Anything else is refused with :class:`UnsafeCheckpointError` naming the file and the refused global,
without running any of the file's code. Trusting a file is explicit: ``--unsafe-load`` on the command
line (:func:`allow_unsafe` for the whole process), or ``unsafe=True`` in the Python loaders
(:func:`trusting` for a block of code). Only then is the file fully unpickled (``weights_only=False``).

Import-light: torch and numpy are imported when a checkpoint is loaded, not when this module is.
"""
import contextlib
import contextvars
import os
import pickle
import re
import threading
import types
import zipfile
from collections import OrderedDict, defaultdict
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

UNSAFE_HINT = ('if you trust this file, pass --unsafe-load on the command line '
               '(Python: unsafe=True, i.e. torch.load weights_only=False)')


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint needs something the safe loader does not allow (``refused`` names it)."""

    def __init__(self, filename: str, refused: str) -> None:
        self.filename = filename
        self.refused = refused
        super().__init__(f'refusing to load {filename}: {refused} is not allowed by the safe checkpoint '
                         f'loader; {UNSAFE_HINT}')

    def __reduce__(self) -> Any:
        return type(self), (self.filename, self.refused)


# ------------------------------------------------------------------------------------- the switch
_process_unsafe = False
_scoped_unsafe: contextvars.ContextVar[Optional[bool]] = contextvars.ContextVar(
    'legacy_runner_unsafe_load', default=None)


def allow_unsafe(flag: bool = True) -> None:
    """Process-wide: load every checkpoint with full unpickling (``--unsafe-load``)."""
    global _process_unsafe
    _process_unsafe = bool(flag)


def unsafe_allowed() -> bool:
    """Whether loads without an explicit ``unsafe`` argument unpickle fully."""
    scoped = _scoped_unsafe.get()
    return _process_unsafe if scoped is None else scoped


@contextlib.contextmanager
def trusting(flag: bool = True) -> Iterator[None]:
    """Within the block, loads without an explicit ``unsafe`` argument use ``flag``."""
    token = _scoped_unsafe.set(bool(flag))
    try:
        yield
    finally:
        _scoped_unsafe.reset(token)


# ------------------------------------------------------------------------ registered (mmengine's) classes
# pickled path -> class: what upper layers registered (each class also under its own path)
_mapped: Dict[str, Any] = {}
# (provider, pickled module prefixes it serves); a provider runs once, at the first load that needs it
_providers: List[Tuple[Callable[[], None], Tuple[str, ...]]] = []
# what ``getattr(cls, name)`` may fetch while loading: HistoryBuffer's statistics methods and
# OneCycle's annealing functions (stored, never called by the loader)
_GETATTR_NAMES = frozenset({'min', 'max', 'current', 'mean', '_annealing_cos', '_annealing_linear'})
# builtins a defaultdict may use as its factory (pure constructors)
_FACTORIES = (list, dict, set, frozenset, tuple, int, float, str, bool)


def register_mapped_classes(classes: Dict[str, type]) -> None:
    """Allow ``classes`` (pickled path -> class) in safe loads, each class also under its own path."""
    for path, cls in classes.items():
        _mapped[path] = _mapped[f'{cls.__module__}.{cls.__qualname__}'] = cls


def register_class_provider(provider: Callable[[], None], prefixes: Tuple[str, ...]) -> None:
    """``provider()`` registers classes (typically by importing their module); it runs at the first
    load of a file that pickles a global from a module starting with one of ``prefixes``."""
    _providers.append((provider, tuple(prefixes)))


def _run_providers(wanted: Callable[[Tuple[str, ...]], bool]) -> None:
    for entry in list(_providers):
        if entry in _providers and wanted(entry[1]):
            _providers.remove(entry)
            entry[0]()


def _mapped_classes() -> Dict[str, Any]:
    """Pickled path -> registered class, after every pending provider has run."""
    _run_providers(lambda prefixes: True)
    return _mapped


def _checked_getattr(obj: Any, name: str, *default: Any) -> Any:
    if name not in _GETATTR_NAMES or obj not in _mapped.values():
        raise pickle.UnpicklingError(f'getattr({obj!r}, {name!r})')  # worded for UnsafeCheckpointError
    return getattr(obj, name, *default)


# --------------------------------------------------------------------------------- defaultdicts
# torch's weights-only unpickler only fills exact dicts, so a defaultdict is rebuilt as a dict and
# turned back into a defaultdict after loading (``_restore_defaultdicts``).
_pending_defaultdicts: contextvars.ContextVar[Optional[Dict[int, Tuple[dict, Any]]]] = \
    contextvars.ContextVar('legacy_runner_pending_defaultdicts', default=None)


def _defaultdict_stand_in(default_factory: Any = None, *args: Any) -> dict:
    if default_factory is not None and default_factory not in _FACTORIES:
        raise pickle.UnpicklingError(f'defaultdict factory {default_factory!r}')
    out = dict(*args)
    pending = _pending_defaultdicts.get()
    if pending is not None:
        pending[id(out)] = (out, default_factory)  # the dict is kept alive, so its id stays unique
    return out


def _restore_defaultdicts(obj: Any, pending: Dict[int, Tuple[dict, Any]]) -> Any:
    done: Dict[int, Any] = {}

    def walk(x: Any) -> Any:
        key = id(x)
        if key in done:
            return done[key]
        if isinstance(x, dict):
            new = defaultdict(pending[key][1]) if key in pending else x
            done[key] = new
            for k, v in list(x.items()):
                w = walk(v)
                if new is not x or w is not v:
                    new[k] = w
            return new
        if type(x) is list:
            done[key] = x
            for i, v in enumerate(x):
                x[i] = walk(v)
            return x
        if type(x) is tuple:
            items = tuple(walk(v) for v in x)
            done[key] = x if all(a is b for a, b in zip(items, x)) else items
            return done[key]
        if type(x) in (_mapped or {}).values():
            done[key] = x
            for k, v in list(vars(x).items()):
                setattr(x, k, walk(v))
            return x
        return x

    return walk(obj)


# ---------------------------------------------------------------------------------- allow-list
_allow_list: Optional[List[Any]] = None


def safe_globals(with_v2_classes: bool = True) -> List[Any]:
    """The extra entries for ``torch.serialization.safe_globals``: objects, or (object, path) pairs
    where the pickled path differs from the object's own (numpy 1/2 paths, mmengine classes).
    ``with_v2_classes`` adds the registered classes, running the pending providers first."""
    global _allow_list
    if _allow_list is None:
        _allow_list = _base_entries()
    if not with_v2_classes:
        return list(_allow_list)
    return _allow_list + [(cls, path) for path, cls in _mapped_classes().items()]


def _base_entries() -> List[Any]:
    import numpy as np

    entries: List[Any] = [(np.ndarray, 'numpy.ndarray'), (np.dtype, 'numpy.dtype')]
    multiarray = np._core.multiarray if hasattr(np, '_core') else np.core.multiarray  # type: ignore[attr-defined]
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        entries += [(multiarray._reconstruct, f'{module}._reconstruct'),
                    (multiarray.scalar, f'{module}.scalar')]
    # the concrete dtype classes (numpy.dtypes.Float64DType, ...): an unpickled dtype is one of these
    dtype_classes = {type(np.dtype(code)) for code in np.typecodes['All']}
    dtypes_module = getattr(np, 'dtypes', None)
    if dtypes_module is not None:
        dtype_classes |= {c for c in vars(dtypes_module).values()
                          if isinstance(c, type) and issubclass(c, np.dtype)}
    for cls in sorted(dtype_classes, key=lambda c: c.__qualname__):
        entries.append((cls, f'{cls.__module__}.{cls.__qualname__}'))
    entries += [(OrderedDict, 'collections.OrderedDict'),
                (_defaultdict_stand_in, 'collections.defaultdict')]
    entries += [(f, f'builtins.{f.__name__}') for f in _FACTORIES]
    entries.append((_checked_getattr, 'builtins.getattr'))
    return entries


def _needs_v2_classes(source: Any) -> bool:
    """Whether the file may name a registered class, running the providers it needs. A provider
    may take seconds (importing the v2 runtime), so a legacy-runtime process that reads mmcv files
    does not pay for it: the pickle of a torch.save zip is searched for a GLOBAL (opcode ``c`` +
    module) from one of the provider's modules first."""
    if not _providers:
        return bool(_mapped)
    try:
        position = source.tell() if hasattr(source, 'seek') else None
        try:
            with zipfile.ZipFile(source) as archive:
                name = next(n for n in archive.namelist() if n.rsplit('/', 1)[-1] == 'data.pkl')
                data = archive.read(name)
        finally:
            if position is not None:
                source.seek(position)
    except Exception:  # legacy (non-zip) format, or not a checkpoint: resolve everything
        _run_providers(lambda prefixes: True)
        return True
    _run_providers(lambda prefixes: any(b'c' + p.encode() in data for p in prefixes))
    return bool(_mapped)


_registered = 0
_register_lock = threading.Lock()
_added: List[Any] = []


@contextlib.contextmanager
def _allow_listed(with_v2_classes: bool = True) -> Iterator[None]:
    """Our entries in torch's safe globals for the duration (nested and threaded use is counted;
    entries the user had added already are left in place afterwards)."""
    from torch.serialization import add_safe_globals, get_safe_globals
    global _registered
    entries = safe_globals(with_v2_classes)
    with _register_lock:
        present = set(get_safe_globals())
        missing = [e for e in entries if e not in present]
        add_safe_globals(missing)
        _added.extend(missing)
        _registered += 1
    try:
        yield
    finally:
        with _register_lock:
            _registered -= 1
            if _registered == 0:
                from torch._weights_only_unpickler import _remove_safe_globals
                _remove_safe_globals(_added)
                _added.clear()


# ---------------------------------------------------------------------------------- refusals
def _unsafe_globals(source: Any) -> List[str]:
    """The globals of a torch.save zip that are not allowed (static scan, nothing executed)."""
    import torch
    if hasattr(source, 'seek'):
        source.seek(0)
    try:
        return sorted(torch.serialization.get_unsafe_globals_in_checkpoint(source))
    except Exception:  # not a zip checkpoint, or an opcode the scanner does not know
        return []
    finally:
        if hasattr(source, 'seek'):
            source.seek(0)


def _refused(source: Any, error: BaseException) -> str:
    """What the weights-only unpickler refused, as ``GLOBAL module.name`` where possible."""
    names = _unsafe_globals(source)
    if names:
        return ', '.join(f'GLOBAL {n}' for n in names)
    text = str(error)
    found = re.search(r'GLOBAL (\S+) whose module', text) or re.search(r'GLOBAL (\S+) was not', text)
    if found:
        path = found.group(1)
        return f'GLOBAL {path if "." in path else "builtins." + path}'  # torch drops 'builtins.'
    reason = re.search(r'WeightsUnpickler error:\s*(.+?)(?:\n\s*\n|$)', text, re.S)
    reason_text = ' '.join((reason.group(1) if reason else text).split())
    operand = re.fullmatch(r'Unsupported operand (\d+)', reason_text)
    if operand:
        return (f'pickle opcode {int(operand.group(1)):#04x} (not a torch.save file, or one pickled '
                'with a protocol above 2)')
    for pattern, what in ((r'Trying to call reduce for unrecognized function (.+)', 'calling'),
                          (r'Can only create new object .* but got (.+)', 'creating an instance of'),
                          (r'Can only build .* but got (.+)', 'building an instance of')):
        found = re.fullmatch(pattern, reason_text)
        if found:
            return f'{what} {found.group(1)}'
    return reason_text or type(error).__name__


# ------------------------------------------------------------------------------------ loading
class _MappingUnpickler(pickle.Unpickler):
    """Full unpickling (trusted files) that still resolves mmengine's classes to ours."""

    def find_class(self, module: str, name: str) -> Any:
        cls = _mapped_classes().get(f'{module}.{name}') if module.startswith('mmengine') else None
        return cls if cls is not None else super().find_class(module, name)


# the ``pickle_module`` torch.load uses for trusted files
_MAPPING_PICKLE = types.ModuleType('legacy_runner_mapping_pickle')
_MAPPING_PICKLE.__dict__.update(Unpickler=_MappingUnpickler, Pickler=pickle.Pickler, dump=pickle.dump,
                                dumps=pickle.dumps,
                                load=lambda file, **kw: _MappingUnpickler(file, **kw).load())


def _neither_zip_nor_pickle(source: Any) -> bool:
    # torch.save writes a zip archive (b'PK'); its legacy format and pickles of protocol >= 2
    # start with the PROTO opcode 0x80
    if not isinstance(source, (str, os.PathLike)):
        return False
    try:
        with open(source, 'rb') as f:
            head = f.read(2)
    except OSError:
        return False
    return bool(head) and head != b'PK' and head[:1] != b'\x80'


def torch_load(source: Any, map_location: Any = None, name: Optional[str] = None,
               unsafe: Optional[bool] = None) -> Any:
    """``torch.load`` with the checkpoint allow-list (see the module docstring).

    ``unsafe`` None follows :func:`unsafe_allowed`; True unpickles fully (trusted files only).
    Refusals raise :class:`UnsafeCheckpointError` naming ``name`` (default: ``source``).
    """
    import torch
    if unsafe_allowed() if unsafe is None else unsafe:
        return torch.load(source, map_location=map_location, weights_only=False,
                          pickle_module=_MAPPING_PICKLE)
    pending: Dict[int, Tuple[dict, Any]] = {}
    token = _pending_defaultdicts.set(pending)
    try:
        with _allow_listed(_needs_v2_classes(source)):
            try:
                obj = torch.load(source, map_location=map_location, weights_only=True)
            except pickle.UnpicklingError as e:
                label = str(source if name is None else name)
                if _neither_zip_nor_pickle(source):  # --unsafe-load cannot help there
                    raise pickle.UnpicklingError(
                        f'{label} is not a checkpoint: neither a torch.save zip archive nor a pickle '
                        '(random or corrupted bytes)') from e
                raise UnsafeCheckpointError(label, _refused(source, e)) from e
    finally:
        _pending_defaultdicts.reset(token)
    return _restore_defaultdicts(obj, pending) if pending else obj


__all__ = ['UNSAFE_HINT', 'UnsafeCheckpointError', 'allow_unsafe', 'safe_globals', 'torch_load',
           'trusting', 'unsafe_allowed']
