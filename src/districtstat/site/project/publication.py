"""Publishing the rendered release into the site folder in one atomic swap, putting back a site a stopped build left
aside, and the release date the published site declares."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from districtstat.site import versions
from districtstat.site import publish as publishing
from districtstat.config import Project
from districtstat.provenance import Provenance


def release_date(project: Project) -> str | None:
    """The publication date the params declare: a build never stamps its own date, so rebuilds stay byte-identical."""
    return project.settings.release_date.isoformat() if project.settings.release_date else None


def publish(project: Project, rendered: Path, provenance: Provenance, published: Callable[[], None] = lambda: None) -> Path:
    """Make the rendered release `site/<release>/`, with the version list and home updated, in one atomic swap
    of the site folder (see the `publish` module): a build stopped at any point leaves the site as it was.
    `published()` keeps the build's record of what it published, with Ctrl-C held off until it is done."""
    publishing.publish_release(
        project.site_dir,
        project.release,
        rendered,
        project.build_dir.parent,
        project.relative(project.site_dir),
        lambda folder: versions.write_versions(folder, provenance, release_date(project)),
        published,
    )
    return project.release_site_dir


def restore(project: Project) -> None:
    """Put back the site folder a build stopped while publishing left aside, before this build reads it."""
    publishing.restore(project.site_dir, project.build_dir.parent, project.relative(project.site_dir))
