"""``ConfigDict``: the attribute-access dict used for every mapping inside a ``Config``.

mmcv 1.x built it on ``addict.Dict``; we reproduce the parts of that behaviour configs rely on,
without the dependency:

* construction converts nested dicts to ``ConfigDict``, also inside lists and tuples (the container
  type is kept, so tuples stay tuples);
* ``d.x`` reads ``d['x']``; a missing key raises ``AttributeError("'ConfigDict' object has no
  attribute 'x'")`` for attribute access and ``KeyError('x')`` for item access (no
  auto-vivification, so ``d.a.b = 1`` on a missing ``a`` fails instead of creating it);
* ``d.x = v`` / ``d['x'] = v`` store ``v`` unchanged (a plain dict stays a plain dict, as in addict);
* ``update`` merges nested dicts recursively (addict semantics), ``to_dict`` converts back to plain
  dicts, and copy / deepcopy / pickle keep the class.
"""
import copy
from typing import Any, Dict, Iterable, List


class ConfigDict(dict):
    """A dict whose keys can also be read and written as attributes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        for arg in args:
            if not arg:
                continue
            if isinstance(arg, dict):
                pairs: Iterable = arg.items()
            elif isinstance(arg, tuple) and not isinstance(arg[0], tuple):
                # addict accepts a single ``(key, value)`` tuple as well as an iterable of pairs
                pairs = ((arg[0], arg[1]), )
            else:
                pairs = arg
            for key, value in pairs:
                self[key] = self._hook(value)
        for key, value in kwargs.items():
            self[key] = self._hook(value)

    @classmethod
    def _hook(cls, item: Any) -> Any:
        """Convert dicts (also inside lists/tuples, keeping the container type) to this class."""
        if isinstance(item, dict):
            return cls(item)
        if isinstance(item, (list, tuple)):
            return _rebuild(item, [cls._hook(elem) for elem in item])
        return item

    # -- attribute access ---------------------------------------------------------------------------
    def __missing__(self, name: Any) -> Any:
        # no auto-vivification: a missing key is an error, never a new empty child
        raise KeyError(name)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"'{self.__class__.__name__}' object has no attribute '{name}'") from None

    def __setattr__(self, name: str, value: Any) -> None:
        if hasattr(self.__class__, name):
            # e.g. ``cfg.keys = 1`` would shadow the method; addict refuses it the same way
            raise AttributeError(
                f"'{self.__class__.__name__}' object attribute '{name}' is read-only")
        self[name] = value

    def __delattr__(self, name: str) -> None:
        del self[name]

    def __dir__(self) -> List[str]:
        keys = [k for k in self.keys() if isinstance(k, str) and k.isidentifier()]
        return sorted(set(super().__dir__()) | set(keys))

    # -- conversion and copies ----------------------------------------------------------------------
    def to_dict(self) -> Dict:
        """Return a plain-dict copy, converting nested ConfigDicts (also inside lists/tuples)."""
        return {key: _to_plain(value) for key, value in self.items()}

    def copy(self) -> 'ConfigDict':
        """Shallow copy that keeps the class."""
        return self.__copy__()

    def __copy__(self) -> 'ConfigDict':
        other = self.__class__()
        dict.update(other, self)
        return other

    def deepcopy(self) -> 'ConfigDict':
        return copy.deepcopy(self)

    def __deepcopy__(self, memo: Dict[int, Any]) -> 'ConfigDict':
        other = self.__class__()
        memo[id(self)] = other
        for key, value in self.items():
            other[copy.deepcopy(key, memo)] = copy.deepcopy(value, memo)
        return other

    def __reduce__(self) -> tuple:
        # rebuild an empty instance, then restore items one by one: no re-conversion of values,
        # and self-references are handled by pickle's memo
        return (self.__class__, (), None, None, iter(self.items()))

    def __setstate__(self, state: Any) -> None:
        # pickles written by addict-based ConfigDicts carry the items again as their state
        if isinstance(state, dict):
            dict.update(self, state)

    # -- addict-style recursive update and ``|`` ----------------------------------------------------
    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Recursive update: a dict value merges into an existing dict value instead of replacing it."""
        if len(args) > 1:
            raise TypeError(f'update expected at most 1 positional argument, got {len(args)}')
        other: Dict = {}
        if args:
            other.update(args[0])
        other.update(kwargs)
        for key, value in other.items():
            current = self.get(key)
            if key in self and isinstance(current, dict) and isinstance(value, dict):
                current.update(value)
            else:
                self[key] = value

    def __or__(self, other: Any) -> Any:
        if not isinstance(other, dict):
            return NotImplemented
        new = self.__class__(self)
        new.update(other)
        return new

    def __ror__(self, other: Any) -> Any:
        if not isinstance(other, dict):
            return NotImplemented
        new = self.__class__(other)
        new.update(self)
        return new

    def __ior__(self, other: Any) -> 'ConfigDict':
        self.update(other)
        return self


def _to_plain(value: Any) -> Any:
    if isinstance(value, ConfigDict):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return _rebuild(value, [_to_plain(item) for item in value])
    return value


def _rebuild(container: Any, items: List[Any]) -> Any:
    """A container of the same type as ``container`` holding ``items`` (namedtuples included)."""
    if isinstance(container, tuple) and hasattr(container, '_fields'):
        return type(container)(*items)
    return type(container)(items)
