"""Tasks that carry their inputs, for a Dask cluster whose workers cannot see the build's folder.

A notebook task reads its notebook, the params file (and `_quarto.yml`, by which a params file finds its project) and
the release's tables (`report.Release`), and writes the executed notebook. For a cluster given by address these travel
through Dask instead of a shared file system: the build gathers the files into one `Inputs`, named by the hash of
their content, and scatters it once to every worker (`Client.scatter(broadcast=True)`); a worker writes them once
per content into a folder of its own laid out like the project (`materialise`), its fork server preloads the tables
from there, and each task hands back the executed notebook's text, which the build writes where a local run would
have (`keep`). The local default cluster shares this process's folders and does none of this.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from districtstat.config import Project
from districtstat.execution.runner import Job, RunSpec, TaskResult, executed_text, in_thread_context, ready
from districtstat.files import write_atomic
from districtstat.provenance import hash_bytes, hash_json


@dataclass(frozen=True)
class Inputs:
    """What a build's notebook tasks read, as bytes by path relative to the project root, named by their content."""

    digest: str
    params_file: str  # relative to the project root
    files: dict[str, bytes]

    @property
    def key(self) -> str:
        """The Dask key of the scattered inputs: the same content is the same key."""
        return f"districtstat-inputs-{self.digest}"


def inputs_for(project: Project, jobs: list[Job]) -> Inputs:
    """The notebooks these jobs run, the params file, `_quarto.yml` and the release's tables (with their manifest)."""
    paths = [project.params_file, project.quarto_config]
    paths += sorted(project.notebooks_dir / f"{name}.ipynb" for name in {job.task.notebook for job in jobs})
    paths += sorted(project.tables_dir.glob("*.parquet"))
    manifest = project.tables_dir / "manifest.json"
    if manifest.is_file():
        paths.append(manifest)
    files = {path.relative_to(project.root).as_posix(): path.read_bytes() for path in paths}  # all inside the project
    digest = hash_json({name: hash_bytes(content) for name, content in files.items()})
    return Inputs(digest, project.params_file.relative_to(project.root).as_posix(), files)


@dataclass(frozen=True)
class Returned:
    """A task's result and, if it ran, the executed notebook as the build writes it."""

    result: TaskResult
    text: str | None = None


_materialised: dict[str, Path] = {}
_materialise_lock = threading.Lock()


def scratch() -> Path:
    """Where this worker keeps what it received: the Dask worker's own folder (removed with the worker), else a temporary one."""
    try:
        from distributed import get_worker

        base = Path(get_worker().local_directory)
    except (ImportError, ValueError):
        base = Path(tempfile.gettempdir())
    return base / "districtstat-inputs"


def materialise(inputs: Inputs) -> Path:
    """A folder laid out like the project, holding the inputs; written once per content and reused by later tasks."""
    with _materialise_lock:
        root = _materialised.get(inputs.digest)
        if root is not None and root.is_dir():
            return root
        root = scratch() / inputs.digest[:32]
        if not root.is_dir():
            root.parent.mkdir(parents=True, exist_ok=True)
            partial = Path(tempfile.mkdtemp(prefix=".partial-", dir=root.parent))
            for name, content in inputs.files.items():
                path = partial / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
            (partial / "notebooks").mkdir(exist_ok=True)  # the notebooks' working folder
            try:
                os.rename(partial, root)
            except OSError:  # another process of this machine wrote the same content first
                shutil.rmtree(partial, ignore_errors=True)
        _materialised[inputs.digest] = root
        return root


def materialised() -> dict[str, str]:
    """The folders this process has written inputs to, by digest: for checking where tasks ran."""
    with _materialise_lock:
        return {digest: str(root) for digest, root in _materialised.items()}


def run_carried(spec: RunSpec, job: Job, inputs: Inputs) -> Returned:
    """The function a worker runs for one task, from the inputs it was sent: no path of the build's machine is opened."""
    return in_thread_context(_run_carried, spec, job, inputs)


def _run_carried(spec: RunSpec, job: Job, inputs: Inputs) -> Returned:
    try:
        root = materialise(inputs)
    except OSError as error:
        return Returned(TaskResult(job.task, "failed", f"the worker could not write the task's inputs: {error}"))
    project, failure = ready(replace(spec, params_file=str(root / inputs.params_file)), job)
    if failure is not None:
        return Returned(failure)
    return Returned(*executed_text(project, job, spec))


def keep(project: Project, returned: Returned) -> TaskResult:
    """Write a returned notebook where a local run would have written it."""
    if returned.text is not None:
        write_atomic(project.executed_dir / returned.result.task.output_name, returned.text)
    return returned.result
