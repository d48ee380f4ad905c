"""TextLoggerHook: mmcv 1.7.2 text lines and ``{timestamp}.log.json`` records."""
import datetime
import json
import logging
import os
import os.path as osp
import shutil
from collections import OrderedDict
from typing import Any, Dict, Optional, Tuple, Union

import numpy as np
import torch
import torch.distributed as dist

from ...utils.misc import is_tuple_of, mkdir_or_exist, scandir
from ..hook import HOOKS
from .base import LoggerHook

# Keys that the text line shows in its own format (or not at all).
_TEXT_SKIP = frozenset(('mode', 'Epoch', 'iter', 'lr', 'time', 'data_time', 'memory', 'epoch'))


def _json_default(obj: Any) -> Any:
    # numpy values that json cannot encode natively (np.float64 is already a float)
    if isinstance(obj, (set, range)):
        return list(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f'{type(obj)} is unsupported for json dump')


def _round_float(items: Any) -> Any:
    if isinstance(items, list):
        return [_round_float(item) for item in items]
    if isinstance(items, float):
        return round(items, 5)
    return items


@HOOKS.register_module()
class TextLoggerHook(LoggerHook):
    """Logs ``Epoch [e][i/n]\\tlr: ..., eta: ..., time: ..., data_time: ..., loss: ...`` lines
    through ``runner.logger`` and appends one JSON record per log to
    ``work_dir/{runner.timestamp}.log.json`` (the first record is ``runner.meta`` if set).

    Args:
        interval_exp_name: log ``Exp name: {meta['exp_name']}`` every this many iterations
            (and at the end of every epoch when ``by_epoch``).
        out_dir: if set, copy the work dir's files ending in ``out_suffix`` to
            ``out_dir/basename(work_dir)`` after the run (deleting the originals unless
            ``keep_local``). Only local paths are supported.
    """

    def __init__(self, by_epoch: bool = True, interval: int = 10, ignore_last: bool = True,
                 reset_flag: bool = False, interval_exp_name: int = 1000,
                 out_dir: Optional[str] = None,
                 out_suffix: Union[str, Tuple[str, ...]] = ('.log.json', '.log', '.py'),
                 keep_local: bool = True, file_client_args: Optional[Dict] = None) -> None:
        super().__init__(interval, ignore_last, reset_flag, by_epoch)
        self.by_epoch = by_epoch
        self.time_sec_tot = 0.0
        self.interval_exp_name = interval_exp_name
        if out_dir is None and file_client_args is not None:
            raise ValueError('file_client_args should be "None" when `out_dir` is not specified.')
        if not (out_dir is None or isinstance(out_dir, str) or is_tuple_of(out_dir, str)):
            raise TypeError(f'out_dir should be "None" or string or tuple of string, but got {out_dir}')
        backend = (file_client_args or {}).get('backend', 'disk')
        if backend != 'disk':
            raise ValueError(f'only local-disk storage is supported, got backend {backend!r}')
        self.out_dir = out_dir
        self.out_suffix = out_suffix
        self.keep_local = keep_local
        self.file_client_args = file_client_args

    def before_run(self, runner: Any) -> None:
        super().before_run(runner)
        if self.out_dir is not None:
            basename = osp.basename(runner.work_dir.rstrip(osp.sep))
            self.out_dir = osp.join(self.out_dir, basename)
            runner.logger.info('Text logs will be saved to %s by HardDiskBackend after the '
                               'training process.', self.out_dir)
        self.start_iter = runner.iter
        self.json_log_path = osp.join(runner.work_dir, f'{runner.timestamp}.log.json')
        if runner.meta is not None:
            self._dump_log(runner.meta, runner)

    def _get_max_memory(self, runner: Any) -> int:
        device = getattr(runner.model, 'output_device', None)
        mem = torch.cuda.max_memory_allocated(device=device)
        mem_mb = torch.tensor([mem / (1024 * 1024)], dtype=torch.int, device=device)
        if runner.world_size > 1:
            dist.reduce(mem_mb, 0, op=dist.ReduceOp.MAX)
        return mem_mb.item()

    def _log_info(self, log_dict: Dict, runner: Any) -> None:
        if log_dict['mode'] == 'train' and 'time' in log_dict:
            # The ETA state must advance even when the line itself is not written.
            self.time_sec_tot += log_dict['time'] * self.interval
        logger = runner.logger
        if not logger.isEnabledFor(logging.INFO):
            return
        if runner.meta is not None and 'exp_name' in runner.meta:
            if self.every_n_iters(runner, self.interval_exp_name) or (
                    self.by_epoch and self.end_of_epoch(runner)):
                logger.info('Exp name: %s', runner.meta['exp_name'])

        if log_dict['mode'] == 'train':
            lr = log_dict['lr']
            if isinstance(lr, dict):
                lr_str = ' '.join(f'lr_{k}: {v:.3e}' for k, v in lr.items())
            else:
                lr_str = f'lr: {lr:.3e}'
            if self.by_epoch:
                head = f'Epoch [{log_dict["epoch"]}][{log_dict["iter"]}/{len(runner.data_loader)}]\t'
            else:
                head = f'Iter [{log_dict["iter"]}/{runner.max_iters}]\t'
            parts = [head, lr_str, ', ']
            if 'time' in log_dict:
                avg = self.time_sec_tot / (runner.iter - self.start_iter + 1)
                eta = str(datetime.timedelta(seconds=int(avg * (runner.max_iters - runner.iter - 1))))
                parts.append(f'eta: {eta}, time: {log_dict["time"]:.3f}, '
                             f'data_time: {log_dict["data_time"]:.3f}, ')
                if 'memory' in log_dict:
                    parts.append(f'memory: {log_dict["memory"]}, ')
        elif self.by_epoch:
            parts = [f'Epoch({log_dict["mode"]}) [{log_dict["epoch"]}][{log_dict["iter"]}]\t']
        else:
            parts = [f'Iter({log_dict["mode"]}) [{log_dict["iter"]}]\t']

        items = []
        for name, val in log_dict.items():
            if name in _TEXT_SKIP:
                continue
            items.append(f'{name}: {val:.4f}' if isinstance(val, float) else f'{name}: {val}')
        parts.append(', '.join(items))
        logger.info(''.join(parts))

    def _dump_log(self, log_dict: Dict, runner: Any) -> None:
        if runner.rank != 0:
            return
        record = OrderedDict((k, _round_float(v)) for k, v in log_dict.items())
        with open(self.json_log_path, 'a+') as f:
            json.dump(record, f, default=_json_default)
            f.write('\n')

    def log(self, runner: Any) -> OrderedDict:
        output = runner.log_buffer.output
        if 'eval_iter_num' in output:
            cur_iter = output.pop('eval_iter_num')
        else:
            cur_iter = self.get_iter(runner, inner_iter=True)
        log_dict = OrderedDict(mode=self.get_mode(runner), epoch=self.get_epoch(runner), iter=cur_iter)

        cur_lr = runner.current_lr()
        if isinstance(cur_lr, list):
            log_dict['lr'] = cur_lr[0]
        else:
            assert isinstance(cur_lr, dict)
            log_dict['lr'] = {}
            for k, lr_ in cur_lr.items():
                assert isinstance(lr_, list)
                log_dict['lr'][k] = lr_[0]

        if 'time' in output and torch.cuda.is_available():
            log_dict['memory'] = self._get_max_memory(runner)
        log_dict = OrderedDict(log_dict, **output)
        self._log_info(log_dict, runner)
        self._dump_log(log_dict, runner)
        return log_dict

    def after_run(self, runner: Any) -> None:
        if self.out_dir is None:
            return
        for filename in scandir(runner.work_dir, self.out_suffix, True):
            local_path = osp.join(runner.work_dir, filename)
            out_path = osp.join(self.out_dir, filename)
            mkdir_or_exist(osp.dirname(out_path))
            shutil.copyfile(local_path, out_path)
            runner.logger.info('The file %s has been uploaded to %s.', local_path, out_path)
            if not self.keep_local:
                os.remove(local_path)
                runner.logger.info('%s was removed due to the `self.keep_local=False`', local_path)
