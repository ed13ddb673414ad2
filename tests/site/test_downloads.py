"""Downloads: each published table's CSV (keys first, figures as the page shows them), its Table Schema, the long file of every figure, and the release's datapackage.json."""

import csv
import io
import json
import os
import re
from html.parser import HTMLParser
from pathlib import PurePosixPath

import nbformat
import pandas as pd
import pytest

from districtstat.privacy import audit
from districtstat.site import downloads, project as site
from districtstat.config import load_project
from districtstat.privacy.disclosure import CODED, SUPPRESSED, protect
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
    assert resource["schema"]["missingValues"][:2] == ["", "*"] and {"<20", ">80", "<1", ">99"} <= set(resource["schema"]["missingValues"])


# ------------------------------------------------------------------ tidy downloads: each figure as its page shows it


def test_a_figure_is_written_as_its_page_cell_shows_it_without_signs():
    cases = {"$7,809": "7809", "−$1,203": "-1203", "$-5": "-5", "+12.6": "12.6", "61.1%": "61.1", "1,009": "1009", "-0.0": "0.0", "−$0": "0",
             "2.5 days": "2.5", "+1.3 pct. pts": "1.3", "0.973": "0.973", "1.2e-05": "1.2e-05", "3rd": "3"}
    assert {text: downloads.shown_number(text) for text in cases} == cases
    assert downloads.shown_number("−27.5 to +24.3") is None and downloads.shown_number("within") is None
    assert downloads.interval("−27.5 to +24.3") == ("-27.5", "24.3") and downloads.interval("-35.2 to +12.6") == ("-35.2", "12.6")


def test_a_table_downloads_to_the_digit_its_page_shows_with_the_district_and_school_year_first():
    from districtstat.report import ByRow, table_download, table_html

    frame = pd.DataFrame(
        {
            "district_name": ["Ashford", "Birch"],
            "n": [4.0, 1234.0],
            "spend": [12345.678, 9876.7],
            "gap": [-11.3108, 2.25],
            "pct": [50.0, 61.0505],
            "unit": ["%", "points"],
            "value": [12.345, 1234.56],
        }
    )
    table = protect(frame, counts={"n": ["gap"]}, min_n=10).naming_districts(["D1", "D2"]).of_school_year(2024)
    formats = {"spend": "${:,.0f}", "gap": "{:+.1f}", "pct": "{:.1f}%", "value": ByRow(lambda v, row: f"{v:,.2f}{row['unit']}")}
    labels = {"district_name": "District", "n": "Students", "spend": "Per pupil ($)"}
    text, about = table_download(table, "Districts", "Read me", labels, formats)
    assert text.splitlines() == [
        "district_id,district_name,school_year,Students,Per pupil ($),gap,pct,unit,value",
        "D1,Ashford,2024,*,12346,*,50.0,%,12.35",
        "D2,Birch,2024,1234,9877,2.2,61.1,points,1234.56",
    ]
    page = table_html(table, "Districts", "Read me", labels, formats)
    assert all(shown in page for shown in ("$12,346", "+2.2", "61.1%", "1,234.56points")), "the page shows the same digits"
    assert about["rests_on"] == {"Students": "Students", "gap": "Students"} and about["counts"] == {"Students": [None, None]}
    assert about["numeric"] == ["Students", "Per pupil ($)", "gap", "pct", "value"]


def test_a_coded_percentage_keeps_its_columns_percent_sign_on_the_page_and_its_bare_code_in_the_download():
    from districtstat.report import table_html

    frame = pd.DataFrame({"district_name": ["Ashford", "Birch"], "n": [29.0, 400.0], "pct_el": [13.8, 61.3], "pct_bare": [13.8, 61.3]})
    table = protect(frame, counts={"n": []}, min_n=10, shares={"pct_el": "n", "pct_bare": "n"})
    page = table_html(table, "Districts", "Read me", {}, {"pct_el": "{:.0f}%", "pct_bare": "{:.0f}"})
    assert "<td>&lt;40%</td>" in page and "<td>62%</td>" in page, "under 40%, beside 62%"
    assert "<td>&lt;40</td>" in page, "a column without % keeps its bare code"
    assert table.to_csv().splitlines()[1] == "Ashford,29,<40,<40"


def test_a_peer_column_gets_its_district_id_beside_it_and_each_row_may_have_its_own_year():
    frame = pd.DataFrame({"rank": [1, 2], "peer_name": ["Birch", "Cedar"], "distance": [1.23456, 2.0]})
    table = protect(frame, counts={}).naming_districts(["D2", "D3"], "peer_name").of_school_year([2024, None])
    assert table.to_csv({"peer_name": "Peer district"}).splitlines() == [
        "school_year,rank,peer_district_id,Peer district,distance",
        "2024,1,D2,Birch,1.2346",
        ",2,D3,Cedar,2.0",
    ]


def test_a_district_pages_download_carries_the_districts_id_and_name_and_others_do_not():
    text = "Subject,Group,\"Gap, points\"\nELA,EL,-3.1\n"
    names = {"D03": "Riverbend, City Schools"}
    keyed = downloads.with_district(text, PurePosixPath("districts/D03/outcome_gaps.ipynb"), names)
    assert keyed.splitlines() == ['district_id,district_name,Subject,Group,"Gap, points"', 'D03,"Riverbend, City Schools",ELA,EL,-3.1']
    assert downloads.with_district(keyed, PurePosixPath("districts/D03/outcome_gaps.ipynb"), names) == keyed, "keys it has stay as they are"
    assert downloads.with_district(text, PurePosixPath("topics/transport.ipynb"), names) == text


def test_every_number_gets_a_unit_from_its_label_or_its_row():
    fields = downloads.table_fields(
        "district_id,school_year,Indicator,Unit,2022–23,Change (trend line),Students in group,Gap (points),% proficient,Rank (1 = best),R²\n"
        "D1,2024,Buses on time,%,91.0,-0.5,*,*,*,2,0.41\n",
        numeric=("Students in group", "Gap (points)", "% proficient"),
    )
    units = {field["name"]: field.get("unit") for field in fields}
    assert units == {
        "district_id": None, "school_year": None, "Indicator": None, "Unit": None, "2022–23": downloads.ROW_UNIT, "Change (trend line)": downloads.ROW_UNIT,
        "Students in group": "students", "Gap (points)": "points", "% proficient": "%", "Rank (1 = best)": "rank", "R²": "share of variance (R²)",
    }
    assert [field["type"] for field in fields][-5:-1] == ["number", "number", "number", "integer"], "a column of numbers all hidden is still a number"
    assert "spring year" in fields[1]["description"]


def test_the_long_file_has_one_row_per_figure_cell_with_its_keys_unit_and_n(tmp_path):
    gaps = (
        "district_id,district_name,school_year,Subject,Group,Compared with,Students in group,Gap (points),95% confidence interval,% proficient\n"
        "D03,Riverbend,2024,MATH,EL,All other students,42,-11.3,-20.1 to -2.5,<20\n"
        "D03,Riverbend,2024,MATH,Asian,All other students,*,*,*,*\n"
    )
    series = "district_id,district_name,Indicator,Unit,2022–23,2023–24,Change (trend line),Trend\nD03,Riverbend,Buses on time,%,91.0,,-0.5,steady\n"
    about = {"caption": "Gaps", "numeric": ["Students in group", "Gap (points)", "% proficient"], "counts": {"Students in group": ["tested/D03/2024/MATH/ALL/EL", "tested/D03/2024/MATH/ALL/ASIAN"]},
             "rests_on": {"Students in group": "Students in group", "Gap (points)": "Students in group", "95% confidence interval": "Students in group", "% proficient": "Students in group"}}
    tables = []
    for name, text, info in (("gaps", gaps, about), ("series", series, {"caption": "Scorecard"})):
        path = PurePosixPath(f"downloads/districts/D03/page/{name}.csv")
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
        tables.append(downloads.published_table(path, PurePosixPath("districts/D03/page.ipynb"), text, info))
    text, keys = downloads.published_figures(tmp_path, tables)
    assert text == downloads.published_figures(tmp_path, tables)[0], "the same files give the same bytes"
    long = pd.read_csv(io.StringIO(text), dtype={"district_id": str})
    assert list(long.columns) == [field["name"] for field in downloads.FIGURE_FIELDS] and len(long) == len(keys) == 12
    el = long[long["group"] == "EL"].set_index("measure")
    assert el.loc["Gap (points)", ["value", "unit", "n", "compared_with", "school_year"]].tolist() == [-11.3, "points", 42, "All other students", 2024]
    assert el.loc["95% confidence interval: low", "value"] == -20.1 and el.loc["95% confidence interval: high", "unit"] == "points"
    assert pd.isna(el.loc["% proficient", "value"]) and el.loc["% proficient", "shown_as"] == "<20" and el.loc["% proficient", "unit"] == "%"
    asian = long[long["group"] == "Asian"]
    assert len(asian) == 5 and (asian["shown_as"] == "*").all() and asian["value"].isna().all() and asian["n"].isna().all()
    assert [key for key in keys if key] == ["tested/D03/2024/MATH/ALL/EL"] * 5, "only a shown count is an n, keyed for the audit"
    buses = long[long["indicator"] == "Buses on time"]
    assert buses[["school_year", "measure", "value", "unit"]].values.tolist() == [[2023, "value", 91.0, "%"], [2024, "Change (trend line)", -0.5, "percentage points"]]
    assert (long["page"] == "districts/D03/page.html").all()


# ------------------------------------------------------------------ the built release: every download against its page


@pytest.fixture(scope="module")
def release(built):
    """The suite's consortium as built once (read only here): the published release's folder and its project."""
    root, params = built
    return root / "site" / "r1", load_project(params)


class PageTables(HTMLParser):
    """Each table of a page (caption, header cells, body cells as a reader sees them) and its download link."""

    def __init__(self):
        super().__init__()
        self.tables, self.links, self._cell, self._part = [], [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.tables.append({"caption": "", "headers": [], "rows": []})
        elif tag in ("thead", "tbody"):
            self._part = tag
        elif tag == "tr" and self._part == "tbody":
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th", "caption") and self.tables:
            self._cell = ""
        elif tag == "a" and "table-download" in (attrs.get("class") or ""):
            self.links.append(attrs["href"])

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag in ("td", "th", "caption") and self._cell is not None:
            text, table = self._cell.strip(), self.tables[-1]
            if tag == "caption":
                table["caption"] = text
            elif self._part == "thead":
                table["headers"].append(text)
            else:
                table["rows"][-1].append(text)
            self._cell = None
        elif tag in ("thead", "tbody"):
            self._part = None


def tables_with_downloads(page) -> list[tuple[dict, object]]:
    parser = PageTables()
    parser.feed(page.read_text(encoding="utf-8"))
    tables = [table for table in parser.tables if table["caption"]]
    assert len(tables) == len(parser.links), page
    return [(table, page.parent / link) for table, link in zip(tables, parser.links)]


def read_rows(path) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(path.open(encoding="utf-8")))
    return rows[0], rows[1:]


PAGE_NUMBER = re.compile(r"[+\-−]?\$?\d[\d,]*(?:\.\d+)?")
PLAIN = re.compile(r"-?\d+(?:\.\d+)?")
YEAR = re.compile(r"^(\d{4})–\d{2}")


def page_number(text: str) -> tuple[float, int]:
    """The number a page cell shows and its decimals, read independently of the code that writes downloads."""
    (found,) = PAGE_NUMBER.findall(text)
    number = found.replace("$", "").replace(",", "").replace("−", "-")
    return float(number), len(number.split(".")[1]) if "." in number else 0


def decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def added_keys(header: list[str], page_headers: list[str]) -> list[int]:
    """The positions of the CSV's columns the page shows, in page order: the keys a download adds left out."""
    shown = [i for i, c in enumerate(header) if c not in ("district_id", "school_year") and not c.endswith("_district_id")]
    if len(shown) == len(page_headers) + 1 and header[shown[0]] == "district_name":
        shown = shown[1:]  # a district page's own district
    return shown


def district_names(project) -> dict[str, str]:
    indicators = pd.read_parquet(project.tables_dir / "district_indicators.parquet")
    return dict(zip(indicators["district_id"], indicators["district_name"]))


def test_every_download_stands_alone_with_its_district_school_year_and_numbers_without_signs(release):
    folder, project = release
    names = district_names(project)
    years = set(pd.read_parquet(project.tables_dir / "district_indicators.parquet")["school_year"].astype(int))
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    fields = {resource["path"]: resource["schema"]["fields"] for resource in package["resources"]}
    paths = sorted(path.relative_to(folder).as_posix() for path in (folder / "downloads").rglob("*.csv"))
    assert paths == sorted(fields), "every CSV is described, and only those"
    for path in paths:
        header, rows = read_rows(folder / path)
        assert rows, path
        parts = PurePosixPath(path).parts
        if parts[1] == "districts":
            assert header[:2] == ["district_id", "district_name"], path
            assert all(row[:2] == [parts[2], names[parts[2]]] for row in rows), path
        else:
            ids, named = header.index("district_id"), header.index("district_name")
            assert all(row[named] == names[row[ids]] for row in rows), path
        if not any(YEAR.match(column) for column in header):
            year = header.index("school_year")
            assert {int(row[year]) for row in rows} <= years, path
        for field in fields[path]:
            if field["type"] in ("integer", "number"):
                column = header.index(field["name"])
                assert all(PLAIN.fullmatch(row[column]) or row[column] in ("", SUPPRESSED, *CODED) for row in rows), (path, field["name"])


def test_every_download_shows_each_figure_to_the_digit_its_page_shows(release):
    folder, _ = release
    compared = 0
    pages = sorted({folder / path.parent.relative_to(folder / "downloads").with_suffix(".html") for path in (folder / "downloads").glob("*/**/*.csv")})
    assert len(pages) > 50 and folder / "index.html" in pages
    for page in pages:
        for table, path in tables_with_downloads(page):
            header, rows = read_rows(path)
            shown = added_keys(header, table["headers"])
            assert [header[i] for i in shown] == [h if h != "District" else "district_name" for h in table["headers"]], (page.name, table["caption"])
            assert len(rows) == len(table["rows"]), (page.name, table["caption"])
            for on_page, row in zip(table["rows"], rows):
                for text, column in zip(on_page, shown):
                    cell = row[column]
                    if PLAIN.fullmatch(cell):
                        number, places = page_number(text)
                        assert (float(cell), decimals(cell)) == (number, places), (page.name, table["caption"], header[column], text, cell)
                        compared += 1
                    else:
                        assert cell == ("" if text == "–" else bare_code(text)), (page.name, table["caption"], header[column], text, cell)
    assert compared > 3000


def bare_code(text: str) -> str:
    """A coded percentage as its download writes it: the page's "<40%" is "<40" in a column of numbers."""
    return text[:-1] if re.fullmatch(r"[<>]\d+%", text) else text


def long_file(folder) -> pd.DataFrame:
    return pd.read_csv(folder / downloads.FIGURES_FILE)


IDENTITY = {"Subject": "subject", "Group": "group", "Compared with": "compared_with", "District": "district_name"} | {c: "indicator" for c in downloads.INDICATOR_COLUMNS}


def test_the_long_file_round_trips_through_one_read_csv_and_holds_every_figure_of_every_download(release):
    folder, _ = release
    long = long_file(folder)
    as_text = pd.read_csv(folder / downloads.FIGURES_FILE, dtype=str, keep_default_na=False)
    header, rows = read_rows(folder / downloads.FIGURES_FILE)
    assert list(long.columns) == header == [field["name"] for field in downloads.FIGURE_FIELDS]
    assert as_text.values.tolist() == rows, "no cell is read differently from how it is written"
    assert long["value"].dtype == float and long["n"].dtype == float and long["school_year"].dtype == "int64"
    assert long["district_id"].notna().all() and long["unit"].notna().all() and long["measure"].notna().all()
    assert (long["value"].isna() == long["shown_as"].notna()).all(), "a figure has a value or the symbol it is shown as"
    assert long.equals(long_file(folder)), "deterministic"

    by_key = {}
    for row in long.fillna("").itertuples(index=False):
        key = (row.page, row.table, row.district_id, row.subject, row.group, row.compared_with, row.indicator, row.measure, int(row.school_year))
        assert key not in by_key, key
        by_key[key] = row
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    found = 0
    for resource in package["resources"]:
        if resource["path"] in (downloads.FIGURES_FILE, "downloads/key_figures.csv", "downloads/student_counts.csv"):
            continue
        header, rows = read_rows(folder / resource["path"])
        numeric = [f["name"] for f in resource["schema"]["fields"] if f["type"] in ("integer", "number") and f["name"] != "school_year"]
        page = re.sub(r"^downloads/|/[^/]+\.csv$", "", resource["path"]) + ".html"
        years = [int(YEAR.match(c).group(1)) + 1 for c in header if YEAR.match(c)]
        for row in rows:
            cell = dict(zip(header, row))
            described = {name: cell[column] for column, name in IDENTITY.items() if column in cell and name != "district_name"}
            for column in numeric:
                if cell[column] == "":
                    continue
                year = int(YEAR.match(column).group(1)) + 1 if YEAR.match(column) else int(cell.get("school_year") or max(years))
                key = (page, resource["title"], cell["district_id"], described.get("subject", ""), described.get("group", ""), described.get("compared_with", ""),
                       described.get("indicator", ""), "value" if YEAR.match(column) else column, year)
                figure = by_key[key]
                assert (figure.shown_as or figure.value) == (cell[column] if cell[column] in (SUPPRESSED, *CODED) else float(cell[column])), key
                found += 1
    assert found > 5000 and found == (long["measure"].str.contains(r": (?:low|high)$") == False).sum(), "every figure, and no other"  # noqa: E712


def test_the_long_file_gives_each_figure_as_the_pages_show_it(release):
    folder, _ = release
    long = long_file(folder).fillna("")
    pages = ["index.html", "topics/transportation.html", "districts/D03/outcome_gaps.html", "districts/D03/scorecard.html", "districts/D03/peers.html", "districts/D07/efficiency.html"]
    fields = {resource["path"]: resource["schema"]["fields"] for resource in json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))["resources"]}
    compared = 0
    for name in pages:
        on_page = long[long["page"] == name]
        for table, download in tables_with_downloads(folder / name):
            rows = on_page[on_page["table"] == table["caption"]]
            strings = {field["name"] for field in fields[PurePosixPath(os.path.normpath(download.relative_to(folder))).as_posix()] if field["type"] == "string"}
            columns = {header: [cells[at] for cells in table["rows"] if len(cells) > at] for at, header in enumerate(table["headers"])}
            words = {header for header in strings & set(columns) if not downloads.is_interval_column(columns[header])}  # a hidden word (a peer flag “≥ 1 SD”) is no figure
            for cells in table["rows"]:
                chosen = rows
                for header, text in zip(table["headers"], cells):
                    if header in IDENTITY:
                        chosen = chosen[chosen[IDENTITY[header]] == text]
                for header, text in zip(table["headers"], cells):
                    text = bare_code(text)
                    year = YEAR.match(header)
                    measure = "value" if year else header
                    figure = chosen[chosen["measure"].isin([measure, f"{measure}: low", f"{measure}: high"])]  # an interval is two figures
                    if year:
                        figure = figure[figure["school_year"] == int(year.group(1)) + 1]
                    if text in (SUPPRESSED, *CODED) and header not in words:
                        assert len(figure) and (figure["shown_as"] == text).all(), (name, table["caption"], header, cells)
                    elif len(figure):
                        shown = [page_number(number)[0] for number in PAGE_NUMBER.findall(text)]
                        assert figure["value"].tolist() == shown, (name, table["caption"], header, text)
                        compared += 1
    assert compared > 400


def test_the_datapackage_describes_the_long_file_and_every_number_has_a_unit(release):
    folder, _ = release
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    resources = {resource["path"]: resource for resource in package["resources"]}
    assert resources[downloads.FIGURES_FILE]["schema"]["fields"] == downloads.FIGURE_FIELDS
    assert "school_year" in package["description"] and "2023–24" in package["description"]
    for resource in package["resources"]:
        for field in resource["schema"]["fields"]:
            if field["type"] in ("integer", "number") and field["name"] != "school_year":
                assert field.get("unit") and field.get("description"), (resource["path"], field)
    page = (folder / "downloads.html").read_text(encoding="utf-8")
    assert 'href="downloads/published_figures.csv"' in page


def test_the_audit_reads_every_n_of_the_long_file_and_stops_a_small_one(release, tmp_path):
    folder, project = release
    tables = site.published_tables(project)
    (figures,) = [table for table in tables if table.path == downloads.FIGURES_FILE]
    cells = audit.read_counts(folder, [figures])
    long = long_file(folder)
    assert len(cells) == len(long) and sum(cell.key is not None for cell in cells) == long["n"].notna().sum() > 1000
    values, problems = audit.counts_by_key(audit.read_counts(folder, tables))
    assert problems == [] and audit.small_counts(cells, project.settings.min_n) == []
    assert all(values[cell.key] == cell.value for cell in cells if cell.key), "each n is the count the pages show"
    hidden = {key for key, value in values.items() if value is None}
    assert not any(cell.key in hidden for cell in cells if cell.key), "no count a page hides"
    planted = long.copy()
    first = planted.index[planted["n"].notna()][0]
    planted.loc[first, "n"] = 3
    (tmp_path / "downloads").mkdir()
    planted.to_csv(tmp_path / downloads.FIGURES_FILE, index=False)
    small = audit.small_counts(audit.read_counts(tmp_path, [figures]), project.settings.min_n)
    assert small and small[0].startswith(f"{downloads.FIGURES_FILE}, row {first + 1}, column “n” (3")


def test_the_long_file_is_read_again_only_when_a_table_changed(tmp_path, monkeypatch):
    path = PurePosixPath("downloads/districts/D03/page/gaps.csv")

    def build(text: str) -> downloads.PublishedTable:
        writer = site.ProjectWriter(tmp_path / "project", tmp_path / "record.json")
        writer.text(path.as_posix(), text)
        table = downloads.published_table(path, PurePosixPath("districts/D03/page.ipynb"), text, {"caption": "Gaps"})
        figures = site.write_figures(writer, [table])
        writer.finish()
        return figures

    first = build("district_id,Gap (points)\nD03,-3.1\n")
    read_again = []
    monkeypatch.setattr(downloads, "published_figures", lambda *args: read_again.append(args) or ("district_id\n", []))
    assert build("district_id,Gap (points)\nD03,-3.1\n") == first and not read_again
    assert (tmp_path / "project" / downloads.FIGURES_FILE).read_text(encoding="utf-8").count("-3.1") == 1, "kept, not removed"
    build("district_id,Gap (points)\nD03,-3.2\n")
    assert len(read_again) == 1


class CountedHomes(frozenset):
    """The districts with a home, counting how often they are read through."""

    passes = 0

    def __iter__(self):
        CountedHomes.passes += 1
        return super().__iter__()


def test_notebook_pages_do_not_each_read_every_district(tmp_path):
    """Each notebook page's signature names the set of district homes (its links depend on it): hashed once for the
    writer, not once a page, which would grow with the square of the districts (a page per district and notebook)."""
    executed = tmp_path / "executed.ipynb"
    executed.write_text(nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("A page.")])), encoding="utf-8")
    districts = [f"D{number:02d}" for number in range(1, 31)]
    homes = CountedHomes(districts)
    writer = site.ProjectWriter(tmp_path / "project", tmp_path / "record.json", homes)
    CountedHomes.passes = 0
    for district in districts:
        writer.notebook(f"districts/{district}/scorecard.ipynb", executed, f"{district}: scorecard")
    writer.finish()
    assert CountedHomes.passes == 0
    again = site.ProjectWriter(tmp_path / "project", tmp_path / "record.json", CountedHomes(homes))
    assert again.homes_hash == writer.homes_hash


@pytest.mark.parametrize(
    "cells",
    [["1", "2"], ["007", "-3"], ["1.5", "2"], ["2.0"], ["-3", "4.25"], [" 5"], ["+5"], ["1e5"], ["1E+05", "2"], ["inf"], ["-Infinity", "1"],
     ["nan"], ["NaN", "1"], ["1.", "2"], [".5"], ["D01"], ["1_000"], ["½"], ["١٢"], ["5%"], ["*", "3"], ["", "*"], [], ["*", "2.5", ""], ["True"], ["0x10"]],
)
def test_a_columns_type_told_from_its_text_is_the_type_pandas_reads(cells):
    assert downloads.field_type(cells) == downloads.field_type_by_pandas(pd.Series(cells, dtype="str"))


def test_a_csv_read_column_by_column_is_what_pandas_reads():
    import io

    for text in ['a,b\n1,"x\ny"\n2,z\n', "a,a\n1,2\n", "a,b\n1,2\n\n3,4\n", "a,b\n1\n", "a,b\n"]:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        columns = downloads.csv_columns(text)
        assert list(columns) == list(frame.columns) and all(list(columns[c]) == frame[c].tolist() for c in columns), text


def test_a_csv_pandas_reads_its_own_way_is_read_by_pandas():
    import io

    for text in [pd.DataFrame({"district": ["North\rside", "South"], "n": [1, 2]}).to_csv(index=False), ",a\n1,2\n", "a,\n1,2\n", "\ufeffa,b\n1,2\n"]:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        columns = downloads.csv_columns(text)
        assert list(columns) == list(frame.columns) and all(list(columns[c]) == frame[c].tolist() for c in columns), repr(text)
    assert [field["type"] for field in downloads.table_fields("district,n\n\"North\rside\",1\nSouth,2\n")] == ["string", "integer"]
