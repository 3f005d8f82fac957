"""The command's exit statuses: one per class of failure, so that a script can tell "no
such store" from "bad input" from "in use" without parsing a message (docs/cli.md has
the table). Every failure is printed as one line, ``shmstate: <message> (<code>)``, with
the library's stable code."""

from __future__ import annotations

import sys
from collections.abc import Callable

from ..errors import ShmStateError, error_for

OK = 0
FAILED = 1  # the system failed us: E_SYSTEM, E_NOMEM, E_NOSPC, E_LIMIT, anything unexpected
USAGE = 2  # the command line itself (argparse's own status)
NOT_FOUND = 3  # E_NOENT: no store of that name; E_RETIRED: it was unlinked under a watch
BAD_INPUT = 4  # E_INVALID, E_NAME, E_ENCODE, E_PATCH, E_CAPACITY, E_MIRROR: nothing changed
PERMISSION = 5  # E_PERM: another user's store, or one that is not trusted
DAMAGED = 6  # E_CORRUPT, E_VERSION: the segment fails validation
CONTENDED = 7  # E_CONFLICT, E_BUSY, E_TIMEOUT, E_EXISTS: try again, or look
IN_USE = 8  # rm refused: live processes are attached (E_BUSY); --force overrides
INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells report it

_FOR_CODE = {
    "E_NOENT": NOT_FOUND,
    "E_RETIRED": NOT_FOUND,
    "E_INVALID": BAD_INPUT,
    "E_NAME": BAD_INPUT,
    "E_ENCODE": BAD_INPUT,
    "E_PATCH": BAD_INPUT,
    "E_MIRROR": BAD_INPUT,
    "E_CAPACITY": BAD_INPUT,
    "E_PERM": PERMISSION,
    "E_CORRUPT": DAMAGED,
    "E_VERSION": DAMAGED,
    "E_CONFLICT": CONTENDED,
    "E_BUSY": CONTENDED,
    "E_TIMEOUT": CONTENDED,
    "E_EXISTS": CONTENDED,
    "E_INTERRUPTED": INTERRUPTED,
}


class CommandError(Exception):
    """A failure the command reports as one line and an exit status."""

    def __init__(self, error: ShmStateError, status: int | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.status = status if status is not None else _FOR_CODE.get(error.code, FAILED)


def fail(code: str, message: str, status: int | None = None) -> CommandError:
    """A CommandError for ``code`` with the library's error class and message form."""
    return CommandError(error_for(code, message), status)


def report(error: ShmStateError) -> None:
    text = str(error)
    # The library's messages end with " (E_CODE)" already; add it where one does not.
    if not text.endswith(f"({error.code})"):
        text = f"{text} ({error.code})"
    print(f"shmstate: {text}", file=sys.stderr)


def run(command: Callable[[], int]) -> int:
    """Runs ``command`` and returns its status; a failure it raises becomes one reported
    line and its class's status, Ctrl-C becomes INTERRUPTED. Shared by the shmstate command
    and the bridge's (shmstate mirror), so that both say a failure alike."""
    try:
        return command()
    except CommandError as failure:
        report(failure.error)
        return failure.status
    except ShmStateError as error:
        report(error)
        return CommandError(error).status
    except KeyboardInterrupt:
        return INTERRUPTED
