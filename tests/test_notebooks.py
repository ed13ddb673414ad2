"""The committed notebooks are clean, thin and declare their parameters (nbval re-runs their outputs)."""

from pathlib import Path

import nbformat
import papermill
import pytest

from districtstat.config import load_project

ROOT = Path(__file__).parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SETTINGS = load_project(ROOT / "params" / "synthetic.yml").settings


def test_every_configured_notebook_is_committed():
    names = {path.stem for path in NOTEBOOKS}
    assert {SETTINGS.overview_notebook, SETTINGS.topic_notebook, *SETTINGS.district_notebooks} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_clean_and_has_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    assert "papermill" not in notebook.metadata and "widgets" not in notebook.metadata
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all("execution" not in cell.metadata and "papermill" not in cell.metadata for cell in code)
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    assert sum(bool(cell.outputs) for cell in code) >= 2
    assert not any(output.output_type == "error" for cell in code for output in cell.outputs)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_thin_and_declares_its_parameters(path):
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(len(cell.source.splitlines()) <= 15 for cell in code), "a long cell is a function waiting to be written"
    declared = set(papermill.inspect_notebook(str(path)))
    expected = {"params_file", "release"} | ({"district_id"} if path.stem in SETTINGS.district_notebooks else set()) | ({"topic_id"} if path.stem == SETTINGS.topic_notebook else set())
    assert declared == expected
    assert not any(str(ROOT) in cell.source for cell in notebook.cells)


def shown_text(path: Path) -> str:
    notebook = nbformat.read(path, as_version=4)
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            parts.append(data.get("text/markdown", "") + data.get("text/html", "") + data.get("text/plain", ""))
    return " ".join(parts)


def test_the_examples_efficiency_page_says_the_model_cannot_rank_and_shows_no_percentile():
    """The README example's model has a negative cross-validated R² (14 districts, five terms): its committed
    pages carry the interval and say the data cannot rank, with no percentile anywhere."""
    efficiency, overview, scorecard = (shown_text(ROOT / "notebooks" / f"{name}.ipynb") for name in ("efficiency", "overview", "scorecard"))
    assert "cannot rank districts on this measure this release" in efficiency
    assert "90% prediction interval" in efficiency and "95%" not in efficiency and "cross-validated R² −0." in efficiency
    assert "percentile" not in efficiency.lower().replace("peer percentile", "")
    assert "Against prediction" in overview and "percentile" not in overview.lower()
    assert all(year in scorecard for year in ("2021–22", "2022–23", "2023–24"))  # every school year, the middle one too
