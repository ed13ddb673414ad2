"""The stages before the notebooks: make sure the data exist, validate them, aggregate, fit the models.

The stage is skipped when its key (data, contracts, params and package version) is unchanged.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from districtstat.data.aggregate import aggregate
from districtstat.config import Project, Settings, UsageError
from districtstat.data.contracts import ValidationReport, load_contracts, validate_dataset, with_code_set
from districtstat.data.examples import EXAMPLES, write_example
from districtstat.data.spool import SpooledTable, as_frame
from districtstat.files import write_atomic
from districtstat.privacy.disclosure import STUDENT_COUNTS_FILE, read_student_counts
from districtstat.site.downloads import FIGURES_FILE
from districtstat.analyses.models import fit_models
from districtstat.provenance import file_sha256, hash_files, hash_json, package_fingerprint
from districtstat.privacy.revisions import published_means
from districtstat.data.surveys import answer_files, check_surveys, mark_kept_hidden
from districtstat.data.surveys import summary as survey_summary
from districtstat.site.versions import previous_release

DATA_SUFFIXES = (".csv", ".parquet")


class DataInvalid(Exception):
    """The data fail their contracts; nothing downstream may run."""

    def __init__(self, report: ValidationReport):
        super().__init__("the data fail their contracts")
        self.report = report


@dataclass(frozen=True)
class Fingerprint:
    data: str
    contracts: str
    params: str
    previous_counts: str | None = None
    previous_figures: str | None = None

    @property
    def key(self) -> str:
        inputs = {"data": self.data, "contracts": self.contracts, "params": self.params, "previous_counts": self.previous_counts, "previous_figures": self.previous_figures}
        return hash_json(inputs | {"code": package_fingerprint()})


def ensure_data(project: Project) -> None:
    """Generate an example dataset the params name, when its folder is absent."""
    if project.data_dir.is_dir() and any(project.data_dir.iterdir()):
        return
    if project.settings.dataset not in EXAMPLES:
        raise FileNotFoundError(f"{project.relative(project.data_dir)}: no data folder; the params name dataset {project.settings.dataset!r}")
    write_example(project.settings.dataset, project.data_dir)


def data_files(project: Project) -> list[Path]:
    return sorted(p for p in project.data_dir.iterdir() if p.suffix in DATA_SUFFIXES)


# What only the pages read: the site's title and date, and which notebooks make its pages.
PAGE_SETTINGS = ("title", "release_date", "overview_notebook", "topic_notebook", "actions_notebook", "district_notebooks", "consortium_notebooks")


def data_stage_settings(settings: Settings) -> Settings:
    """The settings the data stage is given: every district's goals and the page settings left out.

    Goals are the scorecard's, read by the notebooks; a board that sets a goal, or a release that adds a page,
    reruns the notebooks concerned, not the validation, aggregation and models of every district. The stage
    never sees these settings (they read as their defaults), so its tables cannot depend on them, and its
    fingerprint leaves them out too.
    """
    without_goals = {district: overrides.model_copy(update={"goals": {}}) for district, overrides in settings.districts.items()}
    districts = {district: overrides for district, overrides in without_goals.items() if overrides != type(overrides)()}
    defaults = {name: Settings.model_fields[name].get_default(call_default_factory=True) for name in PAGE_SETTINGS}
    return settings.model_copy(update={"districts": districts, **defaults, "title": ""})


def params_hash(project: Project) -> str:
    """Every setting of the release, goals included: what the site's provenance names."""
    return hash_json(project.settings.model_dump(mode="json"))


def fingerprint(project: Project) -> Fingerprint:
    """What the tables are made from; the data hash covers the topics' survey answers too."""
    contracts = sorted(project.contracts_dir.glob("*.yaml"))
    return Fingerprint(
        data=hash_files([*data_files(project), *answer_files(project)], project.data_dir),
        contracts=hash_files(contracts, project.contracts_dir),
        params=hash_json(data_stage_settings(project.settings).model_dump(mode="json")),
        previous_counts=file_sha256(previous) if (previous := previous_counts_file(project)) else None,
        previous_figures=file_sha256(figures) if (figures := previous_figures_file(project)) else None,
    )


def previous_counts_file(project: Project) -> Path | None:
    """The student counts the previous release published: suppression keeps what it hid hidden (see `disclosure`)."""
    return previous_file(project, STUDENT_COUNTS_FILE)


def previous_file(project: Project, name: str) -> Path | None:
    previous = previous_release(project.site_dir, project.release)
    path = project.site_dir / previous / name if previous else None
    return path if path is not None and path.is_file() else None


def previous_figures_file(project: Project) -> Path | None:
    """Every figure the previous release published: a revised score is judged against it (see `revisions`)."""
    return previous_file(project, FIGURES_FILE)


def validate(project: Project, display_root: Path | None = None, spool_dir: Path | None = None) -> ValidationReport:
    """Every input against its contract, the topics' survey answers included (their table is `survey_answers`).

    Files are named relative to `display_root` (default: the project root). With `spool_dir`, a large file is checked
    in chunks and its typed table left there (see `validate_dataset`)."""
    subjects = [subject.code for subject in project.settings.subjects]
    contracts = with_code_set(load_contracts(project.contracts_dir), "subjects", subjects, version=project.relative(project.params_file))
    root = display_root or project.root
    return check_surveys(project, validate_dataset(project.data_dir, contracts, display_root=root, spool_dir=spool_dir), display_root=root)


PERIOD_COLUMNS = ("school_year", "fiscal_year")
PROBLEM_LINES = 5


def content_hash(path: Path) -> str:
    """The first 12 hex digits of the file's SHA-256: which exact file was checked, whatever its name or date."""
    return file_sha256(path)[:12]


def latest_period(table: pd.DataFrame | SpooledTable | None) -> tuple[str | None, int | None]:
    """The last school or fiscal year a file covers, read from its values (never from file dates), or (None, None)."""
    for column in PERIOD_COLUMNS:
        if table is not None and column in table.columns:
            values = table.read([column])[column] if isinstance(table, SpooledTable) else table[column]
            latest = pd.to_numeric(values, errors="coerce").max()
            return (column, int(latest)) if pd.notna(latest) else (None, None)
    return None, None


def quality_record(project: Project, report: ValidationReport) -> dict:
    """The report's summary plus, per input file, its name, content hash, problem lines and the latest period it covers."""
    record = report.to_dict()
    grouped = report.lines(cap=1)  # one example per problem, then how many rows share it
    for entity, entry in record["files"].items():
        name = Path(entry["file"]).name
        column, latest = latest_period(report.tables.get(entity))
        path = project.data_dir / name
        entry.update(
            name=name,
            content_hash=content_hash(path) if path.is_file() else None,
            problems=entry["failures"],
            problem_lines=[line for line in grouped if line.startswith(f"{entry['file']}:")][:PROBLEM_LINES],
            period_column=column,
            latest_period=latest,
        )
    districts = report.tables.get("districts")
    answers = report.tables.get("survey_answers", pd.DataFrame(columns=["topic_id", "district_id"]))
    surveys = survey_summary(project, answers, [] if districts is None else districts["district_id"].dropna().astype(str))
    for entry in surveys.values():
        folder = f"{entry['folder']}/"
        entry["problem_lines"] = [line for line in grouped if line.startswith(folder)][:PROBLEM_LINES]
    if surveys:
        record["surveys"] = surveys
    return record


def write_tables(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in sorted(tables.items()):
        frame.to_parquet(folder / f"{name}.parquet", index=False)


def read_manifest(project: Project) -> dict | None:
    path = project.tables_dir / "manifest.json"
    return json.loads(path.read_text()) if path.is_file() else None


def prepare(project: Project) -> dict:
    """Validate, aggregate and model, or reuse the tables when nothing they depend on changed.

    Returns the manifest of the tables: the fingerprint, the key and the latest school year.
    """
    ensure_data(project)
    prints = fingerprint(project)
    manifest = read_manifest(project)
    if manifest and manifest.get("key") == prints.key and "tables_hash" in manifest:
        return manifest | {"skipped": True}
    project.build_dir.mkdir(parents=True, exist_ok=True)
    spool = project.build_dir / "spool"  # a state's large files, typed, while they are aggregated in bounded memory
    shutil.rmtree(spool, ignore_errors=True)
    try:
        report = validate(project, spool_dir=spool)
        write_atomic(project.build_dir / "data_quality.json", json.dumps(quality_record(project, report), indent=2, sort_keys=True) + "\n")
        if not report.ok:
            raise DataInvalid(report)
        settings = data_stage_settings(project.settings)
        tables = aggregate(report.tables, intersections=settings.gaps.intersections)
        if tables["district_indicators"].empty:  # valid files without rows, such as templates not filled in yet
            empty = [entry["file"] for entry in report.files.values() if entry["rows"] == 0]
            raise UsageError(
                f"no district has any figure to report: {', '.join(empty) or 'the data'} {'has' if len(empty) == 1 else 'have'} no rows yet. "
                "Fill in one row per line below each header (the # lines may stay), check with `districtstat validate`, then build"
            )
        if "actions" in report.tables:  # district records, passed on as validated: the scorecards follow them
            tables["actions"] = as_frame(report.tables["actions"])
        previous = previous_counts_file(project)
        previous_counts = read_student_counts(previous) if previous else None
        latest_year = int(tables["district_indicators"]["school_year"].max())
        tables["survey_answers"] = mark_kept_hidden(report.tables["survey_answers"], settings, latest_year, previous_counts, settings.min_n)
        previous_means = published_means(previous_figures_file(project), tables["subgroup_outcomes"]["subgroup"].unique())
        tables.update(fit_models(settings, tables, previous_counts, previous_means))
    finally:
        shutil.rmtree(spool, ignore_errors=True)
    staging = project.build_dir / "tables.partial"
    shutil.rmtree(staging, ignore_errors=True)
    write_tables(tables, staging)
    manifest = {
        "key": prints.key,
        "data_hash": prints.data,
        "contracts_hash": prints.contracts,
        "data_dir": project.relative(project.data_dir),
        "latest_year": int(tables["district_indicators"]["school_year"].max()),
        "tables": sorted(tables),
        "tables_hash": hash_files(sorted(staging.glob("*.parquet")), staging),
    }
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    shutil.rmtree(project.tables_dir, ignore_errors=True)
    staging.rename(project.tables_dir)
    return manifest | {"skipped": False}
