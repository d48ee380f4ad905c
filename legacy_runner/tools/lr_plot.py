"""``plot-lr``: draw (or tabulate) the traced LR/momentum of one config, optionally against another.

:func:`lr_figure` returns the matplotlib Figure (tests read its lines back); :func:`format_table`
prints the same numbers exactly (``repr`` of every float); :func:`plot_lr` is the whole command,
shared by ``python -m legacy_runner plot-lr`` and ``convert-config --plot``.
"""
import sys
from typing import Any, List, Mapping, Optional, Sequence, TextIO, Tuple

from . import plotting
from .lr_trace import ScheduleTrace, compare, detect_format, format_diff, resolve_epoch_length, trace_config

_LINESTYLES = ('-', '--', ':', '-.')


def _param_keys(traces: Sequence[ScheduleTrace]) -> List[str]:
    """'lr', plus 'momentum' when any of the traces schedules it."""
    return ['lr'] + (['momentum'] if any(t.momentum_scheduled for t in traces) else [])


def lr_figure(traces: Sequence[ScheduleTrace], fig: Any = None, title: Optional[str] = None) -> Any:
    """One axes per scheduled parameter (lr, momentum), one line per config and param group.

    ``fig``: a matplotlib Figure to draw on (a new pyplot-free one by default). Returns the figure.
    """
    if fig is None:
        fig = plotting.new_figure(figsize=(8, 6 if len(_param_keys(traces)) > 1 else 4))
    keys = _param_keys(traces)
    axes = fig.subplots(len(keys), 1, sharex=True, squeeze=False)[:, 0]
    for ax, key in zip(axes, keys):
        for i, trace in enumerate(traces):
            xs = [rec['iter'] for rec in trace.records]
            for g in range(trace.num_groups):
                if key == 'momentum' and not trace.has_momentum:
                    continue
                ax.plot(xs, trace.values(key, g), linestyle=_LINESTYLES[i % len(_LINESTYLES)],
                        linewidth=1.5 if i == 0 else 1.2,
                        label=f'{trace.label} {key}, base lr {trace.base_lrs[g]:g}')
        ax.set_ylabel(key)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize='small')
    length = traces[0].epoch_length
    axes[-1].set_xlabel('iteration' + (f' (epoch length {length})' if length else ''))
    fig.suptitle(title or ' vs '.join(t.label for t in traces))
    fig.tight_layout()
    return fig


def table_columns(traces: Sequence[ScheduleTrace]) -> List[Tuple[str, int, str, int]]:
    """``(name, trace index, key, group)`` of every value column of the table."""
    prefixes = [''] if len(traces) == 1 else [f'{chr(ord("A") + i)}.' for i in range(len(traces))]
    cols = []
    for key in _param_keys(traces):
        for i, trace in enumerate(traces):
            if key == 'momentum' and not trace.has_momentum:
                continue
            cols += [(f'{prefixes[i]}{key}[{g}]', i, key, g) for g in range(trace.num_groups)]
    return cols


def format_table(traces: Sequence[ScheduleTrace]) -> List[str]:
    """The per-iteration values as text: ``#`` comment lines, a header, one row per iteration.

    Values are ``repr(float)``: parsing them back gives exactly the traced numbers.
    """
    lines = []
    for i, trace in enumerate(traces):
        name = f'{chr(ord("A") + i)} = ' if len(traces) > 1 else ''
        lrs = ', '.join(repr(v) for v in trace.base_lrs)
        lines.append(f'# {name}{trace.path} ({trace.fmt}), param-group base lrs {lrs}, '
                     f'epoch length {trace.epoch_length or "n/a"}')
    cols = table_columns(traces)
    width = max([22] + [len(c[0]) + 1 for c in cols])
    lines.append(f'{"iter":>7} {"epoch":>6}' + ''.join(f'{c[0]:>{width}}' for c in cols))
    for it, rec in enumerate(traces[0].records):
        cells = ''.join(f'{traces[i].records[it][key][g]!r:>{width}}' for _, i, key, g in cols)
        lines.append(f'{rec["iter"]:>7} {rec["epoch"]:>6}' + cells)
    return lines


def build_traces(configs: Sequence[Tuple[Mapping[str, Any], str]],
                 epoch_length: Optional[int]) -> Tuple[List[ScheduleTrace], str]:
    """Trace every ``(cfg, path)`` with one shared epoch length; returns the traces and a note."""
    detected = [(cfg, path, detect_format(cfg, path)) for cfg, path in configs]
    length, note = resolve_epoch_length(detected, epoch_length)
    return [trace_config(cfg, path, length, fmt) for cfg, path, fmt in detected], note


def plot_lr(configs: Sequence[Tuple[Mapping[str, Any], str]], epoch_length: Optional[int] = None,
            out: Optional[str] = None, table: bool = False, title: Optional[str] = None,
            stream: Optional[TextIO] = None) -> int:
    """The command: trace, compare (two configs), then draw, or tabulate without matplotlib."""
    stream = stream or sys.stdout
    traces, note = build_traces(configs, epoch_length)
    if note:
        stream.write(note + '\n')
    if len(traces) > 1:
        for line in format_diff(compare(traces[0], traces[1]), traces[0], traces[1]):
            stream.write(line + '\n')
    has_mpl = plotting.have_matplotlib()
    if not has_mpl:
        plotting.warn_no_matplotlib()
    if table or not has_mpl:
        stream.write('\n'.join(format_table(traces)) + '\n')
    if has_mpl:
        plotting.show_or_save(lambda fig: lr_figure(traces, fig, title), out,
                              figsize=(8, 6 if len(_param_keys(traces)) > 1 else 4))
        if out:
            stream.write(f'wrote {out}\n')
    return 0
