"""``convert-config``: the whole command line of the v1 -> v2 converter.

    convert-config OLD.py NEW.py [--report FILE] [--strict] [--exact] [--epoch-length N]
                                 [--verify [--tolerance T]] [--plot FILE] [--flexible]
                                 [--cfg-options K=V ...]
    convert-config configs_v1/ configs_v2/ [same options] [--keep-going]   (tree mode)

Exit status: 0 on success, 1 when ``--strict`` or ``--verify`` fails (the output is still
written) or ``--keep-going`` skipped a file, 2 on bad input (one ``error:`` line on stderr;
nothing is written). Importing this module pulls in neither torch nor yapf (the converter prints
its output itself; yapf is only a fallback for values without a literal form).
"""
import argparse
import os
import sys
import traceback
from typing import Any, List, Optional, TextIO, Tuple

PROG = 'convert-config'


class _Parser(argparse.ArgumentParser):
    """Argument errors are one line (no usage block) and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f'{self.prog}: error: {message} (see --help)\n')


def build_parser() -> argparse.ArgumentParser:
    from legacy_runner.config.dict_action import DictAction

    p = _Parser(prog=PROG, description='Convert an mmcv 1.x training config (merged, _base_ resolved) '
                'into an mmengine-style v2 config, with a per-key report and a numeric check of the '
                'lr/momentum schedule. Give two directories to convert a tree, keeping _base_ files.')
    p.add_argument('old', metavar='OLD', help='v1 config file, or a directory of them')
    p.add_argument('new', metavar='NEW', nargs='?', help="v2 config file ('-' for stdout; omit to only "
                   'report), or the output directory in tree mode')
    p.add_argument('--report', metavar='FILE', help='write the report as JSON (a list of '
                   '{key, status, to, bound, reason}; in tree mode an object keyed by file)')
    p.add_argument('--strict', action='store_true', help='exit 1 if any key is approximate or dropped; an '
                   'unknown key inside a known section (otherwise dropped with a reason) is an error')
    p.add_argument('--exact', action='store_true', help='where no built-in v2 scheduler is exact, use the '
                   'v1-policy scheduler plug-in (compat.v2_plugins.v1_schedulers, added to custom_imports; '
                   'works in real mmengine too)')
    p.add_argument('--epoch-length', type=int, metavar='N', help='iterations per epoch (len of the '
                   'train loader); makes epoch<->iteration conversions exact (tree mode: for every file)')
    p.add_argument('--verify', action='store_true', help='trace the v1 and the converted v2 schedule '
                   'for every iteration and param group; exit 1 if they differ beyond --tolerance')
    p.add_argument('--tolerance', type=float, default=1e-9, metavar='T',
                   help='max relative lr/momentum difference accepted by --verify (default 1e-9)')
    p.add_argument('--plot', metavar='FILE', help='draw the v1 schedule and the converted v2 schedule '
                   'overlaid into FILE (e.g. lr.png; the plot extra); single-file mode only')
    p.add_argument('--flexible', action='store_true', help="emit runner_type='FlexibleRunner' with "
                   'strategy=dict(type=SingleDeviceStrategy), or DDPStrategy when the v1 config sets a '
                   'distributed launcher; single-file mode only')
    p.add_argument('--fragment', action='store_true', help='OLD is a partial (_base_) config: convert '
                   'what it has instead of requiring a full training config')
    p.add_argument('--keep-going', action='store_true', help='tree mode: skip a file that cannot be '
                   'loaded or converted (one error line each, exit status 1) instead of converting nothing')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, metavar='KEY=VAL',
                   help='override v1 keys before converting (mmcv DictAction syntax)')
    p.add_argument('-q', '--quiet', action='store_true', help='print only errors and --verify results')
    p.add_argument('--debug', action='store_true', help='show tracebacks for errors')
    return p


def _emit(text: str, stream: TextIO) -> None:
    stream.write(text if text.endswith('\n') else text + '\n')


def _single(args: argparse.Namespace) -> int:
    from legacy_runner.errors import ConfigError, load_config

    from . import report as rep
    from .engine import convert_dict
    from .errors import ConversionError
    from .verify import verify
    from .writer import HEADER, atomic_write, check_round_trip, format_config

    try:
        cfg = load_config(args.old, args.cfg_options)
    except ConfigError as e:
        raise ConversionError(str(e)) from e
    if args.new not in (None, '-') and _same_file(args.old, args.new):
        raise ConversionError('is the input file (or a link to it): write the v2 config elsewhere',
                              key='NEW', value=args.new)
    result = convert_dict(cfg.to_dict(), _options(args), args.old)
    if args.flexible:
        from .flexible import make_flexible
        result.v2 = make_flexible(result.v2, cfg.to_dict())
    text = HEADER.format(source=os.path.basename(args.old)) + format_config(result.v2)
    check_round_trip(text, result.v2, args.new if args.new not in (None, '-') else args.old)
    to_stdout = args.new == '-'
    info = sys.stderr if to_stdout else sys.stdout
    status = 0
    lines: List[str] = []
    if args.verify:
        outcome = verify(result.ctx, result.v2, args.tolerance)
        lines = outcome.lines(result.ctx)
        status = 0 if outcome.ok else 1
    if args.strict and not rep.is_strict_clean(result.entries):
        status = 1
    if args.plot:
        _plot(args, cfg.to_dict(), result.v2, info)
    if args.new and not to_stdout:
        atomic_write(args.new, text)
    if args.report:
        atomic_write(args.report, rep.to_json(result.entries))
    if to_stdout:
        sys.stdout.write(text)
    if not args.quiet:
        _emit(rep.format_table(result.entries), info)
    for line in lines:
        _emit(line, info)
    if args.strict and not rep.is_strict_clean(result.entries):
        _emit(f'{PROG}: --strict: some keys are approximate or dropped', sys.stderr)
    if args.new and not to_stdout and not args.quiet:
        _emit(f'wrote {args.new}', info)
    return status


def _options(args: argparse.Namespace) -> Any:
    from .context import Options

    return Options(args.epoch_length, getattr(args, 'fragment', False), strict=args.strict, exact=args.exact)


def _same_file(old: str, new: str) -> bool:
    """``new`` names ``old`` itself: the same path, a symlink to it, or a hard link."""
    if os.path.realpath(old) == os.path.realpath(new):
        return True
    try:
        return os.path.exists(new) and os.path.samefile(old, new)
    except OSError:
        return False


def _plot(args: argparse.Namespace, v1cfg: dict, v2cfg: dict, stream: TextIO) -> None:
    """``--plot``: the plot-lr code path on the v1 config and the conversion just made."""
    from legacy_runner.errors import ConfigError
    from legacy_runner.tools.lr_plot import plot_lr

    from .errors import ConversionError

    new = args.new if args.new not in (None, '-') else '<converted>'
    try:
        plot_lr([(v1cfg, args.old), (v2cfg, new)], args.epoch_length, args.plot, stream=stream)
    except ConfigError as e:
        raise ConversionError(str(e), key='--plot') from e


def _tree(args: argparse.Namespace) -> int:
    from . import report as rep
    from .errors import ConversionError
    from .tree import convert_tree, write_tree
    from .verify import verify
    from .writer import atomic_write

    if not args.new or args.new == '-':
        raise ConversionError('tree mode needs an output directory', key='NEW')
    if os.path.exists(args.new) and not os.path.isdir(args.new):
        raise ConversionError('is a file; tree mode writes a directory', key='NEW', value=args.new)
    src, dst = os.path.realpath(args.old), os.path.realpath(args.new)
    if dst == src or dst.startswith(src + os.sep):
        raise ConversionError('must not be the input tree or inside it', key='NEW', value=args.new)
    if args.cfg_options or args.fragment or args.plot or args.flexible:
        raise ConversionError('--cfg-options/--fragment/--plot/--flexible apply to a single file, not a tree',
                              key='options')
    failed: Optional[List[Tuple[str, str]]] = [] if args.keep_going else None
    files = convert_tree(args.old, _options(args), progress=not args.quiet, failed=failed)
    status = 1 if failed else 0
    lines: List[str] = []
    for f in files:
        if not f.complete:
            lines.append(f'{f.out_rel}: _base_ fragment ({f.mode})')
            continue
        c = rep.counts(f.entries)
        summary = ', '.join(f'{c[s]} {s}' for s in rep.STATUSES)
        lines.append(f'{f.out_rel}: {summary} ({f.mode})')
        if args.strict and not rep.is_strict_clean(f.entries):
            status = 1
        if args.verify:
            outcome = verify(f.result.ctx, f.result.v2, args.tolerance)
            lines += ['  ' + line for line in outcome.lines(f.result.ctx)]
            status = status or (0 if outcome.ok else 1)
    write_tree(files, args.new)
    if args.report:
        atomic_write(args.report, rep.tree_to_json({f.out_rel: f.entries for f in files if f.complete}))
    if not args.quiet:
        for line in lines:
            _emit(line, sys.stdout)
    for rel, error in failed or []:
        _emit(f'{PROG}: error: {error} (skipped {rel}, --keep-going)', sys.stderr)
    if not args.quiet:
        _emit(f'wrote {len(files)} files to {args.new}', sys.stdout)
    return status


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of ``convert-config`` / ``python -m legacy_runner convert``; returns the exit code."""
    args = build_parser().parse_args(argv)
    from .errors import ConversionError

    if args.epoch_length is not None and args.epoch_length <= 0:
        print(f'{PROG}: error: --epoch-length must be a positive integer, got {args.epoch_length}',
              file=sys.stderr)
        return 2
    try:
        if not os.path.exists(args.old):
            raise ConversionError('no such file or directory', key='OLD', value=args.old)
        return _tree(args) if os.path.isdir(args.old) else _single(args)
    except ConversionError as e:
        if args.debug:
            traceback.print_exc()
        print(f'{PROG}: error: {e}', file=sys.stderr)
        return 2
    except Exception as e:  # an input the rules did not anticipate: still one line, never a partial file
        if args.debug:
            traceback.print_exc()
        msg = ' '.join(str(e).split())
        print(f'{PROG}: error: {args.old}: cannot convert ({type(e).__name__}: {msg}); rerun with --debug',
              file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
