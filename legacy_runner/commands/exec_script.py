"""``python -m legacy_runner exec SCRIPT [ARGS...]``: run an old mmcv 1.x script unchanged, with
the ``mmcv`` import shim active (like ``python SCRIPT ARGS...``: same ``sys.argv``, ``__main__``
and ``sys.path[0]`` = the script's directory)."""
import argparse
import os
import sys

NAME = 'exec'
HELP = 'run an old mmcv 1.x script (e.g. its tools/train.py) with `import mmcv` served by legacy_runner'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--force-shim', action='store_true',
                        help='use the shim even if a real mmcv is installed')
    parser.add_argument('script', help='the Python script to run')
    parser.add_argument('script_args', nargs=argparse.REMAINDER, metavar='ARGS',
                        help='arguments passed to the script unchanged')


def run(args: argparse.Namespace) -> int:
    """Activate the shim and run ``args.script`` as ``__main__``; the script's SystemExit wins."""
    import runpy

    from ..errors import ConfigError

    script = args.script
    if not os.path.isfile(script):
        raise ConfigError(f'script file not found: {script}')
    from compat import _shim_finder

    if args.force_shim or _shim_finder.env_mode() == 'force':
        _shim_finder.install(force=True)
        os.environ[_shim_finder.ENV_VAR] = 'force'  # child processes too (via the installed .pth)
    elif _shim_finder.install():
        os.environ[_shim_finder.ENV_VAR] = os.environ.get(_shim_finder.ENV_VAR) or '1'
    else:
        print(f'legacy-runner exec: a real mmcv is installed ({_shim_finder.find_real_mmcv()}); '
              'running the script with it (use --force-shim for the legacy_runner shim)',
              file=sys.stderr)
    if _shim_finder.is_active():
        import compat.mmcv_shim  # noqa: F401  (the public module: collect_env reports it active)

    sys.argv = [script, *args.script_args]
    script_dir = os.path.dirname(os.path.abspath(script))
    if sys.path and sys.path[0] in ('', os.getcwd()):
        sys.path[0] = script_dir
    else:
        sys.path.insert(0, script_dir)
    runpy.run_path(script, run_name='__main__')
    return 0
