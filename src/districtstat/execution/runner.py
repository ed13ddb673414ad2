"""Run the notebooks with papermill: the overview once, and each district notebook once per district.

A task's key hashes its notebook, its parameters, the settings it reads, the content of the tables and the
analysis code with its library versions. The key is stored in the executed notebook's metadata (and in an
index beside the notebooks, so a build with nothing to do reads no notebook); a task whose key is unchanged
is skipped. Keys hash the tables' content, not what made them, so changing one district's goals reruns
that district's notebooks only. Where the tasks run is `dispatch`'s business.
"""

from __future__ import annotations

import contextvars
import json
import os
import threading
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import nbformat

from districtstat import __version__
from districtstat.config import Project, load_project
from districtstat.files import write_atomic, write_json_atomic
from districtstat.provenance import code_commit, hash_bytes, hash_json, package_fingerprint

METADATA_KEY = "districtstat"
EXECUTORS = ("warm", "plain")
ENGINES = {"warm": "districtstat-warm", "plain": None}  # plain: papermill's own nbclient engine


class ParameterMismatch(ValueError):
    """The runner and a notebook disagree on its parameters: papermill would only warn."""


@dataclass(frozen=True)
class Task:
    """One notebook run: the overview, a district's page (`district_id`) or a topic of the quarter (`topic`)."""

    notebook: str
    district_id: str | None = None
    topic: str | None = None

    @property
    def label(self) -> str:
        if self.topic is not None:
            return f"topics/{self.topic}"
        return self.notebook if self.district_id is None else f"{self.district_id}/{self.notebook}"

    @property
    def output_name(self) -> str:
        return f"{self.label}.ipynb"


@dataclass
class TaskResult:
    task: Task
    status: str  # "ran", "skipped" or "failed"
    error: str = ""
    cell: int | None = None


@dataclass(frozen=True)
class RunSpec:
    """What every task of a build shares: small and picklable, so it travels to Dask workers."""

    params_file: str
    release: str
    tables_hash: str
    data_hash: str = ""
    code_commit: str = ""
    executor: str = "warm"
    rehearsed: tuple[Task, ...] = ()  # the runs a warm fork server rehearses, none by default (see `worth_rehearsing`)


@dataclass(frozen=True)
class Job:
    task: Task
    key: str
    provenance: dict = field(default_factory=dict)


def plan(project: Project, districts: list[str]) -> list[Task]:
    settings = project.settings
    tasks = [Task(settings.overview_notebook)]
    tasks += [Task(settings.topic_notebook, topic=topic.id) for topic in settings.topics]
    tasks += [Task(settings.actions_notebook)]
    tasks += [Task(notebook) for notebook in settings.consortium_notebooks]
    tasks += [Task(notebook, district) for district in districts for notebook in settings.district_notebooks]
    return tasks


def parameters_for(project: Project, task: Task) -> dict:
    """The parameters injected into a task's notebook; paths relative to the notebooks folder."""
    parameters = {"params_file": os.path.relpath(project.params_file, project.notebooks_dir), "release": project.release}
    if task.district_id is not None:
        parameters["district_id"] = task.district_id
    if task.topic is not None:
        parameters["topic_id"] = task.topic
    return parameters


@lru_cache(maxsize=8)
def _settings_parts(project: Project) -> tuple[dict, dict]:
    """The settings as JSON, once per project: the consortium's, and each district's own section."""
    consortium = project.settings.model_dump(mode="json")
    return consortium, consortium.pop("districts")


# What no notebook reads besides its own topic: a new topic, or a page added to every district, reruns nothing else.
# The release date is read: actions past their review date on that day are flagged.
UNREAD = ("topics", "topic_notebook", "overview_notebook", "actions_notebook", "district_notebooks", "consortium_notebooks")


def settings_scope(project: Project, district_id: str | None, topic: str | None = None) -> dict:
    """The settings a notebook can read: the consortium's (all but other districts' sections and the topics),
    plus its district's section or its topic."""
    consortium, districts = _settings_parts(project)
    scope = {key: value for key, value in consortium.items() if key not in UNREAD}
    if district_id in districts:
        scope["district"] = districts[district_id]
    if topic is not None:
        scope["topic"] = next(t for t in consortium["topics"] if t["id"] == topic)
    return scope


@lru_cache(maxsize=65536)
def scope_hash(project: Project, district_id: str | None, topic: str | None = None) -> str:
    """The parameters hash a notebook's page shows: that of the settings it reads."""
    return hash_json(settings_scope(project, district_id, topic))


@lru_cache(maxsize=64)
def _declared_parameters(notebook: Path, modified: int) -> frozenset[str]:
    import papermill

    return frozenset(papermill.inspect_notebook(str(notebook)))


@lru_cache(maxsize=64)
def _notebook_hash(notebook: Path, modified: int) -> str:
    return hash_bytes(notebook.read_bytes())


def _modified(path: Path) -> int:
    return path.stat().st_mtime_ns


def check_parameters(notebook: Path, given: dict) -> None:
    declared = set(_declared_parameters(notebook, _modified(notebook)))
    unknown, missing = sorted(set(given) - declared), sorted(declared - set(given))
    if unknown or missing:
        problems = []
        if unknown:
            problems.append(f"unknown parameter(s) {', '.join(unknown)}")
        if missing:
            problems.append(f"missing parameter(s) {', '.join(missing)}")
        raise ParameterMismatch(f"notebooks/{notebook.name}: {'; '.join(problems)} (the notebook declares: {', '.join(sorted(declared)) or 'none'})")


def task_key(project: Project, task: Task, tables_hash: str) -> str:
    source = project.notebooks_dir / f"{task.notebook}.ipynb"
    return hash_json(
        {
            "notebook": _notebook_hash(source, _modified(source)),
            "parameters": parameters_for(project, task),
            "settings": scope_hash(project, task.district_id, task.topic),
            "tables": tables_hash,
            "code": package_fingerprint(),
        }
    )


class KeyIndex:
    """The key of every executed notebook, with the file's size and modification time when it was recorded.

    The notebook's own metadata is the record; the index only lets a build with nothing to do avoid reading
    hundreds of notebooks. An entry whose file has changed since is ignored and the notebook is read.
    """

    NAME = "task-keys.json"

    def __init__(self, folder: Path):
        self.folder = folder
        path = folder / self.NAME
        try:
            self.entries: dict[str, dict] = json.loads(path.read_text()) if path.is_file() else {}
        except (OSError, ValueError):
            self.entries = {}

    def key(self, task: Task) -> str | None:
        output = self.folder / task.output_name
        try:
            stat = output.stat()
        except FileNotFoundError:
            return None
        entry = self.entries.get(task.output_name)
        if entry and entry["size"] == stat.st_size and entry["mtime_ns"] == stat.st_mtime_ns:
            return entry["key"]
        key = recorded_key(output)
        if key is not None:
            self.entries[task.output_name] = {"key": key, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
        return key

    def note(self, task: Task, key: str) -> None:
        """Record the key of a notebook just written with it."""
        stat = (self.folder / task.output_name).stat()
        self.entries[task.output_name] = {"key": key, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}

    def save(self) -> None:
        write_json_atomic(self.folder / self.NAME, self.entries)


def recorded_key(output: Path) -> str | None:
    if not output.is_file():
        return None
    try:
        return json.loads(output.read_bytes()).get("metadata", {}).get(METADATA_KEY, {}).get("task_key")
    except (OSError, ValueError):
        return None


def triage(project: Project, tasks: list[Task], tables_hash: str, index: KeyIndex, force: bool = False) -> tuple[list[Job], list[TaskResult]]:
    """Split the tasks into jobs to run and results for tasks that are failed (bad parameters) or up to date."""
    jobs, settled = [], []
    for task in tasks:
        try:
            check_parameters(project.notebooks_dir / f"{task.notebook}.ipynb", parameters_for(project, task))
        except ParameterMismatch as error:
            settled.append(TaskResult(task, "failed", str(error)))
            continue
        key = task_key(project, task, tables_hash)
        if not force and index.key(task) == key:
            settled.append(TaskResult(task, "skipped"))
        else:
            jobs.append(Job(task, key, {"params_hash": scope_hash(project, task.district_id, task.topic)}))
    return jobs, settled


def clean(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop run-dependent metadata (timings, papermill bookkeeping, random cell ids) so outputs compare byte for byte."""
    notebook.metadata.pop("papermill", None)
    for cell in notebook.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = "injected-parameters"
    return notebook


def kernel_options(notebooks_dir: Path, executor: str = "plain") -> dict:
    """Start each kernel in the notebooks folder without changing this process's working directory.

    papermill's own `cwd=` changes the working directory of the whole process, which races when
    several notebooks run on threads; nbclient's resource path sets it for the kernel alone. No kernel keeps
    an input history: every one would otherwise open and write the same SQLite file in the user's IPython
    profile, hundreds at once in a large build. Every kernel talks over Unix sockets of its own, not TCP ports
    another process starting a kernel could take meanwhile (`warm.UnixSocketKernelManager`). A warm run has no
    kernel: its cells run in a fork of the fork server, in the same folder, with no history either (`cells`).
    """
    from districtstat.execution import warm

    options = {"kernel_name": "python3", "progress_bar": False, "resources": {"metadata": {"path": str(notebooks_dir)}}}
    if executor == "plain":
        options |= {"extra_arguments": ["--log-level=CRITICAL", "--HistoryManager.enabled=False"], "kernel_manager_class": warm.UnixSocketKernelManager}
    return options


def execute(project: Project, job: Job, spec: RunSpec) -> TaskResult:
    """Run one notebook now, whatever its key, and write it with its key and provenance."""
    result, text = executed_text(project, job, spec)
    if text is not None:
        write_atomic(project.executed_dir / job.task.output_name, text)
    return result


def executed_text(project: Project, job: Job, spec: RunSpec) -> tuple[TaskResult, str | None]:
    """Run one notebook and give back what `execute` writes (None if it failed): a worker without the build's
    folder hands this text back to the build, which writes it (see `carried`)."""
    import papermill

    task = job.task
    source = project.notebooks_dir / f"{task.notebook}.ipynb"
    parameters = parameters_for(project, task)
    try:
        executed = papermill.execute_notebook(
            str(source), None, parameters=parameters, engine_name=ENGINES[spec.executor], **kernel_options(project.notebooks_dir, spec.executor)
        )
    except papermill.PapermillExecutionError as error:
        return TaskResult(task, "failed", f"{error.ename}: {error.evalue}", cell=error.cell_index), None
    except Exception as error:  # a run whose process died, or a kernel that would not start, is this task's failure, not the build's
        return TaskResult(task, "failed", f"{type(error).__name__}: {error}"), None
    executed = clean(executed)
    executed.metadata[METADATA_KEY] = {
        "task_key": job.key,
        "parameters": parameters,
        "tables_hash": spec.tables_hash,
        "provenance": {"release": spec.release, "data_hash": spec.data_hash, "code_commit": spec.code_commit, **job.provenance},
        "version": __version__,
    }
    return TaskResult(task, "ran"), nbformat.writes(executed) + "\n"


@lru_cache(maxsize=8)
def _project(params_file: str, release: str) -> Project:
    return load_project(params_file, release)


_thread = threading.local()


def run_job(spec: RunSpec, job: Job) -> TaskResult:
    """The function a worker runs for one task: everything it needs is in its arguments and the project files."""
    return in_thread_context(_run_job, spec, job)


def in_thread_context(function, *args):
    """Call `function` in a context of this worker thread's own.

    nbclient keeps its event loop in a context variable, and Dask runs tasks in contexts copied from the thread
    that submitted them, so without this every worker thread would share, and collide on, the submitting
    thread's loop.
    """
    if not hasattr(_thread, "context"):
        _thread.context = contextvars.Context()
    return _thread.context.run(function, *args)


def _run_job(spec: RunSpec, job: Job) -> TaskResult:
    project, failure = ready(spec, job)
    return failure or execute(project, job, spec)


def ready(spec: RunSpec, job: Job) -> tuple[Project, TaskResult | None]:
    """The spec's project, its tables preloaded in this process's fork server for warm runs; or why the task failed."""
    project = _project(spec.params_file, spec.release)
    if spec.executor == "warm":
        from districtstat.execution.warm import ensure_preloaded

        try:
            ensure_preloaded(project, spec.rehearsed)
        except Exception as error:
            return project, TaskResult(job.task, "failed", f"warm runs unavailable: {type(error).__name__}: {error}")
    return project, None


# A rehearsal costs about one first run of each notebook in the server, and every run asked for meanwhile waits for
# the rehearsed cell under way; it saves each later run what its code pays the first time in a process, which since
# runs have no kernel is only 0-35 ms of a notebook's cells. Measured with 2 workers: the example's 14 districts ran
# in 18.5 s rehearsed against 15.7 s not, California's 420 in 123.8 s against 135.7 s; break-even is some 50 (a
# California page) to 85 (the example's heavier pages) runs of a notebook.
REHEARSE_FROM = 80


def worth_rehearsing(tasks: list[Task]) -> tuple[Task, ...]:
    """The first run of each notebook run often enough in these tasks (a district page, not the overview) to repay a
    rehearsal: the runs a warm fork server rehearses, with those tasks' own parameters."""
    runs = Counter(task.notebook for task in tasks)
    first: dict[str, Task] = {}
    for task in tasks:
        if runs[task.notebook] >= REHEARSE_FROM:
            first.setdefault(task.notebook, task)
    return tuple(first[notebook] for notebook in sorted(first))


def run_spec(project: Project, tables_hash: str, data_hash: str = "", executor: str = "warm") -> RunSpec:
    if executor not in EXECUTORS:
        raise ValueError(f"--executor {executor!r}: choose one of {', '.join(EXECUTORS)}")
    return RunSpec(str(project.params_file), project.release, tables_hash, data_hash, code_commit(project.root), executor)


def refresh_committed(project: Project) -> list[Path]:
    """Re-execute the committed notebooks in place with their own default parameters, then clean them.

    Their stored outputs are what nbval compares against in CI, so they must come from a clean run.
    """
    import papermill

    refreshed = []
    for path in sorted(project.notebooks_dir.glob("*.ipynb")):
        executed = papermill.execute_notebook(str(path), None, **kernel_options(project.notebooks_dir))
        executed = clean(executed)
        for i, cell in enumerate(executed.cells):
            cell["id"] = f"cell-{i}"
        nbformat.write(executed, path)
        refreshed.append(path)
    return refreshed
