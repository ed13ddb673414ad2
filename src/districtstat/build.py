"""A whole build: prepare the tables, run the notebooks, render, audit and publish one release."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from districtstat.privacy import audit
from districtstat.site import brief, render, project as site
from districtstat.execution import dispatch, runner
from districtstat.execution.warm import stopped_rehearsals
from districtstat import pipeline
from districtstat.data.aggregate import latest_rows
from districtstat.config import Project, UsageError
from districtstat.privacy.disclosure import read_student_counts
from districtstat.files import read_json, write_json_atomic
from districtstat.provenance import Provenance


class BuildFailed(RuntimeError):
    """Some notebooks failed; the release was not published."""

    def __init__(self, failures: list[runner.TaskResult], results: list[runner.TaskResult]):
        super().__init__(f"{len(failures)} notebook(s) failed: " + "; ".join(describe_failure(result) for result in failures))
        self.failures = failures
        self.results = results


def describe_failure(result: runner.TaskResult) -> str:
    """Which notebook failed, in which cell, and the last line of its error: enough to find it in a CI log."""
    where = f" (cell {result.cell})" if result.cell is not None else ""
    lines = [line for line in result.error.strip().splitlines() if line.strip()]
    return f"{result.task.label}{where}: {lines[-1] if lines else 'no error text'}"


@dataclass
class BuildOutcome:
    release: str
    published: object
    results: list[runner.TaskResult] = field(default_factory=list)
    stale: list[runner.Task] = field(default_factory=list)
    rendered_pages: int = 0
    reused_pages: int = 0
    notes: list[str] = field(default_factory=list)  # what made the build slower than it need be (see `warm.stopped_rehearsals`)

    def count(self, status: str) -> int:
        return sum(result.status == status for result in self.results)


def reported_districts(project: Project) -> list[str]:
    """Districts with data in the latest year: a district that closed or left the consortium gets no pages."""
    indicators = pd.read_parquet(project.tables_dir / "district_indicators.parquet", columns=["school_year", "district_id"])
    return sorted(latest_rows(indicators)["district_id"].unique())


def check_district_settings(project: Project, districts: list[str]) -> None:
    unknown = sorted(set(project.settings.districts) - set(districts))
    if unknown:
        raise UsageError(
            f"{project.relative(project.params_file)}: districts: {', '.join(unknown)} not in the data of this release "
            "(quote ids in YAML: an unquoted 0612345 is read as a number)"
        )


def select(tasks: list[runner.Task], only: list[str] | None, districts: list[str]) -> list[runner.Task]:
    if not only:
        return tasks
    unknown = sorted(set(only) - set(districts))
    if unknown:
        raise UsageError(f"--only: no district {', '.join(unknown)} in this release (it has {', '.join(districts[:8])}{'…' if len(districts) > 8 else ''})")
    wanted = set(only)
    return [task for task in tasks if task.district_id in wanted]


def build(
    project: Project,
    renderer: str = "auto",
    workers: int | None = None,
    force: bool = False,
    quiet: bool = False,
    executor: str = "warm",
    scheduler: str | None = None,
    only: list[str] | None = None,
) -> BuildOutcome:
    """Build and publish one release; with `only`, run just those districts and publish only if nothing else is stale."""
    chosen = render.choose_renderer(renderer)
    site.restore(project)
    manifest = pipeline.prepare(project)
    districts = reported_districts(project)
    check_district_settings(project, districts)
    tasks = runner.plan(project, districts)
    selected = select(tasks, only, districts)
    spec = runner.run_spec(project, manifest["tables_hash"], manifest["data_hash"], executor)
    index = runner.KeyIndex(project.executed_dir)
    jobs, settled = runner.triage(project, selected, manifest["tables_hash"], index, force=force)
    stopped_rehearsals()  # what ended before this build is not this build's
    results = dispatch.run_jobs(spec, jobs, settled, workers=workers, scheduler=scheduler, quiet=quiet)
    notes = [f"the fork server ended: {reason}; the notebooks after it ran unrehearsed: slower, with the same outputs" for reason in stopped_rehearsals()]
    keys = {job.task: job.key for job in jobs}
    for result in results:
        if result.status == "ran":
            index.note(result.task, keys[result.task])
    index.save()
    order = {task: i for i, task in enumerate(tasks)}
    results.sort(key=lambda result: order[result.task])
    failures = [result for result in results if result.status == "failed"]
    if failures:
        raise BuildFailed(failures, results)
    if only:
        rest = [task for task in tasks if task not in set(selected)]
        stale, _ = runner.triage(project, rest, manifest["tables_hash"], index)
        if stale:
            return BuildOutcome(project.release, None, results, stale=[job.task for job in stale], notes=notes)
    provenance = Provenance(project.release, manifest["data_hash"], spec.code_commit, pipeline.params_hash(project))
    generated = site.write_project(project, tasks, provenance)
    signature = site.project_signature(project, chosen)
    published_record = project.build_dir / "published.json"
    if read_json(published_record).get("signature") == signature and project.release_site_dir.is_dir():
        return BuildOutcome(project.release, project.release_site_dir, results, notes=notes)
    keys_file = project.build_dir / render.KEYS_FILE
    rendered = render.render(generated, chosen, previous=project.release_site_dir, keys_file=keys_file)
    previous = pipeline.previous_counts_file(project)
    audit.audit_release(
        rendered.output,
        project.data_dir,
        site.published_tables(project),
        outcomes=pd.read_parquet(project.tables_dir / "subgroup_outcomes.parquet", columns=["school_year", "district_id", "subject", "grade", "subgroup", "n"]),
        min_n=project.settings.min_n,
        margin=project.settings.margin,
        previous=read_student_counts(previous) if previous else None,
        shown=brief.shown_counts(project),
        pdf_texts=project.build_dir / "pdf-texts.json",
    )

    def record_published() -> None:
        rendered.save_keys(keys_file)
        write_json_atomic(published_record, {"signature": signature})

    published = site.publish(project, rendered.output, provenance, record_published)
    return BuildOutcome(project.release, published, results, rendered_pages=rendered.rendered, reused_pages=rendered.reused, notes=notes)
