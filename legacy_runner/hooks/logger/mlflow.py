"""MlflowLoggerHook (optional: needs the ``mlflow`` package, which is not a dependency)."""
from typing import Any, Dict, Optional

import torch

from ...dist import master_only
from ..hook import HOOKS
from .base import LoggerHook


@HOOKS.register_module()
class MlflowLoggerHook(LoggerHook):
    """Logs the loggable tags with ``mlflow.log_metrics`` (step iter+1); optionally logs the model.

    ``mlflow`` and ``mlflow.pytorch`` are imported when the hook is built (as in mmcv).

    Args:
        exp_name: if set, ``mlflow.set_experiment(exp_name)`` before the run.
        tags: if set, ``mlflow.set_tags(tags)`` before the run.
        params: if set, ``mlflow.log_params(params)`` before the run.
        log_model: after the run, ``mlflow.pytorch.log_model(runner.model, 'models', ...)``.
    """

    def __init__(self, exp_name: Optional[str] = None, tags: Optional[Dict] = None,
                 params: Optional[Dict] = None, log_model: bool = True, interval: int = 10,
                 ignore_last: bool = True, reset_flag: bool = False, by_epoch: bool = True) -> None:
        super().__init__(interval, ignore_last, reset_flag, by_epoch)
        self.import_mlflow()
        self.exp_name = exp_name
        self.tags = tags
        self.params = params
        self.log_model = log_model

    def import_mlflow(self) -> None:
        """Import ``mlflow`` and ``mlflow.pytorch`` into ``self.mlflow`` / ``self.mlflow_pytorch``."""
        try:
            import mlflow
            import mlflow.pytorch as mlflow_pytorch
        except ImportError as e:
            raise ImportError('MlflowLoggerHook needs mlflow: pip install mlflow') from e
        self.mlflow: Any = mlflow
        self.mlflow_pytorch: Any = mlflow_pytorch

    @master_only
    def before_run(self, runner: Any) -> None:
        super().before_run(runner)
        if self.exp_name is not None:
            self.mlflow.set_experiment(self.exp_name)
        if self.tags is not None:
            self.mlflow.set_tags(self.tags)
        if self.params is not None:
            self.mlflow.log_params(self.params)

    @master_only
    def log(self, runner: Any) -> None:
        tags = self.get_loggable_tags(runner)
        if tags:
            self.mlflow.log_metrics(tags, step=self.get_iter(runner))

    @master_only
    def after_run(self, runner: Any) -> None:
        if self.log_model:
            self.mlflow_pytorch.log_model(runner.model, 'models',
                                          pip_requirements=[f'torch=={torch.__version__}'])
