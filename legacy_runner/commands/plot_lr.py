"""``plot-lr``: the per-iteration LR (and momentum) of a v1 or v2 config, drawn or tabulated."""
import argparse

NAME = 'plot-lr'
HELP = ('draw the per-iteration lr (and momentum) of a v1 or v2 config from the schedule functions, '
        'without training; --compare overlays a second config')


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('config', help='v1 (lr_config/runner) or v2 (param_scheduler/train_cfg) config')
    parser.add_argument('--compare', metavar='OTHER_CFG',
                        help='overlay a second config (e.g. the converted one) and print the max '
                             'relative difference')
    parser.add_argument('--epoch-length', type=int, metavar='N',
                        help='iterations per epoch (the train loader length); default: derived from '
                             'the dataset config when it states num_samples, required otherwise for '
                             'epoch-based schedules')
    parser.add_argument('--out', metavar='FILE', help='save the figure (e.g. lr.png) instead of showing it')
    parser.add_argument('--table', action='store_true',
                        help='also print the values as a table (always printed without matplotlib)')
    parser.add_argument('--title', help='figure title')


def run(args: argparse.Namespace) -> int:
    from ..errors import load_config
    from ..tools.lr_plot import plot_lr

    configs = [(load_config(args.config).to_dict(), args.config)]
    if args.compare:
        configs.append((load_config(args.compare).to_dict(), args.compare))
    return plot_lr(configs, args.epoch_length, args.out, args.table, args.title)
