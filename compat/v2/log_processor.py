"""``LogProcessor``: formats train/val/test log lines and the scalar tags in mmengine's layout.

Only keys matching ``mean_pattern`` are window-averaged; every other scalar shows its latest
value. Windows span epochs (the buffers are never reset), as in mmengine.
"""
import copy
import datetime
import re
from collections import OrderedDict
from itertools import chain
from typing import Any, List, Optional, Tuple

import numpy as np

from .registry import LOG_PROCESSORS


@LOG_PROCESSORS.register_module()
class LogProcessor:
    """Args as mmengine: ``window_size``, ``by_epoch``, ``custom_cfg`` (``dict(data_src, log_name,
    method_name, window_size)``), ``num_digits``, ``log_with_hierarchy``, ``mean_pattern``."""

    def __init__(self, window_size: int = 10, by_epoch: bool = True, custom_cfg: Optional[List[dict]] = None,
                 num_digits: int = 4, log_with_hierarchy: bool = False,
                 mean_pattern: str = r'.*(loss|time|data_time|grad_norm).*') -> None:
        self.window_size = window_size
        self.by_epoch = by_epoch
        self.custom_cfg = custom_cfg if custom_cfg else []
        self.num_digits = num_digits
        self.log_with_hierarchy = log_with_hierarchy
        self.mean_pattern = re.compile(mean_pattern)
        self._check_custom_cfg()

    def _check_custom_cfg(self) -> None:
        names = set()
        for cfg in self.custom_cfg:
            assert 'data_src' in cfg, 'data_src must be defined in custom_cfg'
            name = cfg.get('log_name', cfg['data_src'])
            assert name not in names, f'Found duplicate {name} for {cfg["data_src"]}. Please check ' \
                'your `custom_cfg` for `log_processor`. You should neither define duplicate `{key}` ' \
                'for {data_src} nor do not define any {key} for multiple {data_src}'
            names.add(name)
            if not self.by_epoch:
                assert cfg.get('window_size') != 'epoch', \
                    'window_size cannot be epoch if LoggerHook.by_epoch is False.'

    # -- helpers -----------------------------------------------------------------------------
    def _parse_windows_size(self, runner: Any, batch_idx: int, custom_cfg: List[dict]) -> List[dict]:
        parsed = copy.deepcopy(custom_cfg)
        for cfg in parsed:
            window = cfg.get('window_size')
            if window is None or isinstance(window, int):
                continue
            if window == 'epoch':
                cfg['window_size'] = batch_idx + 1
            elif window == 'global':
                cfg['window_size'] = runner.iter + 1
            else:
                raise TypeError(f'window_size should be int, epoch or global, but got invalid {window}')
        return parsed

    def _collect_scalars(self, custom_cfg: List[dict], runner: Any, mode: str) -> 'OrderedDict[str, Any]':
        tag: 'OrderedDict[str, Any]' = OrderedDict()
        prefix = f'{mode}/'
        mode_scalars = OrderedDict()
        for key, buf in runner.message_hub.log_scalars.items():
            if key.startswith(mode):
                name = key if self.log_with_hierarchy else (
                    key[len(prefix):] if key.startswith(prefix) else key)
                mode_scalars[name] = buf
        for name, buf in mode_scalars.items():
            tag[name] = buf.mean(self.window_size) if self.mean_pattern.search(name) else buf.current()
        for cfg in custom_cfg:
            cfg = dict(cfg)
            src = cfg.pop('data_src')
            name = cfg.pop('log_name', src)
            if src in mode_scalars:
                tag[name] = mode_scalars[src].statistics(cfg.pop('method_name'), **cfg)
        return tag

    @staticmethod
    def _collect_non_scalars(runner: Any, mode: str) -> 'OrderedDict[str, Any]':
        infos = runner.message_hub.runtime_info
        prefix = f'{mode}/'
        return OrderedDict((k[len(prefix):], v) for k, v in infos.items() if k.startswith(prefix))

    @staticmethod
    def _has_train_loop(runner: Any) -> bool:
        loop = getattr(runner, '_train_loop', None)
        return loop is not None and not isinstance(loop, dict)

    def _get_epoch(self, runner: Any, mode: str) -> int:
        if mode == 'train':
            return runner.epoch + 1
        return runner.epoch if self._has_train_loop(runner) else 0

    def _dataloader_len(self, runner: Any, mode: str) -> int:
        return len(getattr(runner, f'{mode}_dataloader'))

    def _fmt(self, value: Any) -> Any:
        return f'{value:.{self.num_digits}f}' if isinstance(value, float) else value

    # -- lines -------------------------------------------------------------------------------
    def get_log_after_iter(self, runner: Any, batch_idx: int, mode: str) -> Tuple[dict, str]:
        """(tag for the json, text line) after an iteration of ``mode``."""
        assert mode in ('train', 'test', 'val')
        parsed = self._parse_windows_size(runner, batch_idx, self.custom_cfg) if self.custom_cfg else []
        log_tag = self._collect_scalars(parsed, runner, mode)
        tag = OrderedDict(log_tag)
        n = self._dataloader_len(runner, mode) if (self.by_epoch or mode != 'train') else 0
        if self.by_epoch:
            cur = str(batch_idx + 1).rjust(len(str(n)))
            if mode in ('train', 'val'):
                epoch = self._get_epoch(runner, mode)
                epoch_str = f'[{epoch}]'
                if self._has_train_loop(runner):
                    epoch_str = epoch_str.rjust(len(str(runner.max_epochs)) + 3, ' ')
                tag['epoch'] = epoch
                log_str = f'Epoch({mode}){epoch_str}[{cur}/{n}]  '
            else:
                log_str = f'Epoch({mode}) [{cur}/{n}]  '
        elif mode == 'train':
            cur = str(runner.iter + 1).rjust(len(str(runner.max_iters)))
            log_str = f'Iter({mode}) [{cur}/{runner.max_iters}]  '
        else:
            log_str = f'Iter({mode}) [{batch_idx + 1}/{n}]  '
        tag['iter'] = runner.iter + 1 if self._has_train_loop(runner) else 0

        lr_items = []
        for key in [k for k in log_tag if k.endswith('lr')]:
            lr_items.append(f'{key}: {log_tag.pop(key):.{self.num_digits}e}')
        log_str += ' '.join(lr_items) + '  '
        eta = runner.message_hub.get_info('eta')
        if 'time' in log_tag and 'data_time' in log_tag and eta is not None:
            eta_str = str(datetime.timedelta(seconds=int(eta)))
            log_str += (f'eta: {eta_str}  time: {log_tag.pop("time"):.{self.num_digits}f}  '
                        f'data_time: {log_tag.pop("data_time"):.{self.num_digits}f}  ')
        memory = self._get_max_memory(runner)
        if memory is not None:
            log_str += f'memory: {memory}  '
            tag['memory'] = memory
        if mode in ('train', 'val'):
            items = [f'{name}: {self._fmt(val)}' for name, val in log_tag.items()
                     if mode == 'train' or name.startswith('val/loss')]
            log_str += '  '.join(items)
        return tag, log_str

    def get_log_after_epoch(self, runner: Any, batch_idx: int, mode: str,
                            with_non_scalar: bool = False) -> Tuple[dict, str]:
        """(tag, line) after a val/test epoch: metrics, then data_time and time (epoch window)."""
        assert mode in ('test', 'val'), f'`_get_metric_log_str` only accept val or test mode, but got {mode}'
        n = self._dataloader_len(runner, mode)
        if self.by_epoch:
            log_str = (f'Epoch({mode}) [{self._get_epoch(runner, mode)}][{n}/{n}]  ' if mode == 'val'
                       else f'Epoch({mode}) [{n}/{n}]  ')
        else:
            log_str = f'Iter({mode}) [{n}/{n}]  '
        custom = copy.deepcopy(self.custom_cfg)
        sources = {c['data_src'] for c in custom}
        for src in ('time', 'data_time'):
            if src not in sources:
                custom.append(dict(data_src=src, window_size='epoch', method_name='mean'))
        parsed = self._parse_windows_size(runner, batch_idx, custom)
        scalars = self._collect_scalars(parsed, runner, mode)
        time_tag = OrderedDict((k, scalars.pop(k)) for k in ('data_time', 'time') if k in scalars)
        non_scalars = self._collect_non_scalars(runner, mode)
        tag = OrderedDict(chain(scalars.items(), time_tag.items()))
        items = []
        for name, val in chain(scalars.items(), non_scalars.items(), time_tag.items()):
            if isinstance(val, (np.ndarray, )) or (hasattr(val, 'numel') and hasattr(val, 'shape')):
                val = f'\n{val}\n'
            items.append(f'{name}: {self._fmt(val)}')
        log_str += '  ' + '  '.join(items)
        if with_non_scalar:
            tag.update(non_scalars)
        return tag, log_str

    @staticmethod
    def _get_max_memory(runner: Any) -> Optional[int]:
        import torch
        if not torch.cuda.is_available():
            return None
        device = getattr(runner.model, 'output_device', None)
        mem = torch.cuda.max_memory_allocated(device=device)
        torch.cuda.reset_peak_memory_stats()
        return int(mem // (1024 * 1024))

    def _get_iter(self, runner: Any, batch_idx: Optional[int] = None) -> int:
        return batch_idx + 1 if (self.by_epoch and batch_idx is not None) else runner.iter + 1
