"""``ls``, ``info``, ``top`` and ``doctor``: commands that look at stores without becoming
their users (survey.py), and ``doctor --clean``, the one that removes orphans."""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import asdict
from typing import Any

from .. import _native
from ..errors import ShmStateError, ShmStateNotFoundError
from . import survey
from .output import emit_json, iso, table, when


def _summary(found: survey.Look, idle: float) -> dict[str, Any]:
    stats = found.stats
    return {
        "name": found.name,
        "owner": found.owner,
        "mode": f"{found.mode:04o}",
        "capacity": stats.get("capacity"),
        "bytes_in_shm": found.bytes_in_shm,
        "version": stats.get("version"),
        "last_commit": iso(found.last_commit) if stats else None,
        "live": found.live,
        "dead": found.dead,
        "untracked": bool(stats.get("flags", 0) & survey.UNTRACKED),
        "retired": bool(stats.get("flags", 0) & survey.RETIRED),
        "orphaned": found.orphaned(idle),
        "error": found.error.code if found.error else None,
    }


def cmd_ls(args: argparse.Namespace) -> int:
    rows = []
    removed = []
    for name in survey.names():
        try:
            found = survey.look(name, removed_ok=True)
        except ShmStateNotFoundError:
            continue  # removed between the listing and the look
        if found.removed:
            removed.append(found)
        else:
            rows.append(_summary(found, args.idle))
    for gone in removed:  # on stderr: the table (or the JSON) lists the stores that exist
        print(f"removed {gone.name}: {gone.removed_why}", file=sys.stderr)
    if args.json:
        emit_json(rows)
        return 0
    headers = ["NAME", "OWNER", "MODE", "CAPACITY", "SHM", "VERSION", "LAST COMMIT"]
    headers += ["LIVE", "DEAD", "ORPHANED"]
    print(
        table(
            headers,
            [
                [
                    *(r["name"], r["owner"], r["mode"], r["capacity"] or "-", r["bytes_in_shm"]),
                    *(r["version"] or "-", r["last_commit"] or r["error"] or "-", r["live"]),
                    *(r["dead"], "yes" if r["orphaned"] else "no"),
                ]
                for r in rows
            ],
        )
    )
    return 0


def _attachment(a: Any) -> dict[str, Any]:
    entry = asdict(a)
    entry["start_time"] = iso(a.start_time)
    return entry


def cmd_info(args: argparse.Namespace) -> int:
    found = survey.look(args.name)
    if found.error is not None:
        raise found.error
    info = _summary(found, args.idle)
    info.update(
        stats=found.stats,
        lock=found.health,
        doorbells=found.doorbells,
        attached=[_attachment(a) for a in found.attached],
    )
    if args.json:
        emit_json(info)
        return 0
    s, h = found.stats, found.health
    print(f"store      {found.name}  (id {s['store_id']:016x}, layout {s['layout_version']})")
    print(
        f"owner      {found.owner}  mode {found.mode:04o}  {found.bytes_in_shm} bytes in /dev/shm"
    )
    print(
        f"capacity   {s['capacity']}  ring {s['ring_entries']} entries"
        f" of {s['ring_patch_max']} bytes"
    )
    print(
        f"version    {s['version']}  (checkpoint {s['checkpoint_version']})"
        f"  last commit {when(found.last_commit)}"
    )
    print(
        f"commits    {s['commits']}  conflicts {s['conflicts']}"
        f"  lock recoveries {s['lock_recoveries']}"
    )
    owner = f" by thread {h['lock_owner_tid']}" if h["lock_owner_tid"] else ""
    print(f"lock       {h['lock_state']}{owner}  waiters {s['waiters']}")
    print(f"doorbells  {h['doorbells_used']} used, {h['doorbells_dead']} dead")
    bells = [
        [f"  {d['index']}", d["state"], str(d["pid"]), d["socket"], str(d["rings"])]
        for d in found.doorbells
    ]
    if bells:
        print(table(["  ENTRY", "STATE", "PID", "SOCKET", "RINGS"], bells))
    print(f"flags      {_flags(s['flags'])}")
    if s["mirror"]:
        print(f"mirror of  {s['leader']}  (local writes refused: E_MIRROR)")
    print(f"attached   {found.live} live, {found.dead} dead")
    rows = [
        [f"  {a.index}", a.role, a.language, str(a.pid), when(a.start_time), _state(a.alive)]
        for a in found.attached
    ]
    if rows:
        print(
            table(
                ["  ENTRY", "ROLE", "LANGUAGE", "PID", "ATTACHED", "STATE"],
                rows,
            )
        )
    return 0


def _flags(flags: int) -> str:
    names = [
        name
        for bit, name in (
            (survey.UNTRACKED, "untracked users"),
            (survey.SELF_CLEANING, "self-cleaning"),
            (survey.RETIRED, "retired"),
            (survey.MIRROR, "mirror"),
        )
        if flags & bit
    ]
    return ", ".join(names) or "none"


def _state(alive: bool) -> str:
    return "alive" if alive else "dead"


def cmd_doctor(args: argparse.Namespace) -> int:
    findings: list[dict[str, Any]] = []
    removed: list[str] = []
    now = time.time()
    for name in args.names or survey.names():
        try:
            found = survey.look(name, removed_ok=True)
        except ShmStateNotFoundError:
            if args.names:
                raise
            continue
        if found.removed:  # self-cleaning, nobody alive attached: the look removed it
            removed.append(name)
            continue
        problems = []
        if found.error is not None:
            problems.append(f"cannot be read: {found.error}")
        if found.orphaned(args.idle, now):
            problems.append(
                f"orphaned: no live attached process, no commit for {now - found.last_commit:.0f} s"
            )
        if found.health.get("doorbells_dead"):
            problems.append(f"{found.health['doorbells_dead']} dead doorbell entries")
        if found.health.get("lock_state") == "owner-died":
            problems.append("writer lock held by a dead process (the next writer recovers it)")
        if found.dead:
            problems.append(f"{found.dead} dead attach entries")
        if problems:
            findings.append(
                {"name": name, "problems": problems, "orphaned": found.orphaned(args.idle, now)}
            )
        # Only orphans, only the caller's own: another user's store is theirs to judge.
        cleanable = args.clean and found.uid == os.geteuid() and found.orphaned(args.idle, now)
        if cleanable and _remove_if_still_orphaned(name, found, args.idle):
            removed.append(name)
    # Doorbell socket files of subscribers that were killed and whose writer could not
    # remove them (another uid): only the owner's uid removes them (docs/cli.md).
    sockets = _native.doorbell_sockets(args.clean)
    left = sockets["dead"] - sockets["removed"]
    if left:
        findings.append(
            {
                "name": survey.SHM_DIR,
                "problems": [
                    f"{left} dead doorbell socket files ({sockets['dead_foreign']} of other users)"
                ],
                "orphaned": False,
            }
        )
    if args.json:
        emit_json({"findings": findings, "removed": removed, "doorbell_sockets": sockets})
        return 0
    for f in findings:
        for p in f["problems"]:
            print(f"{f['name']}: {p}")
    for name in removed:
        print(f"removed {name}")
    if sockets["removed"]:
        print(f"removed {sockets['removed']} dead doorbell socket files")
    if not findings and not sockets["removed"]:
        print("no problems found")
    return 0


def _remove_if_still_orphaned(name: str, found: survey.Look, idle: float) -> bool:
    """Looks again just before unlinking: a process may have attached since the survey.
    Between this look and the unlink a new attacher can still slip in; it keeps its
    mapping, and a later open creates a new store (docs/cli.md)."""
    try:
        again = survey.look(name)
    except ShmStateNotFoundError:
        return False
    if not again.orphaned(idle) or again.stats.get("store_id") != found.stats.get("store_id"):
        return False
    try:
        _native.Segment.unlink(name)
    except ShmStateNotFoundError:
        return False
    return True


def cmd_top(args: argparse.Namespace) -> int:
    previous: dict[str, tuple[float, int]] = {}
    iteration = 0
    while args.iterations is None or iteration < args.iterations:
        if iteration:
            time.sleep(args.interval)
        iteration += 1
        rows = []
        now = time.monotonic()
        for name in survey.names():
            try:
                found = survey.look(name)
            except (ShmStateNotFoundError, ShmStateError):
                continue
            commits = found.stats.get("commits", 0)
            before = previous.get(name)
            rate = (commits - before[1]) / (now - before[0]) if before and now > before[0] else 0.0
            previous[name] = (now, commits)
            subscribers = sum(1 for a in found.attached if a.alive and a.role == "subscriber")
            rows.append(
                {
                    "name": name,
                    "commits_per_s": round(rate, 1),
                    "subscribers": subscribers,
                    "live": found.live,
                    "version": found.stats.get("version"),
                    "bytes_in_shm": found.bytes_in_shm,
                    "error": found.error.code if found.error else None,
                }
            )
        if args.json:
            emit_json({"time": iso(time.time()), "stores": rows})
            continue
        # Clear the screen and home the cursor: a table that redraws in place, like top.
        print("\x1b[H\x1b[2J", end="")
        print(f"shmstate top  {when(time.time())}  {len(rows)} stores  (Ctrl-C to quit)\n")
        print(
            table(
                ["NAME", "COMMITS/S", "SUBSCRIBERS", "LIVE", "VERSION", "SHM"],
                [
                    [
                        *(r["name"], r["commits_per_s"], r["subscribers"], r["live"]),
                        *(r["version"] or r["error"] or "-", r["bytes_in_shm"]),
                    ]
                    for r in rows
                ],
            ),
            flush=True,
        )
    return 0
