"""A whole build: prepare the tables, run the notebooks, render, audit and publish one release."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from . import audit, pipeline, runner, site
from .aggregate import latest_rows
from .config import Project
from .provenance import Provenance, code_commit


class BuildFailed(RuntimeError):
    """Some notebooks failed; the release was not published."""

    def __init__(self, failures: list[runner.TaskResult]):
        super().__init__(f"{len(failures)} notebook(s) failed")
        self.failures = failures


@dataclass
class BuildOutcome:
    release: str
    published: object
    results: list[runner.TaskResult] = field(default_factory=list)
    tables_skipped: bool = False

    def count(self, status: str) -> int:
        return sum(result.status == status for result in self.results)


def reported_districts(project: Project) -> list[str]:
    """Districts with data in the latest year: a district that closed or left the consortium gets no pages."""
    indicators = pd.read_parquet(project.tables_dir / "district_indicators.parquet", columns=["school_year", "district_id"])
    return sorted(latest_rows(indicators)["district_id"].unique())


def build(project: Project, renderer: str = "auto", workers: int | None = None, force: bool = False, quiet: bool = False) -> BuildOutcome:
    chosen = site.choose_renderer(renderer)
    manifest = pipeline.prepare(project)
    districts = reported_districts(project)
    tasks = runner.plan(project, districts)
    results = runner.run_all(project, tasks, manifest["key"], workers=workers, force=force, quiet=quiet)
    failures = [result for result in results if result.status == "failed"]
    if failures:
        raise BuildFailed(failures)
    provenance = Provenance(project.release, manifest["data_hash"], code_commit(project.root), manifest["params_hash"])
    generated = site.write_project(project, tasks, provenance)
    rendered = site.render(generated, chosen)
    audit.audit_release(rendered, project.data_dir)
    published = site.publish(project, rendered, provenance)
    return BuildOutcome(project.release, published, results, bool(manifest.get("skipped")))
