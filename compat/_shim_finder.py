"""Machinery of the ``mmcv`` import shim (importing this module activates nothing; importing
``compat.mmcv_shim`` does).

A meta-path finder serves ``mmcv`` and every module of ``compat.mmcv_table`` as module objects
named like mmcv's (``mmcv.cnn.bricks.drop``). Their attributes resolve lazily (PEP 562
``__getattr__``) from the modules the table lists, and are then cached in the module's dict, so
``import mmcv`` stays cheap (no torch, no cv2) and ``mmcv.runner.HOOKS is legacy_runner.hooks.HOOKS``.

It never shadows a real mmcv that is installed, unless forced (``install(force=True)``,
``LEGACY_RUNNER_SHIM=force`` or ``python -m legacy_runner exec --force-shim``). Other ways to
activate it: ``python -m legacy_runner exec SCRIPT`` and ``LEGACY_RUNNER_SHIM=1`` (through the
``.pth`` file installed with the package). A module mmcv 1.x does not have, a module whose
implementation is not available, and a missing name in ``from mmcv.x import name`` raise
ImportError naming what is missing.
"""
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import warnings
from types import ModuleType
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from . import mmcv_table

# mmcv module files are reported under this (real) folder: compat/mmcv_glue holds the shim's code
SHIM_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'mmcv_glue')
ENV_VAR = 'LEGACY_RUNNER_SHIM'
TAG = '[legacy_runner mmcv shim]'
# submodules of mmcv that `import mmcv` does not import in mmcv 1.x: `mmcv.runner` is an
# AttributeError until `import mmcv.runner` (all other submodules import on first attribute access)
NOT_AUTO_IMPORTED = frozenset({'cnn', 'device', 'engine', 'onnx', 'ops', 'parallel', 'runner', 'tensorrt'})
_CHILDREN: Dict[str, List[str]] = {}
for _name in mmcv_table.MODULES:
    if '.' in _name:
        _CHILDREN.setdefault(_name.rsplit('.', 1)[0], []).append(_name.rsplit('.', 1)[1])


def _missing_message(fullname: str) -> str:
    parent, name = fullname.rsplit('.', 1)
    return (f'cannot import {fullname}: {name!r} is not provided by {parent} (mmcv 1.x has no such module '
            f'or name there) {TAG}')


def _import_target(target: str) -> Any:
    """'pkg.mod:attr' -> the attribute; 'pkg.mod' -> the module."""
    module, _, attr = target.partition(':')
    obj = importlib.import_module(module)
    return getattr(obj, attr) if attr else obj


def _is_served(name: str) -> bool:
    return name == 'mmcv' or name.startswith('mmcv.')


def _sources(fullname: str) -> Tuple[str, ...]:
    return mmcv_table.MODULES[fullname]


def _make_getattr(module: ModuleType) -> Callable[[str], Any]:
    fullname = module.__name__
    names = mmcv_table.NAMES.get(fullname, {})
    imported = set(mmcv_table.IMPORTED.get(fullname, '').split())
    children = set(_CHILDREN.get(fullname, ()))

    def __getattr__(name: str) -> Any:
        if name == '__all__':
            value: Any = _public_names(fullname)
        elif name.startswith('__') and name.endswith('__') and name != '__version__':
            raise AttributeError(f'module {fullname!r} has no attribute {name!r}')
        else:
            value = _resolve(fullname, name, names, imported, children)
        module.__dict__[name] = value
        return value

    return __getattr__


def _resolve(fullname: str, name: str, names: Dict[str, str], imported: set, children: set) -> Any:
    if name in names:
        return _import_target(names[name])
    if name in imported:
        return _import_target(mmcv_table.COMMON[name])
    failed: List[str] = []
    if name in children:
        return _resolve_child(fullname, name, failed)
    for source in _sources(fullname):
        try:
            obj = importlib.import_module(source)
            # an mmcv package takes what its parts export (mmcv's star imports): asking the part's
            # __all__ first keeps `mmcv.__version__` from importing torch through mmcv.utils
            if _is_served(source) and name not in obj.__all__:
                continue
        except ImportError as e:
            failed.append(f'{source} ({e})')
            continue
        try:
            return getattr(obj, name)
        except AttributeError:
            pass
    hint = f'; could not import {", ".join(failed)}' if failed else ''
    raise AttributeError(f'module {fullname!r} has no attribute {name!r}: {name!r} is not provided by '
                         f'{fullname}{hint} {TAG}')


def _resolve_child(fullname: str, name: str, failed: List[str]) -> Any:
    """A name that is also a submodule: as in mmcv, a function the package exports under that name
    (``mmcv.parallel.collate``, ``mmcv.ops.nms``) wins over the submodule."""
    for source in _sources(fullname):
        if _is_served(source):
            continue
        try:
            value = getattr(importlib.import_module(source), name, None)
        except ImportError:
            continue
        if value is not None and not isinstance(value, ModuleType):
            return value
    child = f'{fullname}.{name}'
    if fullname == 'mmcv' and name in NOT_AUTO_IMPORTED and child not in sys.modules:
        raise AttributeError(f"module 'mmcv' has no attribute {name!r} (as in mmcv 1.x, "
                             f'`import mmcv.{name}` first) {TAG}')
    return importlib.import_module(child)


class _ShimModule(ModuleType):
    """Module type of the served mmcv modules: the import system's binding of a submodule onto its
    package is left to ``__getattr__``, which knows whether mmcv's package attribute of that name
    is the submodule or a function exported under the same name."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, ModuleType) and getattr(value, '__name__', None) == f'{self.__name__}.{name}':
            return
        super().__setattr__(name, value)


def _public_names(fullname: str) -> List[str]:
    """``__all__``: the table's export list, else the union of the sources' ``__all__``."""
    if fullname in mmcv_table.EXPORTS:
        return mmcv_table.EXPORTS[fullname].split()
    out: Dict[str, None] = {}
    for source in _sources(fullname):
        obj = importlib.import_module(source)
        exported = getattr(obj, '__all__', None)
        if exported is None:
            exported = [n for n in vars(obj) if not n.startswith('_') and
                        not isinstance(getattr(obj, n), ModuleType)]
        out.update(dict.fromkeys(exported))
    out.update(dict.fromkeys(mmcv_table.NAMES.get(fullname, {})))
    out.update(dict.fromkeys(mmcv_table.IMPORTED.get(fullname, '').split()))
    return list(out)


class _ShimLoader(importlib.abc.Loader):
    """Creates the lazy module of one mmcv module of the table."""

    is_mmcv_shim = True  # see MmcvShimFinder

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Optional[ModuleType]:
        return _ShimModule(spec.name)

    def exec_module(self, module: ModuleType) -> None:
        fullname = module.__name__
        for source in _sources(fullname):
            if _is_served(source):
                continue
            try:
                found = importlib.util.find_spec(source)
            except (ImportError, ValueError) as e:
                found, reason = None, str(e)
            else:
                reason = 'module not found'
            if found is None:
                raise ModuleNotFoundError(f'cannot import {fullname}: its implementation {source} is not '
                                          f'available ({reason}) {TAG}', name=fullname)
        module.__dict__['__getattr__'] = _make_getattr(module)
        module.__dict__['__dir__'] = lambda: sorted(set(module.__dict__) | set(_public_names(fullname)))
        module.__dict__['LEGACY_RUNNER_SHIM'] = True


_LOADER = _ShimLoader()


class MmcvShimFinder(importlib.abc.MetaPathFinder):
    """Finds ``mmcv`` and the ``mmcv.*`` modules of the table; raises ImportError for the rest."""

    # collect_env (core, which never imports the shim) recognises the finder and loader by this
    is_mmcv_shim = True

    def find_real_mmcv(self) -> Optional[str]:
        return find_real_mmcv()

    def find_spec(self, fullname: str, path: Optional[Sequence[str]] = None,
                  target: Optional[ModuleType] = None) -> Optional[importlib.machinery.ModuleSpec]:
        if fullname != 'mmcv' and not fullname.startswith('mmcv.'):
            return None
        if fullname not in mmcv_table.MODULES:
            # name=None on purpose: `from mmcv.x import missing` then surfaces this message.
            raise ModuleNotFoundError(_missing_message(fullname))
        is_pkg = fullname in _CHILDREN
        parts = fullname.split('.')[1:]
        origin = os.path.join(SHIM_ROOT, *parts, '__init__.py') if is_pkg else \
            os.path.join(SHIM_ROOT, *parts) + '.py'
        spec = importlib.machinery.ModuleSpec(fullname, _LOADER, origin=origin, is_package=is_pkg)
        spec.has_location = True  # sets __file__ (old code reads mmcv.__file__)
        if is_pkg:
            spec.submodule_search_locations = []
        return spec


_FINDER = MmcvShimFinder()


def _under_shim(origin: Optional[str]) -> bool:
    return bool(origin) and os.path.abspath(origin).startswith(SHIM_ROOT + os.sep)  # type: ignore


def is_shim_module(module: Optional[ModuleType]) -> bool:
    """True if ``module`` was served by the shim."""
    spec = getattr(module, '__spec__', None)
    return spec is not None and (spec.loader is _LOADER or _under_shim(spec.origin))


def find_real_mmcv() -> Optional[str]:
    """Where a real (non-shim) mmcv lives, or None: an imported one or one on sys.path."""
    loaded = sys.modules.get('mmcv')
    if loaded is not None and not is_shim_module(loaded):
        return getattr(loaded, '__file__', None) or 'mmcv'
    for finder in sys.meta_path:
        if finder is _FINDER or not hasattr(finder, 'find_spec'):
            continue
        try:
            spec = finder.find_spec('mmcv', None)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and not _under_shim(spec.origin):
            return spec.origin or 'mmcv'
    return None


def is_active() -> bool:
    return _FINDER in sys.meta_path


def install(force: bool = False) -> bool:
    """Activate the shim; returns False (and changes nothing) when a real mmcv is installed.

    With ``force`` the shim goes first in ``sys.meta_path`` and a real mmcv already imported is
    dropped from ``sys.modules``.
    """
    if is_active():
        return True
    real = find_real_mmcv()
    if real is not None and not force:
        return False
    if real is not None:
        for name in [n for n in sys.modules if n == 'mmcv' or n.startswith('mmcv.')]:
            del sys.modules[name]
    sys.meta_path.insert(0, _FINDER)
    return True


def uninstall() -> None:
    """Deactivate the shim and forget the ``mmcv`` modules it served."""
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name in [n for n in sys.modules if n == 'mmcv' or n.startswith('mmcv.')]:
        if is_shim_module(sys.modules[name]):
            del sys.modules[name]


def env_mode(value: Optional[str] = None) -> Optional[str]:
    """``LEGACY_RUNNER_SHIM`` -> None (off), 'auto' or 'force'."""
    value = os.environ.get(ENV_VAR, '') if value is None else value
    value = value.strip().lower()
    if value in ('', '0', 'false', 'no', 'off'):
        return None
    return 'force' if value == 'force' else 'auto'


def activate(force: Optional[bool] = None, warn: bool = True) -> bool:
    """``install`` with ``force`` defaulting to ``LEGACY_RUNNER_SHIM=force``; warns when a real
    mmcv keeps the shim inactive."""
    if force is None:
        force = env_mode() == 'force'
    ok = install(force=force)
    if not ok and warn:
        warnings.warn(f'a real mmcv is installed ({find_real_mmcv()}); the legacy_runner mmcv shim '
                      f'stays inactive (set {ENV_VAR}=force to use the shim anyway)', stacklevel=2)
    return ok
