"""What every command shares: the console it speaks on, its exit statuses and the default params file."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from districtstat.config import find_root

DEFAULT_PARAMS = Path("params") / "synthetic.yml"
OK, DATA_FAILED, USAGE, STOPPED = 0, 1, 2, 130


def _console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def default_params() -> Path:
    """`params/synthetic.yml` of the project around the current folder: what the README's command builds."""
    return find_root(Path.cwd()) / DEFAULT_PARAMS


