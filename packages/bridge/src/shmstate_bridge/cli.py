"""The command line: ``python -m shmstate_bridge publish|follow STORE...`` (also
``shmstate mirror publish|follow``). docs/bridge.md describes every option. A failure is
one line on stderr, ``shmstate: <message> (<code>)``, with the shmstate CLI's exit status
(docs/cli.md), never a traceback."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys

from shmstate import ShmStateError
from shmstate.cli import exits

from . import checks
from . import connect as nats_connect
from .follower import existing_mirror, follow
from .publisher import publish


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="mode", required=True)
    pub = sub.add_parser("publish", help="put local stores' versions into the bucket")
    pub.add_argument("stores", nargs="+", metavar="STORE")
    pub.add_argument(
        "--checkpoint-every",
        type=int,
        default=32,
        help="put the full state after at most this many patch values (1 to 63; default 32)",
    )
    pub.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="copies of the bucket when the publisher creates it (1 to 5; a cluster: 3)",
    )
    fol = sub.add_parser("follow", help="mirror stores from the bucket into local stores")
    fol.add_argument(
        "stores",
        nargs="+",
        metavar="STORE[:LOCAL]",
        help="the leader's store name, and the local mirror's if it differs",
    )
    fol.add_argument(
        "--capacity",
        type=int,
        default=1 << 20,
        help="capacity of a mirror the follower creates (bytes)",
    )
    for p in (pub, fol):
        p.add_argument(
            "--server",
            action="append",
            dest="servers",
            metavar="URL",
            help="a NATS server (repeat for a cluster); default nats://127.0.0.1:4222",
        )
        p.add_argument("--bucket", default="shmstate")
        p.add_argument("--user")
        p.add_argument("--password", help="or SHMSTATE_NATS_PASSWORD")
        p.add_argument("--token", help="or SHMSTATE_NATS_TOKEN")
        p.add_argument("--creds", help="a NATS credentials file (JWT and NKey seed)")
        p.add_argument("--tls-ca", help="CA certificate file to verify the servers with")
        p.add_argument(
            "--trust",
            metavar="WHOM",
            help='local stores of other users to open: "group", "uid:N", comma-separated '
            "(sets SHMSTATE_TRUST for this command; default: that variable, else none)",
        )
        p.add_argument("-v", "--verbose", action="store_true")


def options(args: argparse.Namespace) -> nats_connect.NatsOptions:
    return nats_connect.NatsOptions(
        servers=args.servers or ["nats://127.0.0.1:4222"],
        bucket=args.bucket,
        user=args.user,
        password=args.password or os.environ.get("SHMSTATE_NATS_PASSWORD"),
        token=args.token or os.environ.get("SHMSTATE_NATS_TOKEN"),
        creds=args.creds,
        tls=None if args.tls_ca is None else checks.tls_context(args.tls_ca),
        replicas=getattr(args, "replicas", 1),
    )


async def run(args: argparse.Namespace) -> None:
    opts = options(args)
    if args.mode == "follow":
        for _, local in checks.pairs(args.stores):
            mirror = existing_mirror(local)  # a local store that is not a mirror: fatal now
            if mirror is not None:
                mirror.close()
    reconnects = nats_connect.Reconnects()
    nc = await nats_connect.connect(opts, reconnects)
    try:
        kv = await nats_connect.bucket(nc, opts, create=args.mode == "publish")
        if args.mode == "publish":
            await publish(kv, args.stores, nc.max_payload, args.checkpoint_every)
        else:
            pairs = checks.pairs(args.stores)
            where = f"{nats_connect.public_url(opts.servers[0])} bucket {opts.bucket}"
            await follow(kv, reconnects, pairs, where, args.capacity)
    finally:
        with contextlib.suppress(Exception):
            await nc.close()


def execute(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s shmstate-bridge %(levelname)s %(message)s",
        stream=sys.stderr,
    )

    def command() -> int:
        try:
            checks.command_line(args)
            asyncio.run(run(args))
        except (ShmStateError, exits.CommandError):
            raise  # exits.run reports them as the shmstate command does
        except Exception as error:  # never a traceback: one line, status 1
            raise exits.fail(
                "E_SYSTEM", f"shmstate-bridge failed: {type(error).__name__}: {error}"
            ) from None
        return exits.OK

    return exits.run(command)


def main(argv: list[str] | None = None, prog: str = "shmstate-bridge") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__)
    add_arguments(parser)
    return execute(parser.parse_args(argv))
