"""CheckpointHook: periodic, last and best checkpoints, ``max_keep_ckpts``, ``last_checkpoint``."""
import logging
import os
import os.path as osp
import shutil
from collections import deque
from math import inf
from typing import Any, Dict, List, Optional, Sequence, Union

from legacy_runner.checkpoint import atomic_write
from legacy_runner.dist import get_dist_info

from ..logging import print_log
from ..registry import HOOKS
from .hook import DATA_BATCH, Hook

GREATER_KEYS = ['acc', 'top', 'AR@', 'auc', 'precision', 'mAP', 'mDice', 'mIoU', 'mAcc', 'aAcc']
LESS_KEYS = ['loss']
_RULES = {'greater': lambda x, y: x > y, 'less': lambda x, y: x < y}


def infer_rule(key: str,
               greater_keys: Sequence[str] = GREATER_KEYS,
               less_keys: Sequence[str] = LESS_KEYS) -> str:
    """'greater'/'less' for a metric name: exact match first, then substring (case-insensitive)."""
    lowered = key.lower()
    greater = [k.lower() for k in greater_keys]
    less = [k.lower() for k in less_keys]
    if lowered in greater:
        return 'greater'
    if lowered in less:
        return 'less'
    if any(k in lowered for k in greater):
        return 'greater'
    if any(k in lowered for k in less):
        return 'less'
    raise ValueError(f'Cannot infer the rule for key {key}, thus a specific rule must be specified.')


def write_last_checkpoint(work_dir: str, path: str) -> None:
    """Point ``work_dir/last_checkpoint`` at ``path`` (a complete file) atomically: a kill during
    the write leaves the previous pointer, never a torn one."""
    atomic_write(osp.join(work_dir, 'last_checkpoint'), lambda f: f.write(path.encode()))


def _remove(path: str) -> None:
    if osp.isfile(path):
        os.remove(path)
    elif osp.isdir(path):
        shutil.rmtree(path)


@HOOKS.register_module()
class CheckpointHook(Hook):
    """Save checkpoints every ``interval`` epochs/iterations (and the last one); keep best ones.

    Arguments as mmengine's (``file_client_args``/``backend_args`` must be None or local-disk).
    """

    priority = 'VERY_LOW'

    def __init__(self,
                 interval: int = -1,
                 by_epoch: bool = True,
                 save_optimizer: bool = True,
                 save_param_scheduler: bool = True,
                 out_dir: Optional[str] = None,
                 max_keep_ckpts: int = -1,
                 save_last: bool = True,
                 save_best: Union[str, List[str], None] = None,
                 rule: Union[str, List[str], None] = None,
                 greater_keys: Optional[Sequence[str]] = None,
                 less_keys: Optional[Sequence[str]] = None,
                 file_client_args: Optional[dict] = None,
                 filename_tmpl: Optional[str] = None,
                 backend_args: Optional[dict] = None,
                 published_keys: Union[str, List[str], None] = None,
                 save_begin: int = 0,
                 **kwargs: Any) -> None:
        self.interval = interval
        self.by_epoch = by_epoch
        self.save_optimizer = save_optimizer
        self.save_param_scheduler = save_param_scheduler
        self.out_dir = out_dir
        self.max_keep_ckpts = max_keep_ckpts
        self.save_last = save_last
        self.args = kwargs
        self.file_client_args = file_client_args
        self.backend_args = backend_args
        self.filename_tmpl = filename_tmpl or ('epoch_{}.pth' if by_epoch else 'iter_{}.pth')
        if save_begin < 0:
            raise ValueError(f'save_begin should not be less than 0, but got {save_begin}')
        self.save_begin = save_begin
        self.published_keys = [published_keys] if isinstance(published_keys, str) else published_keys
        self.greater_keys = list(greater_keys) if greater_keys is not None else GREATER_KEYS
        self.less_keys = list(less_keys) if less_keys is not None else LESS_KEYS
        self.save_best = self._init_save_best(save_best)
        self.rules = self._init_rules(rule)
        self.best_ckpt_path: Optional[str] = None
        self.best_ckpt_path_dict: Dict[str, Optional[str]] = {}
        self.last_ckpt: Optional[str] = None
        self.keep_ckpt_ids: deque = deque()

    @staticmethod
    def _init_save_best(save_best: Union[str, List[str], None]) -> Optional[List[str]]:
        if save_best is None:
            return None
        if isinstance(save_best, str):
            return [save_best]
        assert isinstance(save_best, (list, tuple)), '"save_best" should be a str or list of str or None'
        assert len(save_best) == len(set(save_best)), 'Find duplicate element in "save_best".'
        assert 'auto' not in save_best or len(save_best) == 1, \
            'Only support one "auto" in "save_best" list.'
        return list(save_best)

    def _init_rules(self, rule: Union[str, List[str], None]) -> List[Optional[str]]:
        if self.save_best is None:
            return []
        rules = [rule] * len(self.save_best) if not isinstance(rule, (list, tuple)) else list(rule)
        if len(rules) == 1 and len(self.save_best) > 1:
            rules = rules * len(self.save_best)
        assert len(rules) == len(self.save_best), 'Number of "rule" must be 1 or the same as "save_best"'
        for r in rules:
            if r is not None and r not in _RULES:
                raise KeyError(f'rule must be greater, less or None, but got {r}.')
        return rules

    # -- stages ------------------------------------------------------------------------------
    def before_train(self, runner: Any) -> None:
        if self.out_dir is None:
            self.out_dir = runner.work_dir
        elif self.out_dir != runner.work_dir:
            self.out_dir = osp.join(self.out_dir, osp.basename(osp.normpath(runner.work_dir)))
        runner.logger.info(f'Checkpoints will be saved to {self.out_dir}.')
        if self.save_best is not None:
            if len(self.save_best) == 1:
                self.best_ckpt_path = runner.message_hub.get_info('best_ckpt')
            else:
                for key in self.save_best:
                    self.best_ckpt_path_dict[key] = runner.message_hub.get_info(f'best_ckpt_{key}')
        if self.max_keep_ckpts > 0:
            ids = runner.message_hub.get_info('keep_ckpt_ids', [])
            while len(ids) > self.max_keep_ckpts:
                step = ids.pop(0)
                if get_dist_info()[0] == 0:
                    _remove(osp.join(self.out_dir, self.filename_tmpl.format(step)))
            self.keep_ckpt_ids = deque(ids, self.max_keep_ckpts)

    def after_train_epoch(self, runner: Any) -> None:
        if not self.by_epoch:
            return
        if self.every_n_epochs(runner, self.interval, self.save_begin) or (
                self.save_last and self.is_last_train_epoch(runner)):
            runner.logger.info(f'Saving checkpoint at {runner.epoch + 1} epochs')
            self._save_checkpoint(runner)

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        if self.by_epoch:
            return
        if self.every_n_train_iters(runner, self.interval, self.save_begin) or (
                self.save_last and self.is_last_train_iter(runner)):
            runner.logger.info(f'Saving checkpoint at {runner.iter + 1} iterations')
            self._save_checkpoint(runner)

    def after_val_epoch(self, runner: Any, metrics: Optional[Dict[str, float]] = None) -> None:
        if not metrics:
            runner.logger.warning('Since `metrics` is an empty dict, the behavior to save the best '
                                  'checkpoint will be skipped in this evaluation.')
            return
        self._save_best_checkpoint(runner, metrics)

    def after_train(self, runner: Any) -> None:
        if not self.published_keys:
            return
        import hashlib

        import torch

        from ..checkpoint import load_checkpoint_file
        for path in [self.last_ckpt, self.best_ckpt_path, *self.best_ckpt_path_dict.values()]:
            if not path or not osp.isfile(path):
                continue
            ckpt = load_checkpoint_file(path)
            published = {k: ckpt[k] for k in self.published_keys if k in ckpt}
            stem = osp.splitext(path)[0]
            tmp = f'{stem}.published.tmp'
            torch.save(published, tmp)
            with open(tmp, 'rb') as f:
                digest = hashlib.sha256(f.read()).hexdigest()[:8]
            os.replace(tmp, f'{stem}-{digest}.pth')

    # -- saving ------------------------------------------------------------------------------
    def _save_checkpoint(self, runner: Any) -> None:
        if self.by_epoch:
            step, meta = runner.epoch + 1, dict(epoch=runner.epoch + 1, iter=runner.iter)
        else:
            step, meta = runner.iter + 1, dict(epoch=runner.epoch, iter=runner.iter + 1)
        self._save_checkpoint_with_step(runner, step, meta)

    def _save_checkpoint_with_step(self, runner: Any, step: int, meta: Dict[str, int]) -> None:
        if self.max_keep_ckpts > 0 and (not self.keep_ckpt_ids or self.keep_ckpt_ids[-1] != step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                old = self.keep_ckpt_ids.popleft()
                if get_dist_info()[0] == 0:
                    _remove(osp.join(self.out_dir, self.filename_tmpl.format(old)))
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))
        name = self.filename_tmpl.format(step)
        self.last_ckpt = osp.join(self.out_dir, name)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(self.out_dir, name, self.file_client_args, save_optimizer=self.save_optimizer,
                               save_param_scheduler=self.save_param_scheduler, meta=meta,
                               by_epoch=self.by_epoch, backend_args=self.backend_args, **self.args)
        if get_dist_info()[0] == 0:
            write_last_checkpoint(runner.work_dir, self.last_ckpt)

    def _save_best_checkpoint(self, runner: Any, metrics: Dict[str, Any]) -> None:
        if not self.save_best:
            return
        if self.by_epoch:
            tmpl, cur_type, cur = self.filename_tmpl, 'epoch', runner.epoch
        else:
            tmpl, cur_type, cur = self.filename_tmpl, 'iter', runner.iter
        meta = dict(epoch=runner.epoch, iter=runner.iter)
        keys = [next(iter(metrics))] if self.save_best == ['auto'] else self.save_best
        rules = self.rules if self.save_best != ['auto'] else [self.rules[0]]
        single = len(keys) == 1
        improved = False
        for key, rule in zip(keys, rules):
            if key not in metrics:
                print_log(f'Key {key} is not found in metrics; skip saving the best checkpoint for it.',
                          level=logging.WARNING)
                continue
            rule = rule or infer_rule(key, self.greater_keys, self.less_keys)
            suffix = '' if single else f'_{key}'
            best = runner.message_hub.get_info(f'best_score{suffix}', -inf if rule == 'greater' else inf)
            score = metrics[key]
            if not _RULES[rule](score, best):
                continue
            improved = True
            runner.message_hub.update_info(f'best_score{suffix}', score)
            previous = self.best_ckpt_path if single else self.best_ckpt_path_dict.get(key)
            if previous and get_dist_info()[0] == 0 and osp.exists(previous):
                _remove(previous)
                runner.logger.info(f'The previous best checkpoint {previous} is removed')
            name = f'best_{key}_{tmpl.format(cur)}'.replace('/', '_')
            path = osp.join(self.out_dir, name)
            if single:
                self.best_ckpt_path = path
            else:
                self.best_ckpt_path_dict[key] = path
            runner.message_hub.update_info(f'best_ckpt{suffix}', path)
            runner.save_checkpoint(self.out_dir, filename=name, file_client_args=self.file_client_args,
                                   save_optimizer=False, save_param_scheduler=False, meta=meta,
                                   by_epoch=False, backend_args=self.backend_args)
            runner.logger.info(f'The best checkpoint with {score:0.4f} {key} at {cur} {cur_type} is '
                               f'saved to {name}.')
        # mmengine re-saves the regular checkpoint of this step after an improvement
        if improved and self.last_ckpt is not None:
            self._save_checkpoint_with_step(runner, cur, meta)
