"""Walks the recorded mmcv 1.7.2 surface (tests/data/mmcv_surface/manifest.json) under the shim.

Run in a fresh process (``python tests/mmcv_surface_walk.py``): prints one JSON object with, per
owner, the modules that import and the names that resolve (and the failures).
"""
import importlib
import inspect
import json
import os.path as osp
import sys
from typing import Any, Dict

HERE = osp.dirname(osp.abspath(__file__))
MANIFEST = osp.join(HERE, 'data', 'mmcv_surface', 'manifest.json')


def owner(module: str) -> str:
    """Who implements an mmcv module (the layout of legacy_runner)."""
    parts = module.split('.')
    if len(parts) > 1 and parts[1] in ('image', 'video', 'visualization', 'arraymisc'):
        return 'image'
    if len(parts) > 1 and parts[1] == 'cnn' and module != 'mmcv.cnn.builder':
        return 'bricks'
    if len(parts) > 1 and parts[1] == 'ops':
        return 'ops'
    return 'shim'


def kind(obj: Any) -> str:
    if inspect.ismodule(obj):
        return 'module'
    if inspect.isclass(obj):
        return 'class'
    return 'function' if callable(obj) else 'value'


def walk() -> Dict[str, Any]:
    sys.path.insert(0, osp.dirname(HERE))
    import compat.mmcv_shim  # noqa: F401  (activates the shim)
    with open(MANIFEST) as f:
        manifest = json.load(f)
    surface: Dict[str, Dict[str, str]] = dict(manifest['modules'])
    surface['mmcv.ops'] = {n: '?' for n in manifest['ops']['names']}
    for name in manifest['ops']['modules']:
        surface[name] = {}
    report: Dict[str, Any] = {}
    modules = {}
    for name in sorted(surface):  # import everything first, as the manifest was recorded
        entry = report.setdefault(owner(name), dict(modules=0, modules_ok=0, names=0, names_ok=0,
                                                    failed_modules={}, failed_names={}, kind_mismatch={}))
        entry['modules'] += 1
        try:
            modules[name] = importlib.import_module(name)
            entry['modules_ok'] += 1
        except Exception as e:  # noqa: BLE001  (every failure is reported)
            entry['failed_modules'][name] = f'{type(e).__name__}: {e}'[:300]
    for name in sorted(surface):
        entry = report[owner(name)]
        for attr, expected in sorted(surface[name].items()):
            entry['names'] += 1
            if name not in modules:
                entry['failed_names'][f'{name}.{attr}'] = 'module did not import'
                continue
            try:
                value = getattr(modules[name], attr)
            except Exception as e:  # noqa: BLE001
                entry['failed_names'][f'{name}.{attr}'] = f'{type(e).__name__}: {e}'[:300]
                continue
            entry['names_ok'] += 1
            if expected != '?' and kind(value) != expected:
                entry['kind_mismatch'][f'{name}.{attr}'] = f'{kind(value)} (mmcv: {expected})'
    return report


if __name__ == '__main__':
    print(json.dumps(walk(), indent=1, sort_keys=True))
