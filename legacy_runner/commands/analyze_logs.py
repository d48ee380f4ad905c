"""``analyze-logs``: plot-curve / cal-train-time over v1 ``.log.json`` and v2 ``scalars.json`` logs.

The command lines are those of mmdet's ``tools/analysis_tools/analyze_logs.py`` (subcommands
``plot_curve``/``cal_train_time`` are accepted too), so a v1 run and its v2 twin can be analysed
together: ``analyze-logs plot-curve v1/x.log.json v2/vis_data/scalars.json --keys loss``.
"""
import argparse
import sys

NAME = 'analyze-logs'
HELP = 'plot training curves or compute train time from v1 .log.json and v2 scalars.json logs'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest='task', metavar='TASK')
    sub.required = True
    p = sub.add_parser('plot-curve', aliases=['plot_curve'], help='draw scalar curves of one or more logs',
                       description='Draw scalar curves (loss, acc, lr, ...) of logs on one figure.')
    p.add_argument('json_logs', nargs='+', metavar='LOG',
                   help='v1 .log.json or v2 vis_data/scalars.json (or a run dir containing one)')
    p.add_argument('--keys', nargs='+', default=['loss'], help='the scalars to plot (default: loss)')
    p.add_argument('--start-epoch', type=int, default=1,
                   help='first epoch shown for per-epoch (validation) metrics')
    p.add_argument('--eval-interval', type=int, default=1,
                   help='accepted for mmdet compatibility; validation records carry their own epoch')
    p.add_argument('--title', help='title of the figure')
    p.add_argument('--legend', nargs='+', help='one legend name per log and key')
    p.add_argument('--backend', help='matplotlib backend')
    p.add_argument('--style', default='dark', help='seaborn style of the figure (default: dark)')
    p.add_argument('--out', help='save the figure to this file instead of showing it')
    p.add_argument('--print', dest='print_data', action='store_true',
                   help='also print the plotted points (always printed without matplotlib)')
    t = sub.add_parser('cal-train-time', aliases=['cal_train_time'],
                       help='slowest/fastest epoch, std over epochs and average iteration time',
                       description='Per log: the slowest and fastest epoch (average train iteration '
                                   'time), the std of the epoch averages and the average iteration time.')
    t.add_argument('json_logs', nargs='+', metavar='LOG', help='v1 .log.json or v2 scalars.json')
    t.add_argument('--include-outliers', action='store_true',
                   help='include the first record of every epoch (left out by default)')


def _plot_curve(args: argparse.Namespace) -> int:
    from ..tools import plotting
    from ..tools.log_analysis import collect_curves, curve_figure, format_curves, load_log

    logs = [load_log(p) for p in args.json_logs]
    curves = collect_curves(logs, args.keys, args.legend, args.start_epoch)
    has_mpl = plotting.have_matplotlib()
    if not has_mpl:
        plotting.warn_no_matplotlib()
    if args.print_data or not has_mpl:
        print('\n'.join(format_curves(curves)))
    if has_mpl:
        plotting.use_backend(args.backend)
        with plotting.style(args.style):
            plotting.show_or_save(lambda fig: curve_figure(curves, fig, args.title), args.out)
        if args.out:
            print(f'save curve to: {args.out}')
    return 0


def _cal_train_time(args: argparse.Namespace) -> int:
    from ..tools.log_analysis import format_train_time, load_log, train_time

    for path in args.json_logs:
        log = load_log(path)
        sys.stdout.write('\n'.join(format_train_time(log, train_time(log, args.include_outliers))) + '\n')
    return 0


def run(args: argparse.Namespace) -> int:
    if args.task in ('plot-curve', 'plot_curve'):
        return _plot_curve(args)
    return _cal_train_time(args)
