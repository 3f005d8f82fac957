"""The ``shmstate`` command: look at, read, write, watch and clean up the host's stores.

Installed with the Python package (``shmstate`` console script, ``python -m shmstate``);
docs/cli.md says why Python and lists the exit statuses. Each command is a function of
the parsed arguments returning the exit status; failures become one line with the stable
code (exits.py), never a traceback."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from . import exits, options
from .inspect_commands import cmd_doctor, cmd_info, cmd_ls, cmd_top
from .store_commands import cmd_get, cmd_patch, cmd_rm, cmd_set, cmd_update, cmd_watch

DEFAULT_IDLE = 600.0  # seconds without a commit before a store with nobody attached is an orphan

Command = Callable[[argparse.Namespace], int]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shmstate",
        description="Inspect and operate shmstate stores (/dev/shm/shmstate.<name>).",
        epilog="Exit status: 0 ok, 1 system failure, 2 usage, 3 no such store, 4 bad input, "
        "5 permission, 6 damaged segment, 7 conflict/busy/timeout, 8 in use, 130 interrupted.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, run: Command, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--json", action="store_true", help="print JSON for scripts")
        p.add_argument(
            "--trust",
            metavar="WHOM",
            help='stores of other users to open: "group", "uid:N", comma-separated '
            "(sets SHMSTATE_TRUST for this command; default: that variable, else none)",
        )
        p.set_defaults(run=run)
        return p

    def idle(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--idle",
            type=float,
            default=DEFAULT_IDLE,
            metavar="SECONDS",
            help="no commit for this long makes an unattached store an orphan "
            f"(default {DEFAULT_IDLE:.0f})",
        )

    p = command("ls", cmd_ls, "list every store on the host")
    idle(p)
    p = command(
        "info", cmd_info, "a store's header, statistics, lock, doorbells and attached processes"
    )
    p.add_argument("name")
    idle(p)
    p = command("get", cmd_get, "print the state, or the value at an RFC 6901 pointer")
    p.add_argument("name")
    p.add_argument(
        "pointer", nargs="?", default="", help='e.g. /pose/x (default "": the whole state)'
    )
    p = command(
        "watch", cmd_watch, "print each change (version, missed, time, patches) until Ctrl-C"
    )
    p.add_argument("name")
    p.add_argument("--count", type=int, metavar="N", help="stop after N changes")
    p.add_argument(
        "--every",
        action="store_true",
        help="every version in order while within the patch ring (default: the latest at "
        "each wake-up, with missed counting the versions skipped)",
    )
    p.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="stop when no change comes within SECONDS"
    )
    p = command("set", cmd_set, "commit a whole new state")
    p.add_argument("name")
    p.add_argument("state", help="the state as JSON")
    p = command("update", cmd_update, "replace the value at a pointer")
    p.add_argument("name")
    p.add_argument("pointer")
    p.add_argument("value", help="the new value as JSON")
    p = command("patch", cmd_patch, "apply an RFC 6902 JSON Patch")
    p.add_argument("name")
    p.add_argument("ops", help="the operations as a JSON array")
    p = command("rm", cmd_rm, "remove a store (refused while live processes are attached)")
    p.add_argument("name")
    p.add_argument("--force", action="store_true", help="remove even with live processes attached")
    p = command("doctor", cmd_doctor, "find orphaned stores, dead doorbells and dead lock owners")
    p.add_argument(
        "names", nargs="*", metavar="NAME", help="only these stores (default: every one)"
    )
    p.add_argument("--clean", action="store_true", help="remove the orphans you own")
    idle(p)
    p = sub.add_parser(
        "mirror",
        help="bridge stores between hosts through NATS JetStream KV (shmstate-bridge)",
        description="publish|follow STORE... through NATS JetStream KV: the shmstate-bridge "
        "package's command (docs/bridge.md); `shmstate mirror publish --help` lists its options",
        add_help=False,
    )
    p.add_argument("bridge_args", nargs=argparse.REMAINDER)
    p.set_defaults(run=cmd_mirror)
    p = command("top", cmd_top, "a live table of the host's stores")
    p.add_argument("--iterations", type=int, metavar="N", help="redraw N times, then exit")
    p.add_argument(
        "--interval", type=float, default=1.0, metavar="SECONDS", help="between redraws (default 1)"
    )
    return parser


def cmd_mirror(args: argparse.Namespace) -> int:
    """Hands the arguments to shmstate-bridge, imported only now: the CLI works without it."""
    try:
        from shmstate_bridge.cli import main as bridge_main
    except ImportError:
        raise exits.fail(
            "E_INVALID",
            "shmstate mirror needs the shmstate-bridge package (packages/bridge in the "
            "repository, with nats-py): pip install it into this environment",
        ) from None
    status: int = bridge_main(args.bridge_args, prog="shmstate mirror")
    return status


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    def command() -> int:
        try:
            if args.run is not cmd_mirror:  # `mirror` hands its arguments on untouched
                options.check(args)
            status: int = args.run(args)
            return status
        except BrokenPipeError:
            return exits.OK  # `shmstate watch NAME | head`: the reader is done

    return exits.run(command)
