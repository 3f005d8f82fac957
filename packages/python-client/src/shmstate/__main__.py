"""``python -m shmstate``: the ``shmstate`` command (shmstate.cli)."""

from .cli import main

raise SystemExit(main())
