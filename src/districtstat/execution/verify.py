"""Confirm a published release: run its notebooks again from what they recorded and compare every output.

Builds are deterministic, so a release whose published results come from its code and data reproduces
exactly. `verify` first checks that the executed notebooks in the build folder are those the release's pages
were made from, and that the data, the settings and the tables are those the release recorded (a release can
only be confirmed against its own inputs), then re-executes each notebook with the build's own
executor and compares the outputs cell by cell as nbval does: output types and every MIME type, PNG bytes
included, ignoring execution counts and run metadata.

Everything runs in a scratch copy of the project (its notebooks, contracts and params, with the data and
site folders linked read-only), so verifying never writes to `site/`, to the release's executed notebooks
or to its tables.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

import nbformat

from districtstat import build, pipeline
from districtstat.execution import dispatch, runner
from districtstat.site.changes import PARAMETERS_FILE
from districtstat.config import Project, UsageError, load_project
from districtstat.files import read_json
from districtstat.provenance import code_commit, file_sha256, package_versions
from districtstat.site.project import NOTEBOOKS_FILE
from districtstat.site.versions import PublishedRelease, published_releases

# Model ids of widgets are random; nothing else in an output may change between two runs.
UNCOMPARED_DATA = {"application/vnd.jupyter.widget-view+json"}
TEXT_DATA = ("text/plain", "text/html", "text/csv", "text/markdown", "image/svg+xml", "application/json")
MARKUP = ("text/html", "image/svg+xml")
TAG_BOUNDARY = re.compile(r">\s*<")  # a table is one line of HTML: diff it tag by tag
DATA_URI = re.compile(r"(data:image/[\w.+-]+;base64,)([A-Za-z0-9+/=]{64,})")
DIFF_LINES = 12


@dataclass(frozen=True)
class Difference:
    """The first place a re-executed notebook departs from the published one."""

    task: runner.Task
    cell: int | None
    what: str
    diff: list[str] = field(default_factory=list)
    cells: int = 1  # how many cells differ in all


@dataclass(frozen=True)
class InputMismatch:
    """An input that is not the one the release was built from: its outputs cannot be expected to reproduce."""

    name: str
    recorded: str
    current: str
    detail: str = ""


def shown(value: str) -> str:
    """A hash as the site's footer shows it (12 hex digits); anything else whole."""
    return value[:12] if re.fullmatch(r"[0-9a-f]{64}", value) else value


@dataclass
class Verification:
    release: str
    notebooks: int = 0
    differences: list[Difference] = field(default_factory=list)
    inputs: list[InputMismatch] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.inputs and not self.differences


def published_entry(project: Project) -> PublishedRelease:
    releases = published_releases(project.site_dir)
    for release in releases:
        if release.name == project.release:
            return release
    folder = project.relative(project.site_dir)
    if not releases:
        raise UsageError(f"no release {project.release!r} in {folder}/: no release is published there yet")
    raise UsageError(f"no release {project.release!r} in {folder}/; the releases published there are: {', '.join(r.name for r in releases)}")


def read_recorded(path: Path) -> nbformat.NotebookNode | None:
    """An executed notebook of the release with its districtstat record, or None when it is absent or has none."""
    if not path.is_file():
        return None
    notebook = nbformat.read(path, as_version=4)
    return notebook if runner.METADATA_KEY in notebook.metadata else None


def recorded_params_file(project: Project) -> str:
    """The params file the release's notebooks were given, relative to the notebooks folder."""
    for path in sorted(project.executed_dir.rglob("*.ipynb")):
        notebook = read_recorded(path)
        if notebook is not None:
            return notebook.metadata[runner.METADATA_KEY]["parameters"]["params_file"]
    raise UsageError(
        f"release {project.release} is published but its executed notebooks are not in {project.relative(project.executed_dir)}/; "
        "verify compares against the notebooks the build kept there"
    )


def unpublished_notebooks(project: Project, recorded: dict[str, str], only: list[str] | None) -> list[InputMismatch]:
    """Executed notebooks in the build folder that are not those the release's pages were made from: a later build
    that failed or did not publish ran them again, so re-executing them would confirm pages nobody sees."""
    folder = project.relative(project.executed_dir)
    found = []
    for name, published in sorted(recorded.items()):
        if only and PurePosixPath(name).parent.as_posix() not in only:
            continue
        path = project.executed_dir / name
        current = file_sha256(path) if path.is_file() else "missing"
        if current != published:
            found.append(
                InputMismatch(
                    f"executed notebook {folder}/{name}",
                    published,
                    current,
                    "the build folder's executed notebook is not the one the release published; build the release again to publish it, then verify",
                )
            )
    return found


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _link(target: Path, link: Path, scratch: Path) -> None:
    if link.is_absolute() and not _inside(link, scratch):
        return  # an absolute folder in the params is read where it is
    if not _inside(link, scratch):
        raise UsageError(f"{link}: a folder outside the project cannot be mirrored for verification")
    if target.is_dir() and any(target.iterdir()):  # else the mirror makes its own example data, not the project
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target.resolve(), target_is_directory=True)


def mirror(project: Project, params_file: str, scratch: Path) -> Project:
    """A copy of the project in `scratch` with the params where the recorded parameters point.

    Notebooks, contracts and params are copied; the data and the site are linked and only read. The mirror's
    build folder is its own, so its tables and executed notebooks never replace the release's.
    """
    root = scratch / "project"
    root.mkdir()
    shutil.copy(project.quarto_config, root / "_quarto.yml")
    shutil.copytree(project.notebooks_dir, root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(project.contracts_dir, root / "data_contracts")
    params = Path(os.path.normpath(root / "notebooks" / params_file))
    if not _inside(params, root):
        raise UsageError(f"the release's notebooks were given params_file {params_file!r}, which is outside the project")
    params.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(project.params_file, params)
    _link(project.data_dir, root / project.settings.data_dir, scratch)
    _link(project.site_dir, root / project.settings.site_dir, scratch)
    return load_project(params, project.release)


def data_mismatch(project: Project, recorded: str, current: str) -> InputMismatch:
    """The data hash that differs, with the input files whose content changed since the release's last build."""
    record = read_json(project.build_dir / "data_quality.json").get("files", {})
    before = {entry["name"]: entry.get("content_hash") for entry in record.values() if isinstance(entry, dict) and "name" in entry}
    now = {path.name: pipeline.content_hash(path) for path in pipeline.data_files(project)} if project.data_dir.is_dir() else {}
    changed = sorted(name for name in before.keys() | now.keys() if before.get(name) != now.get(name))
    folder = project.relative(project.data_dir)
    detail = f"files that differ from the release's last build: {', '.join(f'{folder}/{name}' for name in changed)}" if before and changed else ""
    return InputMismatch(f"data hash of {folder}/", recorded, current, detail)


def input_mismatches(scratch: Project, recorded: dict[runner.Task, nbformat.NotebookNode], tables_hash: str) -> list[InputMismatch]:
    """Parameters, settings and tables each notebook recorded against what the project gives now, one line per kind of change."""
    found: dict[tuple[str, str, str], list[str]] = {}
    for task, notebook in recorded.items():
        record = notebook.metadata[runner.METADATA_KEY]
        checks = [
            ("parameters", json.dumps(record.get("parameters"), sort_keys=True), json.dumps(runner.parameters_for(scratch, task), sort_keys=True)),
            ("settings hash", record.get("provenance", {}).get("params_hash", "none"), runner.scope_hash(scratch, task.district_id, task.topic)),
            ("tables hash", record.get("tables_hash", "none"), tables_hash),
        ]
        for name, old, new in checks:
            if old != new:
                found.setdefault((name, old, new), []).append(task.label)
    return [
        InputMismatch(name, old, new, f"recorded by {len(labels)} notebook(s): {', '.join(labels[:4])}{'…' if len(labels) > 4 else ''}")
        for (name, old, new), labels in found.items()
    ]


def provenance_warnings(recorded_commit: str, current_commit: str, recorded_versions: dict | None, current_versions: dict) -> list[str]:
    """Code and libraries that changed since the release: outputs may then differ for a legitimate reason."""
    warnings = []
    if recorded_commit != current_commit:
        warnings.append(f"code commit: the release was built from {recorded_commit}, this checkout is {current_commit}")
    if recorded_versions is None:
        warnings.append(f"package versions: the release recorded none ({PARAMETERS_FILE} is missing)")
        return warnings
    for name in sorted(recorded_versions.keys() | current_versions.keys()):
        old, new = recorded_versions.get(name, "not used"), current_versions.get(name, "not used")
        if old != new:
            warnings.append(f"package {name}: the release was built with {old}, this environment has {new}")
    return warnings


# ------------------------------------------------------------------ comparing outputs, as nbval does


def _coalesced(outputs: list) -> list[dict]:
    """Outputs with consecutive writes to one stream joined: how many writes a print took is not a result."""
    joined: list[dict] = []
    for output in outputs:
        if output.get("output_type") == "stream" and joined and joined[-1].get("output_type") == "stream" and joined[-1]["name"] == output["name"]:
            joined[-1] = {**joined[-1], "text": joined[-1]["text"] + output["text"]}
        else:
            joined.append(dict(output))
    return joined


def _fields(output: dict) -> list[tuple[str, object]]:
    """What is compared in one output: its type, then its text or each MIME type of its data."""
    kind = output.get("output_type")
    fields: list[tuple[str, object]] = [("output type", kind)]
    if kind == "stream":
        fields.append((output["name"], output["text"]))
    elif kind == "error":
        fields += [("error", f"{output.get('ename')}: {output.get('evalue')}")]
    else:
        data = output.get("data", {})
        fields += [(mime, data[mime]) for mime in sorted(data) if mime not in UNCOMPARED_DATA]
    return fields


def _text(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return "".join(value)
    return value if isinstance(value, str) else json.dumps(value, indent=1, sort_keys=True)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:12]


def _image_digest(match: re.Match) -> str:
    """An embedded chart as its size and digest, so two PNGs that differ by one byte show as two different lines."""
    return f"{match[1]}…({len(match[2]):,} characters, sha256 {_digest(match[2])})"


def _diff(key: str, recorded: object, rerun: object) -> list[str]:
    """A short unified diff of two output values; binary images as their size and digest."""
    old, new = _text(recorded), _text(rerun)
    if key in MARKUP:
        old, new = (DATA_URI.sub(_image_digest, TAG_BOUNDARY.sub(">\n<", text)) for text in (old, new))
    if key not in TEXT_DATA and key not in ("stdout", "stderr", "error", "output type", "source"):
        return [f"- recorded: {len(old):,} characters, sha256 {_digest(old)}", f"+ re-executed: {len(new):,} characters, sha256 {_digest(new)}"]
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), "published", "re-executed", n=1, lineterm=""))
    return [line[:200] for line in lines[:DIFF_LINES]] + (["…"] if len(lines) > DIFF_LINES else [])


def cell_difference(recorded: dict, rerun: dict) -> tuple[str, list[str]] | None:
    """What first differs in one cell (its source, then its outputs in order), with a diff; None when it reproduces."""
    if recorded.get("source") != rerun.get("source"):
        return "source", _diff("source", recorded.get("source"), rerun.get("source"))
    old, new = _coalesced(recorded.get("outputs", [])), _coalesced(rerun.get("outputs", []))
    for position, (before, after) in enumerate(zip(old, new), start=1):
        fields_before, fields_after = dict(_fields(before)), dict(_fields(after))
        for key in sorted(fields_before.keys() | fields_after.keys(), key=lambda k: (k != "output type", k)):
            if key not in fields_after:
                return f"output {position}: {key} missing", [f"- {key}: {_text(fields_before[key])[:120]}"]
            if key not in fields_before:
                return f"output {position}: {key} new", [f"+ {key}: {_text(fields_after[key])[:120]}"]
            if fields_before[key] != fields_after[key]:
                return f"output {position}: {key}", _diff(key, fields_before[key], fields_after[key])
    if len(old) != len(new):
        return "number of outputs", [f"- published: {len(old)} outputs", f"+ re-executed: {len(new)} outputs"]
    return None


def compare(task: runner.Task, recorded: nbformat.NotebookNode, rerun: nbformat.NotebookNode) -> Difference | None:
    if len(recorded.cells) != len(rerun.cells):
        return Difference(task, None, "number of cells", [f"- published: {len(recorded.cells)} cells", f"+ re-executed: {len(rerun.cells)} cells"])
    found = [(i, d) for i, (a, b) in enumerate(zip(recorded.cells, rerun.cells)) if (d := cell_difference(a, b)) is not None]
    if not found:
        return None
    (cell, (what, diff)) = found[0]
    return Difference(task, cell, what, diff, cells=len(found))


# ------------------------------------------------------------------ the whole check


def verify(project: Project, only: list[str] | None = None, workers: int | None = None, executor: str = "warm", quiet: bool = False) -> Verification:
    """Check a published release's inputs, then re-execute its notebooks in a scratch folder and compare their outputs."""
    entry = published_entry(project)
    params_file = recorded_params_file(project)
    outcome = Verification(project.release)
    commit, published_parameters = code_commit(project.root), read_json(project.release_site_dir / PARAMETERS_FILE)
    outcome.warnings += provenance_warnings(entry.code_commit, commit, published_parameters.get("package_versions"), package_versions())
    published_notebooks = read_json(project.release_site_dir / NOTEBOOKS_FILE)
    if not published_notebooks:
        outcome.warnings.append(f"executed notebooks: the release recorded none ({NOTEBOOKS_FILE} is missing), so those in the build folder may not be the ones it published")
    if only and published_notebooks:  # a mistyped district is a usage error now, not after the data stage has run
        published_districts = sorted({PurePosixPath(name).parent.as_posix() for name in published_notebooks} - {".", "topics"})
        build.select([], only, published_districts)
    outcome.inputs += unpublished_notebooks(project, published_notebooks, only)
    if outcome.inputs:
        return outcome
    with tempfile.TemporaryDirectory(prefix="districtstat-verify-") as folder:
        scratch = mirror(project, params_file, Path(folder))
        pipeline.ensure_data(scratch)
        data_hash = pipeline.fingerprint(scratch).data
        if data_hash != entry.data_hash:
            outcome.inputs.append(data_mismatch(project, entry.data_hash, data_hash))
            return outcome
        manifest = pipeline.prepare(scratch)
        districts = build.reported_districts(scratch)
        tasks = build.select(runner.plan(scratch, districts), only, districts)
        recorded = {task: read_recorded(project.executed_dir / task.output_name) for task in tasks}
        missing = [task for task, notebook in recorded.items() if notebook is None]
        outcome.differences += [Difference(task, None, "no executed notebook in the release") for task in missing]
        recorded = {task: notebook for task, notebook in recorded.items() if notebook is not None}
        outcome.notebooks = len(tasks)
        outcome.inputs += input_mismatches(scratch, recorded, manifest["tables_hash"])
        if outcome.inputs:
            return outcome
        spec = replace(runner.run_spec(scratch, manifest["tables_hash"], manifest["data_hash"], executor), code_commit=commit)
        jobs = [runner.Job(task, runner.task_key(scratch, task, manifest["tables_hash"])) for task in recorded]
        changed_keys = [job.task.label for job in jobs if job.key != recorded[job.task].metadata[runner.METADATA_KEY].get("task_key")]
        if changed_keys:
            outcome.warnings.append(
                f"{len(changed_keys)} notebook(s) ({', '.join(changed_keys[:4])}{'…' if len(changed_keys) > 4 else ''}): the notebook or the "
                "analysis code and its libraries differ from the run that made them"
            )
        for result in dispatch.run_jobs(spec, jobs, [], workers=workers, quiet=quiet):
            if result.status == "failed":
                outcome.differences.append(Difference(result.task, result.cell, "re-execution failed", [result.error]))
                continue
            difference = compare(result.task, recorded[result.task], nbformat.read(scratch.executed_dir / result.task.output_name, as_version=4))
            if difference is not None:
                outcome.differences.append(difference)
    order = {task: i for i, task in enumerate(tasks)}
    outcome.differences.sort(key=lambda difference: order[difference.task])
    return outcome
