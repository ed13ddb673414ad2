"""Tasks that carry their inputs: a cluster whose workers cannot see the project builds the site a local build does."""

import os
import shutil
from pathlib import Path

import pytest

from districtstat.build import build
from districtstat.config import load_project
from districtstat.execution import carried, runner
from districtstat.pipeline import read_manifest
from helpers import make_notebook_project, make_project, tree_digest

HIDING = Path(__file__).parent / "hidden_project"  # a sitecustomize that hides DISTRICTSTAT_HIDDEN_ROOT from a worker


def test_inputs_are_written_once_per_content_laid_out_like_the_project(tmp_path, monkeypatch):
    monkeypatch.setattr(carried, "scratch", lambda: tmp_path / "worker")
    monkeypatch.setattr(carried, "_materialised", {})
    (tmp_path / "project").mkdir()
    project = make_notebook_project(tmp_path / "project", ["echo"])
    jobs = [runner.Job(runner.Task("echo", "D01"), "k")]
    inputs = carried.inputs_for(project, jobs)
    assert sorted(inputs.files) == ["_quarto.yml", "notebooks/echo.ipynb", "params/p.yml"]
    root = carried.materialise(inputs)
    assert root.is_relative_to(tmp_path / "worker") and (root / "notebooks" / "echo.ipynb").read_bytes() == (project.notebooks_dir / "echo.ipynb").read_bytes()
    assert load_project(root / inputs.params_file).notebooks_dir == root / "notebooks"
    (root / "marker").write_text("kept")
    assert carried.materialise(carried.inputs_for(project, jobs)) == root and (root / "marker").is_file()  # same content: reused
    (project.notebooks_dir / "echo.ipynb").write_text((project.notebooks_dir / "echo.ipynb").read_text() + " ")
    assert carried.materialise(carried.inputs_for(project, jobs)) != root  # new content: a folder of its own


def test_workers_that_cannot_see_the_project_build_the_same_site(tmp_path, monkeypatch):
    """Two worker processes, started in an empty folder with the project hidden from them (see `hidden_project`),
    run every notebook; the executed notebooks and the site are byte for byte those of a local build."""
    from distributed import Client, LocalCluster

    local, remote, elsewhere = tmp_path / "local", tmp_path / "remote", tmp_path / "elsewhere"
    params = make_project(local, students=2000, extra_params="district_notebooks: [peers]\n")
    build(load_project(params), quiet=True, workers=2)
    shutil.copytree(local, remote, ignore=shutil.ignore_patterns("site"))  # the release's tables, and no notebook run
    project = load_project(remote / "params" / "test.yml")
    shutil.rmtree(project.executed_dir)
    elsewhere.mkdir()
    with monkeypatch.context() as started:  # what the worker processes inherit: the working folder and environment
        started.chdir(elsewhere)
        started.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(HIDING), os.environ.get("PYTHONPATH")])))
        started.setenv("DISTRICTSTAT_HIDDEN_ROOT", str(remote))
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with cluster, Client(cluster) as client:
        hidden_by = set(client.run(os.getenv, "DISTRICTSTAT_HIDDEN_BY").values())
        if hidden_by == {"namespace"}:  # the project folder is there, and empty, for the workers
            assert set(map(tuple, client.run(os.listdir, str(remote)).values())) == {()}
        assert hidden_by in ({"namespace"}, {"audit hook"})
        assert set(client.run(os.getcwd).values()) == {str(elsewhere)}

        outcome = build(project, scheduler=cluster.scheduler_address, quiet=True)
        ran_in = [folder for folders in client.run(carried.materialised).values() for folder in folders.values()]

        manifest = read_manifest(project)
        job = runner.Job(runner.Task("overview"), "k")
        shared = client.submit(runner.run_job, runner.run_spec(project, manifest["tables_hash"]), job, pure=False)
        with pytest.raises(Exception, match="no such params file|hidden from this worker"):
            shared.result()  # the control: a task that reads the project's files fails on these workers

    assert {result.status for result in outcome.results} == {"ran"}
    assert ran_in and not any(Path(folder).is_relative_to(remote) for folder in ran_in)
    local_notebooks, remote_notebooks = tree_digest(load_project(params).executed_dir), tree_digest(project.executed_dir)
    for digest in (local_notebooks, remote_notebooks):
        del digest[runner.KeyIndex.NAME]  # the index records the files' modification times
    assert remote_notebooks == local_notebooks
    assert tree_digest(remote / "site") == tree_digest(local / "site")
