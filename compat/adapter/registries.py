"""Link the legacy and v2 registries without either runtime knowing about the other format.

v2 ``MODELS``/``DATASETS`` fall back to legacy_runner's (a v1 model is adapted to the v2 step
contract when it has a v1-style ``train_step``); legacy ``MODELS`` falls back to v2 ``MODELS`` (a
v2 ``BaseModel`` is wrapped in :class:`~compat.adapter.bridges.V2ModelOnLegacy`). The fallbacks
only answer names the registry itself does not know, so nothing registered is shadowed.

Linking imports the v2 runtime. A v1 config on the legacy runtime only needs it when it names a
v2 model (a v1/v2 mix): :func:`install_on_demand` links on the first name legacy ``MODELS`` does
not know, so a pure v1 run never loads ``compat.v2``.
"""
import functools
import types
from typing import Any, Callable

from legacy_runner import builder as v1

_INSTALLED = {'done': False}


def _with_fallback(registry: Any, fallback: Callable[[str], Any]) -> None:
    own_get = registry.get
    registry._own_get = own_get  # the fallbacks ask the other registry without its fallback

    def get(self: Any, key: str) -> Any:
        found = own_get(key)
        return found if found is not None else fallback(key)

    registry.get = types.MethodType(get, registry)


def _own(registry: Any, key: str) -> Any:
    return getattr(registry, '_own_get', registry.get)(key)


def _v2_registry() -> Any:
    from compat.v2 import registry
    return registry


def _v1_model(key: str) -> Any:
    from .bridges import build_v1_model
    cls = _own(v1.MODELS, key)
    return None if cls is None else functools.partial(build_v1_model, cls)


def _v1_dataset(key: str) -> Any:
    return _own(v1.DATASETS, key)


def _v2_model(key: str) -> Any:
    cls = _own(_v2_registry().MODELS, key)
    if cls is None:
        return None

    def build(**kwargs: Any) -> Any:
        from compat.v2.model import BaseModel

        from .bridges import V2ModelOnLegacy
        model = cls(**kwargs)
        return V2ModelOnLegacy(model) if isinstance(model, BaseModel) else model
    return build


def install() -> None:
    """Install the registry links and register the bridges (idempotent)."""
    if _INSTALLED['done']:
        return
    _INSTALLED['done'] = True
    from compat.v2 import examples  # noqa: F401  (v2 names win over the v1 fallbacks)
    from legacy_runner import examples as v1_examples  # noqa: F401

    from . import bridges, checkpoints, hooks, optim  # noqa: F401  (registration)
    v2 = _v2_registry()
    v1.MODELS.__dict__.pop('get', None)  # drop install_on_demand's hook: the fallback below replaces it
    _with_fallback(v2.MODELS, _v1_model)
    _with_fallback(v2.DATASETS, _v1_dataset)
    _with_fallback(v1.MODELS, _v2_model)


def install_on_demand() -> None:
    """Link on the first miss: legacy ``MODELS`` answers what it knows itself; a name it does not
    know installs the links (importing the v2 runtime) and is looked up again."""
    if _INSTALLED['done'] or 'get' in v1.MODELS.__dict__:
        return
    own_get = v1.MODELS.get

    def get(self: Any, key: str) -> Any:
        found = own_get(key)
        if found is not None:
            return found
        install()
        return self.get(key)

    v1.MODELS.get = types.MethodType(get, v1.MODELS)  # type: ignore[method-assign]
