"""Building the built consortium again: from scratch (the same bytes), with plain kernels (the same notebooks), with
nothing changed (nothing runs), with one district's goals changed (only it reruns) and for named districts only.

These read the session's built project, as `test_build.py` does; they change it (on copies) where that file reads it."""

from __future__ import annotations

import json
import re
import shutil

from districtstat.execution import runner, warm
from districtstat.build import build, reported_districts
from districtstat.cli import main
from districtstat.config import load_project
from districtstat.pipeline import read_manifest
from districtstat.execution.runner import Task
from helpers import build_copy, tree_digest


def test_rebuilding_from_scratch_gives_byte_identical_site(built, tmp_path):
    """Nothing carried over: the same inputs give the same bytes. That the plain executor writes the same notebooks
    as the warm one is the next test's, one notebook of each kind."""
    root, _ = built
    copy = tmp_path / "copy"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("build", "site"))
    params = copy / "params" / "test.yml"
    assert main(["build", "--params", str(params), "--quiet", "--workers", "2"]) == 0
    assert tree_digest(copy / "site") == tree_digest(root / "site")


def test_warm_runs_and_plain_kernels_write_identical_notebooks(built, tmp_path):
    """Every executed notebook, figures included, byte for byte: as the build wrote them (warm, the default), run
    again warm once the fork server has rehearsed every notebook, and run plain."""
    root, _ = built
    copy = tmp_path / "copy"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("site"))
    project = load_project(copy / "params" / "test.yml")
    built_outputs = tree_digest(project.executed_dir)
    manifest = read_manifest(project)
    # One notebook of each kind, each for a different district; the first for the district the fork server rehearses,
    # as a build has it rehearse, whose pages a leak from the rehearsal would change first.
    first = reported_districts(project)[0]
    rehearsed = tuple(Task(notebook, first) for notebook in project.settings.district_notebooks)
    districts = [first, "D03", "D05", "D02", "D07"]
    assert districts[0] not in districts[1:]
    tasks = runner.plan(project, []) + [Task(notebook, district) for notebook, district in zip(project.settings.district_notebooks, districts, strict=True)]
    assert {task.notebook for task in tasks} == {path.stem for path in project.notebooks_dir.glob("*.ipynb")}, "one notebook of each kind"
    jobs, _ = runner.triage(project, tasks, manifest["tables_hash"], runner.KeyIndex(project.executed_dir), force=True)
    outputs = {}
    for executor in ("warm", "plain"):
        spec = runner.run_spec(project, manifest["tables_hash"], manifest["data_hash"], executor=executor)
        if executor == "warm":  # every kind rehearsed, those a build runs once too: none may end the server
            warm.ensure_preloaded(project, rehearsed + tuple(task for task in tasks if task.notebook not in {r.notebook for r in rehearsed}))
            server = warm.fork_server()
            assert server.wait_rehearsed() == [] and warm.fork_server() is server and server.rehearsed == {task.notebook for task in tasks}
        results = [runner.execute(project, job, spec) for job in jobs]
        assert [r.status for r in results] == ["ran"] * len(tasks), executor
        outputs[executor] = tree_digest(project.executed_dir)
    for task in tasks:
        assert outputs["plain"][task.output_name] == outputs["warm"][task.output_name] == built_outputs[task.output_name], task
    for task in tasks:
        if task.notebook != project.settings.actions_notebook:  # the consortium's action plans are tables only
            executed = (project.executed_dir / task.output_name).read_text()
            assert re.search(r'<svg [^>]*role=\\"(img|group)\\" aria-label=', executed), task


def test_a_rebuild_with_nothing_changed_runs_and_renders_nothing(built, tmp_path, capsys):
    root, _ = built
    copy, params = build_copy(root, tmp_path)
    before = tree_digest(copy / "site")
    capsys.readouterr()
    assert main(["build", "--params", str(params), "--quiet"]) == 0
    assert "(0 notebooks ran, 73 unchanged; site unchanged)" in capsys.readouterr().err
    assert tree_digest(copy / "site") == before


def test_changing_one_districts_goals_reruns_and_rerenders_only_that_district(built, tmp_path):
    root, _ = built
    copy, params = build_copy(root, tmp_path)
    before = tree_digest(copy / "site" / "r1")
    params_before = json.loads((copy / "site" / "versions.json").read_text())["releases"][0]["params_hash"]
    params.write_text(params.read_text() + "districts:\n  D05:\n    goals:\n      mean_score_math: 520\n")
    project = load_project(params)
    tables = {path.name: path.stat().st_mtime_ns for path in project.tables_dir.iterdir()}
    outcome = build(project, quiet=True, workers=2)
    assert {path.name: path.stat().st_mtime_ns for path in project.tables_dir.iterdir()} == tables, "a goal reruns no data stage"
    assert json.loads((copy / "site" / "versions.json").read_text())["releases"][0]["params_hash"] != params_before, "the provenance names every setting"
    assert sorted(r.task.label for r in outcome.results if r.status == "ran") == ["D05/efficiency", "D05/operations", "D05/outcome_gaps", "D05/peers", "D05/scorecard"]
    after = tree_digest(copy / "site" / "r1")
    changed = sorted(name for name in after if after[name] != before.get(name))
    district_pages = [name for name in changed if name.startswith("districts/") and name.endswith(".html")]
    assert district_pages == [f"districts/D05/{page}.html" for page in ("brief", "efficiency", "index", "operations", "outcome_gaps", "peers", "scorecard")]
    assert outcome.reused_pages == 73 - 5 + 14 - 1 and outcome.rendered_pages < 26  # D05's five notebook pages and brief, and the small generated ones
    assert "520" in (copy / "site" / "r1" / "districts" / "D05" / "scorecard.html").read_text()


def test_a_build_whose_rehearsal_ends_the_fork_server_says_so_and_still_publishes(built, tmp_path, capsys, monkeypatch):
    """A notebook of the researchers' that sets an attribute on a module ends the rehearsing server: the build goes
    on, on a new server, and tells why it was slower instead of leaving it unexplained. (The test project's 14
    districts are too few to repay a rehearsal; here every notebook run three times is rehearsed, as in a large one.)"""
    import nbformat

    monkeypatch.setattr(runner, "REHEARSE_FROM", 3)

    root, _ = built
    copy, params = build_copy(root, tmp_path)
    notebook_path = copy / "notebooks" / "operations.ipynb"
    notebook = nbformat.read(notebook_path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("import sys\nsys.districtstat_probe = district_id"))
    nbformat.write(notebook, notebook_path)
    warm.stop_fork_server()  # a server of its own, as a build in a new process has
    capsys.readouterr()
    assert main(["build", "--params", str(params), "--quiet", "--workers", "2"]) == 0
    err = capsys.readouterr().err
    assert re.search(r"note: the fork server ended: a rehearsed cell of \S*operations\.ipynb changed sys\.districtstat_probe \(its log: \S+\); ", err), err
    assert "the notebooks after it ran unrehearsed: slower, with the same outputs" in err
    assert re.search(r"published release r1 .*\(14 notebooks ran, 59 unchanged", err), err


def test_only_runs_the_named_districts_and_publishes_only_when_the_rest_is_current(built, tmp_path, capsys):
    root, _ = built
    copy, params = build_copy(root, tmp_path)
    before = tree_digest(copy / "site")
    outcome = build(load_project(params), quiet=True, only=["D03"], force=True)
    assert sorted(r.task.label for r in outcome.results) == ["D03/efficiency", "D03/operations", "D03/outcome_gaps", "D03/peers", "D03/scorecard"]
    assert outcome.published and not outcome.stale
    params.write_text(params.read_text() + "districts:\n  D05:\n    goals:\n      mean_score_math: 520\n")
    capsys.readouterr()
    assert main(["build", "--params", str(params), "--quiet", "--only", "D03"]) == 0
    assert "not published: 5 notebook(s) of other districts are out of date" in capsys.readouterr().err
    assert tree_digest(copy / "site") == before
    assert main(["build", "--params", str(params), "--quiet", "--only", "D99"]) == 2
    params.write_text(params.read_text() + "  D77:\n    goals:\n      mean_score_math: 520\n")
    capsys.readouterr()
    assert main(["build", "--params", str(params), "--quiet"]) == 2
    assert "districts: D77 not in the data of this release" in capsys.readouterr().err
