"""What every rule may read: the merged v1 config, the options, and facts derived from them once.

Rules are pure functions of a :class:`Context`; the derived facts (runner kind and length, the
optimizer's param-group base values, fp16) are computed lazily and cached here so that two rules
that need the same fact agree on it.
"""
import copy
from typing import Any, Dict, List, Optional, Tuple

from .errors import ConversionError

EPOCH, ITER = 'epoch', 'iter'
EPOCH_RUNNERS = ('EpochBasedRunner', 'Runner')  # 'Runner' is mmcv's deprecated alias
ITER_RUNNERS = ('IterBasedRunner', )
# Optimizers whose momentum lives in betas[0] (v1 updaters and v2 schedulers both use it).
BETAS_OPTIMIZERS = ('Adam', 'AdamW', 'Adamax', 'NAdam', 'RAdam', 'SparseAdam', 'Lamb', 'Lion')
MOMENTUM_OPTIMIZERS = ('SGD', 'RMSprop')


class Options:
    """Converter options.

    Args:
        epoch_length: iterations per epoch (L), when the user knows it.
        fragment: convert a partial config (a ``_base_`` file): rules that need a missing section
            (usually the runner) emit nothing instead of failing.
        strict: an unknown key inside a known section is an error instead of a dropped entry.
        exact: use the v1-policy scheduler plug-in (``compat.v2_plugins.v1_schedulers``) wherever
            no built-in v2 form is exact.
        measure_budget: largest run (in iterations) traced to double-check a schedule the rules
            call exact; a non-exact schedule is always measured, whatever its length.
    """

    def __init__(self, epoch_length: Optional[int] = None, fragment: bool = False,
                 measure_budget: int = 50_000, strict: bool = False, exact: bool = False) -> None:
        if epoch_length is not None and (not isinstance(epoch_length, int) or epoch_length <= 0):
            raise ConversionError('must be a positive integer', key='--epoch-length', value=epoch_length)
        self.epoch_length = epoch_length
        self.fragment = fragment
        self.measure_budget = measure_budget
        self.strict = strict
        self.exact = exact

    def key(self) -> Tuple[Any, ...]:
        return (self.epoch_length, self.fragment, self.measure_budget, self.strict, self.exact)


class RunnerInfo:
    """The v1 run shape (G2): epoch or iteration runner and its length."""

    def __init__(self, kind: Optional[str], max_epochs: Optional[int] = None,
                 max_iters: Optional[int] = None) -> None:
        self.kind, self.max_epochs, self.max_iters = kind, max_epochs, max_iters

    @property
    def known(self) -> bool:
        return self.kind is not None

    @property
    def is_epoch(self) -> bool:
        """Epoch semantics; also the assumption for fragments without a runner."""
        return self.kind != ITER

    def total_iters(self, epoch_length: Optional[int]) -> Optional[int]:
        """Iterations of the whole run (needs the epoch length for an epoch runner)."""
        if self.kind == ITER:
            return self.max_iters
        if self.kind == EPOCH and epoch_length is not None:
            return self.max_epochs * epoch_length  # type: ignore[operator]
        return None

    def v1_runner(self) -> Dict[str, Any]:
        """The runner dict v1_trace expects."""
        if self.kind == ITER:
            return dict(type='IterBasedRunner', max_iters=self.max_iters)
        return dict(type='EpochBasedRunner', max_epochs=self.max_epochs)

    def v2_train_cfg(self) -> Dict[str, Any]:
        """The loop part of the v2 ``train_cfg``."""
        if self.kind == ITER:
            return dict(type='IterBasedTrainLoop', max_iters=self.max_iters)
        return dict(type='EpochBasedTrainLoop', max_epochs=self.max_epochs)


def _positive_int(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConversionError('must be a positive integer', key=key, value=value)
    return value


class Context:
    """A merged v1 config (plain dict, never mutated by rules) plus options and derived facts."""

    def __init__(self, cfg: Dict[str, Any], options: Optional[Options] = None,
                 filename: Optional[str] = None) -> None:
        self.cfg = cfg
        self.options = options or Options()
        self.filename = filename
        self._cache: Dict[str, Any] = {}

    # -- generic access ---------------------------------------------------------------------------
    def get(self, key: str, default: Any = None) -> Any:
        return self.cfg.get(key, default)

    def has(self, key: str) -> bool:
        return key in self.cfg

    def section(self, key: str) -> Any:
        """A deep copy of a top-level value (rules build their output from copies)."""
        return copy.deepcopy(self.cfg.get(key))

    @property
    def fragment(self) -> bool:
        return self.options.fragment

    @property
    def epoch_length(self) -> Optional[int]:
        return self.options.epoch_length

    def cached(self, name: str, build: Any) -> Any:
        """Memoise a derived value (``build`` is a zero-argument callable)."""
        if name not in self._cache:
            self._cache[name] = build()
        return self._cache[name]

    def unknown_key(self, key: str, value: Any, why: str) -> Any:
        """A key the section does not know: dropped with a reason (an error with ``--strict``)."""
        from .report import DROPPED, Entry

        if self.options.strict:
            raise ConversionError(f'{why} (--strict: unknown keys are errors)', key=key, value=value)
        entry = Entry(key, DROPPED, None, f'{why}: dropped')
        entry.bound_note = 'an unknown key: nothing reads it in the converted run'
        return entry

    def schedule_section(self, section: str) -> Any:
        """``lr_config``/``momentum_config`` as the schedule math sees it: without the keys the
        rules dropped as unknown."""
        return self._cache.get(f'clean:{section}', self.cfg.get(section))

    # -- derived facts ----------------------------------------------------------------------------
    @property
    def runner(self) -> RunnerInfo:
        return self.cached('runner', self._runner_info)

    def _runner_info(self) -> RunnerInfo:
        runner = self.cfg.get('runner')
        total = self.cfg.get('total_epochs')
        if runner is None:
            if total is not None:
                return RunnerInfo(EPOCH, max_epochs=_positive_int(total, 'total_epochs'))
            if self.fragment:
                return RunnerInfo(None)
            raise ConversionError('not a complete v1 training config: it has neither `runner` nor '
                                  '`total_epochs`', key='runner')
        if not isinstance(runner, dict):
            raise ConversionError('must be a dict', key='runner', value=runner)
        rtype = runner.get('type')
        if rtype is None:
            raise ConversionError('has no `type` (EpochBasedRunner or IterBasedRunner)', key='runner',
                                  value=dict(runner))
        if runner.get('max_epochs') is not None and runner.get('max_iters') is not None:
            raise ConversionError('sets both max_epochs and max_iters (mmcv accepts only one)',
                                  key='runner', value=dict(runner))
        if rtype in EPOCH_RUNNERS:
            if runner.get('max_epochs') is None:
                raise ConversionError('an epoch runner needs max_epochs', key='runner', value=dict(runner))
            epochs = _positive_int(runner['max_epochs'], 'runner.max_epochs')
            if total is not None and total != epochs:
                raise ConversionError(f'disagrees with runner.max_epochs={epochs}', key='total_epochs',
                                      value=total)
            return RunnerInfo(EPOCH, max_epochs=epochs)
        if rtype in ITER_RUNNERS:
            if runner.get('max_iters') is None:
                raise ConversionError('an iteration runner needs max_iters', key='runner', value=dict(runner))
            if total is not None:
                raise ConversionError(f'conflicts with runner.type={rtype!r} (an epoch count for an '
                                      'iteration runner)', key='total_epochs', value=total)
            return RunnerInfo(ITER, max_iters=_positive_int(runner['max_iters'], 'runner.max_iters'))
        raise ConversionError('unsupported runner type: only EpochBasedRunner/IterBasedRunner have a '
                              'built-in v2 loop (a custom runner needs a hand-written loop)',
                              key='runner.type', value=rtype)

    @property
    def fp16(self) -> bool:
        """Mixed precision: a top-level ``fp16`` or an fp16 optimizer hook."""
        opt_cfg = self.cfg.get('optimizer_config')
        hook_type = opt_cfg.get('type') if isinstance(opt_cfg, dict) else None
        return self.cfg.get('fp16') is not None or hook_type in (
            'Fp16OptimizerHook', 'GradientCumulativeFp16OptimizerHook')

    @property
    def optimizer(self) -> Optional[Dict[str, Any]]:
        """The single v1 optimizer dict, or None (absent or a dict of optimizers)."""
        opt = self.cfg.get('optimizer')
        if isinstance(opt, dict) and 'type' in opt:
            return opt
        return None

    @property
    def optimizer_type(self) -> str:
        opt = self.optimizer
        return str(opt['type']) if opt else 'SGD'

    def group_lrs(self) -> List[float]:
        """Distinct base lrs of the param groups the optimizer constructor can create.

        The lr, times each ``lr_mult`` of ``paramwise_cfg`` (``bias_lr_mult`` and every custom
        key): schedules whose conversion depends on the base lr are checked on all of them.
        """
        opt = self.optimizer
        if not opt or not isinstance(opt.get('lr'), (int, float)):
            return [0.1]  # no optimizer (fragment): any positive value shows the schedule shape
        lr = float(opt['lr'])
        mults = [1.0]
        pw = opt.get('paramwise_cfg') or {}
        if isinstance(pw, dict):
            if isinstance(pw.get('bias_lr_mult'), (int, float)):
                mults.append(float(pw['bias_lr_mult']))
            for spec in (pw.get('custom_keys') or {}).values():
                if isinstance(spec, dict) and isinstance(spec.get('lr_mult'), (int, float)):
                    mults.append(float(spec['lr_mult']))
        out: List[float] = []
        for m in mults:
            if lr * m not in out:
                out.append(lr * m)
        return out

    def group_momenta(self) -> Optional[List[float]]:
        """The optimizer's momentum (or ``betas[0]``) for every group, None if it has neither."""
        opt = self.optimizer
        n = len(self.group_lrs())
        if not opt:
            return [0.9] * n
        if 'betas' in opt or opt['type'] in BETAS_OPTIMIZERS:
            betas = opt.get('betas', (0.9, 0.999))
            return [float(betas[0])] * n
        if 'momentum' in opt or opt['type'] in MOMENTUM_OPTIMIZERS:
            return [float(opt.get('momentum', 0.0))] * n
        return None

    def uses_betas(self) -> bool:
        opt = self.optimizer
        return opt is not None and bool(opt) and ('betas' in opt or opt['type'] in BETAS_OPTIMIZERS)
