"""What ``mmcv.runner.checkpoint`` adds to legacy_runner.checkpoint: the model-zoo lookups and the
mmcv home constants.

legacy_runner bundles no model-zoo url lists: ``get_external_models`` & co. read the JSON files
from the mmcv home directory (``$MMCV_HOME``, default ``~/.cache/mmcv``) when present, else {}.
"""
import json
import os.path as osp
import pkgutil
from typing import Dict

from legacy_runner.checkpoint import (  # noqa: F401
    CheckpointLoader,
    _get_mmcv_home,
    _load_checkpoint,
    _load_checkpoint_with_prefix,
    get_state_dict,
    load_checkpoint,
    load_from_http,
    load_from_local,
    load_state_dict,
    save_checkpoint,
    weights_to_cpu,
)
from legacy_runner.utils.fileio import load as load_file  # noqa: F401  (mmcv's name for it)

ENV_MMCV_HOME = 'MMCV_HOME'
ENV_XDG_CACHE_HOME = 'XDG_CACHE_HOME'
DEFAULT_CACHE_DIR = '~/.cache'


def _home_json(name: str) -> Dict[str, str]:
    path = osp.join(_get_mmcv_home(), name)
    if not osp.isfile(path):
        return {}
    with open(path) as f:
        return json.load(f)


def get_torchvision_models() -> Dict[str, str]:
    """``model_urls`` of the installed torchvision's model modules ({} without torchvision)."""
    try:
        import torchvision.models as tv_models
    except ImportError:
        return {}
    urls: Dict[str, str] = {}
    for info in pkgutil.walk_packages(tv_models.__path__, tv_models.__name__ + '.'):
        if info.ispkg:
            continue
        try:
            module = __import__(info.name, fromlist=['_'])
        except Exception:
            continue
        urls.update(getattr(module, 'model_urls', {}) or {})
    return urls


def get_external_models() -> Dict[str, str]:
    return _home_json('open_mmlab.json')


def get_mmcls_models() -> Dict[str, str]:
    return _home_json('mmcls.json')


def get_deprecated_model_names() -> Dict[str, str]:
    return _home_json('deprecated.json')


__all__ = ['CheckpointLoader', 'get_deprecated_model_names', 'get_external_models', 'get_mmcls_models',
           'get_state_dict', 'get_torchvision_models', 'load_checkpoint', 'load_from_http',
           'load_from_local', 'load_state_dict', 'save_checkpoint', 'weights_to_cpu']
