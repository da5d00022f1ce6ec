"""``python -m pysoftmax``: the command line (``pysoftmax --help``; see ``pysoftmax/_cli.py``)."""

import sys

from pysoftmax._cli import main

if __name__ == "__main__":
    sys.exit(main())
