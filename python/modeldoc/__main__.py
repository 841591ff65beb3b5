"""``python -m modeldoc``: the same as the ``modeldoc`` command."""

import sys

from .cli import main

sys.exit(main())
