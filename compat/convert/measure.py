"""Fast per-group difference between a v1 schedule and its v2 conversion, over the whole run.

The same computation as ``trace_diff(v1_trace(...), v2_trace(...))`` (the shared schedule functions:
the v1 policies, warmup functions and V1Schedule on one side, the v2 specs and ``scheduler_step``
bookkeeping on the other), done in one pass without building the traces, and skipping spans where
provably neither side changes a value: inside an epoch, once v1 only updates per epoch (past its
warmup) and no iteration-based v2 scheduler is active. Those iterations repeat the values of the
iteration before them, so the maximum over the run is unchanged. This keeps a 300-epoch run at
1,000 iterations per epoch (the report's default length) at a few milliseconds.

``tests/test_convert_bounds.py`` checks it against the traced difference on every golden case.
"""
import math
from typing import Any, Dict, List, Optional, Sequence, Tuple, cast

from legacy_runner.schedules import (
    CosineAnnealingLrPolicy,
    CosineAnnealingSchedule,
    PolyLrPolicy,
    PolySchedule,
    ReduceOnPlateauSchedule,
)
from legacy_runner.schedules.v1 import _runner_lengths, v1_before_run
from legacy_runner.schedules.v2 import build_v2_schedules, loop_lengths

PARAMS = ('lr', 'momentum')
# Spans at least this long, where every value has an array form, are evaluated with numpy (a long
# warmup at the default length: 70 epochs x 1,000 iterations); shorter ones are not worth it.
MIN_SPAN = 12


class GroupDiff:
    """Largest relative difference of each param group, per parameter, and where it happens.

    ``rel[param][group]`` is ``max |v1 - v2| / |v1|`` over the run (v1 is the reference; a v1 value
    of 0 with a different v2 value counts as infinite); ``where[param][group]`` its iteration.
    """

    def __init__(self, n_groups: int) -> None:
        self.rel: Dict[str, List[float]] = {p: [0.0] * n_groups for p in PARAMS}
        self.where: Dict[str, List[Optional[int]]] = {p: [None] * n_groups for p in PARAMS}
        self.iterations = 0  # iterations of the run (skipped ones included)
        self.evaluated = 0   # iterations actually evaluated
        self.by_array = 0    # of which in numpy spans
        self.tail_from: Optional[int] = None  # iteration after which the difference provably shrinks

    def max_rel(self, param: str) -> float:
        return max(self.rel[param], default=0.0)

    def merge(self, other: 'GroupDiff') -> None:
        """Keep the larger value of every (param, group)."""
        for p in PARAMS:
            for g, value in enumerate(other.rel[p]):
                if value > self.rel[p][g]:
                    self.rel[p][g], self.where[p][g] = value, other.where[p][g]
        self.iterations += other.iterations
        self.evaluated += other.evaluated
        self.by_array += other.by_array

    def worst(self, param: str) -> Tuple[float, Optional[int], Optional[int]]:
        """``(max rel, iteration, group)`` of ``param`` over all groups."""
        values = self.rel[param]
        if not values:
            return 0.0, None, None
        g = max(range(len(values)), key=values.__getitem__)
        return values[g], self.where[param][g], g


class _Track:
    __slots__ = ('spec', 'bases', 'param', 'g', 'last', 'by_epoch', 'begin', 'end')

    def __init__(self, spec: Any, bases: List[float]) -> None:
        self.spec, self.bases, self.param = spec, bases, spec.param
        self.g, self.last = -1, -1
        self.by_epoch, self.begin, self.end = spec.by_epoch, spec.begin, spec.end

    def step(self, values: Dict[str, List[float]]) -> None:
        # scheduler_step of the shared module, inlined: only the active range changes values
        self.g += 1
        if self.begin <= self.g < self.end:
            self.last += 1
            t, value, cur = self.last, self.spec.value, values[self.param]
            values[self.param] = [value(t, v, b, i) for i, (v, b) in enumerate(zip(cur, self.bases))]


def _v2_setup(param_scheduler: Any, train_cfg: Dict[str, Any], epoch_length: int,
              base_lrs: Sequence[float], base_momenta: Optional[Sequence[float]]) -> Tuple[list, dict, bool]:
    """Scheduler construction, as ``v2_trace`` does it; ``(tracks, values, has_plateau)``."""
    specs = build_v2_schedules(param_scheduler, train_cfg, epoch_length)
    n = len(base_lrs)
    values = {'lr': [float(v) for v in base_lrs],
              'momentum': [float(v) for v in base_momenta] if base_momenta is not None else [0.0] * n}
    initial: Dict[str, List[float]] = {}
    tracks, plateau = [], False
    for spec in specs:
        p = spec.param
        if p == 'momentum' and base_momenta is None:
            raise ValueError('optimizer must support momentum when using momentum scheduler')
        if p not in values:
            raise ValueError(f'cannot trace param {p!r}; only lr and momentum are tracked')
        if isinstance(spec, ReduceOnPlateauSchedule):
            plateau = True  # never changes a value without metrics: not tracked
            continue
        init = spec.group_init(n)
        if init is not None:
            initial[p] = [g[f'initial_{p}'] for g in init]
        initial.setdefault(p, list(values[p]))
        track = _Track(spec, list(initial[p]))
        track.step(values)  # the constructor's step()
        tracks.append(track)
    return tracks, values, plateau


def _floors(policy: Any, spec: Any, v1_bases: Sequence[float], v2_bases: Sequence[float]) -> Optional[list]:
    """Per-group floor when the v1 policy and the v2 spec anneal along the same curve to the same
    floor, over the whole run from iteration 0 (None otherwise)."""
    if isinstance(policy, PolyLrPolicy) and type(spec) is PolySchedule:
        if spec.power != policy.power or spec.power <= 0 or spec.eta_min != policy.min_lr:
            return None
        return [policy.min_lr] * len(v1_bases)
    if isinstance(policy, CosineAnnealingLrPolicy) and type(spec) is CosineAnnealingSchedule:
        out = []
        for b1, b2 in zip(v1_bases, v2_bases):
            m1 = policy.minimum if policy.ratio is None else b1 * policy.ratio  # min_lr, min_lr_ratio
            m2 = spec.eta_min if spec.eta_min_ratio is None else b2 * spec.eta_min_ratio
            if m1 != m2:
                return None
            out.append(m1)
        return out
    return None


def _steady_tail(it: int, scheds: list, w_iters: list, v1_bases: list, v1: dict, tracks: list,
                 params: Sequence[str], max_iters: int) -> Optional[str]:
    """Whether iterations after ``it`` need no evaluation: None (they do), ``'shrinks'`` (no later
    iteration shows a larger relative difference than ``it``) or ``'last'`` (none shows a larger one
    than ``it`` or the last iteration, which the caller evaluates).

    From ``it`` on, each changing parameter is driven on both sides by the same per-iteration
    annealing (poly or cosine to a floor m >= 0, v1 past its warmup, one v2 scheduler left, started
    at 0). Both follow x_t = (x_{t-1} - m) * r_t + m. With the same r_t (the v2 horizon is the run's
    length N), the difference e_t = e_it * (a_t - m) / (a_it - m); the relative difference
    e_t / a_t = (e_it / (a_it - m)) * (1 - m / a_t) cannot grow while a_t decreases towards m.
    With mmengine's PolyLR horizon N - 1 against mmcv's poly over N and m = 0, the ratio
    u_t = x_t / a_t = u_it * ((N-1-t) (N-it) / ((N-1-it) (N-t)))^p decreases strictly to 0 at the
    last iteration, so |1 - u_t| is largest at ``it`` or at the last iteration.
    """
    for k, s in enumerate(scheds):
        if s.warmup is not None and (w_iters[k] is None or it < w_iters[k]):
            return None
    verdict = 'shrinks'
    for p in params:
        mine = [k for k, s in enumerate(scheds) if s.param == p]
        live = [t for t in tracks if t.param == p and t.end > t.g + 1]
        if len(mine) != 1 or len(live) != 1:
            return None
        k, t = mine[0], live[0]
        s, spec = scheds[k], t.spec
        if s.by_epoch or t.by_epoch or t.begin != 0 or t.last != t.g or t.g != it:
            return None
        horizon = spec.T_max if type(spec) is CosineAnnealingSchedule else spec.total_iters
        floors = _floors(s.policy, spec, v1_bases[k], t.bases)
        if floors is None:
            return None
        if horizon != max_iters:
            if not (type(spec) is PolySchedule and horizon == max_iters - 1 and all(m == 0 for m in floors)
                    and t.end > max_iters - 1 and it < max_iters - 1):
                return None
            verdict = 'last'
        for b, m, a in zip(v1_bases[k], floors, v1[p]):
            if m < 0 or b < m or not a > m:
                return None
    return verdict


def _compare_last(max_iters: int, v1_iter: list, v2: dict, tracks: list, params: Sequence[str],
                  out: GroupDiff) -> None:
    """Compare the last iteration, where the v2 poly has reached its floor: the v2 value there does
    not depend on the value before it (factor 0), the v1 value is the policy's at N - 1."""
    last = max_iters - 1
    for p in params:
        t = next(t for t in tracks if t.param == p and t.end > t.g + 1)
        _, _, value, bases = next(entry for entry in v1_iter if entry[1].param == p)
        a_vals = [value(b, last, max_iters) for b in bases]
        b_vals = [t.spec.value(last, v, b, i) for i, (v, b) in enumerate(zip(v2[p], t.bases))]
        r_p, w_p = out.rel[p], out.where[p]
        for g, (a, b) in enumerate(zip(a_vals, b_vals)):
            if a != b:
                d = abs(a - b) / abs(a) if a != 0 else math.inf
                if d > r_p[g]:
                    r_p[g], w_p[g] = d, last
    out.evaluated += 1


def _span_end(it: int, boundary: int, w_iters: list, iter_tracks: list) -> int:
    """First iteration after ``it`` where the per-iteration rules change (0: ``it`` itself is one):
    the epoch boundary, a warmup's end (``w`` and ``w + 1``), a scheduler's begin or end."""
    end = boundary
    for w in w_iters:
        if w is None or it == w:
            return 0
        if it < w:
            end = min(end, w)
    for t in iter_tracks:
        for edge in (t.begin, t.end):  # iteration i steps the global step to g + 1 + (i - it)
            i = it + edge - t.g - 1
            if i > it:
                end = min(end, i)
    return end


def _v2_sequence(v: float, coefs: List[Tuple[list, list, list]], n: int) -> Tuple[list, float]:
    """Values before each of ``n`` steps of the active schedulers of one group, and the value after."""
    seq = [0.0] * n
    if len(coefs) == 2:  # a warmup over the main schedule: the common case, unrolled
        (s1, k1, a1), (s2, k2, a2) = coefs
        for j, (x1, y1, z1, x2, y2, z2) in enumerate(zip(s1, k1, a1, s2, k2, a2)):
            seq[j] = v
            v = ((v - x1) * y1 + z1 - x2) * y2 + z2
        return seq, v
    for j in range(n):
        seq[j] = v
        for s, k, a in coefs:
            v = (v - s[j]) * k[j] + a[j]
    return seq, v


def _array_span(it: int, end: int, max_iters: int, v1_iter: list, v1_epoch: list, w_iters: list,
                regular: list, v1: dict, iter_tracks: list, v2: dict, params: Sequence[str],
                out: GroupDiff) -> Optional[bool]:
    """Evaluate iterations ``it .. end-1`` with numpy. Nothing changes when it answers None (a
    value has no array form) or False (nothing moves in the span: the scalar loop skips it).

    Inside the span no rule changes (see ``_span_end``): v1 values come from the policies' array
    forms and the warmup functions, v2 values from each active scheduler's ``(s, k, a)`` steps run
    in order, and the comparison is the scalar loop's, maximum and first iteration included. The
    values agree with the scalar loop to a few units in the last place (numpy's cos and pow).
    """
    import numpy as np
    n = end - it
    its = np.arange(it, end)
    new_v1: Dict[str, list] = {}
    for k, s, _, bases in v1_iter:
        reg = [s.policy.values(b, its, max_iters) for b in bases]
        if any(r is None for r in reg):
            return None
        reg = [np.broadcast_to(np.asarray(r, dtype=float), (n, )) for r in reg]
        w = w_iters[k]
        new_v1[s.param] = reg if s.warmup is None or it >= w else s.warmup_values(its, w, reg)
    for k, s in v1_epoch:
        w = w_iters[k]
        if s.warmup is not None and it < w and regular[k]:
            new_v1[s.param] = s.warmup_values(its, w, regular[k])
    active = [t for t in iter_tracks if t.begin <= t.g + 1 < t.end]
    coefs: Dict[str, list] = {p: [[] for _ in v2[p]] for p in v2}
    for t in active:
        ts = np.arange(t.last + 1, t.last + 1 + n)
        for g, b in enumerate(t.bases):
            c = t.spec.coefficients(ts, b, g)
            if c is None:
                return None
            coefs[t.param][g].append(tuple(np.broadcast_to(x, (n, )).tolist() for x in c))
    if not new_v1 and not active:
        return False  # nothing moves: the scalar loop skips such spans for free
    for p in params:
        for g in range(len(v2[p])):
            seq, last = _v2_sequence(v2[p][g], coefs[p][g], n)
            b_vals = np.array(seq)
            a_vals = (np.broadcast_to(np.asarray(new_v1[p][g], dtype=float), (n, )) if p in new_v1
                      else np.full(n, v1[p][g]))
            with np.errstate(divide='ignore', invalid='ignore'):
                d = np.abs(a_vals - b_vals) / np.abs(a_vals)
            d = np.where(a_vals == b_vals, 0.0, np.where(a_vals == 0, np.inf, d))
            d = np.where(np.isnan(d), 0.0, d)  # the scalar loop never records a NaN
            j = int(np.argmax(d))
            if d[j] > out.rel[p][g]:
                out.rel[p][g], out.where[p][g] = float(d[j]), it + j
            v2[p][g] = last
    for p, vals in new_v1.items():
        v1[p] = [float(np.broadcast_to(x, (n, ))[-1]) for x in vals]
    for t in iter_tracks:
        t.g += n
    for t in active:
        t.last += n
    out.evaluated += n
    out.by_array += n
    return True


def group_diff(lr_cfg: Any, mom_cfg: Any, runner: Dict[str, Any], epoch_length: int,
               base_lrs: Sequence[float], base_momenta: Optional[Sequence[float]], optimizer_name: str,
               param_scheduler: Any, train_cfg: Dict[str, Any],
               v2_momenta: Optional[Sequence[float]]) -> GroupDiff:
    """Per-group max relative lr/momentum difference of v1 (reference) vs v2 over the whole run."""
    L = epoch_length
    iter_runner, max_iters, max_epochs = _runner_lengths(dict(runner), L)
    scheds, v1_bases, v1 = v1_before_run(lr_cfg, mom_cfg, iter_runner, max_iters, base_lrs, base_momenta,
                                         optimizer_name)
    tracks, v2, _ = _v2_setup(param_scheduler, train_cfg, L, base_lrs, v2_momenta)
    epoch_loop, _, v2_iters = loop_lengths(train_cfg, L)
    if v2_iters != max_iters:
        raise ValueError(f'traces differ in length: {max_iters} vs {v2_iters}')
    iter_tracks = [t for t in tracks if not t.by_epoch]
    epoch_tracks = [t for t in tracks if t.by_epoch]
    regular: List[list] = [[] for _ in scheds]
    w_iters = [s.warmup_iters_for(None) for s in scheds]
    out = GroupDiff(len(base_lrs))
    rel, where = out.rel, out.where
    # params that some scheduler changes; the others are compared once (they stay constant)
    moving = {s.param for s in scheds} | {t.param for t in tracks}
    tail_ok = moving <= {'lr'}
    next_check = 0
    moving_params = [p for p in PARAMS if p in moving]
    v1_iter = [(k, s, s.policy.value, v1_bases[k]) for k, s in enumerate(scheds) if not s.by_epoch]
    v1_epoch = [(k, s) for k, s in enumerate(scheds) if s.by_epoch]
    by_epochs = epoch_loop or not iter_runner

    def boundary_after(i: int) -> int:  # the next iteration where an epoch's updates happen
        return min(((i // L) + 1) * L if by_epochs else max_iters, max_iters)

    arrays_ok, next_span = True, 1
    it = 0
    while it < max_iters:
        if arrays_ok and it >= next_span and (iter_runner or it % L):
            end = _span_end(it, boundary_after(it), w_iters, iter_tracks)
            done = None if end - it < MIN_SPAN else _array_span(
                it, end, max_iters, v1_iter, v1_epoch, w_iters, regular, v1, iter_tracks, v2, moving_params,
                out)
            if done:
                if epoch_loop and end % L == 0:
                    for t in epoch_tracks:
                        t.step(v2)
                it = end
                continue
            arrays_ok = done is not None or end - it < MIN_SPAN
            next_span = max(end, it + 1)
        # ---- v1: what the hooks leave in the groups at before_train_iter (v1_trace's loop body)
        if iter_runner:
            epoch = 0 if it == 0 else (it - 1) // L
        else:
            epoch, inner = divmod(it, L)
            if inner == 0:
                for k, s in enumerate(scheds):
                    if w_iters[k] is None:
                        w_iters[k] = s.warmup_iters_for(L)
                    if s.by_epoch:
                        regular[k] = s.regular(v1_bases[k], it, epoch, max_iters, max_epochs)
                        v1[s.param] = list(regular[k])
        for k, s, value, bases in v1_iter:
            progress, total = (epoch, max_epochs) if s.by_epoch else (it, max_iters)
            reg = [value(b, progress, total) for b in bases]
            regular[k] = reg
            w = cast(int, w_iters[k])  # set at iteration 0 (an epoch start) before any use
            v1[s.param] = reg if s.warmup is None or it >= w else s.warmup_values(it, w, reg)
        for k, s in v1_epoch:
            w = cast(int, w_iters[k])  # as above
            if s.warmup is not None and it <= w and regular[k]:
                v1[s.param] = list(regular[k]) if it == w else s.warmup_values(it, w, regular[k])
        # ---- compare with the v2 values at before_train_iter
        for p in (moving_params if it else PARAMS):
            r_p, w_p = rel[p], where[p]
            for g, (a, b) in enumerate(zip(v1[p], v2[p])):
                if a != b:
                    d = abs(a - b) / abs(a) if a != 0 else math.inf
                    if d > r_p[g]:
                        r_p[g], w_p[g] = d, it
        out.evaluated += 1
        if tail_ok and it >= next_check and v1_iter:
            verdict = _steady_tail(it, scheds, w_iters, v1_bases, v1, tracks, moving_params, max_iters)
            if verdict is not None:
                out.tail_from = it
                if verdict == 'last':
                    _compare_last(max_iters, v1_iter, v2, tracks, moving_params, out)
                break
            next_check = it + 1 + it // 16  # checked ever more rarely: a few % of the loop at most
        # ---- v2: ParamSchedulerHook after_train_iter / after_train_epoch
        for t in iter_tracks:
            t.g += 1
            if t.begin <= t.g < t.end:
                t.last += 1
                value, cur, tl = t.spec.value, v2[t.param], t.last
                v2[t.param] = [value(tl, v, b, i) for i, (v, b) in enumerate(zip(cur, t.bases))]
        if epoch_loop and (it + 1) % L == 0:
            for t in epoch_tracks:
                t.step(v2)
        # ---- skip iterations where neither side can change a value
        nxt = it + 1
        if not v1_iter:
            boundary = boundary_after(it)
            quiet_v1 = all(s.warmup is None or not regular[k]
                           or (wk is not None and it + 1 > wk) for k, s in v1_epoch for wk in (w_iters[k], ))
            if quiet_v1:
                stop = boundary
                for t in iter_tracks:
                    first = max(t.begin, it + 2)
                    if first < min(t.end, boundary):
                        stop = min(stop, first)
                skip = stop - it - 2
                if skip > 0:
                    for t in iter_tracks:
                        t.g += skip  # inactive steps only advance the global step
                    nxt = stop - 1
        it = nxt
    out.iterations = max_iters
    return out
