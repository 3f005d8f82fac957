"""update() under contention: four processes, no increment lost."""

from __future__ import annotations

from helpers import start_worker
from shmstate import Store

PROCESSES = 4
INCREMENTS = 5000


def test_four_processes_times_5000_increments_lose_none(name):
    with Store.create(name, initial={"n": 0, "go": False}) as store:
        workers = [start_worker("increment.py", name, str(INCREMENTS)) for _ in range(PROCESSES)]
        try:
            for worker in workers:
                assert worker.stdout is not None
                assert worker.stdout.readline().strip() == "ready"
            store.update(lambda state: {**state, "go": True})  # version 2: go
            for worker in workers:
                _, stderr = worker.communicate(timeout=120)
                assert worker.returncode == 0, stderr
        finally:
            for worker in workers:
                worker.kill()
                worker.wait()
        assert store.get() == {"n": PROCESSES * INCREMENTS, "go": True}
        assert store.version == 2 + PROCESSES * INCREMENTS
