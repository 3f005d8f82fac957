"""Mirror stores: created with ``mirror_of``, marked in stats(), refusing ordinary writes
with ShmStateMirrorError (E_MIRROR, naming the leader) and changing nothing, written only
by mirror_set (versions may jump, never go back) and mirror_patch (the leader's patch)."""

from __future__ import annotations

from typing import Any

import pytest

from shmstate import (
    ShmStateConflictError,
    ShmStateCorruptError,
    ShmStateInvalidError,
    ShmStateMirrorError,
    ShmStatePatchError,
    Store,
)

LEADER = "nats://127.0.0.1:4222 bucket shmstate key robot, leader store id 00000000000000ff"


def mirror(name: str) -> Store[Any]:
    return Store.create(name, {"a": 1}, version=7, mirror_of=LEADER)


def test_stats_show_the_mirror_and_its_leader(name: str) -> None:
    with mirror(name) as store:
        stats = store.stats()
        assert stats["mirror"] is True
        assert stats["leader"] == LEADER
        assert stats["flags"] & (1 << 3)
        assert stats["version"] == 7


def test_an_ordinary_store_is_no_mirror(name: str) -> None:
    with Store.create(name, {"a": 1}) as store:
        assert store.stats()["mirror"] is False
        assert store.stats()["leader"] is None
        with pytest.raises(ShmStateInvalidError, match="not a mirror"):
            store.mirror_set(b'{"a":2}', 9)
        assert store.version == 1


@pytest.mark.parametrize("write", ["set", "update", "patch", "commit_at"])
def test_local_writes_fail_with_e_mirror_naming_the_leader(name: str, write: str) -> None:
    with mirror(name) as store:
        with pytest.raises(ShmStateMirrorError) as raised:
            if write == "set":
                store.set({"a": 2})
            elif write == "update":
                store.update(lambda s: {"a": s["a"] + 1})
            elif write == "patch":
                store.patch([{"op": "replace", "path": "/a", "value": 2}])
            else:
                store._seg.commit(b'{"a":2}', 0, 9)
        assert raised.value.code == "E_MIRROR"
        assert LEADER in str(raised.value)
        assert store.version == 7
        assert store.get() == {"a": 1}
        assert store.stats()["commits"] == 1


def test_mirror_set_jumps_versions_and_never_goes_back(name: str) -> None:
    with mirror(name) as store:
        assert store.mirror_set(b'{"a":5}', 20) == 20
        assert store.get() == {"a": 5}
        with pytest.raises(ShmStateConflictError):
            store.mirror_set(b'{"a":4}', 20)
        with pytest.raises(ShmStateConflictError):
            store.mirror_set(b'{"a":4}', 8)
        with pytest.raises(ShmStateCorruptError):
            store.mirror_set(b"{not json", 21)
        assert (store.version, store.get()) == (20, {"a": 5})


def test_mirror_patch_applies_the_leaders_patch(name: str) -> None:
    with mirror(name) as store:
        assert store.mirror_patch(b'[{"op":"replace","path":"/a","value":2}]', 8) == 8
        assert store.get() == {"a": 2}
        with pytest.raises(ShmStateConflictError):
            store.mirror_patch(b'[{"op":"replace","path":"/a","value":3}]', 10)
        with pytest.raises(ShmStatePatchError):
            store.mirror_patch(b'[{"op":"remove","path":"/nothing"}]', 9)
        assert (store.version, store.get()) == (8, {"a": 2})


def test_mirror_writes_take_json_text_as_str_or_bytes(name: str) -> None:
    with mirror(name) as store:
        assert store.mirror_set('{"a":"é"}', 8) == 8
        assert store.get() == {"a": "é"}
        assert store.mirror_patch('[{"op":"replace","path":"/a","value":"ü"}]', 9) == 9
        assert store.get() == {"a": "ü"}


@pytest.mark.parametrize("data", [None, 5, {"a": 2}, [{"op": "add", "path": "/b", "value": 1}]])
def test_mirror_writes_of_another_type_are_e_invalid_and_commit_nothing(
    name: str, data: Any
) -> None:
    with mirror(name) as store:
        with pytest.raises(ShmStateInvalidError, match="data must be JSON text") as raised:
            store.mirror_set(data, 8)
        assert raised.value.code == "E_INVALID"
        with pytest.raises(ShmStateInvalidError, match="patch must be JSON text") as raised:
            store.mirror_patch(data, 8)
        assert raised.value.code == "E_INVALID"
        assert (store.version, store.get(), store.stats()["commits"]) == (7, {"a": 1}, 1)


def test_a_watcher_of_a_mirror_counts_jumps_as_missed(name: str) -> None:
    with mirror(name) as store:
        watch = store.watch(timeout=5, every=True)
        store.mirror_set(b'{"a":9}', 12)
        change = next(watch)
        assert (change.version, change.state, change.missed) == (12, {"a": 9}, 4)
        watch.close()


def test_the_cli_refuses_writes_to_a_mirror_and_shows_it(name: str, capsys: Any) -> None:
    from shmstate.cli import main

    with mirror(name) as store:
        assert main(["set", name, '{"a": 2}']) == 4
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and LEADER in err and err.rstrip().endswith("(E_MIRROR)")
        assert store.get() == {"a": 1}
        assert main(["info", name]) == 0
        out = capsys.readouterr().out
        assert "flags      mirror" in out and f"mirror of  {LEADER}" in out
