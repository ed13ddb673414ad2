"""The one-page district brief: a page and a PDF for every district, with the figures its pages show as they show
them, and no count they hide; and the publish audit, which reads the PDFs' text as it reads the pages."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from html.parser import HTMLParser

import pandas as pd
import pytest
from pypdf import PdfReader

from districtstat.site import brief, project as site
from districtstat.privacy.audit import DisclosureAuditError, PublishedCount, audit_release, scan_site, student_identifiers
from districtstat.privacy.pdf_reading import texts_in_processes
from districtstat.config import load_project
from districtstat.privacy.disclosure import STUDENT_COUNTS_FILE, SUPPRESSED
from districtstat.provenance import Provenance

# A count of students as a brief states one ("778 students"); neither the privacy note's threshold nor a share
# ("13.2% students with disabilities", "* students with disabilities") is one.
STUDENTS = re.compile(r"(?<!fewer than )(?<![\d,.])(\*|\d[\d,]*) students(?! with)")


class Cells(HTMLParser):
    """Every table of a page: its caption and each row's cells (header cells included), as text."""

    def __init__(self):
        super().__init__()
        self.tables: list[dict] = []
        self.text: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("caption", "th", "td"):
            self.text = ""

    def handle_data(self, data):
        if self.text is not None:
            self.text += data

    def handle_endtag(self, tag):
        if tag in ("caption", "th", "td") and self.text is not None and self.tables:
            if tag == "caption":
                self.tables[-1]["caption"] = self.text.strip()
            else:
                self.tables[-1]["rows"][-1].append(self.text.strip())
            self.text = None


def tables_of(path) -> list[dict]:
    parser = Cells()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tables


def pdf_text(path_or_bytes) -> str:
    """The PDF's text as a reader copies it, with every run of white space as one space."""
    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    return " ".join(" ".join(page.extract_text() for page in PdfReader(source).pages).split())


def plain(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", markup)).split())


@pytest.fixture(scope="module")
def release(built):
    root, params = built
    folder = root / "site" / "r1"
    districts = sorted(p.name for p in (folder / "districts").iterdir() if p.is_dir())
    return folder, districts, load_project(params)


@pytest.fixture(scope="module")
def texts(release):
    folder, districts, _ = release
    return {district: pdf_text(folder / "districts" / district / brief.PDF) for district in districts}


@pytest.fixture(scope="module")
def counts(release):
    folder, _, _ = release
    return list(csv.DictReader((folder / STUDENT_COUNTS_FILE).open(encoding="utf-8")))


def test_every_district_has_its_brief_as_a_page_and_a_pdf_of_one_or_two_pages_linked_from_its_home(release):
    folder, districts, _ = release
    assert len(districts) >= 12
    for district in districts:
        pdf = folder / "districts" / district / brief.PDF
        page = folder / "districts" / district / "brief.html"
        assert pdf.read_bytes().startswith(b"%PDF-") and 1 <= len(PdfReader(pdf).pages) <= 2, district
        assert f'href="{brief.PDF}"' in page.read_text(encoding="utf-8"), district
        home = (folder / "districts" / district / "index.html").read_text(encoding="utf-8")
        assert 'href="brief.html"' in home and f'href="{brief.PDF}"' in home, district


@pytest.fixture(scope="module")
def briefs(release):
    _, _, project = release
    return {district: entry["brief"] for district, entry in json.loads((project.build_dir / brief.CACHE).read_text(encoding="utf-8")).items()}


def test_the_pdf_and_the_page_say_the_same(release, texts, briefs):
    folder, districts, _ = release
    for district in districts:
        page = plain((folder / "districts" / district / "brief.html").read_text(encoding="utf-8"))
        said = [briefs[district]["summary"], *(p for s in briefs[district]["sections"] for p in [*s["paragraphs"], *s["bullets"]])]
        assert len(said) >= 4, district
        for parts in said:
            sentence = " ".join("".join(part["text"] for part in parts).split())
            assert sentence in texts[district] and sentence in page, (district, sentence)


def test_a_brief_shows_the_key_figures_as_the_scorecard_and_the_home_show_them(release, texts):
    folder, districts, _ = release
    for district in districts:
        text = texts[district]
        name = re.search(r'<h1 class="title">([^<]+)</h1>', (folder / "districts" / district / "index.html").read_text(encoding="utf-8")).group(1)
        assert text.startswith(f"{html.unescape(name)} District brief · 2023–24 school year"), district
        scorecard = tables_of(folder / "districts" / district / "scorecard.html")
        outcomes = next(t for t in scorecard if t["caption"].startswith("Student outcomes:"))
        header = outcomes["rows"][0]
        years = [label for label in header if re.fullmatch(r"\d{4}–\d{2}", label)]
        shown = 0
        for row in outcomes["rows"][1:]:
            cells = dict(zip(header, row))
            change = cells["Change (trend line)"]
            if cells["Change, 90% interval"] not in ("–", "*", "exact"):  # in the figure's unit, which its first column names
                change = re.sub(r" (points|pct\. pts|days)$", "", change) + f" ({cells['Change, 90% interval']})"
            figure = " ".join([f"{cells['Indicator']} ({cells['Unit']})", *(cells[year] for year in years), change, cells["Trend"] or "–"])
            assert figure in text, (district, figure)
            shown += 1
        assert shown >= 3, district
        home = tables_of(folder / "districts" / district / "index.html")
        glance = {row[0]: row[1] for row in home[0]["rows"][1:]}
        assert f"{glance['Students']} students" in text, district
        for label, words in (("Economically disadvantaged", "economically disadvantaged"), ("Spending per pupil", "spending per pupil")):
            assert f"{glance[label]} {words}" in text, (district, label)
        efficiency = plain((folder / "districts" / district / "efficiency.html").read_text(encoding="utf-8"))
        interval = re.search(r"90% prediction interval [^)]+\)", efficiency)
        assert interval and interval.group(0) in text and "95%" not in text, district  # 90%, as every other interval of the brief


def test_a_brief_gives_no_rank_where_the_efficiency_model_cannot_rank(release, texts):
    """The test consortium's model predicts new districts worse than their average: no brief ranks a district on it."""
    _, districts, _ = release
    for district in districts:
        assert "cannot rank districts on this measure" in texts[district] and "percentile" not in texts[district].lower(), district
        assert "prediction interval" in texts[district] and "R²" not in texts[district], district


def test_no_brief_shows_a_count_the_pages_hide(release, texts, counts):
    """A brief states counts of students only in its figures at a glance: each is its district's enrollment as
    every page publishes it, and none is a count the pages hide (its true value read from the tables)."""
    folder, districts, project = release
    outcomes = pd.read_parquet(project.tables_dir / "subgroup_outcomes.parquet").dropna(subset=["n"])
    truth = {(r.district_id, str(r.school_year), r.subject, r.grade, r.subgroup): int(r.n) for r in outcomes.itertuples()}
    hidden = 0
    for district in districts:
        stated = STUDENTS.findall(texts[district])
        published = next(row["students"] for row in counts if row["measure"] == "enrolled" and row["district_id"] == district)
        assert stated == [published if published == SUPPRESSED else f"{int(published):,}"], district
        for row in counts:
            if row["district_id"] == district and row["students"] == SUPPRESSED and row["measure"] == "tested":
                value = truth[(district, row["school_year"], row["subject"], row["grade"], row["group"])]
                assert f"{value:,}" not in stated, (district, row)
                hidden += 1
    assert hidden > 10, "the small consortium hides some groups' counts on purpose"


def test_a_count_the_overview_hides_is_hidden_in_the_brief(release):
    folder, _, project = release
    overview = brief.Page.read(brief.page_path(project, project.settings.overview_notebook))
    table = next(overview.tables(lambda about: "Students" in about.get("counts", {})))
    at = next(i for i, key in enumerate(table["about"]["counts"]["Students"]) if key.split("/")[1] == "D03")
    enrolled = table["cells"][at]["Students"]
    table["cells"][at]["Students"] = SUPPRESSED
    data = brief.brief(project, "D03", "Riverbend City Schools", overview, Provenance("r1", "0" * 64, "unversioned", "0" * 64))
    assert data["glance"][0] == {"value": SUPPRESSED, "label": "students"}
    assert data["counts"][0]["value"] is None and any(note.startswith(SUPPRESSED) for note in data["notes"])
    text = pdf_text(brief.brief_pdf(data))
    assert STUDENTS.findall(text) == [SUPPRESSED] and enrolled not in text


def test_the_same_brief_gives_the_same_pdf_bytes(release, briefs):
    folder, districts, _ = release
    data = briefs[districts[0]]
    assert brief.brief_pdf(data) == brief.brief_pdf(json.loads(json.dumps(data))) == (folder / "districts" / districts[0] / brief.PDF).read_bytes()


def test_the_audit_accepts_the_briefs_counts_and_stops_one_that_shows_a_hidden_count(release, counts, tmp_path):
    folder, _, project = release
    tables = site.published_tables(project)
    kept = tmp_path / "pdf-texts.json"
    audit_release(folder, project.data_dir, tables, shown=brief.shown_counts(project), pdf_texts=kept)
    (read,) = json.loads(kept.read_text()).values()
    assert len(read) == len(list(folder.rglob("*.pdf")))
    row = next(row for row in counts if row["students"] == SUPPRESSED and row["district_id"] == "D03")
    key = "/".join([row["measure"], row["district_id"], row["school_year"], row["subject"], row["grade"], row["group"]])
    leak = PublishedCount(key, 12.0, "districts/D03/brief.pdf", 1, "Students")
    with pytest.raises(DisclosureAuditError, match=r"published two ways.*districts/D03/brief\.pdf"):
        audit_release(folder, project.data_dir, tables, shown=[leak], pdf_texts=kept)


def test_the_audit_reads_a_pdfs_text_and_finds_a_student_id_or_name_in_it(release, briefs, tmp_path):
    _, districts, project = release
    data = briefs[districts[0]]
    student = pd.read_csv(project.data_dir / "students.csv", nrows=1, dtype=str)["student_id"].iloc[0]
    published = tmp_path / "site"
    (published / "districts" / "D01").mkdir(parents=True)
    (published / "districts" / "D01" / brief.PDF).write_bytes(brief.brief_pdf(data))
    assert scan_site(published, *student_identifiers(project.data_dir)) == []

    (published / "districts" / "D01" / brief.PDF).write_bytes(brief.brief_pdf(data | {"district": f"{student} Unified"}))
    assert scan_site(published, *student_identifiers(project.data_dir)) == ["districts/D01/brief.pdf: 1 student identifier(s), e.g. " + student]

    students = tmp_path / "data"
    students.mkdir()
    (students / "students.csv").write_text("student_id,first_name,last_name\nX1,Maria,White\n", encoding="utf-8")
    (published / "districts" / "D01" / brief.PDF).write_bytes(brief.brief_pdf(data | {"district": "Maria White Academy"}))
    assert scan_site(published, *student_identifiers(students)) == ["districts/D01/brief.pdf: 1 student name(s), e.g. maria white"]

    (published / "districts" / "D01" / brief.PDF).write_bytes(b"%PDF-1.7 not a PDF")
    assert [problem.split(":")[0] for problem in scan_site(published, *student_identifiers(students))] == ["districts/D01/brief.pdf"]


class CountedKeys(list):
    """The overview's count keys, counting how often they are read through."""

    passes = 0

    def __iter__(self):
        CountedKeys.passes += 1
        return super().__iter__()


def test_every_brief_finds_its_row_of_the_overview_in_one_pass():
    """A brief per district, each looking itself up in the one overview: the table's keys are indexed once, not
    scanned once a district, which would grow with the square of the districts (13,000 of them in the plan)."""
    from districtstat import views
    from districtstat.site.brief.content import at_a_glance
    from districtstat.site.brief.reading import Page

    students = views.CONSORTIUM_LABELS["enrollment"]
    districts = [f"D{number:02d}" for number in range(1, 41)]
    keys = CountedKeys(f"enrollment/{district}/2024" for district in districts)
    rows = "".join(f"<tr><td>{district}</td><td>{100 + number:,}</td></tr>" for number, district in enumerate(districts))
    markup = f"<table><thead><tr><th scope=\"col\">District</th><th scope=\"col\">{students}</th></tr></thead><tbody>{rows}</tbody></table>"
    overview = Page([], [({"counts": {students: keys}}, markup)])
    CountedKeys.passes = 0
    found = [at_a_glance(overview, district)[1] for district in districts]
    assert CountedKeys.passes == 1
    assert [counts[0]["key"] for counts in found] == [f"enrollment/{district}/2024" for district in districts]
    assert [counts[0]["value"] for counts in found] == [100.0 + number for number in range(len(districts))]


def test_many_pdfs_are_read_by_several_processes_with_the_same_findings(release, briefs, tmp_path, monkeypatch):
    from districtstat.privacy import audit

    _, districts, project = release
    student = pd.read_csv(project.data_dir / "students.csv", nrows=1, dtype=str)["student_id"].iloc[0]
    published = tmp_path / "site"
    for i, district in enumerate(districts[:4]):
        data = briefs[district] | ({"district": f"{student} Unified"} if i == 2 else {})
        (published / "districts" / district).mkdir(parents=True)
        (published / "districts" / district / brief.PDF).write_bytes(brief.brief_pdf(data))
    (published / "broken.pdf").write_bytes(b"%PDF-1.7 not a PDF")
    shared: list[int] = []
    monkeypatch.setattr(audit, "texts_in_processes", lambda contents, processes: shared.append(processes) or texts_in_processes(contents, processes))
    monkeypatch.setattr(audit, "PDFS_PER_PROCESS", 2)
    in_processes = scan_site(published, *student_identifiers(project.data_dir))
    monkeypatch.setattr(audit, "PDFS_PER_PROCESS", 10**6)
    assert shared == [2] and in_processes == scan_site(published, *student_identifiers(project.data_dir))
    assert [problem.split(":")[0] for problem in in_processes] == ["broken.pdf", f"districts/{districts[2]}/brief.pdf"]
