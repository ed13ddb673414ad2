"""Writing a scaffold: every file new or none at all, named as the person who asked for it sees them.

Why all or nothing: a scaffold that stops halfway (one file was already there) leaves a half-made consortium or page
that the next attempt would refuse too. So every path is checked before the first is written, and each is created
exclusively, never over a file that appeared in between.
"""

from __future__ import annotations

import os
from pathlib import Path

from districtstat.config import UsageError


class ScaffoldError(UsageError):
    """A scaffold that cannot be written as asked: a bad name, a file already there, a params file it cannot edit."""


def shown(path: Path) -> str:
    """A path as the person at the command line typed it: relative to the current folder."""
    return Path(os.path.relpath(path)).as_posix()


def refuse_existing(paths: list[Path]) -> None:
    """Stop, naming every file already there, before anything is written."""
    existing = [path for path in paths if path.exists()]
    if existing:
        named = ", ".join(shown(path) for path in existing)
        verb = "exists" if len(existing) == 1 else "exist"
        them = "it" if len(existing) == 1 else "them"
        raise ScaffoldError(f"{named} already {verb}; nothing was written. Choose another name, or move {them} away to write {them} again")


def write_new(files: dict[Path, str]) -> list[Path]:
    """Write every file (text, with \\n line ends whatever the platform), each one created new; returns them in order."""
    refuse_existing(list(files))
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with path.open("x", encoding="utf-8", newline="\n") as out:
                out.write(text)
        except FileExistsError:
            raise ScaffoldError(f"{shown(path)} appeared while the scaffold was being written; it was left as it is") from None
    return list(files)
