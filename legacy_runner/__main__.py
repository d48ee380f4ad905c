"""``python -m legacy_runner ...``: see :mod:`legacy_runner.cli`."""
import sys

from .cli import main

if __name__ == '__main__':
    sys.exit(main())
