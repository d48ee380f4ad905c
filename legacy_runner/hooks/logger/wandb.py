"""WandbLoggerHook (optional: needs the ``wandb`` package, which is not a dependency)."""
import os.path as osp
import warnings
from typing import Any, Dict, Optional, Tuple, Union

from ...dist import master_only
from ...utils.misc import scandir
from ..hook import HOOKS
from .base import LoggerHook

_SUMMARIES = ('min', 'max', 'mean', 'best', 'last', 'none')


@HOOKS.register_module()
class WandbLoggerHook(LoggerHook):
    """Logs the loggable tags with ``wandb.log`` (step iter+1) and uploads work-dir files at the end.

    ``wandb`` is imported when the hook is built (as in mmcv), so building it without the package
    raises ImportError.

    Args:
        init_kwargs: keyword arguments of ``wandb.init``.
        commit: passed to every ``wandb.log`` call.
        with_step: pass ``step=iter+1``; otherwise put it in the tags as ``global_step``.
        log_artifact: after the run, log one ``Artifact(name='artifacts', type='model')`` holding
            every work-dir file (recursively) whose name ends with ``out_suffix``.
        define_metric_cfg: ``{metric: summary}`` for ``wandb.define_metric``; an unknown summary
            only warns (the call is still made, as in mmcv).
    """

    def __init__(self, init_kwargs: Optional[Dict] = None, interval: int = 10, ignore_last: bool = True,
                 reset_flag: bool = False, commit: bool = True, by_epoch: bool = True,
                 with_step: bool = True, log_artifact: bool = True,
                 out_suffix: Union[str, Tuple[str, ...]] = ('.log.json', '.log', '.py'),
                 define_metric_cfg: Optional[Dict] = None) -> None:
        super().__init__(interval, ignore_last, reset_flag, by_epoch)
        self.import_wandb()
        self.init_kwargs = init_kwargs
        self.commit = commit
        self.with_step = with_step
        self.log_artifact = log_artifact
        self.out_suffix = out_suffix
        self.define_metric_cfg = define_metric_cfg

    def import_wandb(self) -> None:
        """Import ``wandb`` into ``self.wandb``."""
        try:
            import wandb
        except ImportError as e:
            raise ImportError('WandbLoggerHook needs wandb: pip install wandb') from e
        self.wandb: Any = wandb

    @master_only
    def before_run(self, runner: Any) -> None:
        super().before_run(runner)
        if self.wandb is None:
            self.import_wandb()
        self.wandb.init(**(self.init_kwargs or {}))
        for metric, summary in (self.define_metric_cfg or {}).items():
            if summary not in _SUMMARIES:
                # mmcv says the metric "will be skipped" but still defines it
                warnings.warn(f'summary should be in {list(_SUMMARIES)}. '
                              f'metric={metric}, summary={summary} will be skipped.')
            self.wandb.define_metric(metric, summary=summary)

    @master_only
    def log(self, runner: Any) -> None:
        tags = self.get_loggable_tags(runner)
        if not tags:
            return
        step = self.get_iter(runner)
        if self.with_step:
            self.wandb.log(tags, step=step, commit=self.commit)
        else:
            tags['global_step'] = step
            self.wandb.log(tags, commit=self.commit)

    @master_only
    def after_run(self, runner: Any) -> None:
        if self.log_artifact:
            artifact = self.wandb.Artifact(name='artifacts', type='model')
            for name in scandir(runner.work_dir, self.out_suffix, True):
                artifact.add_file(osp.join(runner.work_dir, name))
            self.wandb.log_artifact(artifact)
        self.wandb.join()
