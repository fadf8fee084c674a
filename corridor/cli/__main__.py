"""``python -m corridor.cli``: the same as the ``corridor`` command."""

import sys

from corridor.cli import main

sys.exit(main())
