"""Run the notebooks with papermill: the overview once, and each district notebook once per district.

A task's key hashes its notebook, parameters, input tables and the package version; it is stored in the
executed notebook, and a task whose key is unchanged is skipped. One failing district does not stop the
others: every failure is collected with its notebook cell.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import nbformat
import papermill
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from . import __version__
from .config import Project
from .provenance import hash_bytes, hash_json, package_fingerprint

METADATA_KEY = "districtstat"


class ParameterMismatch(ValueError):
    """The runner and a notebook disagree on its parameters: papermill would only warn."""


@dataclass(frozen=True)
class Task:
    notebook: str
    district_id: str | None = None

    @property
    def output_name(self) -> str:
        return f"{self.notebook}.ipynb" if self.district_id is None else f"{self.district_id}/{self.notebook}.ipynb"

    @property
    def label(self) -> str:
        return self.notebook if self.district_id is None else f"{self.district_id}/{self.notebook}"


@dataclass
class TaskResult:
    task: Task
    status: str  # "ran", "skipped" or "failed"
    error: str = ""
    cell: int | None = None


def plan(project: Project, districts: list[str]) -> list[Task]:
    settings = project.settings
    tasks = [Task(settings.overview_notebook)]
    tasks += [Task(notebook, district) for district in districts for notebook in settings.district_notebooks]
    return tasks


def parameters_for(project: Project, task: Task) -> dict:
    """The parameters injected into a task's notebook; paths relative to the notebooks folder."""
    parameters = {"params_file": os.path.relpath(project.params_file, project.notebooks_dir), "release": project.release}
    if task.district_id is not None:
        parameters["district_id"] = task.district_id
    return parameters


def check_parameters(notebook: Path, given: dict) -> None:
    declared = set(papermill.inspect_notebook(str(notebook)))
    unknown, missing = sorted(set(given) - declared), sorted(declared - set(given))
    if unknown or missing:
        problems = []
        if unknown:
            problems.append(f"unknown parameter(s) {', '.join(unknown)}")
        if missing:
            problems.append(f"missing parameter(s) {', '.join(missing)}")
        raise ParameterMismatch(f"notebooks/{notebook.name}: {'; '.join(problems)} (the notebook declares: {', '.join(sorted(declared)) or 'none'})")


def task_key(notebook: Path, parameters: dict, tables_key: str) -> str:
    return hash_json({"notebook": hash_bytes(notebook.read_bytes()), "parameters": parameters, "tables": tables_key, "code": package_fingerprint()})


def recorded_key(output: Path) -> str | None:
    if not output.is_file():
        return None
    try:
        return nbformat.read(output, as_version=4).metadata.get(METADATA_KEY, {}).get("task_key")
    except (OSError, ValueError):
        return None


def clean(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop run-dependent metadata (timings, papermill bookkeeping) so outputs compare byte for byte."""
    notebook.metadata.pop("papermill", None)
    for cell in notebook.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    return notebook


def kernel_options(project: Project) -> dict:
    """Start each kernel in the notebooks folder without changing this process's working directory.

    papermill's own `cwd=` changes the working directory of the whole process, which races when
    several notebooks run on threads; nbclient's resource path sets it for the kernel alone.
    """
    return {
        "kernel_name": "python3",
        "progress_bar": False,
        "resources": {"metadata": {"path": str(project.notebooks_dir)}},
        "extra_arguments": ["--log-level=CRITICAL"],
    }


def execute(project: Project, task: Task, tables_key: str, force: bool = False) -> TaskResult:
    source = project.notebooks_dir / f"{task.notebook}.ipynb"
    output = project.executed_dir / task.output_name
    parameters = parameters_for(project, task)
    try:
        check_parameters(source, parameters)
    except ParameterMismatch as error:
        return TaskResult(task, "failed", str(error))
    key = task_key(source, parameters, tables_key)
    if not force and recorded_key(output) == key:
        return TaskResult(task, "skipped")
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_suffix(".partial.ipynb")
    try:
        executed = papermill.execute_notebook(str(source), str(partial), parameters=parameters, **kernel_options(project))
    except papermill.PapermillExecutionError as error:
        return TaskResult(task, "failed", f"{error.ename}: {error.evalue}", cell=error.cell_index)
    except Exception as error:  # a kernel that died or would not start is this task's failure, not the build's
        return TaskResult(task, "failed", f"{type(error).__name__}: {error}")
    executed = clean(executed)
    executed.metadata[METADATA_KEY] = {"task_key": key, "parameters": parameters, "tables_key": tables_key, "version": __version__}
    nbformat.write(executed, partial)
    partial.replace(output)
    return TaskResult(task, "ran")


def run_all(project: Project, tasks: list[Task], tables_key: str, workers: int | None = None, force: bool = False, quiet: bool = False) -> list[TaskResult]:
    """Run every task on a pool of workers, each notebook in its own kernel, with a progress bar."""
    workers = workers or os.cpu_count() or 1
    results: list[TaskResult] = []
    columns = [TextColumn("notebooks"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[summary]}"), TimeRemainingColumn()]
    with Progress(*columns, disable=quiet, transient=False) as progress:
        bar = progress.add_task("run", total=len(tasks), summary="")
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(execute, project, task, tables_key, force) for task in tasks]
            for future in as_completed(futures):
                results.append(future.result())
                counts = {status: sum(r.status == status for r in results) for status in ("ran", "skipped", "failed")}
                progress.update(bar, advance=1, summary=" ".join(f"{n} {s}" for s, n in counts.items()))
    order = {task: i for i, task in enumerate(tasks)}
    return sorted(results, key=lambda result: order[result.task])


def refresh_committed(project: Project) -> list[Path]:
    """Re-execute the committed notebooks in place with their own default parameters, then clean them.

    Their stored outputs are what nbval compares against in CI, so they must come from a clean run.
    """
    refreshed = []
    for path in sorted(project.notebooks_dir.glob("*.ipynb")):
        executed = papermill.execute_notebook(str(path), None, **kernel_options(project))
        executed = clean(executed)
        for i, cell in enumerate(executed.cells):
            cell["id"] = f"cell-{i}"
        nbformat.write(executed, path)
        refreshed.append(path)
    return refreshed
