"""publish: follows a local store and puts each new version into the bucket.

On start (and whenever the store behind the name changes: a new store id) it puts the full
state, then the patch of every version in batches, one value per batch, in version order.
A state is put again (a checkpoint) after ``checkpoint_every`` patch values, when the
patches since the last state outgrow it, when a version came without its patch (the
watcher fell behind the ring), and when the store goes idle: so the newest state key plus
the patch values after it always rebuild the latest version, and an idle store's state
key is its latest version. A put that fails (server down, partition) is retried, in order,
until it succeeds: nothing is skipped.
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import Any

import nats
from nats.js.kv import KeyValue

from shmstate import Change, ShmStateError, Store, encode

from . import wire

log = logging.getLogger("shmstate_bridge")

#: Idle time after which the newest version is put as a state, seconds.
IDLE_CHECKPOINT_S = 0.5
#: How often the publisher checks that the name still holds the store it follows.
RECHECK_S = 0.5


class Publisher:
    def __init__(self, kv: KeyValue, name: str, max_payload: int, checkpoint_every: int) -> None:
        self.kv = kv
        self.name = name
        self.max_payload = max_payload
        self.checkpoint_every = checkpoint_every
        self.published = 0  # last version put
        self.state_version = 0  # version of the last state put
        self.patch_values = 0  # patch values since that state
        self.patch_bytes = 0
        self.state_bytes = 0
        self.refused = False  # the last state did not fit max_payload (logged once)

    async def put(self, key: str, value: bytes) -> None:
        delay = 0.1
        while True:
            try:
                await self.kv.put(key, value)
                return
            except (nats.errors.Error, asyncio.TimeoutError) as e:
                log.warning("%s: put %s failed (%s); retrying", self.name, key, type(e).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def put_state(self, store_id: str, change: Change[Any]) -> None:
        data = encode(change.state)
        value = wire.encode_state(store_id, change.version, data)
        if len(value) > self.max_payload:
            if self.refused:
                return  # said once until a state fits again
            self.refused = True
            log.error(
                "%s: the state at version %d is %d bytes; the NATS server's max_payload is %d: "
                "raise max_payload in the server configuration (or keep the state smaller); "
                "no version is published until a state fits again",
                self.name,
                change.version,
                len(value),
                self.max_payload,
            )
            return
        await self.put(wire.state_key(self.name), value)
        self.refused = False
        self.published = self.state_version = change.version
        self.patch_values = self.patch_bytes = 0
        self.state_bytes = len(data)

    async def put_patches(self, store_id: str, first: int, patches: list[bytes]) -> None:
        await self.put(wire.patches_key(self.name), wire.encode_patches(store_id, first, patches))
        self.published = first + len(patches) - 1
        self.patch_values += 1
        self.patch_bytes += sum(len(p) for p in patches)

    def checkpoint_due(self) -> bool:
        return self.patch_values >= self.checkpoint_every or self.patch_bytes > max(
            self.state_bytes, 4096
        )

    async def send(self, store_id: str, batch: list[Change[Any]]) -> None:
        """Puts a batch of consecutive changes: patches while they follow on, a state for a
        change without its patch."""
        pending: list[bytes] = []
        size = 0
        first = 0
        for change in batch:
            patch = None if change.patches is None else encode(change.patches)
            fits = patch is not None and b"\n" not in patch and len(patch) + 256 < self.max_payload
            if not fits or change.version != self.published + len(pending) + 1:
                if pending:
                    await self.put_patches(store_id, first, pending)
                    pending = []
                await self.put_state(store_id, change)
                continue
            assert patch is not None
            if pending and size + len(patch) + 256 > self.max_payload:
                await self.put_patches(store_id, first, pending)
                pending, size = [], 0
            if not pending:
                first = change.version
            pending.append(patch)
            size += len(patch) + 1
        if pending:
            await self.put_patches(store_id, first, pending)
        if self.checkpoint_due():
            await self.put_state(store_id, batch[-1])

    async def follow_store(self, store: Store[Any]) -> None:
        """Publishes one store (one store id) until the name holds another store."""
        store_id = store.store_id
        log.info("%s: publishing store id %s from version %d", self.name, store_id, store.version)
        queue: asyncio.Queue[Change[Any]] = asyncio.Queue()

        async def produce() -> None:
            async for change in store.changes(replay=True, every=True):
                queue.put_nowait(change)

        producer = asyncio.create_task(produce())
        last: Change[Any] | None = None
        try:
            first = await queue.get()
            await self.put_state(store_id, first)
            last = first
            while True:
                try:
                    change = await asyncio.wait_for(queue.get(), RECHECK_S)
                except asyncio.TimeoutError:
                    if last is not None and self.state_version < last.version:
                        await self.put_state(store_id, last)  # idle: the state key is latest
                    if self.replaced(store_id):
                        return
                    continue
                batch = [change]
                while not queue.empty() and len(batch) < 4096:
                    batch.append(queue.get_nowait())
                await self.send(store_id, batch)
                last = batch[-1]
        finally:
            producer.cancel()
            await asyncio.gather(producer, return_exceptions=True)

    def replaced(self, store_id: str) -> bool:
        """Whether the name now holds another store (unlinked and created again) or none."""
        try:
            with Store.open(self.name) as current:
                return current.store_id != store_id
        except ShmStateError:
            return True

    async def run(self) -> None:
        while True:
            store = await Store.aopen(self.name, wait=math.inf)
            try:
                self.published = self.state_version = 0
                await self.follow_store(store)
            finally:
                store.close()
            log.info("%s: the store was replaced; following the new one", self.name)


async def publish(kv: KeyValue, names: list[str], max_payload: int, checkpoint_every: int) -> None:
    await asyncio.gather(
        *(Publisher(kv, name, max_payload, checkpoint_every).run() for name in names)
    )
