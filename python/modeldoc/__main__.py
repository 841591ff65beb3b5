"""``python -m modeldoc``: the same as the ``modeldoc`` command."""

import sys

from .cli import main

if __name__ == "__main__":  # not when a worker process of ``validate --jobs`` imports this module
    sys.exit(main())
