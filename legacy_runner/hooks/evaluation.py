"""EvalHook / DistEvalHook with mmcv 1.7.2 semantics (not registered in HOOKS, as in mmcv).

Deliberate differences from mmcv:

* ``less_keys`` given as a single str is wrapped into a tuple (mmcv asserts on ``greater_keys``
  there, so a str ``less_keys`` could never be used; changed on purpose, see MIGRATION.md).
* Only the local disk is supported for ``out_dir``; ``file_client_args`` must describe it.
* DistEvalHook broadcasts BN buffers only when a process group is initialised (mmcv would crash),
  and prints its line-ending ``'\n'`` only on a tty (on a log stream the progress bar already
  ended its summary line).
"""
import os
import os.path as osp
import sys
import warnings
from math import inf
from typing import Any, Callable, Dict, Optional, Sequence, Union

from torch.nn.modules.batchnorm import _BatchNorm
from torch.utils.data import DataLoader

from ..utils.misc import is_seq_of
from .checkpoint import resolve_out_dir
from .hook import Hook
from .logger.base import LoggerHook

KeySpec = Union[None, str, Sequence[str]]


def _check_disk_backend(file_client_args: Optional[dict]) -> None:
    if file_client_args and file_client_args.get('backend', 'disk') not in ('disk', 'local'):
        raise NotImplementedError(
            f'only the local disk is supported, got file_client_args={file_client_args}')


def _normalise_keys(keys: KeySpec, default: Sequence[str], arg: str) -> Sequence[str]:
    if keys is None:
        return default
    if not isinstance(keys, (list, tuple)):
        assert isinstance(keys, str), f'{arg} must be a str or a sequence of str, but got {type(keys)}'
        keys = (keys, )
    assert is_seq_of(keys, str), f'{arg} must be a str or a sequence of str'
    return keys


class EvalHook(Hook):
    """Evaluate the model on ``dataloader`` every ``interval`` epochs or iterations.

    Args:
        dataloader: the evaluation DataLoader; its dataset must implement
            ``evaluate(results, logger=None, **eval_kwargs) -> dict``.
        start: first epoch/iter (1-based) to evaluate at; ``None`` means every ``interval``.
            When ``runner.epoch`` (or iter) is already ``>= start`` at the first train
            epoch (iter), an evaluation runs before training.
        interval: evaluation interval in epochs or iterations.
        by_epoch: evaluate after train epochs (True) or after train iterations (False).
        save_best: metric key whose best value is kept as ``best_{key}_{epoch|iter}_{N}.pth``;
            ``'auto'`` takes the first key of the first evaluation result.
        rule: 'greater', 'less' or None (inferred from the key).
        test_fn: ``test_fn(model, dataloader) -> results``; defaults to ``single_gpu_test``.
        greater_keys / less_keys: keys (or substrings of keys) whose rule is greater / less.
        out_dir: where the best checkpoint goes; ``{out_dir}/{basename(work_dir)}`` when it is
            not the work dir.
        **eval_kwargs: passed to ``dataset.evaluate`` (e.g. ``metric='accuracy'``).
    """

    rule_map: Dict[str, Callable[[Any, Any], bool]] = {
        'greater': lambda x, y: x > y,
        'less': lambda x, y: x < y,
    }
    init_value_map = {'greater': -inf, 'less': inf}
    _default_greater_keys = ['acc', 'top', 'AR@', 'auc', 'precision', 'mAP', 'mDice', 'mIoU', 'mAcc',
                             'aAcc']
    _default_less_keys = ['loss']

    def __init__(self, dataloader: DataLoader, start: Optional[int] = None, interval: int = 1,
                 by_epoch: bool = True, save_best: Optional[str] = None, rule: Optional[str] = None,
                 test_fn: Optional[Callable] = None, greater_keys: KeySpec = None,
                 less_keys: KeySpec = None, out_dir: Optional[str] = None,
                 file_client_args: Optional[dict] = None, **eval_kwargs: Any) -> None:
        if not isinstance(dataloader, DataLoader):
            raise TypeError(f'dataloader must be a pytorch DataLoader, but got {type(dataloader)}')
        if interval <= 0:
            raise ValueError(f'interval must be a positive number, but got {interval}')
        assert isinstance(by_epoch, bool), '``by_epoch`` should be a boolean'
        if start is not None and start < 0:
            raise ValueError(f'The evaluation start epoch {start} is smaller than 0')
        assert isinstance(save_best, str) or save_best is None, \
            f'""save_best"" should be a str or None rather than {type(save_best)}'
        _check_disk_backend(file_client_args)

        self.dataloader = dataloader
        self.interval = interval
        self.start = start
        self.by_epoch = by_epoch
        self.save_best = save_best
        self.eval_kwargs = eval_kwargs
        self.initial_flag = True
        if test_fn is None:
            from ..engine import single_gpu_test
            test_fn = single_gpu_test
        self.test_fn = test_fn
        self.greater_keys = _normalise_keys(greater_keys, self._default_greater_keys, 'greater_keys')
        self.less_keys = _normalise_keys(less_keys, self._default_less_keys, 'less_keys')
        if self.save_best is not None:
            self.best_ckpt_path: Optional[str] = None
            self._init_rule(rule, self.save_best)
        self.out_dir = out_dir
        self.file_client_args = file_client_args

    def _init_rule(self, rule: Optional[str], key_indicator: str) -> None:
        """Set ``self.rule``/``key_indicator``/``compare_func``, inferring the rule from the key.

        Inference (case-insensitive): an exact greater key, an exact less key, then a greater key
        contained in the indicator, then a less key contained in it; otherwise ValueError.
        'auto' is resolved later, from the first evaluation result.
        """
        if rule not in self.rule_map and rule is not None:
            raise KeyError(f'rule must be greater, less or None, but got {rule}.')
        if rule is None and key_indicator != 'auto':
            key = key_indicator.lower()
            greater = [k.lower() for k in self.greater_keys]
            less = [k.lower() for k in self.less_keys]
            if key in greater:
                rule = 'greater'
            elif key in less:
                rule = 'less'
            elif any(k in key for k in greater):
                rule = 'greater'
            elif any(k in key for k in less):
                rule = 'less'
            else:
                raise ValueError(f'Cannot infer the rule for key {key_indicator}, thus a specific '
                                 'rule must be specified.')
        self.rule = rule
        self.key_indicator = key_indicator
        if self.rule is not None:
            self.compare_func = self.rule_map[self.rule]

    def before_run(self, runner: Any) -> None:
        given = self.out_dir
        self.out_dir = resolve_out_dir(given, runner.work_dir)
        if given and given != runner.work_dir:
            runner.logger.info(f'The best checkpoint will be saved to {self.out_dir} by HardDiskBackend')
        if self.save_best is not None:
            if runner.meta is None:
                warnings.warn('runner.meta is None. Creating an empty one.')
                runner.meta = dict()
            runner.meta.setdefault('hook_msgs', dict())
            self.best_ckpt_path = runner.meta['hook_msgs'].get('best_ckpt', None)

    def before_train_iter(self, runner: Any) -> None:
        """With ``start`` reached at the very first iteration, evaluate before training."""
        if self.by_epoch or not self.initial_flag:
            return
        if self.start is not None and runner.iter >= self.start:
            self.after_train_iter(runner)
        self.initial_flag = False

    def before_train_epoch(self, runner: Any) -> None:
        """With ``start`` reached at the very first epoch, evaluate before training."""
        if not (self.by_epoch and self.initial_flag):
            return
        if self.start is not None and runner.epoch >= self.start:
            self.after_train_epoch(runner)
        self.initial_flag = False

    def after_train_iter(self, runner: Any) -> None:
        if not self.by_epoch and self._should_evaluate(runner):
            # EvalHook (LOW) runs before the logger hooks (VERY_LOW): flush the pending train log
            # now, otherwise train and eval values would be mixed in one record.
            for hook in runner.hooks:
                if isinstance(hook, LoggerHook):
                    hook.after_train_iter(runner)
            runner.log_buffer.clear()
            self._do_evaluate(runner)

    def after_train_epoch(self, runner: Any) -> None:
        if self.by_epoch and self._should_evaluate(runner):
            self._do_evaluate(runner)

    def _do_evaluate(self, runner: Any) -> None:
        results = self.test_fn(runner.model, self.dataloader)
        # The logger hooks pop this and write it as the record's "iter".
        runner.log_buffer.output['eval_iter_num'] = len(self.dataloader)
        key_score = self.evaluate(runner, results)
        # mmcv skips a falsy score (None, and also 0): kept for parity.
        if self.save_best and key_score:
            self._save_ckpt(runner, key_score)

    def _should_evaluate(self, runner: Any) -> bool:
        if self.by_epoch:
            current, check_time = runner.epoch, self.every_n_epochs
        else:
            current, check_time = runner.iter, self.every_n_iters
        if self.start is None:
            return check_time(runner, self.interval)
        if current + 1 < self.start:
            return False
        return (current + 1 - self.start) % self.interval == 0

    def _save_ckpt(self, runner: Any, key_score: float) -> None:
        if self.by_epoch:
            cur_type, cur_time = 'epoch', runner.epoch + 1
        else:
            cur_type, cur_time = 'iter', runner.iter + 1
        hook_msgs = runner.meta['hook_msgs']
        best_score = hook_msgs.get('best_score', self.init_value_map[self.rule])
        if not self.compare_func(key_score, best_score):
            return
        best_score = key_score
        hook_msgs['best_score'] = best_score
        if self.best_ckpt_path and osp.isfile(self.best_ckpt_path):
            os.remove(self.best_ckpt_path)
            runner.logger.info(f'The previous best checkpoint {self.best_ckpt_path} was removed')
        best_ckpt_name = f'best_{self.key_indicator}_{cur_type}_{cur_time}.pth'
        self.best_ckpt_path = osp.join(self.out_dir, best_ckpt_name)
        hook_msgs['best_ckpt'] = self.best_ckpt_path
        runner.save_checkpoint(self.out_dir, filename_tmpl=best_ckpt_name, create_symlink=False)
        runner.logger.info(f'Now best checkpoint is saved as {best_ckpt_name}.')
        runner.logger.info(f'Best {self.key_indicator} is {best_score:0.4f} at {cur_time} {cur_type}.')

    def evaluate(self, runner: Any, results: Any) -> Optional[float]:
        """Call ``dataset.evaluate``, publish the metrics to the log buffer, return the key score."""
        eval_res = self.dataloader.dataset.evaluate(results, logger=runner.logger, **self.eval_kwargs)
        for name, val in eval_res.items():
            runner.log_buffer.output[name] = val
        runner.log_buffer.ready = True
        if self.save_best is None:
            return None
        if not eval_res:
            warnings.warn('Since `eval_res` is an empty dict, the behavior to save the best '
                          'checkpoint will be skipped in this evaluation.')
            return None
        if self.key_indicator == 'auto':
            self._init_rule(self.rule, list(eval_res.keys())[0])
        return eval_res[self.key_indicator]


class DistEvalHook(EvalHook):
    """Distributed EvalHook: every rank tests its shard, rank 0 evaluates and saves the best.

    Extra args: ``broadcast_bn_buffer`` (copy BN running stats from rank 0 before testing, so all
    ranks evaluate the same model), ``tmpdir`` (for result collection; default
    ``{work_dir}/.eval_hook``) and ``gpu_collect`` (collect through ``all_gather`` instead).
    """

    def __init__(self, dataloader: DataLoader, start: Optional[int] = None, interval: int = 1,
                 by_epoch: bool = True, save_best: Optional[str] = None, rule: Optional[str] = None,
                 test_fn: Optional[Callable] = None, greater_keys: KeySpec = None,
                 less_keys: KeySpec = None, broadcast_bn_buffer: bool = True,
                 tmpdir: Optional[str] = None, gpu_collect: bool = False, out_dir: Optional[str] = None,
                 file_client_args: Optional[dict] = None, **eval_kwargs: Any) -> None:
        if test_fn is None:
            from ..engine import multi_gpu_test
            test_fn = multi_gpu_test
        super().__init__(dataloader, start=start, interval=interval, by_epoch=by_epoch,
                         save_best=save_best, rule=rule, test_fn=test_fn, greater_keys=greater_keys,
                         less_keys=less_keys, out_dir=out_dir, file_client_args=file_client_args,
                         **eval_kwargs)
        self.broadcast_bn_buffer = broadcast_bn_buffer
        self.tmpdir = tmpdir
        self.gpu_collect = gpu_collect

    def _broadcast_bn_buffers(self, runner: Any) -> None:
        import torch.distributed as dist

        if not (dist.is_available() and dist.is_initialized()):
            return
        for _, module in runner.model.named_modules():
            if isinstance(module, _BatchNorm) and module.track_running_stats:
                dist.broadcast(module.running_var, 0)
                dist.broadcast(module.running_mean, 0)

    def _do_evaluate(self, runner: Any) -> None:
        if self.broadcast_bn_buffer:
            self._broadcast_bn_buffers(runner)
        tmpdir = self.tmpdir if self.tmpdir is not None else osp.join(runner.work_dir, '.eval_hook')
        results = self.test_fn(runner.model, self.dataloader, tmpdir=tmpdir, gpu_collect=self.gpu_collect)
        if runner.rank != 0:
            return
        if getattr(sys.stdout, 'isatty', lambda: False)():
            print('\n')  # end the progress bar line, as mmcv does (a log stream already has it)
        runner.log_buffer.output['eval_iter_num'] = len(self.dataloader)
        key_score = self.evaluate(runner, results)
        if self.save_best and key_score:
            self._save_ckpt(runner, key_score)
