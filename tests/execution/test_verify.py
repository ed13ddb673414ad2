"""`districtstat verify`: a published release re-executed from what it recorded, and every way it can fail to reproduce."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest

from districtstat.execution import dispatch
from districtstat import pipeline
from districtstat.cli import main
from districtstat.provenance import file_sha256
from districtstat.site.project import NOTEBOOKS_FILE
from districtstat.execution.verify import compare, provenance_warnings
from districtstat.execution.runner import Task
from helpers import tree_digest


@pytest.fixture(scope="module")
def built(built, tmp_path_factory):
    """The suite's release r1, copied: verifying runs the notebooks again in it; tests that change it copy it again."""
    source, params = built
    root = tmp_path_factory.mktemp("verify") / "consortium"
    shutil.copytree(source, root, symlinks=True)
    return root, root / params.relative_to(source)


def copy_of(built, tmp_path) -> tuple[Path, Path]:
    root, _ = built
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    return copy, copy / "params" / "test.yml"


def scratch_folders() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("districtstat-verify-*")}


def test_a_fresh_release_reproduces_and_verifying_writes_nothing(built, capsys):
    root, params = built
    before = {folder: tree_digest(root / folder) for folder in ("site", "build", "data")}
    scratch_before = scratch_folders()
    capsys.readouterr()
    assert main(["verify", "--params", str(params), "--release", "r1", "--quiet", "--workers", "2"]) == 0
    err = capsys.readouterr().err
    assert "verified: 73 notebooks reproduce release r1" in err
    assert "outputs may differ" not in err and "DIFFERS" not in err
    assert {folder: tree_digest(root / folder) for folder in before} == before
    assert scratch_folders() == scratch_before


def tamper(notebook: Path, pattern: str, replace) -> tuple[str, str, str]:
    """Change the first match of `pattern` in a text/html output, as a hand-edited published result would.

    Returns where (cell and output, as verify names them), the old text and the new.
    """
    executed = nbformat.read(notebook, as_version=4)
    for index, cell in enumerate(executed.cells):
        for position, output in enumerate(cell.get("outputs", []), start=1):
            html = output.get("data", {}).get("text/html")
            match = re.search(pattern, html or "")
            if match:
                old, new = match[0], replace(match)
                output["data"]["text/html"] = html[: match.start()] + new + html[match.end() :]
                nbformat.write(executed, notebook)
                return f"cell {index}: output {position}", old, new
    raise AssertionError(f"no {pattern} in {notebook.name}")


def published_as_they_are(copy: Path, *names: str) -> None:
    """Record these executed notebooks as the ones the release published, as a release built from them would."""
    record = copy / "site" / "r1" / NOTEBOOKS_FILE
    published = json.loads(record.read_text())
    published.update({name: file_sha256(copy / "build" / "r1" / "districts" / name) for name in names})
    record.write_text(json.dumps(published))


def test_a_published_figure_that_the_code_does_not_give_is_named_with_its_cell(built, tmp_path, capsys):
    copy, params = copy_of(built, tmp_path)
    executed = copy / "build" / "r1" / "districts" / "D03"
    where, old, new = tamper(executed / "scorecard.ipynb", r"<td>\d+\.\d</td>", lambda m: "<td>999.9</td>")
    chart, mark, altered = tamper(executed / "efficiency.ipynb", r"<title>[^<]+</title>", lambda m: m[0].replace("</title>", " (altered)</title>"))
    published_as_they_are(copy, "D03/scorecard.ipynb", "D03/efficiency.ipynb")
    tampered = tree_digest(copy / "build")
    capsys.readouterr()
    assert main(["verify", "--params", str(params), "--release", "r1", "--only", "D03", "--quiet", "--workers", "2"]) == 1
    err = capsys.readouterr().err
    assert f"DIFFERS release r1 · district D03 · notebook scorecard · {where}: text/html\n" in err
    assert f"\n    -{new}\n    +{old}\n" in err
    assert f"DIFFERS release r1 · district D03 · notebook efficiency · {chart}: text/html\n" in err
    assert f"\n    -{altered}\n    +{mark}\n" in err  # a chart's changed mark, shown as the one line of SVG that differs
    assert "notebook outcome_gaps" not in err and "notebook peers" not in err
    assert "release r1 does not reproduce: 2 of 5 notebooks differ" in err
    assert tree_digest(copy / "build") == tampered


def test_executed_notebooks_a_later_unpublished_build_changed_are_named_and_nothing_runs(built, tmp_path, capsys, monkeypatch):
    """A build that failed, or ran with --only, rewrites executed notebooks without publishing them: verifying those
    would confirm pages the site does not show."""
    copy, params = copy_of(built, tmp_path)
    executed = copy / "build" / "r1" / "districts"
    published = file_sha256(executed / "D03" / "scorecard.ipynb")
    tamper(executed / "D03" / "scorecard.ipynb", r"<td>\d+\.\d</td>", lambda m: "<td>999.9</td>")
    (executed / "D04" / "peers.ipynb").unlink()

    def must_not_run(*args, **kwargs):
        raise AssertionError("verify ran something although the build folder holds notebooks the release did not publish")

    monkeypatch.setattr(pipeline, "prepare", must_not_run)
    monkeypatch.setattr(dispatch, "run_jobs", must_not_run)
    capsys.readouterr()
    assert main(["verify", "--params", str(params), "--release", "r1", "--quiet"]) == 1
    err = capsys.readouterr().err
    later = "(the build folder's executed notebook is not the one the release published; build the release again to publish it, then verify)"
    assert f"INPUT DIFFERS executed notebook build/r1/districts/D03/scorecard.ipynb: release r1 recorded {published[:12]}, now {file_sha256(executed / 'D03' / 'scorecard.ipynb')[:12]} {later}" in err
    assert "INPUT DIFFERS executed notebook build/r1/districts/D04/peers.ipynb: release r1 recorded " in err and f", now missing {later}" in err
    assert err.count("INPUT DIFFERS") == 2 and "nothing was executed" in err and "notebooks reproduce" not in err


def test_changed_data_are_named_and_nothing_runs(built, tmp_path, capsys, monkeypatch):
    copy, params = copy_of(built, tmp_path)
    students = copy / "data" / "synthetic" / "students.csv"
    students.write_text(students.read_text().replace(",F,", ",M,", 1))

    def must_not_run(*args, **kwargs):
        raise AssertionError("verify ran something although the data differ")

    monkeypatch.setattr(pipeline, "prepare", must_not_run)
    monkeypatch.setattr(dispatch, "run_jobs", must_not_run)
    recorded = json.loads((copy / "site" / "versions.json").read_text())["releases"][0]["data_hash"]
    capsys.readouterr()
    assert main(["verify", "--params", str(params), "--release", "r1", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert re.search(rf"INPUT DIFFERS data hash of data/synthetic/: release r1 recorded {recorded[:12]}, now (?!{recorded[:12]})[0-9a-f]{{12}} ", err)
    assert "files that differ from the release's last build: data/synthetic/students.csv)" in err
    assert "nothing was executed" in err and "notebooks reproduce" not in err


def test_changed_settings_are_named_per_notebook_before_anything_runs(built, tmp_path, capsys, monkeypatch):
    copy, params = copy_of(built, tmp_path)
    params.write_text(params.read_text() + "districts:\n  D05:\n    goals:\n      mean_score_math: 520\n")
    monkeypatch.setattr(dispatch, "run_jobs", lambda *args, **kwargs: pytest.fail("verify ran notebooks although the settings differ"))
    capsys.readouterr()
    assert main(["verify", "--params", str(params), "--release", "r1", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "INPUT DIFFERS settings hash: release r1 recorded" in err
    assert "(recorded by 5 notebook(s): D05/scorecard, D05/outcome_gaps, D05/efficiency, D05/peers…)" in err
    assert "tables hash" not in err


def test_an_unknown_release_or_district_is_a_usage_error_before_anything_runs(built, capsys, monkeypatch):
    _, params = built
    monkeypatch.setattr(pipeline, "ensure_data", lambda *args, **kwargs: pytest.fail("verify read the data for a release or district it does not have"))
    assert main(["verify", "--params", str(params), "--release", "r9"]) == 2
    assert "districtstat verify: no release 'r9' in site/; the releases published there are: r1" in capsys.readouterr().err
    assert main(["verify", "--params", str(params), "--release", "r1", "--only", "D99"]) == 2
    assert "--only: no district D99 in this release (it has D01, D02, D03, D04, D05, D06, D07, D08…)" in capsys.readouterr().err


def notebook(*outputs: list[dict], source: str = "x") -> nbformat.NotebookNode:
    cells = [nbformat.v4.new_code_cell(source, outputs=[nbformat.from_dict(output) for output in cell]) for cell in outputs]
    return nbformat.v4.new_notebook(cells=cells)


def display(mime: str, value: str, **extra) -> dict:
    return {"output_type": "display_data", "data": {mime: value}, "metadata": extra}


def test_outputs_compare_like_nbval_ignoring_counts_metadata_and_how_a_stream_was_written():
    task = Task("scorecard", "D03")
    published = notebook([{"output_type": "stream", "name": "stdout", "text": "a\nb\n"}], [display("text/plain", "1")])
    rerun = notebook(
        [{"output_type": "stream", "name": "stdout", "text": "a\n"}, {"output_type": "stream", "name": "stdout", "text": "b\n"}],
        [{"output_type": "execute_result", "data": {"text/plain": "1"}, "metadata": {}, "execution_count": 7}],
    )
    difference = compare(task, published, rerun)
    assert (difference.cell, difference.what) == (1, "output 1: output type")
    assert "-display_data" in difference.diff and "+execute_result" in difference.diff
    rerun.cells[1].outputs = [display("text/plain", "1", width=300)]
    rerun.cells[1].execution_count = 9
    assert compare(task, published, rerun) is None
    rerun.cells[0].outputs[1]["text"] = "c\n"
    rerun.cells[1].outputs.append(display("image/png", "iVBORw0KGgo="))
    difference = compare(task, published, rerun)
    assert (difference.cell, difference.what, difference.cells) == (0, "output 1: stdout", 2)
    assert difference.diff[-2:] == ["-b", "+c"]


def test_a_changed_commit_or_library_version_is_a_warning_naming_it():
    same = {"pandas": "3.1.1", "numpy": "2.4.6"}
    assert provenance_warnings("abc123", "abc123", same, same) == []
    warnings = provenance_warnings("abc123", "def456-dirty", same, {"pandas": "3.2.0", "numpy": "2.4.6"})
    assert warnings == [
        "code commit: the release was built from abc123, this checkout is def456-dirty",
        "package pandas: the release was built with 3.1.1, this environment has 3.2.0",
    ]
    assert provenance_warnings("abc123", "abc123", None, same) == ["package versions: the release recorded none (downloads/parameters.json is missing)"]
