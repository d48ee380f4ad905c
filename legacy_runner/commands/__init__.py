"""Extra ``python -m legacy_runner`` subcommands, one module each, found by the CLI at start-up.

A command module defines::

    NAME = 'plot-lr'                     # the subcommand
    HELP = 'one line for --help'
    def add_arguments(parser) -> None    # argparse arguments of the subcommand
    def run(args) -> int                 # the exit code

Module level must stay import-light (argparse and the standard library only): every command module
is imported to build ``--help``. Import torch or matplotlib inside ``run``. A ``ConfigError``
raised by ``run`` becomes one ``error:`` line on stderr and exit code 2, like the built-in commands.
"""
import importlib
import pkgutil
from types import ModuleType
from typing import List


def discover() -> List[ModuleType]:
    """The command modules of this package, sorted by subcommand name."""
    modules = [importlib.import_module(f'{__name__}.{info.name}')
               for info in pkgutil.iter_modules(__path__) if not info.name.startswith('_')]
    return sorted(modules, key=lambda m: m.NAME)
