"""``python -m compat.convert OLD NEW [options]``: the convert-config command line."""
import sys

from .cli import main

sys.exit(main())
