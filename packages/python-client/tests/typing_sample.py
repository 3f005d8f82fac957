"""Typed use of shmstate, checked by mypy --strict in scripts/lint.sh (never run): the
state type flows from Store[T] to every read, write and change, and misuse is an error.
Each ``# type: ignore[code]`` below is an error mypy must report (strict mode reports an
ignore that is not needed), so the sample fails the lint if the types stop telling it."""

from __future__ import annotations

import asyncio
from typing import Any, TypedDict

from shmstate import Change, Snapshot, Store, StoreStats, Subscription


class Robot(TypedDict):
    x: int
    name: str


def created() -> None:
    store: Store[Robot] = Store.create("robot", {"x": 0, "name": "r2"})
    x: int = store.get()["x"]
    snap: Snapshot[Robot] = store.snapshot()
    name: str = snap.state["name"]
    store.set({"x": x + 1, "name": name})
    store.update(lambda robot: {**robot, "x": robot["x"] + 1})
    store.update(lambda robot: None)
    store.set({"x": "one", "name": name})  # type: ignore[typeddict-item]
    store.get()["y"]  # type: ignore[typeddict-item]
    stats: StoreStats = store.stats()
    commits: int = stats["commits"]
    store_id: str = stats["store_id"]
    print(commits, store_id)


def inferred() -> None:
    store = Store.create("counter", 0)
    total: int = store.get() + 1
    store.set(total)
    store.set("0")  # type: ignore[arg-type]
    default = Store.create("empty")
    anything: dict[str, Any] = default.get()
    print(anything)


def opened() -> None:
    unknown = Store.open("robot")
    print(unknown.get().whatever)  # Store[Any]: anything goes
    robot: Store[Robot] = Store.open("robot")
    for change in robot.watch(timeout=1):
        moved: Change[Robot] = change
        print(moved.state["x"], moved.missed, moved.store_id)

    def on_change(change: Change[Robot]) -> None:
        print(change.state["name"])

    subscription: Subscription[Robot] = robot.subscribe(on_change)
    subscription.stop()
    with Store.open_or_create("robot", Robot(x=0, name="r2")) as again:
        print(again.get()["name"])


async def asynchronous(store: Store[Robot]) -> None:
    async for change in store.changes():
        print(change.state["x"] + 1)
    version: int = await store.aset({"x": 1, "name": "r2"})
    version = await store.aupdate(lambda robot: {**robot, "x": robot["x"] + version})
    await store.aset({"x": 1})  # type: ignore[typeddict-item]


if __name__ == "__main__":
    asyncio.run(asynchronous(Store.open("robot")))
