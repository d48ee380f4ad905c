"""DeepSpeed and ColossalAI strategies: registered names that fail with one clear line."""
import importlib.util
from typing import Any

from ..registry import STRATEGIES


class _NeedsPackage:
    package = ''
    install = ''

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if importlib.util.find_spec(self.package) is None:
            raise ModuleNotFoundError(f'{type(self).__name__} needs the `{self.package}` package, which '
                                      f'is not installed (pip install {self.install or self.package}).')
        raise NotImplementedError(f'{type(self).__name__} is not implemented by this runtime; use '
                                  'SingleDeviceStrategy, DDPStrategy or FSDPStrategy.')


@STRATEGIES.register_module()
class DeepSpeedStrategy(_NeedsPackage):
    """Placeholder for mmengine's DeepSpeed strategy."""

    package = 'deepspeed'


@STRATEGIES.register_module()
class ColossalAIStrategy(_NeedsPackage):
    """Placeholder for mmengine's ColossalAI strategy."""

    package = 'colossalai'
