"""follow: watches a store's keys in the bucket and commits each value into a local mirror
store, created when needed (docs/bridge.md, "Follower").

The mirror publishes the leader's versions (Store.mirror_set / mirror_patch): a state
value jumps to its version, a patch value applies the patches after the mirror's version.
Values at or below the mirror's version are skipped, so replays (a watch restarted after a
reconnect, history re-read at start) change nothing and versions never go back. A value
that is not a valid bridge value, or whose state or patch does not decode or apply, is
refused, logged and skipped: the mirror keeps its state. A gap (patches that start past
the next version) is filled from the state key. A state from another leader store id means
the leader's store was made again: the mirror is removed and made again for it, as a new
store (its own new store id), never mixing the two leaders' versions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import Any

import nats
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from shmstate import ShmStateError, ShmStateExistsError, ShmStateNotFoundError, Store, decode
from shmstate.cli import exits

from . import wire
from .connect import Reconnects

log = logging.getLogger("shmstate_bridge")

#: How often the follower also reads the state key directly: converges even when a watch
#: stalled (the publisher puts the latest version there whenever the leader goes idle).
RESYNC_S = 1.0
#: How often a quiet watch checks whether the connection was made again meanwhile.
WATCH_POLL_S = 0.5
_LEADER_ID = re.compile(r"leader store id ([0-9a-f]{16})$")


def existing_mirror(local: str) -> Store[Any] | None:
    """The mirror store ``local`` left by an earlier run, or None when there is no store of
    that name. A store of that name that is not a mirror is never touched: that is fatal
    (the command exits with E_EXISTS, status 7); the command checks it before connecting."""
    try:
        store = Store.open(local)
    except ShmStateNotFoundError:
        return None
    if not store.stats()["mirror"]:
        store.close()
        raise exits.fail(
            "E_EXISTS",
            f"local store {local!r} exists and is not a mirror; "
            "remove it or follow into another name",
        )
    return store


class Follower:
    def __init__(
        self,
        kv: KeyValue,
        reconnects: Reconnects,
        name: str,
        local: str,
        where: str,
        capacity: int,
    ) -> None:
        """``where`` says where the bucket is, for the mirror's leader description: the
        server (without credentials) and the bucket's name."""
        self.kv = kv
        self.reconnects = reconnects
        self.name = name
        self.local = local
        self.where = where
        self.capacity = capacity
        self.mirror: Store[Any] | None = None
        self.leader_id: str | None = None
        self.adopt_existing()

    def adopt_existing(self) -> None:
        """A mirror left by an earlier run goes on from its version."""
        store = existing_mirror(self.local)
        if store is None:
            return
        found = _LEADER_ID.search(store.stats()["leader"] or "")
        self.mirror, self.leader_id = store, found.group(1) if found else None

    def leader(self, store_id: str) -> str:
        return f"{self.where} key {self.name}, leader store id {store_id}"

    def create(self, value: wire.Value) -> None:
        """A new mirror at the value's version (the old one, of another leader, removed)."""
        state = decode(value.payloads[0])
        if self.mirror is not None:
            old = self.mirror
            self.mirror = None
            with contextlib.suppress(ShmStateNotFoundError):
                Store.unlink(self.local)
            old.close()
            log.info(
                "%s: new leader store id %s: mirror %s made again",
                self.name,
                value.store_id,
                self.local,
            )
        capacity = max(self.capacity, 2 * len(value.payloads[0]))
        try:
            self.mirror = Store.create(
                self.local,
                state,
                capacity=capacity,
                version=value.first,
                mirror_of=self.leader(value.store_id),
            )
        except ShmStateExistsError:  # made meanwhile (another follower): take it over
            self.adopt_existing()
            if self.leader_id != value.store_id:
                raise
            return
        self.leader_id = value.store_id

    def apply(self, value: wire.Value) -> bool:
        """Commits what ``value`` brings; False when it needs the state key (a gap)."""
        mirror = self.mirror
        if value.kind == wire.STATE:
            if mirror is None or value.store_id != self.leader_id:
                self.create(value)
            elif value.first > mirror.version:
                mirror.mirror_set(value.payloads[0], value.first)
            return True
        if mirror is None or value.store_id != self.leader_id:
            return True  # patches of a leader we do not hold a state of: wait for one
        current = mirror.version
        if value.last <= current:
            return True
        if value.first > current + 1:
            return False
        for offset, patch in enumerate(value.payloads):
            version = value.first + offset
            if version > current:
                mirror.mirror_patch(patch, version)
        return True

    def handle(self, entry: Any) -> bool:
        if entry is None or entry.value is None or entry.operation is not None:
            return True  # the end-of-history marker, a delete or purge
        try:
            return self.apply(wire.parse(entry.value))
        except (ValueError, ShmStateError) as e:
            log.error(
                "%s: refused the value of %s at revision %s: %s; skipped, the mirror "
                "keeps version %s",
                self.name,
                entry.key,
                entry.revision,
                e,
                self.mirror.version if self.mirror else "none",
            )
            return True

    async def resync(self) -> None:
        try:
            entry = await self.kv.get(wire.state_key(self.name))
        except KeyNotFoundError:
            return
        self.handle(entry)

    async def watch(self) -> None:
        """Watches the store's keys (the values still kept, then every new one), starting
        again after a reconnect or a failure: what it already has is skipped."""
        while True:
            seen = self.reconnects.count
            try:
                watcher = await self.kv.watch(f"{self.name}.*", include_history=True)
                try:
                    while self.reconnects.count == seen:
                        try:
                            entry = await watcher.updates(WATCH_POLL_S)  # type: ignore[no-untyped-call]
                        except nats.errors.TimeoutError:
                            continue
                        if not self.handle(entry):
                            await self.resync()
                finally:
                    with contextlib.suppress(nats.errors.Error, asyncio.TimeoutError):
                        await watcher.stop()  # type: ignore[no-untyped-call]
                log.info("%s: reconnected; watching again", self.name)
            except (nats.errors.Error, asyncio.TimeoutError) as e:
                log.warning("%s: watch failed (%s); starting again", self.name, type(e).__name__)
                await asyncio.sleep(0.5)

    async def resync_loop(self) -> None:
        while True:
            await asyncio.sleep(RESYNC_S)
            # The connection is down: the watch says so.
            with contextlib.suppress(nats.errors.Error, asyncio.TimeoutError):
                await self.resync()

    async def run(self) -> None:
        await asyncio.gather(self.watch(), self.resync_loop())


async def follow(
    kv: KeyValue,
    reconnects: Reconnects,
    pairs: list[tuple[str, str]],
    where: str,
    capacity: int,
) -> None:
    followers = [Follower(kv, reconnects, name, local, where, capacity) for name, local in pairs]
    await asyncio.gather(*(f.run() for f in followers))
