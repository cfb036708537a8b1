"""`python -m bot`: the same as the `guidebot` command."""

import sys

from bot.cli import main

sys.exit(main())
