"""Random states and random small edits for the delta tests, and a canonical form to
compare states across languages: the twin of test/helpers/random-edits.ts. Numbers are
integers or quarters, strings come from a small alphabet with non-ASCII letters: values
whose JSON text is the same in both languages."""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

LETTERS = ["a", "b", "k", "z", "é", "ß", "字", "~", "/", " "]


def _key(rng: random.Random) -> str:
    return "".join(rng.choice(LETTERS) for _ in range(1 + rng.randrange(4)))


def _leaf(rng: random.Random) -> Any:
    kind = rng.randrange(5)
    if kind == 0:
        return rng.randrange(2000) - 1000
    if kind == 1:
        return rng.randrange(400) - 200 + 0.25
    if kind == 2:
        return _key(rng)
    if kind == 3:
        return rng.random() < 0.5
    return None


def random_value(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if depth <= 0 or roll < 0.5:
        return _leaf(rng)
    size = rng.randrange(4)
    if roll < 0.75:
        return [random_value(rng, depth - 1) for _ in range(size)]
    return {_key(rng): random_value(rng, depth - 1) for _ in range(size)}


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _containers(state: Any) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    pending: list[tuple[str, Any]] = [("", state)]
    while pending:
        pointer, value = pending.pop()
        if isinstance(value, (list, tuple)):
            found.append((pointer, value))
            pending.extend((f"{pointer}/{i}", child) for i, child in enumerate(value))
        elif isinstance(value, dict):
            found.append((pointer, value))
            pending.extend((f"{pointer}/{_escape(k)}", child) for k, child in value.items())
    return found


def random_edit(rng: random.Random, state: Any, shrink: bool = False) -> list[dict[str, Any]]:
    """One small random edit of ``state`` as RFC 6902 ops (add, replace, remove, move,
    copy); with ``shrink``, a removal wherever one is possible."""
    pointer, value = rng.choice(_containers(state))
    is_array = isinstance(value, (list, tuple))
    keys = [str(i) for i in range(len(value))] if is_array else list(value.keys())
    roll = 0.7 if shrink and keys else rng.random()
    if not keys or roll < 0.3:
        if is_array:
            at = "-" if rng.random() < 0.5 else str(rng.randrange(len(value) + 1))
        else:
            at = _escape(_key(rng))
        return [{"op": "add", "path": f"{pointer}/{at}", "value": random_value(rng, 2)}]
    path = f"{pointer}/{_escape(rng.choice(keys))}"
    if roll < 0.65:
        return [{"op": "replace", "path": path, "value": random_value(rng, 1)}]
    if roll < 0.85 or pointer == "":
        if pointer == "":
            return [{"op": "replace", "path": path, "value": random_value(rng, 2)}]
        return [{"op": "remove", "path": path}]
    target = "/" + _escape("x" + _key(rng))
    return [{"op": "move" if rng.random() < 0.5 else "copy", "from": path, "path": target}]


def canonical(value: Any) -> str:
    """JSON with object keys sorted, the form both languages hash (the read-only states
    are dict and list subclasses, which json writes as it writes dicts and lists)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def state_hash(value: Any) -> str:
    return text_hash(canonical(value))


def random_state(rng: random.Random) -> dict[str, Any]:
    return {f"m{i}": random_value(rng, 4) for i in range(24)}
