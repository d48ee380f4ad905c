"""Command line: ``python -m legacy_runner {print-config,train,test,convert}`` (``legacy-runner``).

Import-light: torch-heavy modules are imported inside the subcommand that needs them, so
``print-config`` and ``--help`` never import torch. Bad user input (missing or broken config,
bad ``--cfg-options``, unknown registry type) is one ``error:`` line on stderr and exit code 2;
``--debug`` adds the traceback.
"""
import argparse
import os
import sys
import traceback
from typing import Any, Callable, Dict, List, Optional

from .commands import discover
from .errors import ConfigError

PROG = 'legacy-runner'
CONVERT_HELP = ('convert a v1 (mmcv 1.x) config or config tree to the v2 (mmengine-style) format; '
                'arguments as for convert-config (see `convert-config --help`)')


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are a single line (no usage block), exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f'{self.prog}: error: {message} (see --help)\n')


def _dict_action() -> Any:
    from .config.dict_action import DictAction
    return DictAction


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument('--cfg-options', nargs='+', action=_dict_action(), metavar='KEY=VAL',
                   help='override config keys, e.g. "optimizer.lr=0.01 data.samples_per_gpu=64" '
                        '(mmcv DictAction syntax: lists "[a,b]", tuples "(a,b)")')
    p.add_argument('--debug', action='store_true', help='show tracebacks for bad input')


def _add_runtime(p: argparse.ArgumentParser) -> None:
    p.add_argument('--runtime', choices=['auto', 'v1', 'v2'], default='auto',
                   help='auto: v1 configs on the legacy runtime, v2 configs on the v2 runtime; '
                        'v2: also run a v1 config on the v2 runtime (converted in memory)')


def _add_unsafe_load(p: argparse.ArgumentParser) -> None:
    p.add_argument('--unsafe-load', action='store_true',
                   help='trust checkpoint files, allow arbitrary pickled objects (by default checkpoints '
                        'load with torch.load(weights_only=True) plus an allow-list, and a file needing '
                        'anything else is refused)')


def _add_launcher(p: argparse.ArgumentParser) -> None:
    p.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                   help='job launcher')
    p.add_argument('--local_rank', '--local-rank', dest='local_rank', type=int, default=0,
                   help=argparse.SUPPRESS)


def _add_train(sub: Any) -> None:
    p = sub.add_parser('train', help='train a model from an mmcv-1.x-style config',
                       description='Train a model (the mmdet/mmcls 1.x tools/train.py flow).')
    p.add_argument('config', help='train config file path')
    p.add_argument('--work-dir', help='the dir to save logs and models '
                                      '(default: ./work_dirs/<config name>)')
    p.add_argument('--resume-from', help='the checkpoint file to resume from')
    p.add_argument('--auto-resume', action='store_true',
                   help='resume from the latest checkpoint in the work_dir automatically')
    p.add_argument('--no-validate', action='store_true',
                   help='whether not to evaluate the checkpoint during training')
    group = p.add_mutually_exclusive_group()
    group.add_argument('--gpus', type=int, help='(Deprecated, please use --gpu-id) number of gpus to use '
                                                '(only applicable to non-distributed training)')
    group.add_argument('--gpu-ids', type=int, nargs='+',
                       help='(Deprecated, please use --gpu-id) ids of gpus to use '
                            '(only applicable to non-distributed training)')
    group.add_argument('--gpu-id', type=int, default=0,
                       help='id of gpu to use (only applicable to non-distributed training)')
    p.add_argument('--seed', type=int, default=None, help='random seed')
    p.add_argument('--diff-seed', action='store_true',
                   help='whether or not set different seeds for different ranks')
    p.add_argument('--deterministic', action='store_true',
                   help='whether to set deterministic options for CUDNN backend')
    p.add_argument('--no-work-dir-lock', action='store_true',
                   help='let a second run write into a work dir that a running one uses, as mmcv 1.x did '
                        '(config key: work_dir_lock=False)')
    p.add_argument('--allow-nonfinite', action='store_true',
                   help='train on through NaN/Inf losses and gradient norms, as mmcv 1.x did (by default '
                        'training stops at the first one; config key: allow_nonfinite=True)')
    _add_unsafe_load(p)
    _add_runtime(p)
    _add_launcher(p)
    _add_common(p)


def _add_test(sub: Any) -> None:
    p = sub.add_parser('test', help='test a checkpoint on data.test',
                       description='Run inference with a checkpoint on data.test and evaluate it.')
    p.add_argument('config', help='test config file path')
    p.add_argument('checkpoint', help='checkpoint file')
    p.add_argument('--eval', type=str, nargs='+', metavar='METRIC',
                   help='evaluation metrics, e.g. "accuracy" (passed to dataset.evaluate)')
    p.add_argument('--out', help='output result file in pickle format')
    p.add_argument('--work-dir', help='directory for the evaluation metric json')
    p.add_argument('--eval-options', nargs='+', action=_dict_action(), metavar='KEY=VAL',
                   help='custom options for dataset.evaluate')
    p.add_argument('--tmpdir', help='tmp directory used for collecting results from multiple workers')
    p.add_argument('--gpu-collect', action='store_true', help='collect results with all_gather')
    _add_unsafe_load(p)
    _add_runtime(p)
    _add_launcher(p)
    _add_common(p)


def _add_print_config(sub: Any) -> None:
    p = sub.add_parser('print-config', help='print the merged config (pretty_text)',
                       description='Load a config (with its _base_ files), apply --cfg-options '
                                   'and print Config.pretty_text.')
    p.add_argument('config', help='config file path')
    _add_common(p)


def _add_convert(sub: Any) -> None:
    # listed for --help only: main() hands everything after 'convert' to convert-config unparsed
    sub.add_parser('convert', help=CONVERT_HELP, description=CONVERT_HELP)


def build_parser() -> argparse.ArgumentParser:
    """The single parser: print-config / train / test / convert, plus legacy_runner.commands."""
    parser = _Parser(prog=PROG, description='Run mmcv 1.x-style training configs on modern PyTorch.')
    from .version import __version__
    parser.add_argument('--version', action='version', version=f'%(prog)s {__version__}')
    sub = parser.add_subparsers(dest='command', metavar='COMMAND', parser_class=_Parser)
    sub.required = True
    _add_print_config(sub)
    _add_train(sub)
    _add_test(sub)
    _add_convert(sub)
    for module in discover():
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        if not any(a.dest == 'debug' for a in p._actions):
            p.add_argument('--debug', action='store_true', help='show tracebacks for bad input')
        p.set_defaults(run=module.run)
    return parser


def _print_config(args: argparse.Namespace) -> int:
    from .errors import load_config
    cfg = load_config(args.config, args.cfg_options)
    print(cfg.pretty_text)
    return 0


def _export_local_rank(args: argparse.Namespace) -> None:
    # torch.distributed.launch passes --local_rank; torchrun exports LOCAL_RANK itself.
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)


def _require_file(path: str, what: str) -> None:
    # Checked before the torch-heavy imports, so that a typo fails fast.
    if not os.path.isfile(path):
        raise ConfigError(f'{what} file not found: {path}')


def _apply_unsafe_load(args: argparse.Namespace) -> None:
    # process-wide, so every checkpoint read of this command (resume, load_from, test) trusts files
    if getattr(args, 'unsafe_load', False):
        from .safe_load import allow_unsafe
        allow_unsafe(True)


def _close_process_group() -> None:
    # All ranks get here together. A process that exits with gloo's threads still running can
    # abort in native code ("terminate called without an active exception") after a good run.
    dist = sys.modules.get('torch.distributed')
    if dist is not None and dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def _freeze_imported_heap(args: argparse.Namespace) -> None:
    # torch's import leaves about a million objects that live as long as the process. Each full
    # collection of the cyclic GC walks all of them (~70 ms here), and a launch triggers several;
    # moving them to the permanent generation spares those walks (and copy-on-write of their
    # pages in forked DataLoader workers). Only objects alive now are exempt from collection, so
    # only a process that is this command does it: not a caller of main() in its own process.
    if getattr(args, 'own_process', False):
        import gc
        gc.freeze()


def _train(args: argparse.Namespace) -> int:
    _require_file(args.config, 'config')
    _export_local_rank(args)
    _apply_unsafe_load(args)
    from compat.adapter.run import train
    _freeze_imported_heap(args)
    train(args)
    _close_process_group()
    return 0


def _test(args: argparse.Namespace) -> int:
    if args.out and not args.out.endswith(('.pkl', '.pickle')):
        raise ConfigError(f'--out: the output file must be a .pkl or .pickle file, got {args.out}')
    _require_file(args.config, 'config')
    if not args.eval and not args.out and _runs_on_legacy(args):
        raise ConfigError('test: specify at least one of --eval METRIC or --out FILE')
    _require_file(args.checkpoint, 'checkpoint')
    _export_local_rank(args)
    _apply_unsafe_load(args)
    from compat.adapter.run import test
    _freeze_imported_heap(args)
    test(args)
    _close_process_group()
    return 0


def _runs_on_legacy(args: argparse.Namespace) -> bool:
    # the legacy test flow needs --eval or --out; the v2 one prints its evaluator's metrics
    if args.runtime != 'auto':
        return args.runtime == 'v1'
    from compat.adapter.detect import detect_format

    from .errors import load_config
    return detect_format(load_config(args.config, args.cfg_options)) == 'v1'


def _serve_old_mmcv_imports() -> None:
    # An old package named in custom_imports does `import mmcv`: serve it from our shim unless a
    # real mmcv is installed. Decided here, at the top, so the config layer never imports compat.
    from compat._shim_finder import find_real_mmcv
    if find_real_mmcv() is None:
        import compat.mmcv_shim  # noqa: F401  (importing activates it)
        # Processes started from here import the old package again: DataLoader workers under
        # spawn/forkserver unpickle its dataset and `import mmcv` before any of our code runs.
        # The installed .pth serves them the shim when this variable is set (as `exec` does).
        os.environ.setdefault('LEGACY_RUNNER_SHIM', '1')


_COMMANDS: Dict[str, Callable[[argparse.Namespace], int]] = {
    'print-config': _print_config, 'train': _train, 'test': _test,
}


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of ``legacy-runner`` and ``python -m legacy_runner``; returns the exit code."""
    own_process = argv is None  # the command line of this process (console script, python -m)
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ['convert']:
        return convert_main(argv[1:])
    args = build_parser().parse_args(argv)
    args.own_process = own_process
    if args.command in _COMMANDS:
        _serve_old_mmcv_imports()
    from .preemption import Preempted
    try:
        return args.run(args) if 'run' in args else _COMMANDS[args.command](args)
    except ConfigError as e:
        if args.debug:
            traceback.print_exc()
        print(f'{PROG} {args.command}: error: {e}', file=sys.stderr)
        return 2
    except Preempted as e:  # a clean stop on SIGTERM/SIGINT, after saving a checkpoint
        print(f'{PROG} {args.command}: {e}', file=sys.stderr)
        _close_process_group()  # every rank stopped at the same iteration
        return e.exit_code


def convert_main(argv: Optional[List[str]] = None) -> int:
    """Entry point of the ``convert-config`` console script."""
    from compat.convert.cli import main as convert_cli
    return convert_cli(argv)
