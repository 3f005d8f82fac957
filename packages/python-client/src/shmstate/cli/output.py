"""How the commands print: JSON for scripts (``--json``), aligned tables and indented JSON
for people."""

from __future__ import annotations

import datetime
import json
import sys
from collections.abc import Sequence
from typing import Any

from ..frozen import thaw


def emit_json(value: Any) -> None:
    print(json.dumps(thaw(value), ensure_ascii=False, separators=(",", ":")))


def emit_pretty(value: Any) -> None:
    print(json.dumps(thaw(value), ensure_ascii=False, indent=2))


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [list(headers)] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    )


def when(seconds: float) -> str:
    """A local time for people, "-" when unknown."""
    if not seconds:
        return "-"
    return datetime.datetime.fromtimestamp(seconds).isoformat(sep=" ", timespec="seconds")


def iso(seconds: float) -> str | None:
    """An ISO 8601 UTC time for scripts, None when unknown."""
    if not seconds:
        return None
    moment = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
    return moment.isoformat(timespec="milliseconds")


def flush() -> None:
    sys.stdout.flush()
