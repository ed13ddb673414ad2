"""Writing the generated project: only the files whose content changed, each with a fixed modification time, and
the record of what was written and published, which the next build, the audit and the render signature read."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from districtstat.site import downloads
from districtstat.config import Project
from districtstat.files import read_json, write_json_atomic
from districtstat.provenance import file_sha256, hash_json
from districtstat.site.render import renderer_fingerprint
from districtstat.site.project.notebook_pages import with_title

# Renderers read source modification times (listings sort on them); a fixed time keeps output byte-stable.
SOURCE_TIME = 315532800  # 1980-01-01, the epoch reproducible builds use


class ProjectWriter:
    """Writes the generated project's files, leaving alone those whose content (or, for an executed
    notebook, whose source file and title) has not changed, so an unchanged page is not even read.

    The record keeps each notebook page's published tables too, so an unchanged page keeps its downloads, and the
    hash of its executed notebook, so an unchanged one is not hashed again."""

    SOURCES = "project-sources.json"

    def __init__(self, target: Path, record: Path, homes: frozenset[str] = frozenset()):
        self.target, self.record, self.homes = target, record, homes
        self.homes_hash = hash_json(sorted(homes))  # once: a page's signature names every home, and there is a page per district
        old = read_record(record)
        self.old, self.old_tables, self.old_sources = old.get("files", {}), old.get("tables", {}), old.get("sources", {})
        self.new: dict[str, str] = {}
        self.sources: dict[str, str] = {}
        self.tables: dict[str, list[downloads.PublishedTable]] = {}
        self.district_names: dict[str, str] = {}  # what a district page's downloads carry beside its id

    def text(self, relative: str, content: str) -> None:
        path = self.target / relative
        self.new[relative] = hash_json(content)
        if self.old.get(relative) != self.new[relative] or not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")

    def binary(self, relative: str, digest: str, make: Callable[[], bytes]) -> None:
        """Write a file made by `make()` from content whose hash is `digest` (a PDF), making it only when that changed."""
        path = self.target / relative
        self.new[relative] = digest
        if self.old.get(relative) != digest or not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(make())

    def notebook(self, relative: str, executed: Path, title: str, meta: dict | None = None) -> str:
        """Write a notebook page; returns the SHA-256 of the executed notebook it is made from."""
        path = self.target / relative
        stat = executed.stat()
        signature = hash_json([executed.name, stat.st_size, stat.st_mtime_ns, title, meta, self.homes_hash])
        self.new[relative] = signature
        unchanged = self.old.get(relative) == signature
        self.sources[relative] = self.old_sources[relative] if unchanged and relative in self.old_sources else file_sha256(executed)
        kept = downloads.from_record(self.old_tables.get(relative, []))
        if unchanged and path.is_file() and all((self.target / t.path).is_file() for t in kept):
            self.tables[relative] = kept
            for table in kept:
                self.new[table.path] = self.old[table.path]
            return self.sources[relative]
        page = PurePosixPath(relative)
        content, tables = with_title(executed, title, page, self.homes, meta)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        self.tables[relative] = []
        for csv_path, csv, about in tables:
            csv = downloads.with_district(csv, page, self.district_names)
            self.text(csv_path.as_posix(), csv)
            self.tables[relative].append(downloads.published_table(csv_path, page, csv, about))
        return self.sources[relative]

    def published_tables(self) -> list[downloads.PublishedTable]:
        return [table for page in sorted(self.tables) for table in self.tables[page]]

    def finish(self) -> None:
        """Remove what this build did not write (the rendered output aside) and fix every modification time."""
        for path in sorted(self.target.rglob("*"), reverse=True):
            relative = path.relative_to(self.target).as_posix()
            if relative == "_site" or relative.startswith("_site/"):
                continue
            if path.is_file() and relative not in self.new:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
        for relative in self.new:
            os.utime(self.target / relative, (SOURCE_TIME, SOURCE_TIME))
        tables = {page: downloads.record(kept) for page, kept in sorted(self.tables.items())}
        write_json_atomic(self.record, {"writer": renderer_fingerprint(), "files": self.new, "tables": tables, "sources": self.sources}, indent=None)


def read_record(path: Path) -> dict:
    """The writer's record of the last build, when it was written by this code (else every page is written again)."""
    record = read_json(path)
    return record if record.get("writer") == renderer_fingerprint() else {}


def published_tables(project: Project) -> list[downloads.PublishedTable]:
    """The tables the generated project publishes, as the writer recorded them: what the audit reads back."""
    record = read_record(project.build_dir / ProjectWriter.SOURCES)
    return [table for page in sorted(record.get("tables", {})) for table in downloads.from_record(record["tables"][page])]


def project_signature(project: Project, renderer: str) -> str:
    """One hash of everything the generated project holds (from the writer's record) and the renderer."""
    record = project.build_dir / ProjectWriter.SOURCES
    return hash_json({"sources": record.read_text() if record.is_file() else None, "renderer": renderer, "code": renderer_fingerprint()})
