"""Worker: an asyncio iterator waits on a doorbell; the interpreter exits without closing
it (nor the store): the doorbell must be unregistered at exit."""

import asyncio
import sys

from shmstate import Store

store = Store.open(sys.argv[1])
changes = store.changes(replay=True)


async def main() -> None:
    await changes.__anext__()  # the replay: no doorbell yet
    waiting = asyncio.ensure_future(changes.__anext__())  # now one is registered
    await asyncio.sleep(0.05)
    print(changes.mechanism, store.stats()["doorbells"], flush=True)
    waiting.cancel()


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
