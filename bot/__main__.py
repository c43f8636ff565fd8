"""``python -m bot`` is the same as the ``recovery-bot`` command."""

import sys

from bot.cli import main

sys.exit(main())
