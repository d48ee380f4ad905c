"""``BaseModule`` and its container variants: modules that initialise themselves from ``init_cfg``."""
import copy
import warnings
from abc import ABCMeta
from collections import defaultdict
from logging import FileHandler
from typing import Any, Dict, Iterable, List, Optional, Union

import torch.nn as nn

from .utils.logging import get_logger, logger_initialized, print_log

InitCfg = Union[None, Dict, List[Dict]]


class BaseModule(nn.Module, metaclass=ABCMeta):
    """An ``nn.Module`` whose ``init_weights`` applies ``init_cfg`` and then recurses into children.

    Compared with plain PyTorch modules: ``init_cfg`` (dict or list of dicts, see
    ``legacy_runner.cnn.initialize``) is applied first; a ``Pretrained`` init_cfg returns early so
    the children do not overwrite the loaded weights; a second call only warns. The top-level call
    logs, per parameter, which initializer last changed it.
    """

    def __init__(self, init_cfg: InitCfg = None) -> None:
        super().__init__()
        self._is_init = False
        self.init_cfg = copy.deepcopy(init_cfg)

    @property
    def is_init(self) -> bool:
        return self._is_init

    def init_weights(self) -> None:
        """Initialise this module from ``init_cfg`` and call ``init_weights`` of the children."""
        from .cnn.weight_init import initialize, update_init_info

        is_top_level = not hasattr(self, '_params_init_info')
        if is_top_level:
            self._start_init_info()
        logger_names = list(logger_initialized)
        logger_name = logger_names[0] if logger_names else 'mmcv'
        try:
            module_name = self.__class__.__name__
            if self._is_init:
                warnings.warn(f'init_weights of {module_name} has been called more than once.')
            else:
                if self.init_cfg:
                    print_log(f'initialize {module_name} with init_cfg {self.init_cfg}', logger=logger_name)
                    initialize(self, self.init_cfg)
                    if isinstance(self.init_cfg, dict) and self.init_cfg['type'] == 'Pretrained':
                        # keep the loaded weights: the children must not re-initialise them
                        return
                for m in self.children():
                    if hasattr(m, 'init_weights'):
                        m.init_weights()
                        # a child may override init_weights without touching init info
                        update_init_info(m, init_info=f'Initialized by user-defined `init_weights` '
                                                      f'in {m.__class__.__name__} ')
                self._is_init = True
            if is_top_level:
                self._dump_init_info(logger_name)
        finally:
            if is_top_level:
                for sub_module in self.modules():
                    sub_module.__dict__.pop('_params_init_info', None)

    def _start_init_info(self) -> None:
        """Share one parameter → {init_info, tmp_mean_value} table with every submodule."""
        info: Dict[Any, Dict[str, Any]] = defaultdict(dict)
        for param in self.parameters():
            info[param]['init_info'] = (f'The value is the same before and after calling '
                                        f'`init_weights` of {self.__class__.__name__} ')
            info[param]['tmp_mean_value'] = param.data.mean()
        for sub_module in self.modules():
            sub_module._params_init_info = info

    def _dump_init_info(self, logger_name: str) -> None:
        """Write the init info to the logger's file handlers, or log it when there are none."""
        logger = get_logger(logger_name)
        file_handlers = [h for h in logger.handlers if isinstance(h, FileHandler)]
        for handler in file_handlers:
            handler.stream.write('Name of parameter - Initialization information\n')
            for name, param in self.named_parameters():
                handler.stream.write(f'\n{name} - {param.shape}: '
                                     f'\n{self._params_init_info[param]["init_info"]} \n')
            handler.stream.flush()
        if not file_handlers:
            for name, param in self.named_parameters():
                print_log(f'\n{name} - {param.shape}: \n{self._params_init_info[param]["init_info"]} \n ',
                          logger=logger_name)

    def __repr__(self) -> str:
        s = super().__repr__()
        if self.init_cfg:
            s += f'\ninit_cfg={self.init_cfg}'
        return s


class Sequential(BaseModule, nn.Sequential):
    """``nn.Sequential`` with ``init_cfg``."""

    def __init__(self, *args: nn.Module, init_cfg: InitCfg = None) -> None:
        BaseModule.__init__(self, init_cfg)
        nn.Sequential.__init__(self, *args)


class ModuleList(BaseModule, nn.ModuleList):
    """``nn.ModuleList`` with ``init_cfg``."""

    def __init__(self, modules: Optional[Iterable[nn.Module]] = None, init_cfg: InitCfg = None) -> None:
        BaseModule.__init__(self, init_cfg)
        nn.ModuleList.__init__(self, modules)


class ModuleDict(BaseModule, nn.ModuleDict):
    """``nn.ModuleDict`` with ``init_cfg``."""

    def __init__(self, modules: Optional[Dict[str, nn.Module]] = None, init_cfg: InitCfg = None) -> None:
        BaseModule.__init__(self, init_cfg)
        nn.ModuleDict.__init__(self, modules)
