"""``mmcv.cnn``: backbones (AlexNet, VGG, ResNet), bricks and their builders, weight
initialisation, FLOPs counting, conv+BN fusion and the receptive-field search.

mmcv imports all of it with the package. Here the names load on first use (``_surface``, about
35 ms): a training run whose modules only need ``weight_init`` (every BaseModule's
``init_weights``) skips the bricks. They load all together because each brick registers its
layer types on import, and a builder must find every one of them.
"""
import importlib
from typing import Any, List


def _load() -> dict:
    surface = importlib.import_module(f'{__name__}._surface')
    names = globals()
    names.update((k, v) for k, v in vars(surface).items() if not k.startswith('_'))
    names['__all__'] = surface.__all__
    return names


def __getattr__(name: str) -> Any:
    if name.startswith('__') and name != '__all__':  # probes such as __wrapped__ load nothing
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    names = _load()
    if name not in names:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    return names[name]


def __dir__() -> List[str]:
    return sorted(_load())
