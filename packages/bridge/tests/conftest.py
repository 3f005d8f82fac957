"""Fixtures of the bridge tests: real nats-server processes (JetStream on 127.0.0.1, free
ports, fresh storage, stopped after each test), bridge processes (killed after each test),
unique store names (removed after each test). `nats-server` must be on PATH
(scripts/test-bridge.sh installs the Debian package when it is missing)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from shmstate import ShmStateError, ShmStateNotFoundError, Store


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def accepts(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_for(what: str, ok: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not ok():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class NatsServer:
    """One nats-server; `config` (text) is written to a file and passed with -c."""

    def __init__(self, root: Path, name: str, config: str = "") -> None:
        self.port = free_port()
        self.dir = root / name
        self.dir.mkdir()
        self.config = self.dir / "server.conf"
        self.config.write_text(
            f'server_name: "{name}"\nlisten: "127.0.0.1:{self.port}"\n'
            f'jetstream {{ store_dir: "{self.dir / "js"}" }}\n{config}'
        )
        self.url = f"nats://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.monitor = 0  # the HTTP monitoring port, when the config opens one

    def clients(self) -> int:
        """Client connections the server has now (its /connz monitoring endpoint)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.monitor}/connz", timeout=2) as r:
            return int(json.load(r)["num_connections"])

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["nats-server", "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.dir / "server.log", "ab"),  # noqa: SIM115
        )
        wait_for(f"nats-server on {self.port}", lambda: accepts(self.port))

    def log(self) -> str:
        return (self.dir / "server.log").read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(10)
        self.process = None


class Servers:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.all: list[NatsServer] = []

    def single(self, config: str = "") -> NatsServer:
        server = NatsServer(self.root, f"s{len(self.all)}", config)
        self.all.append(server)
        server.start()
        return server

    def cluster(self, size: int = 3) -> list[NatsServer]:
        ports = [free_port() for _ in range(size)]
        monitors = [free_port() for _ in range(size)]
        routes = ", ".join(f'"nats-route://127.0.0.1:{p}"' for p in ports)
        servers = [
            NatsServer(
                self.root,
                f"c{i}",
                f'cluster {{ name: "shmstate-test", listen: "127.0.0.1:{ports[i]}", '
                f'routes: [{routes}] }}\nhttp: "127.0.0.1:{monitors[i]}"\n',
            )
            for i in range(size)
        ]
        self.all.extend(servers)
        for server, monitor in zip(servers, monitors, strict=True):
            server.monitor = monitor
        for server in servers:
            server.process = subprocess.Popen(
                ["nats-server", "-c", str(server.config)],
                stdout=subprocess.DEVNULL,
                stderr=open(server.dir / "server.log", "ab"),  # noqa: SIM115
            )
        for server in servers:
            wait_for(f"nats-server on {server.port}", lambda s=server: accepts(s.port))
        return servers


@pytest.fixture
def nats() -> Iterator[Servers]:
    with tempfile.TemporaryDirectory(prefix="shmstate-nats-") as root:
        servers = Servers(Path(root))
        try:
            yield servers
        finally:
            for server in servers.all:
                server.stop(signal.SIGKILL)


class Bridge:
    """A bridge process (`python -m shmstate_bridge ...`); its log is kept for asserts."""

    def __init__(self, log_dir: Path, args: list[str]) -> None:
        self.args = args
        self.log = log_dir / f"bridge-{time.monotonic_ns()}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "shmstate_bridge", *self.args],
            stdout=subprocess.DEVNULL,
            stderr=open(self.log, "ab"),  # noqa: SIM115
        )

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def output(self) -> str:
        return self.log.read_text()


@pytest.fixture
def bridges(tmp_path: Path) -> Iterator[Callable[..., Bridge]]:
    started: list[Bridge] = []

    def start(*args: str) -> Bridge:
        bridge = Bridge(tmp_path, list(args))
        started.append(bridge)
        return bridge

    yield start
    for bridge in started:
        bridge.kill()


@pytest.fixture
def names() -> Iterator[Callable[[str], str]]:
    made: list[str] = []

    def make(tag: str) -> str:
        name = f"bridge-{tag}-{os.getpid()}-{len(made)}-{time.monotonic_ns() % 10**6}"
        made.append(name)
        return name

    yield make
    for name in made:
        with contextlib.suppress(ShmStateNotFoundError):
            Store.unlink(name)


class Writer(threading.Thread):
    """Commits `count` patches (`replace /tick`) to the leader, `rate` per second."""

    def __init__(self, store: Store[Any], count: int, rate: float) -> None:
        super().__init__(daemon=True)
        self.store, self.count, self.rate = store, count, rate
        self.written = 0

    def run(self) -> None:
        start = time.monotonic()
        tick = self.store.get()["tick"]
        for _ in range(self.count):
            tick += 1
            self.store.patch([{"op": "replace", "path": "/tick", "value": tick}])
            self.written += 1
            ahead = self.written / self.rate - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)


class Sampler(threading.Thread):
    """Reads the mirror's (store id, version) every millisecond, for the never-backwards
    check: within one mirror store id, versions must never decrease."""

    def __init__(self, name: str) -> None:
        super().__init__(daemon=True)
        self.name = name
        self.samples: list[tuple[str, int]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        store: Store[Any] | None = None
        while not self.stop.is_set():
            try:
                if store is None:
                    store = Store.open(self.name)
                with Store.open(self.name) as current:
                    if current.store_id != store.store_id:
                        store.close()
                        store = Store.open(self.name)
                self.samples.append((store.store_id, store.version))
            except ShmStateError:
                pass
            time.sleep(0.001)
        if store is not None:
            store.close()

    def last(self) -> int:
        return self.samples[-1][1] if self.samples else 0

    def backwards(self) -> list[tuple[tuple[str, int], tuple[str, int]]]:
        self.stop.set()
        self.join(5)
        pairs = zip(self.samples, self.samples[1:], strict=False)
        return [(a, b) for a, b in pairs if a[0] == b[0] and b[1] < a[1]]


def converged(leader: Store[Any], mirror_name: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            with Store.open(mirror_name) as mirror:
                return mirror.version == leader.version and mirror.get() == leader.get()
        except ShmStateNotFoundError:
            return False

    return check
