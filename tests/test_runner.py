import shutil
from pathlib import Path

import nbformat
import pytest

from districtstat.config import load_project
from districtstat.runner import ParameterMismatch, Task, check_parameters, clean, execute, run_all

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
ROOT = Path(__file__).parents[1]


def make_project(tmp_path: Path, notebooks: list[str], release: str = "r1"):
    shutil.copy(ROOT / "_quarto.yml", tmp_path / "_quarto.yml")
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "p.yml").write_text(f"title: T\ndataset: custom\ndata_dir: data\nrelease: {release}\n")
    (tmp_path / "notebooks").mkdir()
    for name in notebooks:
        shutil.copy(FIXTURES / f"{name}.ipynb", tmp_path / "notebooks" / f"{name}.ipynb")
    return load_project(tmp_path / "params" / "p.yml")


def test_unknown_or_missing_parameters_are_errors():
    with pytest.raises(ParameterMismatch) as caught:
        check_parameters(FIXTURES / "wrong_parameters.ipynb", {"params_file": "x", "release": "r", "district_id": "D01"})
    message = str(caught.value)
    assert "unknown parameter(s) district_id, release" in message
    assert "missing parameter(s) district" in message


def test_one_failing_district_does_not_stop_the_others(tmp_path):
    project = make_project(tmp_path, ["broken"])
    tasks = [Task("broken", d) for d in ("D01", "D02", "D03")]
    results = run_all(project, tasks, tables_key="t", workers=2, quiet=True)
    assert [r.status for r in results] == ["ran", "failed", "ran"]
    failed = results[1]
    assert failed.cell == 3  # the injected parameters cell comes after the tagged one
    assert "ValueError: no data for D02" in failed.error
    assert (project.executed_dir / "D01" / "broken.ipynb").is_file()
    assert not (project.executed_dir / "D02" / "broken.ipynb").exists()


def test_unchanged_tasks_are_skipped_and_changed_ones_rerun(tmp_path):
    project = make_project(tmp_path, ["echo"])
    task = Task("echo", "D01")
    assert execute(project, task, "tables-v1").status == "ran"
    assert execute(project, task, "tables-v1").status == "skipped"
    assert execute(project, task, "tables-v2").status == "ran"
    assert execute(project, task, "tables-v2", force=True).status == "ran"
    executed = nbformat.read(project.executed_dir / "D01" / "echo.ipynb", as_version=4)
    assert executed.metadata["districtstat"]["parameters"]["district_id"] == "D01"
    assert "district D01" in "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "papermill" not in executed.metadata


def test_clean_drops_timing_metadata():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    notebook.metadata["papermill"] = {"start_time": "now"}
    notebook.cells[0].metadata["execution"] = {"iopub.execute_input": "now"}
    cleaned = clean(notebook)
    assert "papermill" not in cleaned.metadata and "execution" not in cleaned.cells[0].metadata
