"""Writing a file so that no reader, and no later build after a crash, ever sees half of it."""

from __future__ import annotations

import json
from pathlib import Path


def write_atomic(path: Path, text: str) -> None:
    """Write beside the target, then rename over it: the rename is atomic on one file system."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def write_json_atomic(path: Path, value: object, indent: int | None = 1) -> None:
    write_atomic(path, json.dumps(value, indent=indent, sort_keys=True, ensure_ascii=False) + "\n")


def read_json(path: Path) -> dict:
    """A record of an earlier build, or nothing when it is absent or unreadable (then the work is redone)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}
