import nbformat
import pytest

from districtstat.execution import runner
from districtstat.config import load_project
from districtstat.execution.runner import KeyIndex, ParameterMismatch, Task, check_parameters, clean, execute, run_spec, task_key, triage
from helpers import FIXTURES, make_notebook_project as make_project



def run(project, tasks, tables_hash="t1", executor="plain", force=False):
    spec = run_spec(project, tables_hash, executor=executor)
    index = KeyIndex(project.executed_dir)
    jobs, settled = triage(project, tasks, tables_hash, index, force=force)
    results = settled + [execute(project, job, spec) for job in jobs]
    for job in jobs:
        index.note(job.task, job.key)
    index.save()
    return {result.task: result.status for result in results}


def test_unknown_or_missing_parameters_are_errors():
    with pytest.raises(ParameterMismatch) as caught:
        check_parameters(FIXTURES / "wrong_parameters.ipynb", {"params_file": "x", "release": "r", "district_id": "D01"})
    message = str(caught.value)
    assert "unknown parameter(s) district_id, release" in message
    assert "missing parameter(s) district" in message


def test_a_notebook_with_wrong_parameters_is_a_failed_task_not_a_crash(tmp_path):
    project = make_project(tmp_path, ["wrong_parameters"])
    jobs, settled = triage(project, [Task("wrong_parameters", "D01")], "t1", KeyIndex(project.executed_dir))
    assert not jobs and settled[0].status == "failed" and "unknown parameter(s)" in settled[0].error


def test_unchanged_tasks_are_skipped_and_changed_ones_rerun(tmp_path):
    project = make_project(tmp_path, ["echo"])
    task = Task("echo", "D01")
    assert run(project, [task])[task] == "ran"
    assert run(project, [task])[task] == "skipped"
    assert run(project, [task], tables_hash="t2")[task] == "ran"
    assert run(project, [task], tables_hash="t2", force=True)[task] == "ran"
    executed = nbformat.read(project.executed_dir / "D01" / "echo.ipynb", as_version=4)
    recorded = executed.metadata["districtstat"]
    assert recorded["parameters"]["district_id"] == "D01"
    assert recorded["task_key"] == task_key(project, task, "t2")
    assert set(recorded["provenance"]) == {"release", "data_hash", "code_commit", "params_hash"}
    assert "district D01" in "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "papermill" not in executed.metadata


def test_changing_one_districts_settings_changes_only_its_keys(tmp_path):
    project = make_project(tmp_path, ["echo"], districts="districts:\n  D01:\n    goals:\n      mean_score_math: 500\n")
    tasks = [Task("echo"), Task("echo", "D01"), Task("echo", "D02")]
    before = {task: task_key(project, task, "t") for task in tasks}
    (tmp_path / "params" / "p.yml").write_text((tmp_path / "params" / "p.yml").read_text().replace("500", "510"))
    project = load_project(tmp_path / "params" / "p.yml")
    after = {task: task_key(project, task, "t") for task in tasks}
    assert [task for task in tasks if before[task] != after[task]] == [Task("echo", "D01")]
    (tmp_path / "params" / "p.yml").write_text((tmp_path / "params" / "p.yml").read_text() + "min_n: 11\n")
    project = load_project(tmp_path / "params" / "p.yml")
    assert all(task_key(project, task, "t") != after[task] for task in tasks)  # a consortium setting: every task


def test_adding_a_page_reruns_no_other_page(tmp_path):
    """No notebook reads which pages a release has: a new district or consortium page keeps every other task's key."""
    project = make_project(tmp_path, ["echo"])
    tasks = [Task("echo"), Task("echo", "D01")]
    before = {task: task_key(project, task, "t") for task in tasks}
    params = tmp_path / "params" / "p.yml"
    params.write_text(params.read_text() + "district_notebooks: [echo, another]\nconsortium_notebooks: [summary]\noverview_notebook: front\n")
    project = load_project(params)
    assert project.settings.district_notebooks == ["echo", "another"]
    assert {task: task_key(project, task, "t") for task in tasks} == before


def test_changing_the_notebook_reruns_its_tasks(tmp_path):
    project = make_project(tmp_path, ["echo"])
    task = Task("echo", "D01")
    run(project, [task])
    source = project.notebooks_dir / "echo.ipynb"
    notebook = nbformat.read(source, as_version=4)
    notebook.cells[1].source = 'print(f"District {district_id}")'
    nbformat.write(notebook, source)
    assert run(project, [task])[task] == "ran"


def test_the_key_index_spares_reading_notebooks_and_notices_a_changed_file(tmp_path, monkeypatch):
    project = make_project(tmp_path, ["echo"])
    task = Task("echo", "D01")
    run(project, [task])
    monkeypatch.setattr(runner, "recorded_key", lambda output: pytest.fail("read the notebook although the index had its key"))
    assert run(project, [task])[task] == "skipped"
    monkeypatch.undo()
    output = project.executed_dir / "D01" / "echo.ipynb"
    output.write_text(output.read_text().replace("district D01", "district D99"))
    # the notebook's own key still matches: a hand-edited output is detected only by its recorded key
    assert KeyIndex(project.executed_dir).key(task) == task_key(project, task, "t1")
    notebook = nbformat.read(output, as_version=4)
    notebook.metadata["districtstat"]["task_key"] = "stale"
    nbformat.write(notebook, output)
    assert run(project, [task])[task] == "ran"


def test_clean_drops_timing_metadata_and_random_ids():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1"), nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["injected-parameters"]})])
    notebook.metadata["papermill"] = {"start_time": "now"}
    notebook.cells[0].metadata["execution"] = {"iopub.execute_input": "now"}
    cleaned = clean(notebook)
    assert "papermill" not in cleaned.metadata and "execution" not in cleaned.cells[0].metadata
    assert cleaned.cells[1]["id"] == "injected-parameters"


def test_only_notebooks_run_often_enough_are_worth_a_rehearsal():
    from districtstat.execution.runner import REHEARSE_FROM, worth_rehearsing

    often = [Task("scorecard", f"D{i:03d}") for i in reversed(range(REHEARSE_FROM))]
    tasks = [Task("overview")] + often + [Task("peers", f"D{i:03d}") for i in range(REHEARSE_FROM - 1)]
    assert worth_rehearsing(tasks) == (often[0],)  # the first run of it, with its own parameters
    assert worth_rehearsing([]) == ()
