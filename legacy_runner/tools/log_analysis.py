"""``analyze-logs``: training curves and train-time statistics of v1 and v2 runs, side by side.

Two JSON-lines formats are read, told apart by their content:

* v1 (mmcv 1.x ``TextLoggerHook``, ``<timestamp>.log.json``): an optional first meta line, then
  records with ``mode`` ('train'/'val'), ``epoch`` and ``iter`` (the iteration inside the epoch for
  epoch runners, the global one for IterBasedRunner);
* v2 (mmengine-style ``vis_data/scalars.json``): train records with the global ``iter`` (and
  ``epoch`` for epoch loops), validation records with only ``step`` (the epoch, or the iteration).

Both become a :class:`RunLog` with train records on the global iteration and validation records on
their epoch/step, so a v1 run and its v2 twin share one x axis.
"""
import glob
import json
import os
import statistics
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..errors import ConfigError

V1, V2 = 'v1', 'v2'


class RunLog:
    """One run's scalars: ``train`` records carry ``_x`` (global iteration, 1-based) and ``_epoch``
    (None for an iteration loop without epochs); ``val`` records carry ``_x`` (epoch or step)."""

    def __init__(self, path: str, fmt: str, train: List[Dict[str, Any]], val: List[Dict[str, Any]],
                 by_epoch: bool) -> None:
        self.path, self.fmt, self.train, self.val, self.by_epoch = path, fmt, train, val, by_epoch

    def keys(self) -> List[str]:
        """Every scalar name found in the log (train keys first)."""
        seen: Dict[str, None] = {}
        for rec in self.train + self.val:
            for k, v in rec.items():
                if not k.startswith('_') and isinstance(v, (int, float)) and not isinstance(v, bool):
                    seen.setdefault(k, None)
        return [k for k in seen if k not in ('epoch', 'iter', 'step')]

    def curve(self, key: str, start_epoch: int = 1) -> Tuple[List[float], List[float], str]:
        """``(xs, ys, xlabel)`` of ``key``: train records if they have it, else validation ones."""
        train = [r for r in self.train if key in r]
        if train:
            return [r['_x'] for r in train], [r[key] for r in train], 'iter'
        val = [r for r in self.val if key in r and (not self.by_epoch or r['_x'] >= start_epoch)]
        if val:
            return [r['_x'] for r in val], [r[key] for r in val], 'epoch' if self.by_epoch else 'iter'
        raise ConfigError(f'{self.path} does not contain metric {key!r} (it has: {", ".join(self.keys())})')

    def epoch_times(self, include_outliers: bool = False) -> Dict[int, List[float]]:
        """Train ``time`` values per epoch; the first record of every epoch is left out (it pays
        for loader start-up) unless ``include_outliers``. An iteration loop is one group, 1."""
        groups: Dict[int, List[float]] = {}
        for rec in self.train:
            if 'time' in rec:
                groups.setdefault(rec['_epoch'] or 1, []).append(float(rec['time']))
        if not include_outliers:
            groups = {e: times[1:] for e, times in groups.items()}
        return {e: times for e, times in groups.items() if times}


def _read_records(path: str) -> List[Dict[str, Any]]:
    records = []
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise ConfigError(f'{path}:{n}: not a JSON-lines log ({e.msg})') from e
            if isinstance(rec, dict):
                records.append(rec)
    return records


def detect_log_format(records: Sequence[Dict[str, Any]]) -> Optional[str]:
    """'v1' when records have ``mode``, 'v2' when they have ``step``, None otherwise."""
    if any('mode' in r for r in records):
        return V1
    if any('step' in r for r in records):
        return V2
    return None


def _v1(path: str, records: List[Dict[str, Any]]) -> RunLog:
    train, val = [], []
    offset, last_epoch, last_iter, inner = 0, None, 0, False
    for rec in records:
        if 'mode' not in rec or 'epoch' not in rec:
            continue  # the meta line
        if rec['mode'] == 'train':
            epoch, it = int(rec['epoch']), int(rec.get('iter', 0))
            if last_epoch is not None and epoch != last_epoch and it <= last_iter:
                inner = True  # the counter restarted: epoch-runner iterations inside the epoch
                offset += last_iter
            last_epoch, last_iter = epoch, it
            train.append(dict(rec, _x=offset + it, _epoch=epoch))
        else:
            val.append(dict(rec, _x=int(rec['epoch']), _after_iter=offset + last_iter))
    by_epoch = inner or len({r['_epoch'] for r in train}) <= 1
    if not by_epoch:  # IterBasedRunner: validation sits at the train iteration before it
        for v in val:
            v['_x'] = v['_after_iter']
    return RunLog(path, V1, train, val, by_epoch)


def _v2(path: str, records: List[Dict[str, Any]]) -> RunLog:
    train, val = [], []
    for rec in records:
        if 'iter' in rec or 'lr' in rec:
            x = int(rec.get('iter', rec.get('step', 0)))
            train.append(dict(rec, _x=x, _epoch=int(rec['epoch']) if 'epoch' in rec else None))
        elif 'step' in rec:
            val.append(dict(rec, _x=int(rec['step'])))
    by_epoch = any(r['_epoch'] is not None for r in train) or not train
    return RunLog(path, V2, train, val, by_epoch)


def resolve_log_path(path: str) -> str:
    """A log file, or a work dir / run dir: its newest ``vis_data/scalars.json`` or ``*.log.json``."""
    if not os.path.isdir(path):
        if not os.path.isfile(path):
            raise ConfigError(f'log file not found: {path}')
        return path
    found = glob.glob(os.path.join(path, 'vis_data', 'scalars.json')) + \
        glob.glob(os.path.join(path, '*', 'vis_data', 'scalars.json')) + \
        glob.glob(os.path.join(path, '*.log.json'))
    if not found:
        raise ConfigError(f'{path}: no vis_data/scalars.json or *.log.json inside')
    return max(found, key=os.path.getmtime)


def load_log(path: str) -> RunLog:
    """Read one v1 ``.log.json`` or v2 ``scalars.json`` (format detected from the records)."""
    path = resolve_log_path(path)
    records = _read_records(path)
    fmt = detect_log_format(records)
    if fmt is None:
        raise ConfigError(f'{path}: neither a v1 .log.json (records with "mode") nor a v2 '
                          'scalars.json (records with "step")')
    return _v1(path, records) if fmt == V1 else _v2(path, records)


class Curve:
    """One line of the figure."""

    def __init__(self, label: str, xs: List[float], ys: List[float], xlabel: str) -> None:
        self.label, self.xs, self.ys, self.xlabel = label, xs, ys, xlabel


def collect_curves(logs: Sequence[RunLog], keys: Sequence[str], legend: Optional[Sequence[str]] = None,
                   start_epoch: int = 1) -> List[Curve]:
    """One curve per (log, key), in that order; ``legend`` names them (default ``<log>_<key>``)."""
    if legend is not None and len(legend) != len(logs) * len(keys):
        raise ConfigError(f'--legend needs one name per log and key ({len(logs)} x {len(keys)} = '
                          f'{len(logs) * len(keys)}), got {len(legend)}')
    curves = []
    for i, log in enumerate(logs):
        for j, key in enumerate(keys):
            xs, ys, xlabel = log.curve(key, start_epoch)
            label = legend[i * len(keys) + j] if legend else f'{log.path}_{key}'
            curves.append(Curve(label, xs, ys, xlabel))
    return curves


def curve_figure(curves: Sequence[Curve], fig: Any = None, title: Optional[str] = None) -> Any:
    """All curves on one axes (per-epoch metrics with markers); returns the Figure."""
    if fig is None:
        from .plotting import new_figure
        fig = new_figure()
    ax = fig.add_subplot(1, 1, 1)
    for c in curves:
        if c.xlabel == 'epoch':
            ax.plot(c.xs, c.ys, label=c.label, marker='o')
        else:
            ax.plot(c.xs, c.ys, label=c.label, linewidth=0.5)
    ax.set_xlabel(' / '.join(dict.fromkeys(c.xlabel for c in curves)))
    ax.legend()
    if title:
        ax.set_title(title)
    return fig


def format_curves(curves: Sequence[Curve]) -> List[str]:
    """The plotted data as text: a ``#`` line per curve, then ``x y`` rows (``repr`` values)."""
    lines = []
    for c in curves:
        lines.append(f'# {c.label} ({c.xlabel}, {len(c.xs)} points)')
        lines += [f'{x} {y!r}' for x, y in zip(c.xs, c.ys)]
    return lines


class TrainTime:
    """mmdet's cal_train_time numbers for one log (seconds per iteration)."""

    def __init__(self, epoch_means: Dict[int, float], all_mean: float) -> None:
        self.epoch_means, self.all_mean = epoch_means, all_mean

    @property
    def slowest(self) -> Tuple[int, float]:
        e = max(self.epoch_means, key=lambda k: self.epoch_means[k])
        return e, self.epoch_means[e]

    @property
    def fastest(self) -> Tuple[int, float]:
        e = min(self.epoch_means, key=lambda k: self.epoch_means[k])
        return e, self.epoch_means[e]

    @property
    def std(self) -> float:
        """Population standard deviation of the per-epoch averages."""
        return statistics.pstdev(self.epoch_means.values())


def train_time(log: RunLog, include_outliers: bool = False) -> TrainTime:
    """Per-epoch average iteration time, its spread, and the overall average."""
    groups = log.epoch_times(include_outliers)
    if not groups:
        hint = '' if include_outliers else ' (try --include-outliers: every epoch has a single record)'
        raise ConfigError(f'{log.path}: no train "time" records{hint}')
    every = [t for times in groups.values() for t in times]
    return TrainTime({e: statistics.fmean(t) for e, t in groups.items()}, statistics.fmean(every))


def format_train_time(log: RunLog, tt: TrainTime) -> List[str]:
    """The cal-train-time report of one log."""
    unit = 'epoch' if log.by_epoch else 'group (the whole iteration-based run)'
    slow, fast = tt.slowest, tt.fastest
    return [f'-----Analyze train time of {log.path}-----',
            f'slowest {unit} {slow[0]}, average time is {slow[1]:.4f}',
            f'fastest {unit} {fast[0]}, average time is {fast[1]:.4f}',
            f'time std over epochs is {tt.std:.4f}',
            f'average iter time: {tt.all_mean:.4f} s/iter']
