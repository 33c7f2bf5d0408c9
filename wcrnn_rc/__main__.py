"""``python -m wcrnn_rc``: the ``wcrnn-rc`` command line (see :mod:`wcrnn_rc.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
