"""The releases published under `site/`: the version list, the site's front door, and the switcher between them.

Quarto has no versioned sites, so districtstat keeps its own list, `site/versions.json`, in the order releases
were first published. The switcher on every page reads it, so an older release's pages learn about newer
releases without being rendered again.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

from districtstat.config import UsageError
from districtstat.files import write_atomic
from districtstat.provenance import Provenance

VERSIONS = "versions.json"


@dataclass(frozen=True)
class PublishedRelease:
    name: str
    date: str | None
    data_hash: str
    code_commit: str
    params_hash: str
    latest: bool

    @classmethod
    def from_entry(cls, entry: dict) -> "PublishedRelease":
        return cls(entry["name"], entry.get("date"), entry.get("data_hash", "?"), entry.get("code_commit", "?"), entry.get("params_hash", "?"), bool(entry.get("latest")))


class VersionsUnreadable(UsageError):
    """`site/versions.json` exists but cannot be read: publishing over it would drop every older release."""


def read_versions(site: Path) -> list[dict]:
    """The list as written (none before the first publish); an unreadable list is an error, never an empty one."""
    path = site / VERSIONS
    if not path.is_file():
        return []
    try:
        releases = json.loads(path.read_text(encoding="utf-8"))["releases"]
        return [dict(entry, name=str(entry["name"])) for entry in releases]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise VersionsUnreadable(
            f"{VERSIONS} in the site folder cannot be read ({error.__class__.__name__}: {error}); restore it from a backup or "
            "delete it, and the next build lists the releases it publishes"
        ) from None


def published_releases(site: Path) -> list[PublishedRelease]:
    """The releases readers can open: listed in `versions.json` and present on disk."""
    return [PublishedRelease.from_entry(entry) for entry in read_versions(site) if (site / entry["name"]).is_dir()]


def previous_release(site: Path, release: str) -> str | None:
    """The release published just before `release` (or the latest one, for a release not yet published)."""
    names = [entry.name for entry in published_releases(site)]
    earlier = names[: names.index(release)] if release in names else names
    return earlier[-1] if earlier else None


def write_versions(site: Path, provenance: Provenance, date: str | None) -> None:
    """List the releases in the order they were first published and point `index.html` at the newest."""
    entry = {"name": provenance.release, "date": date, "data_hash": provenance.data_hash, "code_commit": provenance.code_commit, "params_hash": provenance.params_hash}
    releases = [r for r in read_versions(site) if (site / r["name"]).is_dir()]
    names = [r["name"] for r in releases]
    if provenance.release in names:  # a rebuilt release keeps its place; the newest release stays the latest
        releases[names.index(provenance.release)] = entry
    else:
        releases.append(entry)
    for release in releases:
        release["latest"] = release is releases[-1]
    write_atomic(site / VERSIONS, json.dumps({"releases": releases}, indent=2, sort_keys=True) + "\n")
    write_atomic(site / "index.html", front_door(releases[-1]["name"]))


def front_door(latest: str) -> str:
    """`site/index.html`: sends readers to the latest release, with a link for browsers that do not follow the refresh."""
    target = f"{html.escape(latest)}/index.html"
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>districtstat releases</title>'
        f'<meta http-equiv="refresh" content="0; url={target}"></head>'
        f'<body><p>The latest release is <a href="{target}">{html.escape(latest)}</a>.</p></body></html>\n'
    )
