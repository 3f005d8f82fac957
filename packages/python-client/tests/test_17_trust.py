"""Trust and read-only handles from Python: the trust option and SHMSTATE_TRUST, the
group of a new store, a read-only handle that reads and watches but writes nothing, and the
CLI's --trust. The cross-user matrix with real uids (Node and Python) is
test/reliability/trusted-sharing.test.ts; the cases here that need another owner chown the
segment, so they need root (elsewhere: skipped with the reason)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from helpers import shm_path
from shmstate import ShmStateError, Store

OTHER_UID = 65534
needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="giving a store to another uid needs root"
)


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shmstate", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **(env or {})},
    )


def codes_of(call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ShmStateError) as raised:
        call()
    return raised.value.code


def test_trust_values_of_the_wrong_kind_or_grammar_are_e_invalid(name):
    Store.create(name, {"n": 1}).close()
    assert codes_of(lambda: Store.open(name, trust=object())) == "E_INVALID"  # type: ignore[arg-type]
    assert codes_of(lambda: Store.open(name, trust=[-1])) == "E_INVALID"
    assert codes_of(lambda: Store.open(name, trust=["everyone"])) == "E_INVALID"
    with pytest.raises(ShmStateError, match='" uid:1" is neither') as raised:
        Store.open(name, trust="group, uid:1")
    assert raised.value.code == "E_INVALID"
    assert codes_of(lambda: Store.open(name, read_only=1)) == "E_INVALID"  # type: ignore[arg-type]


def test_a_malformed_shmstate_trust_is_e_invalid_and_an_explicit_trust_overrides_it(
    name, monkeypatch
):
    Store.create(name, {"n": 1}).close()
    monkeypatch.setenv("SHMSTATE_TRUST", "uid:")
    with pytest.raises(ShmStateError, match="environment variable SHMSTATE_TRUST") as raised:
        Store.open(name)
    assert raised.value.code == "E_INVALID"
    with Store.open(name, trust="") as store:
        assert store.get() == {"n": 1}


def test_create_gives_the_store_its_group_and_refuses_an_unknown_group_name(name):
    Store.create(name, {}, mode=0o640, group=os.getegid()).close()
    st = shm_path(name).stat()
    assert st.st_gid == os.getegid() and st.st_mode & 0o777 == 0o640
    with pytest.raises(ShmStateError, match="no-such-group-here") as raised:
        Store.create(name + "x", {}, group="no-such-group-here")
    assert raised.value.code == "E_INVALID"
    assert not shm_path(name + "x").exists()


def test_a_read_only_handle_reads_and_watches_writes_are_e_perm_and_no_byte_changes(name):
    writer = Store.create(name, {"n": 1}, capacity=1024)
    before = shm_path(name).read_bytes()
    with Store.open(name, read_only=True) as reader:
        assert reader.read_only and not writer.read_only
        assert reader.get() == {"n": 1}
        for write in (
            lambda: reader.set({"n": 2}),
            lambda: reader.update(lambda s: {**s, "n": 2}),
            lambda: reader.patch([{"op": "replace", "path": "/n", "value": 2}]),
        ):
            with pytest.raises(ShmStateError, match="read-only") as raised:
                write()
            assert raised.value.code == "E_PERM"
        assert [a for a in writer.attached() if not a.self] == []  # not listed
        assert shm_path(name).read_bytes() == before
        threading.Timer(0.05, lambda: writer.set({"n": 3})).start()
        change = next(iter(reader.watch(timeout=5)))
        assert change.state == {"n": 3}
    writer.close()


@needs_root
def test_another_users_store_opens_only_when_trusted_by_option_or_environment(name, monkeypatch):
    Store.create(name, {"n": 1}, mode=0o640).close()
    os.chown(shm_path(name), OTHER_UID, OTHER_UID)
    with pytest.raises(ShmStateError, match="owned by uid 65534") as raised:
        Store.open(name)
    assert raised.value.code == "E_PERM"
    assert codes_of(lambda: Store.open(name, trust="group")) == "E_PERM"
    with Store.open(name, trust=[OTHER_UID]) as store:
        assert store.get() == {"n": 1}
    monkeypatch.setenv("SHMSTATE_TRUST", f"uid:{OTHER_UID}")
    with Store.open(name) as store:
        assert store.get() == {"n": 1}


@needs_root
def test_the_cli_takes_trust_and_honours_shmstate_trust(name):
    Store.create(name, {"n": 1}, mode=0o640).close()
    os.chown(shm_path(name), OTHER_UID, OTHER_UID)
    refused = cli("get", name, env={"SHMSTATE_TRUST": ""})
    assert refused.returncode == 5, refused.stderr
    assert "E_PERM" in refused.stderr
    trusted = cli("get", name, "--trust", f"uid:{OTHER_UID}")
    assert trusted.returncode == 0, trusted.stderr
    assert '"n": 1' in trusted.stdout or '"n":1' in trusted.stdout
    from_env = cli("get", name, env={"SHMSTATE_TRUST": f"uid:{OTHER_UID}"})
    assert from_env.returncode == 0, from_env.stderr
    malformed = cli("get", name, "--trust", "everyone")
    assert malformed.returncode == 4, malformed.stderr
    assert "E_INVALID" in malformed.stderr
