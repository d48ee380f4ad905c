"""Shared machinery of the lr_config / momentum_config rules.

A :class:`ScheduleBuilder` collects the v2 scheduler dicts of one v1 updater section and one report
entry per key of that section. The policy functions (``policies.py``) and the warmup function
(``warmup.py``) only call ``add``/``jump``/``linear_segment``/``mark``.

Units: a v1 policy runs per epoch (``by_epoch=True``) or per iteration. ``T`` is the run length in
the policy's unit; for an iteration policy in an epoch runner it is ``E*L``, unknown without the
epoch length. ``T is None`` then, and policies fall back to an approximate L-free form (they call
``approx_no_length``).
"""
import copy
from typing import Any, Dict, List, Optional

from ..errors import ConversionError
from ..report import APPROXIMATE, DROPPED, EXACT, Entry

INF = 10**9  # mmengine's "no end" value: a scheduler with this end never reaches its last step
_SEVERITY = {EXACT: 0, APPROXIMATE: 1, DROPPED: 2}


def tidy(x: float) -> float:
    """An epoch fraction without float noise (12*0.4 -> 4.8); used only in approximate forms."""
    return float(f'{x:.10g}')


class ScheduleBuilder:
    """Builds the v2 schedulers for one section (``'lr_config'`` or ``'momentum_config'``).

    Args:
        section: the v1 key.
        config: the v1 dict (copied).
        param: ``'lr'`` or ``'momentum'``.
        offset: index of the first scheduler of this section in the final ``param_scheduler``.
        runner: the context's RunnerInfo; ``epoch_length``: L or None.
        bases: base values of the param groups (lrs, or momenta).
    """

    def __init__(self, section: str, config: Dict[str, Any], param: str, offset: int, runner: Any,
                 epoch_length: Optional[int], bases: List[float]) -> None:
        self.section, self.cfg, self.param, self.offset = section, copy.deepcopy(config), param, offset
        self.runner, self.epoch_length, self.bases = runner, epoch_length, bases
        self.suffix = 'LR' if param == 'lr' else 'Momentum'
        self.schedulers: List[Dict[str, Any]] = []
        self.entries: Dict[str, Entry] = {}
        # Set by the policy: does the v2 form depend on L that we do not know (approximate)?
        self.length_dependent = False
        # Set by the policy: facts the warmup/overlap analysis needs.
        self.floor = False           # main schedule has a non-zero floor (chained update is affine)
        self.absolute = False        # main schedule writes absolute values (restarts, OneCycle)
        self.first_update: Optional[int] = None  # iteration of the main's first value change
        # Optimizer facts some policies need (OneCycle looks values up by optimizer class name).
        self.optimizer_type = 'SGD'
        self.uses_betas = False
        self.optimizer_momentum: Optional[float] = None  # set by OneCycle momentum (v1 before_run)

    # -- units ------------------------------------------------------------------------------------
    @property
    def iter_runner(self) -> bool:
        return self.runner.kind == 'iter'

    def total_iters(self) -> Optional[int]:
        """I: iterations of the run (None for an epoch runner without --epoch-length)."""
        return self.runner.total_iters(self.epoch_length)

    def horizon(self, by_epoch: bool) -> Optional[int]:
        """T in the policy's unit: E for by-epoch policies, else I (None when unknown)."""
        return self.runner.max_epochs if by_epoch else self.total_iters()

    def epoch_to_iter(self, epochs: int) -> Optional[int]:
        return None if self.epoch_length is None else epochs * self.epoch_length

    # -- output -----------------------------------------------------------------------------------
    def add(self, kind: str, by_epoch: bool, begin: Optional[float] = None, end: Optional[float] = None,
            convert: bool = False, **args: Any) -> int:
        """Append ``{kind}{LR|Momentum}``; returns its index in the final list."""
        sched: Dict[str, Any] = {'type': kind + self.suffix}
        sched.update(args)
        sched['by_epoch'] = by_epoch
        if begin is not None:
            sched['begin'] = begin
        if end is not None:
            sched['end'] = end
        if convert:
            sched['convert_to_iter_based'] = True
        self.schedulers.append(sched)
        return self.offset + len(self.schedulers) - 1

    def jump(self, at: int, weight: float) -> int:
        """Set every group to ``weight * base`` at iteration ``at`` (absolute, one step only).

        mmengine has no "set value" scheduler, but a one-iteration ``CosineRestart`` period
        restarts at exactly ``base * restart_weight`` and does nothing afterwards.
        """
        return self.add('CosineRestart', False, at, at + 1, periods=[1], restart_weights=[weight],
                        eta_min=0.0)

    def linear_segment(self, begin: int, steps: int, start: float, stop: float, by_epoch: bool = False,
                       current: Optional[float] = 1.0) -> int:
        """Linear ramp from ``start*base`` to ``stop*base`` reached ``steps`` steps after ``begin``.

        ``current`` is the value (as a multiple of the base) the groups hold when the ramp begins,
        None if unknown. ``LinearLR`` factors must lie in [0, 1] and act on the current value, so
        the groups first jump to the higher end when they do not already hold it, and the ramp is
        expressed relative to it. ``end = begin + steps + 1``: LinearLR reaches its end factor at
        step ``end - 1``. A jump is iteration-granular, so by-epoch ramps may only jump at 0.
        Returns the index of the LinearLR.
        """
        top = max(start, stop)
        if current is None or top != current:
            if by_epoch and begin != 0:
                raise ConversionError('internal: an epoch-based ramp cannot jump after iteration 0',
                                      key=self.section)
            self.jump(begin, top)
        return self.add('Linear', by_epoch, begin, begin + steps + 1,
                        start_factor=start / top, end_factor=stop / top)

    def path(self, index: int, field: str) -> str:
        return f'param_scheduler[{index}].{field}'

    def mark(self, key: str, status: str, to: Optional[str], reason: str = '',
             bound: Optional[float] = None, numeric: bool = True) -> None:
        """Record the entry of ``section.key`` (``key=''`` is the whole section).

        A key the user did not write (a v1 default) is reported on ``policy``. An entry never
        gets better: marking exact over an approximate/dropped entry only fills in its ``to``.
        ``numeric=False`` marks a difference the traces cannot show (its bound is never measured).
        """
        if key and key not in self.cfg:
            key = 'policy'
        full = f'{self.section}.{key}' if key else self.section
        old = self.entries.get(full)
        if old is not None and _SEVERITY[old.status] > _SEVERITY[status]:
            old.to = old.to or to
            return
        self.entries[full] = Entry(full, status, to, reason, bound=bound,
                                   param=self.param if numeric else None)

    def exact(self, key: str, to: Optional[str], reason: str = '') -> None:
        self.mark(key, EXACT, to, reason)

    def approx(self, key: str, to: Optional[str], reason: str, bound: Optional[float] = None,
               numeric: bool = True) -> None:
        self.mark(key, APPROXIMATE, to, reason, bound, numeric)

    def drop(self, key: str, reason: str) -> None:
        self.mark(key, DROPPED, None, reason)

    def approx_no_length(self, key: str, to: Optional[str], what: str,
                         bound: Optional[float] = None) -> None:
        """An approximation forced by the unknown epoch length."""
        self.length_dependent = True
        self.approx(key, to, f'{what}; exact with --epoch-length', bound)

    def finish_entries(self, default_to: Optional[str], reason: str = '') -> List[Entry]:
        """Entries for every key of the section, in the v1 key order; unmarked keys are exact."""
        out = []
        for key in self.cfg:
            full = f'{self.section}.{key}'
            if full not in self.entries:
                self.exact(key, default_to, reason)
            out.append(self.entries[full])
        # whole-section notes (key '') go first when present
        if self.section in self.entries:
            out.insert(0, self.entries[self.section])
        return out
