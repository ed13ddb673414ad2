"""Downloads: each published table's CSV, its Table Schema, and the release's datapackage.json."""

import json
from pathlib import PurePosixPath

import nbformat
import pandas as pd

from districtstat import downloads
from districtstat.disclosure import protect
from districtstat.report import _Rich


def test_a_protected_table_downloads_with_whole_counts_rounded_figures_and_the_symbol():
    table = protect(pd.DataFrame({"group": ["EL", "Non-EL"], "n": [4.0, 120.0], "mean": [480.123456, 502.5]}), counts={"n": ["mean"]}, min_n=10)
    assert table.to_csv({"n": "Students"}).splitlines() == ["group,Students,mean", "EL,*,*", "Non-EL,120,502.5"]
    whole = protect(pd.DataFrame({"n": [20.0, 30.0], "pct": [50.0, 40.0]}), counts={"n": ["pct"]}, min_n=10)
    assert whole.to_csv().splitlines()[1] == "20,50.0", "a percentage stays a number even when every value is whole"


def test_field_types_treat_the_suppression_symbol_as_missing():
    fields = downloads.table_fields("District,Students,Mean,Note\nA,*,480.5,x\nB,120,*,y\n")
    assert [f["type"] for f in fields] == ["string", "integer", "number", "string"]


def test_page_tables_find_each_table_output_with_its_caption():
    bundle = _Rich("<table></table>", "t", "a,b\n1,2\n", {"caption": "Gaps", "how_to_read": "Read me"})._repr_mimebundle_()
    data, metadata = bundle
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("intro"),
        nbformat.v4.new_code_cell("show", outputs=[nbformat.v4.new_output("display_data", data=data, metadata=metadata)]),
    ]
    assert downloads.page_tables(notebook) == [(1, "a,b\n1,2\n", {"caption": "Gaps", "how_to_read": "Read me"})]
    shown_only = nbformat.v4.new_output("display_data", data={"text/html": "<p>chart</p>"})
    notebook.cells.append(nbformat.v4.new_code_cell("chart", outputs=[shown_only]))
    assert len(downloads.page_tables(notebook)) == 1


def test_download_paths_are_stable_and_unique_per_page():
    used: set[str] = set()
    page = PurePosixPath("districts/D03/peers.ipynb")
    first = downloads.download_path(page, "Peer districts, nearest first", used)
    second = downloads.download_path(page, "Peer districts, nearest first", used)
    assert first.as_posix() == "downloads/districts/D03/peers/peer-districts-nearest-first.csv"
    assert second.name == "peer-districts-nearest-first-2.csv"
    assert downloads.link_from(page, first) == "../../downloads/districts/D03/peers/peer-districts-nearest-first.csv"
    assert downloads.link_from(PurePosixPath("index.ipynb"), first) == first.as_posix()


def test_datapackage_describes_every_table_with_unique_names_and_hashes():
    csv = "a,b\n1,*\n"
    tables = [downloads.published_table(PurePosixPath(f"downloads/x/{name}.csv"), PurePosixPath("x.ipynb"), csv, {"caption": name}) for name in ("t", "t")]
    package = json.loads(downloads.datapackage("Test Consortium", "r1", "2024-09-30", tables))
    assert package["version"] == "r1" and package["created"] == "2024-09-30"
    names = [r["name"] for r in package["resources"]]
    assert len(set(names)) == 2
    resource = package["resources"][0]
    assert resource["bytes"] == len(csv) and resource["hash"].startswith("sha256:")
    assert resource["schema"]["missingValues"] == ["", "*", "≤5", "≥95"]
