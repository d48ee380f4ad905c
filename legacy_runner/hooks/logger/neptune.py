"""NeptuneLoggerHook (optional: needs ``neptune-client``, which is not a dependency)."""
from typing import Any, Dict, Optional

from ...dist import master_only
from ..hook import HOOKS
from .base import LoggerHook


@HOOKS.register_module()
class NeptuneLoggerHook(LoggerHook):
    """Logs every loggable tag with ``run[tag].log(value, step=iter+1)`` on a Neptune run.

    Uses the ``neptune.new`` API (``neptune.new.init`` and ``run[...].log``) as mmcv does; the
    module is imported when the hook is built. Unlike the other loggers, ``reset_flag`` defaults to
    True and ``before_run`` does not force it on the last logger hook (mmcv skips the base call).

    Args:
        init_kwargs: keyword arguments of ``neptune.new.init``.
        with_step: pass ``step=iter+1``; otherwise log the whole tag dict, with
            ``global_step=iter+1`` added, under each tag name.
    """

    def __init__(self, init_kwargs: Optional[Dict] = None, interval: int = 10, ignore_last: bool = True,
                 reset_flag: bool = True, with_step: bool = True, by_epoch: bool = True) -> None:
        super().__init__(interval, ignore_last, reset_flag, by_epoch)
        self.import_neptune()
        self.init_kwargs = init_kwargs
        self.with_step = with_step

    def import_neptune(self) -> None:
        """Import ``neptune.new`` into ``self.neptune`` (and reset ``self.run``)."""
        try:
            import neptune.new as neptune
        except ImportError as e:
            raise ImportError('NeptuneLoggerHook needs neptune-client (the neptune.new API): '
                              'pip install neptune-client') from e
        self.neptune: Any = neptune
        self.run: Any = None

    @master_only
    def before_run(self, runner: Any) -> None:
        self.run = self.neptune.init(**(self.init_kwargs or {}))

    @master_only
    def log(self, runner: Any) -> None:
        tags = self.get_loggable_tags(runner)
        if not tags:
            return
        step = self.get_iter(runner)
        if self.with_step:
            for name, value in tags.items():
                self.run[name].log(value, step=step)
        else:
            # mmcv adds 'global_step' while iterating over the same dict, which raises
            # RuntimeError after the first tag; iterate over the original names instead.
            names = list(tags)
            tags['global_step'] = step
            for name in names:
                self.run[name].log(tags)

    @master_only
    def after_run(self, runner: Any) -> None:
        self.run.stop()
