"""What both v2 runners share: counters, lazily built loops, hook registration and dispatch,
log processor, load-or-resume, config dump. :class:`~compat.v2.runner.Runner` and
:class:`~compat.v2.flexible_runner.FlexibleRunner` differ only in how they build the environment, the
model, the optimizer and the schedulers and in who does checkpoint I/O (the runner or a strategy).
"""
import contextlib
import logging
import os
import os.path as osp
import warnings
from contextvars import ContextVar
from typing import Any, Callable, ContextManager, Dict, Iterator, List, Optional, Union

from torch import nn

from legacy_runner.continuation import (
    KEY,
    accept_record,
    gather_rank_parts,
    loader_shape,
    new_record,
    pending_grads,
    rank_part,
    shape_changes,
)
from legacy_runner.errors import ConfigError, config_section, torn_checkpoint, unprintable_config
from legacy_runner.utils.priority import hook_table, insert_hook

from . import builders
from .checkpoint import find_latest_checkpoint
from .data import build_dataloader
from .hooks import Hook
from .log_processor import LogProcessor
from .logging import MessageHub
from .loops import BaseLoop, build_eval_loop, build_train_loop
from .model import is_model_wrapper
from .registry import LOG_PROCESSORS
from .visualization import build_visualizer

# Where a checkpoint file fails to load, the command line names it in one line: train_from_cfg
# sets this to legacy_runner.errors.checkpoint_input; library calls keep their exception types.
CheckpointInputGuard = Callable[[str, str], Any]


def newest_checkpoint(work_dir: str) -> Optional[str]:
    """The most recently written complete checkpoint in ``work_dir``: ``*.pth`` files except
    temporary files of interrupted writes (dot files, ``*.tmp``) and ``best_*`` snapshots."""
    try:
        names = os.listdir(work_dir)
    except OSError:
        return None
    paths = [osp.join(work_dir, n) for n in names
             if n.endswith('.pth') and not n.startswith(('.', 'best_')) and '.tmp' not in n]
    paths = [p for p in paths if osp.isfile(p) and not torn_checkpoint(p)]
    if not paths:
        return None
    return max(paths, key=lambda p: (os.stat(p).st_mtime_ns, p))



# Set by the command line's train/test (compat.v2.api): build errors become one line naming the
# config section, as the v1 train flow reports them. Runners built through the API keep the
# builders' own exception types.
_SECTION_ERRORS: ContextVar[bool] = ContextVar('v2_section_errors', default=False)


@contextlib.contextmanager
def section_errors() -> Iterator[None]:
    """Inside the block, :func:`building` reports a failing build step as a ConfigError."""
    token = _SECTION_ERRORS.set(True)
    try:
        yield
    finally:
        _SECTION_ERRORS.reset(token)


def building(filename: Optional[str], key: str) -> ContextManager[None]:
    """Around the build of config section ``key``: its errors as one ConfigError line naming
    ``filename`` and ``key`` inside :func:`section_errors`, untouched elsewhere."""
    return config_section(filename, key) if _SECTION_ERRORS.get() else contextlib.nullcontext()


def refuse_empty_dataset(loop: Any, filename: Optional[str], phase: str) -> None:
    """Inside :func:`section_errors`: a loop over an empty dataset as one line naming
    ``{phase}_dataloader.dataset`` (its sampler would divide by zero, or the loop run nothing)."""
    dataset = getattr(getattr(loop, 'dataloader', None), 'dataset', None)
    if not _SECTION_ERRORS.get() or dataset is None:
        return
    try:
        empty = len(dataset) == 0
    except TypeError:  # an iterable dataset: no length to check
        return
    if empty:
        raise ConfigError(f'{filename or "<config>"}: {phase}_dataloader.dataset: the dataset is empty '
                          '(0 samples)')


class RunnerCore:
    """Mixin with the runner surface the loops and hooks use; subclasses set the attributes."""

    cfg: Any
    logger: logging.Logger
    _experiment_name: str
    _log_dir: str
    _extra: Dict[str, Any]
    _hooks: List[Hook]
    _dispatch: Dict[str, List[Any]]

    def _cfg_get(self, key: str, default: Any = None) -> Any:
        return self._extra.get(key, self.cfg.get(key, default))

    # -- simple properties -------------------------------------------------------------------
    experiment_name = property(lambda self: self._experiment_name)
    work_dir = property(lambda self: self._work_dir)
    log_dir = property(lambda self: self._log_dir)
    timestamp = property(lambda self: self._timestamp)
    seed = property(lambda self: self._seed)
    rank = property(lambda self: self._rank)
    world_size = property(lambda self: self._world_size)
    distributed = property(lambda self: self._distributed)
    launcher = property(lambda self: self._launcher)
    hooks = property(lambda self: self._hooks)

    @property
    def cfg_text(self) -> str:
        """``cfg.pretty_text`` ('\\n' for an empty config), formatted once: it goes into every checkpoint."""
        text = self.__dict__.get('_cfg_text')
        if text is None:
            with unprintable_config(self.cfg.filename):  # one line, not the formatter's traceback
                text = self._cfg_text = self.cfg.pretty_text if len(self.cfg) else '\n'
        return text

    @property
    def epoch(self) -> int:
        loop = self._train_loop
        return loop._epoch if isinstance(loop, BaseLoop) else 0

    @property
    def iter(self) -> int:
        loop = self._train_loop
        return loop._iter if isinstance(loop, BaseLoop) else 0

    @property
    def max_epochs(self) -> int:
        return self._train_loop.max_epochs if isinstance(self._train_loop, BaseLoop) else 0

    @property
    def max_iters(self) -> int:
        return self._train_loop.max_iters if isinstance(self._train_loop, BaseLoop) else 0

    # -- lazily built loops ------------------------------------------------------------------
    @property
    def train_loop(self) -> BaseLoop:
        if isinstance(self._train_loop, BaseLoop) or self._train_loop is None:
            return self._train_loop
        with building(self.cfg.filename, 'train_cfg/train_dataloader'):
            self._train_loop = build_train_loop(self, self._train_loop)
        refuse_empty_dataset(self._train_loop, self.cfg.filename, 'train')
        return self._train_loop

    @property
    def val_loop(self) -> Optional[BaseLoop]:
        if isinstance(self._val_loop, BaseLoop) or self._val_loop is None:
            return self._val_loop
        with building(self.cfg.filename, 'val_cfg/val_dataloader/val_evaluator'):
            self._val_loop = build_eval_loop(self, self._val_loop, 'val')
        refuse_empty_dataset(self._val_loop, self.cfg.filename, 'val')
        return self._val_loop

    @property
    def test_loop(self) -> Optional[BaseLoop]:
        if isinstance(self._test_loop, BaseLoop) or self._test_loop is None:
            return self._test_loop
        with building(self.cfg.filename, 'test_cfg/test_dataloader/test_evaluator'):
            self._test_loop = build_eval_loop(self, self._test_loop, 'test')
        refuse_empty_dataset(self._test_loop, self.cfg.filename, 'test')
        return self._test_loop

    train_dataloader = property(lambda self: self.train_loop.dataloader)
    val_dataloader = property(lambda self: self.val_loop.dataloader)
    test_dataloader = property(lambda self: self.test_loop.dataloader)
    val_evaluator = property(lambda self: self.val_loop.evaluator)
    test_evaluator = property(lambda self: self.test_loop.evaluator)

    build_dataloader = staticmethod(build_dataloader)

    def _store_components(self, *, train_dataloader: Any, val_dataloader: Any, test_dataloader: Any,
                          train_cfg: Any, val_cfg: Any, test_cfg: Any, optim_wrapper: Any,
                          param_scheduler: Any, val_evaluator: Any, test_evaluator: Any,
                          auto_scale_lr: Any, load_from: Optional[str], resume: Any) -> None:
        """Check mmengine's all-or-none argument triples, then keep the (possibly unbuilt)
        components for lazy building; shared by Runner and FlexibleRunner."""
        builders.check_triple('train', [train_dataloader, train_cfg, optim_wrapper],
                              ['train_dataloader', 'train_cfg', 'optim_wrapper'])
        builders.check_triple('val', [val_dataloader, val_cfg, val_evaluator],
                              ['val_dataloader', 'val_cfg', 'val_evaluator'])
        builders.check_triple('test', [test_dataloader, test_cfg, test_evaluator],
                              ['test_dataloader', 'test_cfg', 'test_evaluator'])
        if param_scheduler is not None and optim_wrapper is None:
            raise ValueError('param_scheduler should be None when optim_wrapper is None, '
                             f'but got {param_scheduler}')
        self._train_dataloader, self._train_loop = train_dataloader, train_cfg
        self._val_dataloader, self._val_evaluator, self._val_loop = val_dataloader, val_evaluator, val_cfg
        self._test_dataloader, self._test_evaluator = test_dataloader, test_evaluator
        self._test_loop = test_cfg
        self.optim_wrapper = optim_wrapper
        self.auto_scale_lr = auto_scale_lr
        self.param_schedulers = param_scheduler
        self._load_from, self._resume, self._has_loaded = load_from, resume, False
        self.checkpoint_input_guard: Optional[CheckpointInputGuard] = None

    def _build_hub_and_visualizer(self, visualizer: Any) -> None:
        self.message_hub = MessageHub.create_current(self._experiment_name)
        self.visualizer = build_visualizer(visualizer, self._experiment_name, self._log_dir)
        if len(self.cfg):
            self.visualizer.add_config(self.cfg)

    def _init_hooks(self, default_hooks: Optional[Dict], custom_hooks: Optional[List]) -> None:
        """Register the default and custom hooks, log their order, dump the config (the end of both
        runners' construction)."""
        self._hooks = []
        self._dispatch = builders.stage_dispatch([])
        self.register_hooks(default_hooks, custom_hooks)
        self.logger.info(f'Hooks will be executed in the following order:\n{self.get_hooks_info()}')
        self.dump_config()

    def _attach_message_hub(self, optim_wrapper: Any) -> None:
        # a wrapper built before this runner would log grad norms to another hub
        for wrapper in (optim_wrapper.values() if hasattr(optim_wrapper, 'values') else [optim_wrapper]):
            wrapper.message_hub = self.message_hub

    def _required_train_loop(self) -> BaseLoop:
        if self._train_loop is None:
            raise RuntimeError('`self._train_loop` should not be None when calling train method. Please '
                               'provide `train_dataloader`, `train_cfg`, `optimizer` and `param_scheduler` '
                               'arguments when initializing runner.')
        return self.train_loop

    def val(self) -> Dict[str, Any]:
        """Run the val loop once; returns (and logs) its metrics."""
        return self._evaluate('val')

    def test(self) -> Dict[str, Any]:
        """Run the test loop once; returns its metrics."""
        return self._evaluate('test')

    def _evaluate(self, mode: str) -> Dict[str, Any]:
        raise NotImplementedError  # each runner prepares the model its own way first

    def _required_loop(self, mode: str) -> BaseLoop:
        if getattr(self, f'_{mode}_loop') is None:
            raise RuntimeError(f'`self._{mode}_loop` should not be None when calling {mode} method. Please '
                               f'provide `{mode}_dataloader`, `{mode}_cfg` and `{mode}_evaluator` arguments '
                               'when initializing runner.')
        return getattr(self, f'{mode}_loop')

    def _log_env_tables(self, env: Dict[str, Any], runtime: Dict[str, Any]) -> None:
        """Log the system and runtime environment blocks, then the config (when there is one)."""
        dash = '-' * 60
        system = ''.join(f'\n    {k}: {v}' for k, v in env.items())
        rt = ''.join(f'\n    {k}: {v}' for k, v in runtime.items())
        self.logger.info(f'\n{dash}\nSystem environment:{system}\n\nRuntime environment:{rt}\n{dash}\n')
        if len(self.cfg):
            self.logger.info(f'Config:\n{self.cfg_text}')

    def _build_log_processor(self, log_processor: Any) -> LogProcessor:
        if isinstance(log_processor, LogProcessor):
            return log_processor
        cfg = dict(log_processor or {})
        return LOG_PROCESSORS.build(cfg) if 'type' in cfg else LogProcessor(**cfg)

    # -- hooks -------------------------------------------------------------------------------
    def register_hook(self, hook: Union[Hook, Dict], priority: Any = None) -> None:
        insert_hook(self._hooks, builders.make_hook(hook, priority))
        self._dispatch = builders.stage_dispatch(self._hooks)

    def register_hooks(self,
                       default_hooks: Optional[Dict] = None,
                       custom_hooks: Optional[List] = None) -> None:
        for hook in builders.merge_default_hooks(default_hooks):
            self.register_hook(hook)
        for hook in custom_hooks or []:
            self.register_hook(hook)

    def get_hooks_info(self) -> str:
        return hook_table(self._hooks, Hook.stages)

    def call_hook(self, fn_name: str, **kwargs: Any) -> None:
        """Call ``fn_name`` on every hook that acts on that stage, in priority order."""
        for fn in self._dispatch[fn_name]:
            try:
                fn(self, **kwargs)
            except TypeError as e:
                raise TypeError(f'{e} in {fn.__self__}') from e

    def _unwrapped(self) -> nn.Module:
        return self.model.module if is_model_wrapper(self.model) else self.model

    def load_or_resume(self) -> None:
        """``resume=True``: auto-resume from ``work_dir/last_checkpoint`` (or ``load_from``)."""
        if self._has_loaded:
            return
        resume_from = None
        if self._resume and self._load_from is None:
            resume_from = self._auto_resume_target()
            self.logger.info(f'Auto resumed from the latest checkpoint {resume_from}.')
        elif self._resume:
            resume_from = self._load_from
        if resume_from is not None:
            with self._checkpoint_input(resume_from, 'resume checkpoint'):
                self.resume(resume_from)
        elif self._load_from is not None:
            # a URL: its reader reports its own errors
            guard = contextlib.nullcontext() if '://' in str(self._load_from) else self._checkpoint_input(
                self._load_from, 'load_from checkpoint')
            with guard:
                self.load_checkpoint(self._load_from)
        self._has_loaded = resume_from is not None or self._load_from is not None

    def _checkpoint_input(self, path: str, what: str) -> Any:
        guard = getattr(self, 'checkpoint_input_guard', None)
        return guard(path, what) if guard is not None else contextlib.nullcontext()

    def _auto_resume_target(self) -> Optional[str]:
        """``work_dir/last_checkpoint``; when it names a missing file (deleted, or a run killed
        between writing the file and the pointer in an older version), the newest complete
        checkpoint in ``work_dir``."""
        named = find_latest_checkpoint(self.work_dir)
        if named is not None and '://' in named:
            return named
        if named is not None and osp.isfile(named) and not torn_checkpoint(named):
            return named
        fallback = newest_checkpoint(self.work_dir)
        if named is not None:
            why = 'looks truncated (an interrupted write?)' if osp.isfile(named) else 'does not exist'
            self.logger.warning(f'last_checkpoint names {named}, which {why}; resuming from '
                                f'the newest complete checkpoint in the work_dir instead: {fallback}')
            if fallback is None and osp.isfile(named):
                return named  # nothing better: loading it reports the file
        return fallback

    # -- checkpoint meta and resume, shared by Runner and FlexibleRunner ----------------------
    @staticmethod
    def _checked_meta(meta: Optional[Dict]) -> Dict:
        if meta is None:
            return {}
        if not isinstance(meta, dict):
            raise TypeError(f'meta should be a dict or None, but got {type(meta)}')
        return meta

    def _fill_checkpoint_meta(self, meta: Dict, by_epoch: bool, stamp: Dict[str, Any],
                              record: Optional[Dict[str, Any]], save_param_scheduler: bool) -> None:
        """mmengine's checkpoint meta in its key order: epoch/iter (a hook's own values win), the
        runner's ``stamp`` (config text, experiment...), the training dataset's metainfo, then the
        continuation record. Warns when schedulers are to be saved but there are none."""
        meta.setdefault('epoch', self.epoch + 1 if by_epoch else self.epoch)
        meta.setdefault('iter', self.iter if by_epoch else self.iter + 1)
        meta.update(stamp)
        if isinstance(self._train_loop, BaseLoop) and hasattr(self.train_dataloader.dataset, 'metainfo'):
            meta['dataset_meta'] = self.train_dataloader.dataset.metainfo
        if record is not None:
            meta[KEY] = record  # after mmengine's keys
        if save_param_scheduler and self.param_schedulers is None:
            self.logger.warning('`save_param_scheduler` is True but `self.param_schedulers` is None, so skip '
                                'saving parameter schedulers')

    def _check_dataset_meta(self, meta: Dict) -> None:
        """Warn when a resumed checkpoint was trained on data with other metainfo."""
        if meta.get('dataset_meta') != getattr(self.train_dataloader.dataset, 'metainfo', None):
            self.logger.warning('The dataset metainfo from the resumed checkpoint is different from the '
                                'current training dataset, please check the correctness of the checkpoint '
                                'or the training dataset.')

    def _finish_resume(self, meta: Dict, filename: str) -> None:
        if isinstance(self._train_loop, BaseLoop):
            self._apply_continuation(meta, filename)
        self._has_loaded = True
        self.logger.info(f'resumed epoch: {self.epoch}, iter: {self.iter}')

    # -- continuation records ----------------------------------------------------------------
    def _continuation_record(self, save_optimizer: bool = True) -> Optional[Dict[str, Any]]:
        """``meta['continuation']`` for a checkpoint saved now, or None: only at a training
        boundary (the train loop's hooks or the validation after them) and with the optimizer
        state (without it no exact continuation is possible). A collective when distributed: every
        rank's RNGs, dataloader pass and pending gradients are gathered (rank 0 writes them)."""
        loop = self._train_loop
        state = loop.continuation_state() if isinstance(loop, BaseLoop) and hasattr(
            loop, 'continuation_state') else None
        if state is None or not save_optimizer:
            return None
        shared, position = state
        local = rank_part(position, loop.rng_generators())
        model = self._unwrapped()
        grads = pending_grads(list(model.parameters())) if isinstance(model, nn.Module) else []
        if any(g is not None for g in grads):  # an open accumulation window
            local['grads'] = [None if g is None else g.cpu() for g in grads]
        return new_record('v2', self._world_size, local, gather_rank_parts(local), loop=shared,
                          data=loader_shape(loop.dataloader))

    def _apply_continuation(self, meta: Any, filename: str) -> bool:
        """Hand a checkpoint's continuation record to the train loop (True), or keep mmengine's
        resume semantics for a file without one (False). Raises ResumeError on a world-size change."""
        def refuse(record: Dict[str, Any]) -> None:
            self.logger.warning(f'{filename}: ignoring a continuation record of runtime '
                                f'{record.get("runtime")!r}, format {record.get("format")!r}; resuming '
                                'with mmengine semantics (not bitwise)')

        record = accept_record(meta.get(KEY) if isinstance(meta, dict) else None, 'v2', self._world_size,
                               self._rank, filename, refuse)
        if record is None:
            return False
        loop = self.train_loop
        kind = getattr(loop, 'continuation_kind', None)
        if kind is None or kind != record['loop'].get('kind'):
            self.logger.warning(f'{filename} was saved by a {record["loop"].get("kind")}-based train loop, '
                                f'this run has {type(loop).__name__}; resuming with mmengine semantics')
            return False
        changes = shape_changes(record.get('data'), loader_shape(loop.dataloader))
        if changes:
            changed = f'{filename}: the train data changed since it was saved ({", ".join(changes)})'
            if kind == 'iter':  # a position inside a pass over the old data means nothing now
                record = dict(record, **{'pass': None})
                msg = (f'{changed}: continuing at iteration {record["loop"]["iter"]} with a fresh pass over '
                       'the data; not an exact continuation')
            elif record['loop'].get('phase') == 'iter':
                msg = (f'{changed}, the position inside epoch {record["loop"]["epoch"] + 1} cannot be kept: '
                       'resuming with mmengine semantics instead (that epoch restarts from its first batch; '
                       'not an exact continuation)')
                self.logger.warning(msg)
                warnings.warn(msg)
                return False
            else:
                msg = (f'{changed}: continuing at the epoch boundary (epoch {record["loop"]["epoch"] + 1}); '
                       'from there on the run differs from an uninterrupted one')
            self.logger.warning(msg)
            warnings.warn(msg)
        loop.continue_from(record['loop'], record)
        return True

    def dump_config(self) -> None:
        """Write the config to ``work_dir`` (rank 0): under its file name, else ``{timestamp}.py``."""
        if self._rank != 0 or not len(self.cfg):
            return
        name = osp.basename(self.cfg.filename) if self.cfg.filename else f'{self._timestamp}.py'
        self.cfg.dump(osp.join(self.work_dir, name))

    def __repr__(self) -> str:
        return f'{type(self).__name__}(experiment_name={self._experiment_name!r}, ' \
               f'work_dir={self._work_dir!r})'
