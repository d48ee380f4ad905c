"""Registry and build_from_cfg with mmcv 1.x semantics (scopes, parent/children, aliases).

Deliberate difference from mmcv: looking up an unknown name raises a KeyError that names the
registry and suggests close registered names, instead of a bare "X is not in the registry".
"""
import sys
import types
import warnings
from typing import Any, Callable, Dict, List, Optional, Tuple, Type, Union


def _suggest(name: str, registry: 'Registry') -> str:
    import difflib  # only on the error path: keeps `import legacy_runner.registry` light
    candidates = sorted(registry.all_names())
    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.5)
    if not close:
        lowered = name.lower()
        close = [c for c in candidates if lowered in c.lower() or c.lower() in lowered][:3]
    return f' Did you mean: {", ".join(close)}?' if close else ''


def _is_class_or_function(obj: Any) -> bool:
    return isinstance(obj, (type, types.FunctionType))


def build_from_cfg(cfg: Dict, registry: 'Registry', default_args: Optional[Dict] = None) -> Any:
    """Build an object from ``cfg['type']`` looked up in ``registry`` (mmcv 1.x contract)."""
    if not isinstance(cfg, dict):
        raise TypeError(f'cfg must be a dict, but got {type(cfg)}')
    if 'type' not in cfg:
        if default_args is None or 'type' not in default_args:
            raise KeyError('`cfg` or `default_args` must contain the key "type", '
                           f'but got {cfg}\n{default_args}')
    if not isinstance(registry, Registry):
        raise TypeError(f'registry must be an mmcv.Registry object, but got {type(registry)}')
    if not (isinstance(default_args, dict) or default_args is None):
        raise TypeError(f'default_args must be a dict or None, but got {type(default_args)}')

    args = cfg.copy()
    if default_args is not None:
        for name, value in default_args.items():
            args.setdefault(name, value)
    obj_type = args.pop('type')
    if isinstance(obj_type, str):
        obj_cls = registry.get(obj_type)
        if obj_cls is None:
            raise KeyError(f'{obj_type} is not in the {registry.name} registry.'
                           f'{_suggest(obj_type, registry)}')
    elif _is_class_or_function(obj_type):
        obj_cls = obj_type
    else:
        raise TypeError(f'type must be a str or valid type, but got {type(obj_type)}')
    try:
        return obj_cls(**args)
    except Exception as e:
        # mmcv prefixes the class name; keep that, but fall back when the type's ctor is unusual.
        try:
            wrapped = type(e)(f'{obj_cls.__name__}: {e}')
        except Exception:
            raise e from None
        raise wrapped.with_traceback(e.__traceback__) from None


class Registry:
    """A name -> class mapping with optional parent/children scopes, as in mmcv 1.x.

    Args:
        name: registry name, used in messages.
        build_func: how ``build`` constructs objects; defaults to the parent's, else build_from_cfg.
        parent: parent registry; this registry becomes one of its children under ``scope``.
        scope: defaults to the top-level package of the module that creates the registry.
    """

    def __init__(self, name: str, build_func: Optional[Callable] = None,
                 parent: Optional['Registry'] = None, scope: Optional[str] = None) -> None:
        self._name = name
        self._module_dict: Dict[str, Any] = {}
        self._children: Dict[str, 'Registry'] = {}
        # Registries searched for unscoped keys not found here (mmengine default_scope-like).
        # Empty unless linked with add_fallback (the mmcv shim does it), so mmcv semantics hold.
        self._fallbacks: List['Registry'] = []
        self._scope = self.infer_scope() if scope is None else scope
        self.build_func: Callable[..., Any]
        if build_func is None:
            self.build_func = parent.build_func if parent is not None else build_from_cfg
        else:
            self.build_func = build_func
        if parent is not None:
            assert isinstance(parent, Registry)
            parent._add_children(self)
            self.parent: Optional[Registry] = parent
        else:
            self.parent = None

    def __len__(self) -> int:
        return len(self._module_dict)

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(name={self._name}, items={self._module_dict})'

    @staticmethod
    def infer_scope() -> str:
        # Two frames up is whoever called Registry(...); its top-level package is the scope.
        frame = sys._getframe(2)
        module_name = frame.f_globals.get('__name__', '__main__')
        return module_name.split('.')[0]

    @staticmethod
    def split_scope_key(key: str) -> Tuple[Optional[str], str]:
        split_index = key.find('.')
        if split_index != -1:
            return key[:split_index], key[split_index + 1:]
        return None, key

    @property
    def name(self) -> str:
        return self._name

    @property
    def scope(self) -> str:
        return self._scope

    @property
    def module_dict(self) -> Dict[str, Any]:
        return self._module_dict

    @property
    def children(self) -> Dict[str, 'Registry']:
        return self._children

    def all_names(self) -> List[str]:
        """Names registered here and, scope-prefixed, in the children (for suggestions)."""
        names = list(self._module_dict)
        for scope, child in self._children.items():
            names.extend(f'{scope}.{n}' for n in child.all_names())
        for linked in self._fallbacks:
            names.extend(n for n in linked.module_dict if n not in names)
        return names

    def get(self, key: str) -> Any:
        """Return the class registered as ``key`` (``'scope.Name'`` allowed) or None."""
        scope, real_key = self.split_scope_key(key)
        if scope is None or scope == self._scope:
            found = self._module_dict.get(real_key)
            if found is None and scope is None and self._fallbacks:
                found = self._search_fallbacks(real_key, set())
            return found
        if scope in self._children:
            return self._children[scope].get(real_key)
        for linked in self._fallbacks:
            if linked.scope == scope:
                return linked.get(real_key)
        parent = self.parent
        if parent is None:
            # mmcv dereferences a None parent here (AttributeError); an unknown scope is just absent.
            return None
        while parent.parent is not None:
            parent = parent.parent
        return parent.get(key)

    def add_fallback(self, registry: 'Registry') -> None:
        """Also search ``registry`` (and its children) for unscoped keys missing here."""
        assert isinstance(registry, Registry)
        if registry is not self and all(r is not registry for r in self._fallbacks):
            self._fallbacks.append(registry)

    @property
    def fallbacks(self) -> List['Registry']:
        return list(self._fallbacks)

    def _search_fallbacks(self, key: str, seen: set) -> Any:
        for reg in self._fallbacks:
            found = reg._search_tree(key, seen)
            if found is not None:
                return found
        return None

    def _search_tree(self, key: str, seen: set) -> Any:
        # own names, then children, then linked registries; each registry visited once
        if id(self) in seen:
            return None
        seen.add(id(self))
        found = self._module_dict.get(key)
        for child in self._children.values():
            if found is not None:
                break
            found = child._search_tree(key, seen)
        return found if found is not None else self._search_fallbacks(key, seen)

    def build(self, *args: Any, **kwargs: Any) -> Any:
        return self.build_func(*args, **kwargs, registry=self)

    def _add_children(self, registry: 'Registry') -> None:
        assert isinstance(registry, Registry)
        assert registry.scope is not None
        assert registry.scope not in self.children, \
            f'scope {registry.scope} exists in {self.name} registry'
        self.children[registry.scope] = registry

    def _register_module(self, module: Any, module_name: Union[None, str, List[str]] = None,
                         force: bool = False) -> None:
        if not _is_class_or_function(module):
            raise TypeError(f'module must be a class or a function, but got {type(module)}')
        if module_name is None:
            module_name = module.__name__
        if isinstance(module_name, str):
            module_name = [module_name]
        for name in module_name:
            if not force and name in self._module_dict:
                raise KeyError(f'{name} is already registered in {self.name}')
            self._module_dict[name] = module

    def deprecated_register_module(self, cls: Optional[Type] = None, force: bool = False) -> Any:
        warnings.warn('The old API of register_module(module, force=False) is deprecated and will be '
                      'removed, please use the new API register_module(name=None, force=False, '
                      'module=None) instead.', DeprecationWarning)
        if cls is None:
            return lambda c: self.deprecated_register_module(c, force=force)
        self._register_module(cls, force=force)
        return cls

    def register_module(self, name: Union[None, str, List[str], Type] = None, force: bool = False,
                        module: Optional[Any] = None) -> Any:
        """Register a class or function, as a decorator or with ``module=``."""
        if not isinstance(force, bool):
            raise TypeError(f'force must be a boolean, but got {type(force)}')
        if isinstance(name, type):
            return self.deprecated_register_module(name, force=force)
        if not (name is None or isinstance(name, str)
                or (isinstance(name, (list, tuple)) and all(isinstance(n, str) for n in name))):
            raise TypeError('name must be either of None, an instance of str or a sequence of str, '
                            f'but got {type(name)}')
        if module is not None:
            self._register_module(module=module, module_name=name, force=force)
            return module

        def _register(cls: Any) -> Any:
            self._register_module(module=cls, module_name=name, force=force)
            return cls

        return _register
