"""Paths and command-line runners shared by the tests.

``run_cli`` runs ``legacy_runner.cli.main`` in this process (no interpreter start-up, no second
torch import) and returns what the subprocess would: a ``CompletedProcess`` with the exit code and
the captured stdout/stderr. ``cli_subprocess`` runs the real ``python -m legacy_runner`` where the
process is the point (exit status, signals, start-up, what a fresh interpreter imports), with the
environment from ``subprocess_env``.
"""
import contextlib
import io
import logging
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, Iterator, List, Optional, Sequence

TESTS = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(TESTS)
CONFIGS_V1 = osp.join(ROOT, 'configs_v1')
CONFIGS_V2 = osp.join(ROOT, 'configs_v2')


def subprocess_env(pythonpath: Sequence[str] = (), inherit_pythonpath: bool = True,
                   **extra: str) -> Dict[str, str]:
    """This process's environment for a child: one intra-op thread (tiny models on a shared box),
    ``pythonpath`` first on PYTHONPATH (then the inherited one, unless ``inherit_pythonpath`` is
    false), then ``extra`` (e.g. ``PYTHONWARNINGS='ignore'``, ``MPLBACKEND='Agg'``)."""
    env = dict(os.environ, OMP_NUM_THREADS='1')
    inherited = [os.environ['PYTHONPATH']] if inherit_pythonpath and os.environ.get('PYTHONPATH') else []
    paths = [*pythonpath, *inherited]
    if paths:
        env['PYTHONPATH'] = os.pathsep.join(paths)
    elif not inherit_pythonpath:
        env.pop('PYTHONPATH', None)
    env.update(extra)
    return env


def cli_subprocess(*args: object, cwd: str = ROOT, timeout: float = 300,
                   env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    """``python -m legacy_runner ARGS`` in a fresh interpreter, output captured as text."""
    env = subprocess_env(PYTHONWARNINGS='ignore') if env is None else env
    return subprocess.run([sys.executable, '-m', 'legacy_runner', *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


@contextlib.contextmanager
def fresh_loggers() -> Iterator[None]:
    """Inside the block, get_logger's loggers start unconfigured, as in a new process: the run adds
    its own stream handler (on the redirected stderr) and its own log file. Afterwards the run's
    handlers are closed and the loggers configured before are restored as they were."""
    from legacy_runner.utils import logging as lr_logging
    saved = dict(lr_logging.logger_initialized)
    saved_handlers = {name: logging.getLogger(name).handlers[:] for name in saved}
    for name in saved:
        logging.getLogger(name).handlers.clear()
    lr_logging.logger_initialized.clear()
    try:
        yield
    finally:
        for name in list(lr_logging.logger_initialized):
            logger = logging.getLogger(name)
            for handler in logger.handlers[:]:
                logger.removeHandler(handler)
                handler.close()
        lr_logging.logger_initialized.clear()
        lr_logging.logger_initialized.update(saved)
        for name, handlers in saved_handlers.items():
            logging.getLogger(name).handlers[:] = handlers


def run_cli(*args: object, cwd: str = ROOT) -> subprocess.CompletedProcess:
    """``legacy_runner.cli.main(ARGS)`` in this process, from ``cwd``, as a ``CompletedProcess``
    (exit code and captured stdout/stderr, like ``cli_subprocess``)."""
    from legacy_runner.cli import main
    argv: List[str] = [str(a) for a in args]
    out, err = io.StringIO(), io.StringIO()
    old_cwd = os.getcwd()
    try:
        os.chdir(cwd)
        with fresh_loggers(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as e:  # argparse's usage errors
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
                if isinstance(e.code, str):
                    print(e.code, file=sys.stderr)
    finally:
        os.chdir(old_cwd)
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())
