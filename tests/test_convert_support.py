"""Shared helpers for the converter tests (no tests here)."""
import copy
from typing import Any, Dict, List, Optional

from compat.convert import Options, convert_dict
from compat.convert.engine import ConversionResult

BASE = dict(
    model=dict(type='MLPClassifier', in_channels=8, num_classes=4),
    data=dict(samples_per_gpu=4, workers_per_gpu=0, train=dict(type='ToyClsDataset', num_samples=64)),
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9),
    runner=dict(type='EpochBasedRunner', max_epochs=12),
)


DROP = object()  # pass as a value to remove a key of BASE


def v1(**overrides: Any) -> Dict[str, Any]:
    """A minimal complete v1 config with ``overrides`` applied."""
    cfg = copy.deepcopy(BASE)
    for key, value in overrides.items():
        if value is DROP:
            cfg.pop(key, None)
        else:
            cfg[key] = value
    return cfg


def convert(epoch_length: Optional[int] = None, fragment: bool = False, strict: bool = False,
            **overrides: Any) -> ConversionResult:
    return convert_dict(v1(**overrides), Options(epoch_length=epoch_length, fragment=fragment, strict=strict),
                        'test.py')


def statuses(result: ConversionResult, prefix: str = '') -> Dict[str, str]:
    """``{v1 key: status}`` for the entries under ``prefix``."""
    return {e.key: e.status for e in result.entries if e.key.startswith(prefix)}


def entry(result: ConversionResult, key: str) -> Any:
    found = [e for e in result.entries if e.key == key]
    assert len(found) == 1, (key, [e.key for e in result.entries])
    return found[0]


def same(a: Any, b: Any) -> bool:
    """Strict equality: types must match too (1 != 1.0 != True, list != tuple)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def keys_of(entries: List[Any]) -> List[str]:
    return [e.key for e in entries]
