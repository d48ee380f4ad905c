"""``mmcv.utils.ext_loader``: mmcv's compiled extension (``mmcv._ext``) does not exist here.

``check_ops_exist()`` answers False, truthfully; ``load_ext`` raises one clear error. The mmcv.ops
of legacy_runner are written in PyTorch and never load it.
"""
from collections import namedtuple  # noqa: F401  (mmcv's module exposes it)
from typing import Any, List


def check_ops_exist() -> bool:
    return False


def load_ext(name: str, funcs: List[str]) -> Any:
    raise ImportError(f'cannot load the compiled extension {name!r} ({", ".join(funcs)}): legacy_runner has '
                      'no mmcv._ext; use the mmcv.ops it provides (written in PyTorch) instead')


__all__ = ['check_ops_exist', 'load_ext']
