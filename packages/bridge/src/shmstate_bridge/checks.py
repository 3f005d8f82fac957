"""The command line's values, checked before the bridge connects: a value that can never
work (a number out of range, a store or bucket name that is not one, a server that is not
a URL, a CA file that cannot be read, a malformed --trust) is a one-line error with a code
and the CLI's exit status at once, rather than a retry loop or a traceback later
(docs/bridge.md, "Errors and exit status")."""

from __future__ import annotations

import argparse
import re
import ssl
from urllib.parse import urlsplit

from shmstate import ShmStateError, ShmStateNameError, _native
from shmstate.cli import exits, options

#: KV keeps this many values per key; a checkpoint must come before the oldest patch value
#: after the last state is dropped, so at most one value less.
BUCKET_HISTORY = 64
#: The most copies of a stream JetStream keeps.
MAX_REPLICAS = 5
#: nats-py's and the server's rule for a KV bucket name.
_BUCKET = re.compile(r"^[A-Za-z0-9_-]+$")
_SCHEMES = ("nats", "tls", "ws", "wss")


def invalid(message: str) -> exits.CommandError:
    return exits.fail("E_INVALID", message)


def in_range(option: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise invalid(f"{option} is {value}; it must be in [{low}, {high}]")


def store_name(name: str) -> None:
    """A name the core takes (E_NAME otherwise), and whose bucket keys ``NAME.state`` and
    ``NAME.patches`` are NATS keys: no empty token between dots."""
    try:
        _native.Segment.inspect(name).close()
    except ShmStateNameError:
        raise
    except ShmStateError:
        pass  # no such store yet, or one we may not read: the name itself is fine
    if name.endswith(".") or ".." in name:
        raise invalid(
            f'store name "{name}" cannot be bridged: its bucket key "{name}.state" would '
            "have an empty token (a name ending with a dot, or with two dots in a row)"
        )


def _shown(url: str) -> str:
    """The URL for a message, never with a credential in it."""
    return "(a URL with credentials)" if "@" in url else f'"{url}"'


def servers(urls: list[str]) -> None:
    """Each --server is a NATS URL with a host; websocket and plain URLs are not mixed
    (nats-py refuses that)."""
    for url in urls:
        try:
            parts = urlsplit(url)
            valid = parts.scheme in _SCHEMES and bool(parts.hostname) and parts.port != 0
        except ValueError:  # a port that is not a number in range
            valid = False
        if not valid:
            raise invalid(
                f"--server {_shown(url)} is not a NATS server URL: "
                "nats://HOST[:PORT] (or tls://, ws://, wss://)"
            )
    websocket = {urlsplit(url).scheme in ("ws", "wss") for url in urls}
    if len(websocket) > 1:
        raise invalid("--server: websocket (ws://, wss://) and nats:// or tls:// URLs mixed")


def bucket(name: str) -> None:
    if not _BUCKET.match(name):
        raise invalid(f'--bucket "{name}" is not a bucket name: letters, digits, "_" and "-"')


def readable(option: str, path: str) -> None:
    try:
        with open(path, "rb"):
            pass
    except OSError as error:
        raise invalid(f"{option} {path}: {error.strerror or error}") from None


def creds(path: str) -> None:
    """A credentials file nats-py can use: readable, and the nkeys package (which nats-py
    signs with) importable."""
    readable("--creds", path)
    try:
        import nkeys  # type: ignore[import-not-found,import-untyped,unused-ignore]  # noqa: F401
    except ImportError:
        raise invalid(
            "--creds needs the Python package nkeys, which is not installed in this "
            "environment (pip install nkeys)"
        ) from None


def tls_context(path: str) -> ssl.SSLContext:
    """The TLS context for --tls-ca, made now: a file that is missing or not a CA
    certificate is an error before any connection."""
    readable("--tls-ca", path)
    try:
        return ssl.create_default_context(cafile=path)
    except (ssl.SSLError, OSError, ValueError) as error:
        raise invalid(f"--tls-ca {path}: not a CA certificate file ({error})") from None


def pairs(stores: list[str]) -> list[tuple[str, str]]:
    """follow's STORE[:LOCAL] arguments as (leader name, local name), both checked."""
    result = []
    for text in stores:
        name, local = text.split(":", 1) if ":" in text else (text, text)
        store_name(name)
        store_name(local)
        result.append((name, local))
    return result


def command_line(args: argparse.Namespace) -> None:
    """Every check of the parsed command line; raises exits.CommandError."""
    options.check_trust(args)  # the shmstate CLI's check: one grammar, one message
    if args.mode == "publish":
        for name in args.stores:
            store_name(name)
        in_range("--checkpoint-every", args.checkpoint_every, 1, BUCKET_HISTORY - 1)
        in_range("--replicas", args.replicas, 1, MAX_REPLICAS)
    else:
        pairs(args.stores)
        in_range("--capacity", args.capacity, _native.CAPACITY_MIN, _native.CAPACITY_MAX)
    servers(args.servers or [])
    bucket(args.bucket)
    if args.creds is not None:
        creds(args.creds)
