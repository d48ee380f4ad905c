"""LoggerHook: writes the text lines and the ``vis_data`` JSON scalars (mmengine's triggers)."""
import os
import os.path as osp
import shutil
from typing import Any, Dict, Optional, Sequence, Union

from legacy_runner.utils.fileio import dump

from ..registry import HOOKS
from .hook import DATA_BATCH, Hook


@HOOKS.register_module()
class LoggerHook(Hook):
    """Log every ``interval`` iterations (and at epoch ends unless ``ignore_last``), and every val/test epoch.

    ``out_dir`` copies the log files matching ``out_suffix`` there after the run (local paths only).
    """

    priority = 'BELOW_NORMAL'

    def __init__(self,
                 interval: int = 10,
                 ignore_last: bool = True,
                 interval_exp_name: int = 1000,
                 out_dir: Optional[str] = None,
                 out_suffix: Union[str, Sequence[str]] = ('.json', '.log', '.py', 'yaml'),
                 keep_local: bool = True,
                 file_client_args: Optional[dict] = None,
                 log_metric_by_epoch: bool = True,
                 backend_args: Optional[dict] = None) -> None:
        if not isinstance(interval, int) or interval <= 0:
            raise ValueError(f'interval must be an integer greater than 0, but got {interval}')
        if not isinstance(ignore_last, bool):
            raise TypeError(f'ignore_last must be a boolean, but got {type(ignore_last)}')
        if not isinstance(interval_exp_name, int) or interval_exp_name <= 0:
            raise ValueError(f'interval_exp_name must be an integer greater than 0, got {interval_exp_name}')
        if out_dir is None and file_client_args is not None:
            raise ValueError('file_client_args should be "None" when `out_dir` is not specified.')
        if not isinstance(out_dir, (str, type(None))):
            raise TypeError('out_dir should be a str or None')
        self.interval = interval
        self.ignore_last = ignore_last
        self.interval_exp_name = interval_exp_name
        self.out_dir = out_dir
        self.out_suffix = (out_suffix, ) if isinstance(out_suffix, str) else tuple(out_suffix)
        self.keep_local = keep_local
        self.log_metric_by_epoch = log_metric_by_epoch
        self.json_log_path: Optional[str] = None
        self._train_len = None

    def before_run(self, runner: Any) -> None:
        if self.out_dir is not None:
            self.out_dir = osp.join(self.out_dir, osp.basename(osp.normpath(runner.work_dir)))
        self.json_log_path = f'{runner.timestamp}.json'
        self._train_len: Optional[int] = None

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        n = self._train_len
        if n is None:  # the train loader does not change during a run; len() is not free
            n = self._train_len = len(runner.train_dataloader)
        end_of_epoch = batch_idx + 1 == n
        if end_of_epoch or self.every_n_train_iters(runner, self.interval_exp_name):
            runner.logger.info(f'Exp name: {runner.experiment_name}')
        if (batch_idx + 1) % self.interval == 0 or (
                end_of_epoch and (not self.ignore_last or n <= self.interval)):
            tag, log_str = runner.log_processor.get_log_after_iter(runner, batch_idx, 'train')
            runner.logger.info(log_str)
            runner.visualizer.add_scalars(tag, step=runner.iter + 1, file_path=self.json_log_path)

    def after_val_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                       outputs: Optional[Sequence] = None) -> None:
        if (batch_idx + 1) % self.interval == 0:
            _, log_str = runner.log_processor.get_log_after_iter(runner, batch_idx, 'val')
            runner.logger.info(log_str)

    def after_test_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                        outputs: Optional[Sequence] = None) -> None:
        if (batch_idx + 1) % self.interval == 0:
            _, log_str = runner.log_processor.get_log_after_iter(runner, batch_idx, 'test')
            runner.logger.info(log_str)

    def after_val_epoch(self, runner: Any, metrics: Optional[Dict[str, float]] = None) -> None:
        tag, log_str = runner.log_processor.get_log_after_epoch(runner, len(runner.val_dataloader), 'val')
        runner.logger.info(log_str)
        has_train = runner._train_loop is not None and not isinstance(runner._train_loop, dict)
        if self.log_metric_by_epoch:
            step = runner.epoch if has_train else 0
        else:
            step = runner.iter if has_train else 0
        runner.visualizer.add_scalars(tag, step=step, file_path=self.json_log_path)

    def after_test_epoch(self, runner: Any, metrics: Optional[Dict[str, float]] = None) -> None:
        tag, log_str = runner.log_processor.get_log_after_epoch(
            runner, len(runner.test_dataloader), 'test', with_non_scalar=True)
        runner.logger.info(log_str)
        dump(self._to_builtin(tag), osp.join(runner.log_dir, self.json_log_path))

    def after_run(self, runner: Any) -> None:
        runner.visualizer.close()
        if self.out_dir is None:
            return
        os.makedirs(self.out_dir, exist_ok=True)
        for name in sorted(os.listdir(runner.log_dir)):
            if name.endswith(self.out_suffix):
                local = osp.join(runner.log_dir, name)
                shutil.copy(local, osp.join(self.out_dir, name))
                runner.logger.info(f'The file {local} has been uploaded to {self.out_dir}.')
                if not self.keep_local:
                    os.remove(local)

    @staticmethod
    def _to_builtin(tag: Dict[str, Any]) -> Dict[str, Any]:
        out = {}
        for key, value in tag.items():
            if hasattr(value, 'tolist'):
                value = value.tolist()
            out[key] = value
        return out
