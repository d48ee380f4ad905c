"""``RFSearchHook``: the receptive-field search of RF-Next run as a training hook."""
import os
from typing import Dict, Optional

from torch import nn

from ...hook_base import HOOKS, Hook
from ...utils.fileio import load
from ...utils.logging import get_logger
from .operator import BaseConvRFSearchOp, Conv2dRFSearchOp
from .utils import get_single_padding, write_to_json

logger = get_logger('mmcv')

_SEARCH_OPS = {'Conv2d': (nn.Conv2d, Conv2dRFSearchOp)}


def _searchable(module: nn.Module) -> bool:
    # a kernel axis larger than 1 and odd
    k = module.kernel_size
    return (1 < k[0] and k[0] % 2 != 0) or (1 < k[1] and k[1] % 2 != 0)


@HOOKS.register_module()
class RFSearchHook(Hook):
    """Search conv dilation rates during training.

    Args:
        mode: 'search' (wrap convs and search), 'fixed_single_branch' (apply the dilations of
            ``rfstructure_file``) or 'fixed_multi_branch' (apply them, then wrap).
        config: holds ``config['search']`` with 'step', 'max_step', 'search_interval',
            'exp_rate', 'init_alphas', 'mmin', 'mmax', 'num_branches' and 'skip_layer'.
        rfstructure_file: json whose 'structure' maps 'module.<name>' to a dilation.
        by_epoch: step after every epoch (else after every iteration).
        verbose: log the search.
    """

    def __init__(self, mode: str = 'search', config: Dict = {},  # noqa: B006
                 rfstructure_file: Optional[str] = None, by_epoch: bool = True, verbose: bool = True) -> None:
        assert mode in ['search', 'fixed_single_branch', 'fixed_multi_branch']
        assert config is not None
        self.config = config
        self.config['structure'] = {}
        self.verbose = verbose
        if rfstructure_file is not None:
            self.config['structure'] = load(rfstructure_file)['structure']
        self.mode = mode
        self.num_branches = self.config['search']['num_branches']
        self.by_epoch = by_epoch

    def init_model(self, model: nn.Module) -> None:
        """Prepare ``model`` for the mode (set searched dilations and/or wrap convs)."""
        if self.verbose:
            logger.info('RFSearch init begin.')
        if self.mode == 'search':
            if self.config['structure']:
                self.set_model(model, search_op='Conv2d')
            self.wrap_model(model, search_op='Conv2d')
        elif self.mode == 'fixed_single_branch':
            self.set_model(model, search_op='Conv2d')
        elif self.mode == 'fixed_multi_branch':
            self.set_model(model, search_op='Conv2d')
            self.wrap_model(model, search_op='Conv2d')
        else:
            raise NotImplementedError
        if self.verbose:
            logger.info('RFSearch init end.')

    def after_train_epoch(self, runner) -> None:  # type: ignore[no-untyped-def]
        """A search step after each epoch (``by_epoch``)."""
        if self.by_epoch and self.mode == 'search':
            self.step(runner.model, runner.work_dir)

    def after_train_iter(self, runner) -> None:  # type: ignore[no-untyped-def]
        """A search step after each iteration (not ``by_epoch``)."""
        if not self.by_epoch and self.mode == 'search':
            self.step(runner.model, runner.work_dir)

    def step(self, model: nn.Module, work_dir: str) -> None:
        """Count a step; every ``search_interval`` steps (before ``max_step``) estimate and
        expand the rates and write the structure to ``local_search_config_step<N>.json``."""
        search = self.config['search']
        search['step'] += 1
        if search['step'] % search['search_interval'] == 0 and search['step'] < search['max_step']:
            self.estimate_and_expand(model)
            for name, module in model.named_modules():
                if isinstance(module, BaseConvRFSearchOp):
                    self.config['structure'][name] = module.op_layer.dilation
            write_to_json(self.config,
                          os.path.join(work_dir, 'local_search_config_step%d.json' % search['step']))

    def estimate_and_expand(self, model: nn.Module) -> None:
        """Estimate then expand the rates of every searchable op."""
        for module in model.modules():
            if isinstance(module, BaseConvRFSearchOp):
                module.estimate_rates()
                module.expand_rates()

    def _skipped(self, fullname: str) -> bool:
        skip = self.config['search']['skip_layer']
        return skip is not None and any(layer in fullname for layer in skip)

    def wrap_model(self, model: nn.Module, search_op: str = 'Conv2d', prefix: str = '') -> None:
        """Replace searchable convs (odd kernel > 1) by their search op, recursively."""
        op_type, wrapper = _SEARCH_OPS[search_op]
        for name, module in model.named_children():
            fullname = 'module.' + name if prefix == '' else prefix + '.' + name
            if self._skipped(fullname):
                continue
            if isinstance(module, op_type):
                if _searchable(module):
                    wrapped = wrapper(module, self.config['search'], self.verbose).to(module.weight.device)
                    if self.verbose:
                        logger.info('Wrap model %s to %s.' % (str(module), str(wrapped)))
                    setattr(model, name, wrapped)
            elif not isinstance(module, BaseConvRFSearchOp):
                self.wrap_model(module, search_op, fullname)

    def set_model(self, model: nn.Module, search_op: str = 'Conv2d', init_rates: Optional[int] = None,
                  prefix: str = '') -> None:
        """Give searchable convs the dilations (and matching padding) of ``config['structure']``."""
        op_type, _ = _SEARCH_OPS[search_op]
        structure = self.config['structure']
        for name, module in model.named_children():
            fullname = 'module.' + name if prefix == '' else prefix + '.' + name
            if self._skipped(fullname):
                continue
            if isinstance(module, op_type):
                if _searchable(module):
                    if isinstance(structure[fullname], int):
                        structure[fullname] = [structure[fullname], structure[fullname]]
                    module.dilation = (structure[fullname][0], structure[fullname][1])
                    module.padding = (
                        get_single_padding(module.kernel_size[0], module.stride[0], structure[fullname][0]),
                        get_single_padding(module.kernel_size[1], module.stride[1], structure[fullname][1]))
                    setattr(model, name, module)
                    if self.verbose:
                        logger.info('Set module %s dilation as: [%d %d]'
                                    % (fullname, module.dilation[0], module.dilation[1]))
            elif not isinstance(module, BaseConvRFSearchOp):
                self.set_model(module, search_op, init_rates, fullname)

__all__ = ['RFSearchHook']
