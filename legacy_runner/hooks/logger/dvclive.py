"""DvcliveLoggerHook (optional: needs the ``dvclive`` package, which is not a dependency)."""
from pathlib import Path
from typing import Any, Optional

from ...dist import master_only
from ..hook import HOOKS
from .base import LoggerHook


@HOOKS.register_module()
class DvcliveLoggerHook(LoggerHook):
    """Logs every loggable tag with ``live.log(tag, value)`` after ``live.set_step(iter+1)``.

    The ``dvclive.Live`` logger is created when the hook is built (on every rank, as in mmcv),
    unless one is passed as ``dvclive``. There is no end-of-run call.

    Args:
        model_file: if set, save a checkpoint to this path after every train epoch
            (``runner.save_checkpoint(parent, filename_tmpl=name, create_symlink=False)``).
        dvclive: a ready ``Live`` instance to use instead of creating one.
        **kwargs: keyword arguments of ``Live`` (ignored when ``dvclive`` is given).
    """

    def __init__(self, model_file: Optional[str] = None, interval: int = 10, ignore_last: bool = True,
                 reset_flag: bool = False, by_epoch: bool = True, dvclive: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(interval, ignore_last, reset_flag, by_epoch)
        self.model_file = model_file
        self._import_dvclive(dvclive, **kwargs)

    def _import_dvclive(self, dvclive: Any = None, **kwargs: Any) -> None:
        """Set ``self.dvclive`` to ``dvclive`` or a new ``dvclive.Live(**kwargs)``."""
        try:
            from dvclive import Live
        except ImportError as e:
            raise ImportError('DvcliveLoggerHook needs dvclive: pip install dvclive') from e
        self.dvclive: Any = dvclive if dvclive is not None else Live(**kwargs)

    @master_only
    def log(self, runner: Any) -> None:
        tags = self.get_loggable_tags(runner)
        if tags:
            self.dvclive.set_step(self.get_iter(runner))
            for name, value in tags.items():
                self.dvclive.log(name, value)

    @master_only
    def after_train_epoch(self, runner: Any) -> None:
        super().after_train_epoch(runner)
        if self.model_file is not None:
            path = Path(self.model_file)
            runner.save_checkpoint(path.parent, filename_tmpl=path.name, create_symlink=False)
