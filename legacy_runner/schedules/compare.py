"""Compare two traces (v1 vs v2, or either vs a recorded run): what the converter's --verify needs."""
import math
from typing import Any, Dict, Optional, Sequence, Tuple

from .v1 import v1_trace
from .v2 import v2_trace


class TraceDiff:
    """Largest absolute and relative difference between two traces, and where the relative one is.

    ``where`` is ``(iter, key, group)``; the relative difference is taken against the first trace.
    """

    def __init__(self, max_abs: float = 0.0, max_rel: float = 0.0,
                 where: Optional[Tuple[int, str, int]] = None) -> None:
        self.max_abs, self.max_rel, self.where = max_abs, max_rel, where

    def exact(self, rel_tol: float = 1e-12, abs_tol: float = 1e-15) -> bool:
        """True when every relative difference is <= rel_tol, or every absolute one <= abs_tol."""
        return self.max_rel <= rel_tol or self.max_abs <= abs_tol

    def __repr__(self) -> str:
        return f'TraceDiff(max_abs={self.max_abs:.3g}, max_rel={self.max_rel:.3g}, where={self.where})'


def trace_diff(reference: Sequence[Dict[str, Any]], other: Sequence[Dict[str, Any]],
               keys: Sequence[str] = ('lr', 'momentum')) -> TraceDiff:
    """Compare two per-iteration traces record by record (they must have the same length)."""
    if len(reference) != len(other):
        raise ValueError(f'traces differ in length: {len(reference)} vs {len(other)}')
    diff = TraceDiff()
    for rec_a, rec_b in zip(reference, other):
        for key in keys:
            for group, (a, b) in enumerate(zip(rec_a[key], rec_b[key])):
                delta = abs(a - b)
                rel = delta / abs(a) if a != 0 else (0.0 if delta == 0 else math.inf)
                diff.max_abs = max(diff.max_abs, delta)
                if rel > diff.max_rel:
                    diff.max_rel, diff.where = rel, (rec_a['iter'], key, group)
    return diff


def compare_v1_v2(lr_config: Optional[Dict[str, Any]], momentum_config: Optional[Dict[str, Any]],
                  runner: Dict[str, Any], param_scheduler: Any, train_cfg: Dict[str, Any],
                  iters_per_epoch: int, base_lrs: Sequence[float],
                  base_momenta: Optional[Sequence[float]] = None, optimizer_name: str = 'SGD',
                  keys: Sequence[str] = ('lr', 'momentum')) -> TraceDiff:
    """Trace a v1 schedule and its v2 conversion on the same groups and diff them (v1 = reference)."""
    a = v1_trace(lr_config, momentum_config, runner, iters_per_epoch, base_lrs, base_momenta, optimizer_name)
    b = v2_trace(param_scheduler, train_cfg, iters_per_epoch, base_lrs, base_momenta)
    return trace_diff(a, b, keys)
