"""Runs the bridge as `python -m shmstate_bridge` does (the tests spawn py/ scripts)."""

import sys

from shmstate_bridge.cli import main

sys.exit(main())
