"""PaviLoggerHook (optional: needs OpenMMLab's ``pavi`` SDK, which is not a dependency)."""
import json
import os
import os.path as osp
import warnings
from functools import partial
from typing import Any, Dict, Optional

import torch

from ...dist import master_only
from ..hook import HOOKS
from .base import LoggerHook


def _every(step: int, start: int, interval: int) -> bool:
    """True at ``start``, ``start + interval``, ... ."""
    return step >= start and (step - start) % interval == 0


@HOOKS.register_module()
class PaviLoggerHook(LoggerHook):
    """Logs ``writer.add_scalars(mode, tags, step)`` to a pavi ``SummaryWriter``.

    ``tags`` are the loggable tags without the mode prefix; ``step`` is ``get_epoch`` for 'val'
    records of an epoch-based run, else ``iter+1``. ``pavi`` is imported in ``before_run``.
    The writer's ``name`` defaults to the last component of ``work_dir``, ``model`` to the model
    class name, and ``session_text`` to the YAML of ``meta['config_dict']`` (or of the config file
    ``meta['config_file']``) with ``max_iter`` added.

    Args:
        init_kwargs: keyword arguments of ``pavi.SummaryWriter``.
        add_graph: deprecated, overrides ``add_graph_kwargs['active']``.
        img_key: deprecated, overrides ``add_graph_kwargs['img_key']``.
        add_last_ckpt: upload ``work_dir/latest.pth`` after the run.
        add_graph_kwargs: ``active`` (False), ``start`` (0), ``interval`` (1), ``img_key``
            ('img'), ``opset_version`` (11), ``dummy_forward_kwargs`` ({}): add the model graph
            before train epochs (by_epoch) or train iterations (otherwise) on that schedule.
        add_ckpt_kwargs: ``active`` (False), ``start`` (0), ``interval`` (1): upload
            ``epoch_{n}.pth`` / ``iter_{n}.pth`` after train epochs / iterations on that schedule.
    """

    def __init__(self, init_kwargs: Optional[Dict] = None, add_graph: Optional[bool] = None,
                 img_key: Optional[str] = None, add_last_ckpt: bool = False, interval: int = 10,
                 ignore_last: bool = True, reset_flag: bool = False, by_epoch: bool = True,
                 add_graph_kwargs: Optional[Dict] = None, add_ckpt_kwargs: Optional[Dict] = None) -> None:
        super().__init__(interval, ignore_last, reset_flag, by_epoch)
        self.init_kwargs = init_kwargs

        graph_cfg = add_graph_kwargs or {}
        self.add_graph = graph_cfg.get('active', False)
        self.add_graph_start = graph_cfg.get('start', 0)
        self.add_graph_interval = graph_cfg.get('interval', 1)
        self.img_key = graph_cfg.get('img_key', 'img')
        self.opset_version = graph_cfg.get('opset_version', 11)
        self.dummy_forward_kwargs = graph_cfg.get('dummy_forward_kwargs', {})
        if add_graph is not None:
            warnings.warn('"add_graph" is deprecated in `PaviLoggerHook`, please use the key "active" '
                          'of add_graph_kwargs instead', DeprecationWarning)
            self.add_graph = add_graph
        if img_key is not None:
            warnings.warn('"img_key" is deprecated in `PaviLoggerHook`, please use the key "img_key" '
                          'of add_graph_kwargs instead', DeprecationWarning)
            self.img_key = img_key

        ckpt_cfg = add_ckpt_kwargs or {}
        self.add_ckpt = ckpt_cfg.get('active', False)
        self.add_last_ckpt = add_last_ckpt
        self.add_ckpt_start = ckpt_cfg.get('start', 0)
        self.add_ckpt_interval = ckpt_cfg.get('interval', 1)

    @master_only
    def before_run(self, runner: Any) -> None:
        super().before_run(runner)
        try:
            from pavi import SummaryWriter
        except ImportError as e:
            raise ImportError("PaviLoggerHook needs pavi (OpenMMLab's internal SDK; ask the pavi team "
                              'for it): pip install pavi') from e

        self.run_name = runner.work_dir.split('/')[-1]
        if not self.init_kwargs:
            self.init_kwargs = {}
        self.init_kwargs.setdefault('name', self.run_name)
        self.init_kwargs.setdefault('model', runner._model_name)
        session = self._session_config(runner)
        if session is not None:
            import yaml

            from ...utils.fileio import dump
            session = dict(session)
            # pavi reads 'max_.*iter' to size its progress bar
            session.setdefault('max_iter', runner.max_iters)
            # a json round trip turns numpy values, sets, ranges... into plain types
            session = json.loads(dump(session, file_format='json'))
            self.init_kwargs.setdefault('session_text', yaml.dump(session))
        self.writer = SummaryWriter(**self.init_kwargs)

    @staticmethod
    def _session_config(runner: Any) -> Optional[Dict]:
        """``meta['config_dict']`` (must be a dict), else the parsed ``meta['config_file']``."""
        meta = runner.meta
        if meta is None:
            return None
        if 'config_dict' in meta:
            config_dict = meta['config_dict']
            assert isinstance(config_dict, dict), \
                f'meta["config_dict"] has to be of a dict, but got {type(config_dict)}'
            return config_dict
        if 'config_file' in meta:
            from ...config import Config
            return dict(Config.fromfile(meta['config_file']))
        return None

    def get_step(self, runner: Any) -> int:
        """The epoch for 'val' records of an epoch-based run, else ``iter+1``."""
        if self.get_mode(runner) == 'val' and self.by_epoch:
            return self.get_epoch(runner)
        return self.get_iter(runner)

    def _add_ckpt(self, runner: Any, ckpt_path: str, step: int) -> None:
        if osp.islink(ckpt_path):
            ckpt_path = osp.join(runner.work_dir, os.readlink(ckpt_path))
        if osp.isfile(ckpt_path):
            self.writer.add_snapshot_file(tag=self.run_name, snapshot_file_path=ckpt_path, iteration=step)

    def _add_graph(self, runner: Any, step: int) -> None:
        from ...parallel import is_module_wrapper, scatter
        from ...runner.iter_loader import IterLoader

        model = runner.model.module if is_module_wrapper(runner.model) else runner.model
        device = next(model.parameters()).device
        loader = runner.data_loader._dataloader if isinstance(runner.data_loader, IterLoader) \
            else runner.data_loader
        data = next(iter(loader))
        # mmcv passes device.index, which is None on the CPU; -1 is the CPU target of scatter
        data = scatter(data, [-1 if device.index is None else device.index])[0]
        img = data[self.img_key]
        had_forward = 'forward' in vars(model)
        original = model.forward
        try:
            with torch.no_grad():
                if hasattr(model, 'forward_dummy'):
                    model.forward = model.forward_dummy
                if self.dummy_forward_kwargs:
                    model.forward = partial(model.forward, **self.dummy_forward_kwargs)
                self.writer.add_graph(model, img, tag=f'{self.run_name}_{step}',
                                      opset_version=self.opset_version)
        finally:
            if had_forward:
                model.forward = original
            else:
                vars(model).pop('forward', None)

    @master_only
    def log(self, runner: Any) -> None:
        tags = self.get_loggable_tags(runner, add_mode=False)
        if tags:
            self.writer.add_scalars(self.get_mode(runner), tags, self.get_step(runner))

    @master_only
    def after_run(self, runner: Any) -> None:
        if self.add_last_ckpt:
            # the counters were already incremented past the last unit
            step = runner.epoch if self.by_epoch else runner.iter
            self._add_ckpt(runner, osp.join(runner.work_dir, 'latest.pth'), step)
        self.writer.close()  # flushes and tells pavi the task has ended

    @master_only
    def before_train_epoch(self, runner: Any) -> None:
        super().before_train_epoch(runner)
        if not self.by_epoch:
            return
        step = self.get_epoch(runner)
        if self.add_graph and _every(step, self.add_graph_start, self.add_graph_interval):
            self._add_graph(runner, step)

    @master_only
    def before_train_iter(self, runner: Any) -> None:
        super().before_train_iter(runner)
        if self.by_epoch:
            return
        step = self.get_iter(runner)
        if self.add_graph and _every(step, self.add_graph_start, self.add_graph_interval):
            self._add_graph(runner, step)

    @master_only
    def after_train_epoch(self, runner: Any) -> None:
        super().after_train_epoch(runner)
        if not self.by_epoch:
            return
        step = self.get_epoch(runner)
        if self.add_ckpt and _every(step, self.add_ckpt_start, self.add_ckpt_interval):
            self._add_ckpt(runner, osp.join(runner.work_dir, f'epoch_{step}.pth'), step)

    @master_only
    def after_train_iter(self, runner: Any) -> None:
        super().after_train_iter(runner)
        if self.by_epoch:
            return
        step = self.get_iter(runner)
        if self.add_ckpt and _every(step, self.add_ckpt_start, self.add_ckpt_interval):
            self._add_ckpt(runner, osp.join(runner.work_dir, f'iter_{step}.pth'), step)
