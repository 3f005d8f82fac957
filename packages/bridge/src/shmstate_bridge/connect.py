"""Connecting to NATS: the servers, credentials and TLS options the bridge passes through to
nats-py, and the bucket. Credentials are never logged nor put into a mirror's leader
description (:func:`public_url` strips them from a URL)."""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import nats
from nats.aio.client import Client
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import APIError, BucketNotFoundError
from nats.js.kv import KeyValue

from shmstate.cli import exits

from . import checks

log = logging.getLogger("shmstate_bridge")

#: JetStream refusals of a bucket creation that waiting never cures, besides any 400 (a
#: request the server finds malformed): 10074, replicas > 1 on a server not in a cluster.
FATAL_CREATE_ERRORS = frozenset({10074})

#: KV keeps at most 64 values per key: enough for the patches after the newest state
#: (the publisher writes a state at least every ``checkpoint_every`` patch values).
BUCKET_HISTORY = checks.BUCKET_HISTORY


@dataclass
class NatsOptions:
    servers: list[str] = field(default_factory=lambda: ["nats://127.0.0.1:4222"])
    bucket: str = "shmstate"
    user: str | None = None
    password: str | None = None
    token: str | None = None
    creds: str | None = None
    tls: ssl.SSLContext | None = None  # from --tls-ca (checks.tls_context)
    replicas: int = 1

    def __repr__(self) -> str:  # never print a secret, even by accident
        return (
            f"NatsOptions(servers={[public_url(s) for s in self.servers]}, bucket={self.bucket!r})"
        )


def public_url(url: str) -> str:
    """``url`` without any user, password or token in it."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


class Reconnects:
    """Counts reconnections, so that a follower starts its watches again after one (a
    JetStream consumer may not survive a server restart or a failover)."""

    def __init__(self) -> None:
        self.count = 0


async def connect(options: NatsOptions, reconnects: Reconnects | None = None) -> Client:
    """A connection that reconnects for ever: the bridge outlives server restarts and
    partitions. Disconnects and reconnects are logged (without credentials)."""

    async def disconnected() -> None:
        if nc is None or nc.is_closed:
            return  # a connect attempt that failed, or our own close at exit
        log.warning("NATS connection lost; reconnecting")

    async def reconnected() -> None:
        if reconnects is not None:
            reconnects.count += 1
        url = nc.connected_url if nc is not None else None
        log.warning("NATS connection back (%s)", public_url(url.geturl()) if url else "?")

    async def error(e: Exception) -> None:
        log.warning("NATS: %s", type(e).__name__)

    nc: Client | None = None
    kwargs: dict[str, Any] = {
        "servers": options.servers,
        "max_reconnect_attempts": -1,
        "reconnect_time_wait": 0.25,
        "connect_timeout": 2,
        "allow_reconnect": True,
        "disconnected_cb": disconnected,
        "reconnected_cb": reconnected,
        "error_cb": error,
    }
    if options.user is not None:
        kwargs["user"] = options.user
        kwargs["password"] = options.password
    if options.token is not None:
        kwargs["token"] = options.token
    if options.creds is not None:
        kwargs["user_credentials"] = options.creds
    if options.tls is not None:
        kwargs["tls"] = options.tls
    while True:
        try:
            nc = await nats.connect(**kwargs)
            return nc
        except (OSError, nats.errors.Error, asyncio.TimeoutError) as e:
            log.warning("cannot reach NATS yet (%s); retrying", type(e).__name__)
            await asyncio.sleep(0.5)


async def bucket(nc: Client, options: NatsOptions, create: bool) -> KeyValue:
    """The bucket; the publisher creates it when missing (history 64, file storage,
    ``replicas`` copies), a follower waits for it."""
    js = nc.jetstream(timeout=2)
    while True:
        try:
            return await js.key_value(options.bucket)
        except BucketNotFoundError:
            if create:
                config = KeyValueConfig(
                    bucket=options.bucket,
                    history=BUCKET_HISTORY,
                    storage=StorageType.FILE,
                    replicas=options.replicas,
                )
                try:
                    return await js.create_key_value(config)
                except APIError as e:
                    if e.code == 400 or e.err_code in FATAL_CREATE_ERRORS:
                        raise exits.fail(
                            "E_INVALID",
                            f"the NATS server refused to create bucket {options.bucket}: "
                            f"{e.description} (JetStream error {e.err_code})",
                        ) from None
                    log.warning("cannot create bucket %s yet (%s)", options.bucket, e)
                except nats.errors.Error as e:
                    log.warning("cannot create bucket %s yet (%s)", options.bucket, e)
        except (nats.errors.Error, asyncio.TimeoutError) as e:
            log.warning("bucket %s not reachable yet (%s)", options.bucket, type(e).__name__)
        await asyncio.sleep(0.5)
