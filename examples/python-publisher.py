"""A fleet of simulated robots publishing its live state through shmstate.

Run:  .venv/bin/python examples/python-publisher.py --name fleet --hz 200 --seconds 5

Creates the store, then `--hz` times a second moves one robot (each in turn) and publishes
that change as a JSON Patch (`store.patch`: a few operations, whatever the fleet's size),
and ends by patching `done` to true. Each state carries `published_ns`, the CLOCK_MONOTONIC
time just before the commit, so a subscriber on the same host can measure latency. It is a
decimal string: nanoseconds of uptime pass 2^53 after about 104 days, and the JSON dialect
only carries integers up to 2^53 - 1 (a reader parses it with BigInt or int()).
"""

from __future__ import annotations

import argparse
import math
import random
import signal
import sys
import time

from shmstate import Store


def make_fleet(size: int, rng: random.Random) -> list[dict]:
    return [
        {
            "id": f"robot-{i:02d}",
            "x": rng.uniform(0, 50),
            "y": rng.uniform(0, 50),
            "heading": rng.uniform(0, 2 * math.pi),
            "speed": rng.uniform(0.5, 2.0),
            "battery": rng.uniform(60, 100),
            "status": "moving",
        }
        for i in range(size)
    ]


MOVING = ("x", "y", "heading", "battery", "status")


def step(robot: dict, dt: float, rng: random.Random) -> None:
    robot["heading"] = (robot["heading"] + rng.gauss(0, 0.2) * dt * 10) % (2 * math.pi)
    robot["x"] = min(50.0, max(0.0, robot["x"] + math.cos(robot["heading"]) * robot["speed"] * dt))
    robot["y"] = min(50.0, max(0.0, robot["y"] + math.sin(robot["heading"]) * robot["speed"] * dt))
    robot["battery"] = max(0.0, robot["battery"] - dt * 0.5)
    robot["status"] = "charging" if robot["battery"] < 20 else "moving"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="fleet")
    parser.add_argument("--robots", type=int, default=8)
    parser.add_argument("--hz", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()

    rng = random.Random(7)
    fleet = make_fleet(args.robots, rng)
    period = 1.0 / args.hz
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    store = Store.create(
        args.name, initial={"tick": 0, "robots": fleet, "done": False}, capacity=1 << 16
    )
    print("ready", flush=True)
    try:
        tick = 0
        started = time.monotonic()
        next_at = started
        while not stopping and time.monotonic() - started < args.seconds:
            tick += 1
            # One robot moves per tick, each in turn: the patch names only what changed.
            index = tick % len(fleet)
            robot = fleet[index]
            step(robot, period * len(fleet), rng)
            ops = [
                {"op": "replace", "path": f"/robots/{index}/{key}", "value": robot[key]}
                for key in MOVING
            ]
            ops.append({"op": "replace", "path": "/tick", "value": tick})
            stamp = str(time.clock_gettime_ns(time.CLOCK_MONOTONIC))
            ops.append({"op": "add", "path": "/published_ns", "value": stamp})
            store.patch(ops)
            next_at += period
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        store.patch([{"op": "replace", "path": "/done", "value": True}])
        print(f"published {tick} states", flush=True)
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
