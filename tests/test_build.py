"""End to end: the synthetic consortium built into a site, as the README's first command does."""

from __future__ import annotations

import hashlib
import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from districtstat.cli import main
from districtstat.config import load_project
from helpers import FIXTURES, break_first_student, build_copy, make_project, page_tables, tree_digest
from second_release import DONE_ACTION, FIRST, LATEST, NEW_ACTION


def test_release_has_home_listing_and_every_district_page(built):
    root, _ = built
    release = root / "site" / "r1"
    districts = sorted(p.name for p in (release / "districts").iterdir())
    assert len(districts) >= 12
    for page in ["index.html", "districts.html", "methods.html", "data-quality.html"]:
        assert (release / page).is_file(), page
    for district in districts:
        for page in ["index", "scorecard", "outcome_gaps", "efficiency", "peers", "operations"]:
            assert (release / "districts" / district / f"{page}.html").is_file(), (district, page)
    listing = (release / "districts.html").read_text(encoding="utf-8")
    assert 'class="form-control form-control-sm listing-filter"' in listing
    assert all(f'href="districts/{d}/index.html"' in listing for d in districts)


def test_the_published_data_quality_page_gives_no_files_row_count(built):
    """Rows of enrollments.csv and assessments.csv are students; two releases' counts would give a hidden district's
    change in enrollment. Neither the page nor the site's search index carries them (data_quality.json is not published)."""
    root, params = built
    record = json.loads((load_project(params).build_dir / "data_quality.json").read_text())
    counts = [entry["rows"] for entry in record["files"].values() if (entry.get("rows") or 0) >= 100]
    counts.append(sum(entry.get("rows") or 0 for entry in record["files"].values()))
    site = root / "site" / "r1"
    assert not list(site.rglob("data_quality.json"))
    page = text_of(site / "data-quality.html")
    index = " ".join(entry["text"] for entry in json.loads((site / "search.json").read_text()) if entry["href"].startswith("data-quality.html"))
    assert "passed their data contracts" in page
    for number in counts:
        for written in (f"{number}", f"{number:,}"):
            assert not re.search(rf"(?<![\w,.]){re.escape(written)}(?![\w,])", page + " " + index), written


def test_district_pages_show_tables_with_captions_and_charts_with_alt_text(built):
    root, _ = built
    folder = root / "site" / "r1" / "districts" / "D03"
    for page in ["scorecard", "outcome_gaps", "efficiency", "peers", "operations"]:
        html = (folder / f"{page}.html").read_text(encoding="utf-8")
        images = re.findall(r'<svg [^>]*role="(?:img|group)" aria-label="([^"]+)"', html)
        assert images and all(len(alt) > 40 for alt in images), page
        tables = page_tables(folder / f"{page}.html")
        assert tables and all(t["caption"] and t["headers"] for t in tables), page
        assert 'scope="col"' in html


def test_every_table_on_a_page_is_a_download_described_by_the_datapackage(built):
    root, _ = built
    release = root / "site" / "r1"
    package = json.loads((release / "datapackage.json").read_text())
    described = {r["path"]: r for r in package["resources"]}
    for page in ["index.html", "topics/transportation.html", "districts/D03/outcome_gaps.html", "districts/D03/peers.html"]:
        html = (release / page).read_text(encoding="utf-8")
        captions = [t["caption"] for t in page_tables(release / page)]
        links = re.findall(r'<a href="([^"]+\.csv)" class="table-download">', html)
        assert len(links) == len(captions) > 0, page
        for link in links:
            csv = (release / page).parent / link
            path = csv.resolve().relative_to(release.resolve()).as_posix()
            assert csv.is_file() and path in described, (page, link)
            assert described[path]["title"] in captions
            assert described[path]["hash"] == "sha256:" + hashlib.sha256(csv.read_bytes()).hexdigest()
    assert "downloads/key_figures.csv" in (release / "downloads.html").read_text(encoding="utf-8")


def test_topic_pages_compare_every_district_and_end_with_questions(built):
    root, _ = built
    page = root / "site" / "r1" / "topics" / "transportation.html"
    html = page.read_text(encoding="utf-8")
    districts = sorted(p.name for p in (root / "site" / "r1" / "districts").iterdir())
    for district in districts:
        assert f'id="topic-BUS_ON_TIME_PCT-{district}"' in html
    assert "Which routes run late?" in html and 'data-districts="' in html
    ranked = [t for t in page_tables(page) if t["caption"].startswith("Buses on time")]
    assert len([row for row in ranked[0]["rows"] if row]) == len(districts)


def test_no_published_count_is_below_min_n(built):
    root, _ = built
    checked = 0
    for page in sorted((root / "site" / "r1").rglob("*.html")):
        for table in page_tables(page):
            count_columns = [i for i, h in enumerate(table["headers"]) if h.startswith("Students")]
            for row in table["rows"]:
                for i in count_columns:
                    if i < len(row) and row[i] not in ("*", "–"):
                        value = float(row[i].replace(",", ""))
                        assert value == 0 or value >= 10, (page.name, table["caption"], row)
                        checked += 1
    assert checked > 100
    gaps = (root / "site" / "r1" / "districts" / "D10" / "outcome_gaps.html").read_text(encoding="utf-8")
    assert "fewer than 10 students" in gaps


def test_provenance_on_every_page_and_versions_listed(built):
    root, _ = built
    site = root / "site"
    for page in (site / "r1").rglob("*.html"):
        assert re.search(r"Release r1 · data [0-9a-f]{12} · code \S+ · parameters [0-9a-f]{12}", page.read_text(encoding="utf-8")), page
    versions = json.loads((site / "versions.json").read_text())
    assert [r["name"] for r in versions["releases"]] == ["r1"]
    assert 'url=r1/index.html' in (site / "index.html").read_text()


def test_a_failing_notebook_is_summarised_and_nothing_is_published(built, tmp_path, capsys):
    root, _ = built
    copy, params = build_copy(root, tmp_path)
    shutil.copy(FIXTURES / "broken.ipynb", copy / "notebooks" / "broken.ipynb")
    params.write_text(params.read_text() + "district_notebooks: [peers, broken]\n")
    before = tree_digest(copy / "site")
    capsys.readouterr()
    assert main(["build", "--params", str(params), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "FAILED district D02 · notebook broken · cell 3: ValueError: no data for D02" in err
    assert "build stopped: 1 notebook(s) failed, 30 finished; nothing was published" in err
    assert tree_digest(copy / "site") == before
    assert (copy / "build" / "r1" / "districts" / "D03" / "broken.ipynb").is_file()  # the other districts ran


def test_a_second_release_leaves_the_first_untouched(built, second_release, tmp_path):
    first, second = built[0] / "site" / FIRST, second_release["second"]
    site = second.parent
    assert tree_digest(site / FIRST) == tree_digest(first)
    versions = json.loads((site / "versions.json").read_text())["releases"]
    assert [(r["name"], r["latest"]) for r in versions] == [(FIRST, False), (LATEST, True)]
    assert f"url={LATEST}/index.html" in (site / "index.html").read_text()
    assert not (site / FIRST / "what-changed.html").exists()
    changed = (second / "what-changed.html").read_text(encoding="utf-8")
    assert "<code>districts.D03.goals.mean_score_math</code>: added (520)" in changed
    assert "no longer published" in changed, "counts the withdrawn students moved by fewer than min_n must be reported as withdrawn"
    assert "revised: same school year" in changed and ": beyond the usual movement" not in changed, "r2 corrects r1's school year: no move is a change in a district"
    actions = changed[changed.rindex("Action plans"):]
    assert DONE_ACTION in actions and "in progress → done" in actions
    assert NEW_ACTION in actions and "new: in progress, started 2024-08-15" in actions
    answered = changed[changed.rindex("Survey answers"):]
    row = next(row for row in answered.split("<tr") if "Routes late at least once a week" in row)
    assert "Harbor City Public Schools" in row and "19.9%" in row and "12.5%" in row and "changed" in row
    assert 'href="what-changed.html"' in (second / "index.html").read_text(encoding="utf-8")
    copy = tmp_path / "copy"
    shutil.copytree(second_release["root"], copy)
    published = tree_digest(copy / "site")
    assert main(["build", "--params", str(copy / second_release["params"].relative_to(second_release["root"])), "--quiet"]) == 0
    assert tree_digest(copy / "site") == published, "rebuilding r2 (what changed, downloads, datapackage) changes nothing"


def test_invalid_data_stop_the_build_before_analysis_and_publish_nothing(built, tmp_path, capsys):
    root, _ = built
    copy = tmp_path / "copy"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("build"))
    site_before = tree_digest(copy / "site")
    students = copy / "data" / "synthetic" / "students.csv"
    break_first_student(students)
    params = make_project(copy, release="r3")
    assert main(["build", "--params", str(params), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "data/synthetic/students.csv:2: race_ethnicity: not in code set federal_race_ethnicity_7@2007 (ZZ)" in err
    assert not (copy / "build" / "r3" / "tables").exists()
    assert tree_digest(copy / "site") == site_before


def test_a_hidden_group_hides_its_complement_and_every_gap_resting_on_it(built):
    root, _ = built
    hidden = 0
    for page in sorted((root / "site" / "r1" / "districts").glob("*/outcome_gaps.html")):
        for table in page_tables(page):
            if "Students compared" not in table["headers"]:
                continue
            head = table["headers"]
            group, compared, gap, against = head.index("Students in group"), head.index("Students compared"), head.index("Gap (points)"), head.index("Compared with")
            for row in table["rows"]:
                if len(row) <= compared or "*" not in (row[group], row[compared]):
                    continue
                assert row[gap] == "*", (page, row)
                if row[against] == "All other students":
                    assert row[group] == row[compared] == "*", (page, row)
                hidden += 1
    assert hidden > 0

COUNT_HEADERS = ("Students", "Students in group", "Students compared", "Students tested")


def published_count(text: str) -> float | None:
    return None if text == "*" else float(text.replace(",", ""))


def test_every_published_table_and_download_shows_no_small_count_and_hides_nothing_recoverable(built):
    """Read the built site as an attacker would: every HTML table and every CSV download, then the linear program
    over each district's group counts (labels mapped back to groups by this test, not by the build's keys)."""
    import csv

    import pandas as pd

    from districtstat.data.aggregate import subgroup_label
    from districtstat.privacy.disclosure import subgroup_relations
    from helpers import integer_attack

    root, params = built
    release = root / "site" / "r1"
    checked = 0
    for path in sorted(release.rglob("*.csv")):
        rows = list(csv.DictReader(path.open(encoding="utf-8")))
        for row in rows:
            for column in (c for c in row if (c in COUNT_HEADERS or c == "students") and row[c] != ""):
                value = published_count(row[column])
                assert value is None or value == 0 or value >= 10, (path.name, row)
                checked += 1
    assert checked > 500

    project = load_project(params)
    outcomes = pd.read_parquet(project.tables_dir / "subgroup_outcomes.parquet")
    latest = outcomes[(outcomes["school_year"] == outcomes["school_year"].max()) & (outcomes["grade"] == "ALL")]
    attacked = tight = 0
    for district, rows in latest.groupby("district_id"):
        page = release / "districts" / district / "outcome_gaps.html"
        tables = {t["caption"].split(",")[0]: t for t in page_tables(page)}
        for subject, system in rows.groupby("subject"):
            truth = dict(zip(system["subgroup"], system["n"].astype(float)))
            code = {subgroup_label(c): c for c in truth}
            subject_words = "Math" if subject == "MATH" else "English language arts"
            seen: dict[str, float | None] = {}
            results = tables["Results by student group"]
            for row in results["rows"][1:]:
                if row and row[0] in (subject, subject_words):
                    seen[code[row[1]]] = published_count(row[2])
            gaps = tables["Gaps by student group"]
            head = gaps["headers"]
            for row in gaps["rows"][1:]:
                if not row or row[0] not in (subject, subject_words):
                    continue
                focal = code[row[head.index("Group")]]
                against = row[head.index("Compared with")]
                comparison = f"NOT_{focal}" if against == "All other students" else code[against]
                seen[focal] = published_count(row[head.index("Students in group")])
                seen[comparison] = published_count(row[head.index("Students compared")])
            shown = {group: value for group, value in seen.items() if value is not None}
            hidden = {group for group, value in seen.items() if value is None}
            for group, value in shown.items():
                assert value == truth[group], (district, subject, group)
            if hidden:
                attacked += 1
                equations = [(r.total, r.parts) for r in subgroup_relations(truth)]
                unknown = {cell for total, parts in equations for cell in (total, *parts) if cell not in shown}
                for target, (low, high) in integer_attack(shown, unknown, equations).items():
                    if isinstance(target, str) and target in hidden:
                        assert high - low >= project.settings.margin, (district, subject, target, truth[target], low, high)
                        tight += high < float("inf")
                    elif not isinstance(target, str):
                        assert high == 0 or high >= project.settings.min_n, (district, subject, target, high)
    assert attacked >= 5, "the small consortium has tiny groups on purpose: some district must hide some"
    assert tight > 0, "some hidden counts are bounded by published totals, so the attack is a real one"


SHARE_HEADERS = ("% econ. disadv.", "% English learners", "% with disabilities")


def test_no_published_share_of_a_districts_students_gives_away_a_small_group(built):
    """Share × students is a count: read every download with both and work the count out, as a reader could."""
    import csv

    root, params = built
    min_n = load_project(params).settings.min_n
    worked_out = withheld = 0
    for path in sorted((root / "site" / "r1").rglob("*.csv")):
        for row in csv.DictReader(path.open(encoding="utf-8")):
            if row.get("Students") in (None, "", "*"):
                continue
            students = float(row["Students"].replace(",", ""))
            for column in (c for c in SHARE_HEADERS if c in row):
                if row[column] == "*" or row[column][:1] in "<>":
                    withheld += 1
                    continue
                # read as an attacker who knows the Methods page's rule: the step leaves min_n / 2 students either way
                step = next(s for s in (1, 2, 5, 10, 20, 25, 50) if s * students >= 50 * min_n)
                value = float(row[column])
                assert value % step == 0, (path.name, row["Students"], column, row[column])
                low, high = (value - step / 2) / 100 * students, (value + step / 2) / 100 * students
                for a, b in ((low, high), (students - high, students - low)):
                    assert not (0 < a and b < min_n), (path.name, row["Students"], column, row[column])
                worked_out += 1
    assert worked_out > 50 and withheld > 0, (worked_out, withheld)


def test_a_page_that_leaves_a_hidden_count_recoverable_stops_the_build_naming_table_and_cell(built, tmp_path, capsys):
    """A researcher's page with primary suppression only: the audit at publish finds the subtraction, and publishes nothing."""
    root, _ = built
    copy, params = build_copy(root, tmp_path)
    shutil.copy(FIXTURES / "primary_suppression_only.ipynb", copy / "notebooks" / "primary_suppression_only.ipynb")
    params.write_text(params.read_text() + "district_notebooks: [peers, primary_suppression_only]\n")
    before = tree_digest(copy / "site")
    capsys.readouterr()
    assert main(["build", "--params", str(params), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "build stopped by the disclosure audit" in err and "nothing was published" in err
    found = re.search(r"a hidden count can be worked out: downloads/districts/(D\d+)/primary_suppression_only/every-group-count\.csv, row (\d+), column “n” \(\*, tested/\1/\d+/\w+/ALL/(\w+)\): \3 can be worked out to lie between (\d+) and \4", err)
    assert found, err[:3000]
    assert tree_digest(copy / "site") == before


def test_profile_shares_are_withheld_district_by_district_and_the_need_chart_keeps_the_rest(built, monkeypatch):
    """Without spending the overview plots need (the STAR example): shares not in the figures history are judged one by one."""
    from districtstat import views
    from districtstat.privacy.disclosure import coded_share
    from districtstat.report import Release

    _, params = built
    release = Release(load_project(params))
    latest = release.latest_indicators.sort_values("district_id")
    ids = latest["district_id"].tolist()
    expected = [coded_share(p, n, release.min_n) is not None for p, n in zip(latest["pct_ecodis"], latest["enrollment"])]
    assert release.withheld_figures(ids, "pct_ecodis").tolist() == expected and not all(expected)
    monkeypatch.setattr(views.overview, "spending_reported", lambda release: False)
    fig, alt = views.spending_outcome_chart(release)
    outcome = release.project.settings.efficiency.outcome
    plotted = [d for d, coded in zip(ids, expected) if d in release.publishable_districts and not coded and not release.withheld_figures([d], outcome)[0]]
    assert alt.startswith(f"Scatter plot of {len(plotted)} districts, economically disadvantaged"), alt


def test_a_rate_outcome_is_plotted_as_published_rounded_by_the_students_tested_not_the_enrollment(built):
    """A model whose outcome is % proficient: each circle sits at the value every page shows, rounded by the count of
    students tested in the subject, and its tooltip says %, not points."""
    from districtstat import views
    from districtstat.report import Release

    _, params = built
    project = load_project(params)
    rate_model = project.settings.efficiency.model_copy(update={"outcome": "pct_proficient_math"})
    project.settings = project.settings.model_copy(update={"efficiency": rate_model})
    release = Release(project)
    fig, alt = views.spending_outcome_chart(release)
    history = release.history
    published = history[(history["code"] == "pct_proficient_math") & (history["school_year"] == release.latest_year)].set_index("district_id")["value"]
    from districtstat.site.charts import MARKS_ATTRIBUTE

    scatter = next(c for c in fig.axes[0].collections if c.get_gid() == "overview")
    (marks,) = getattr(fig, MARKS_ATTRIBUTE)
    plotted = dict(zip(marks.district_ids, scatter.get_offsets()[:, 1]))
    assert len(plotted) >= 5 and all(published[district] == y for district, y in plotted.items()), (plotted, published)
    assert alt.endswith("%.") and "points" not in alt


def test_a_peer_whose_size_is_hidden_takes_the_peer_average_of_sizes_with_it(built, monkeypatch):
    from districtstat import views
    from districtstat.report import Release

    _, params = built
    release = Release(load_project(params))
    district = sorted(release.publishable_districts)[0]
    hidden_peer = release.peer_ids(district)[0]
    before = views.why_these_peers(release, district).display_frame()
    monkeypatch.setattr(Release, "enrollment_hidden", lambda self, ids: np.array([d == hidden_peer for d in ids], dtype=bool))
    after = views.why_these_peers(release, district).display_frame()
    sizes = [i for i, label in enumerate(after["feature"]) if "nrollment" in label]
    assert sizes and all(after.loc[i, "peer_average"] == "*" and before.loc[i, "peer_average"] != "*" for i in sizes)


def text_of(path) -> str:
    """A page's words as a reader sees them (tags dropped, typographic apostrophes as plain ones)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8"))).replace("’", "'")


def test_a_model_that_cannot_predict_shows_no_rank_percentile_or_unsupported_verdict_on_any_page(built):
    """The test consortium's efficiency model has a negative cross-validated R²: every page must say it cannot rank."""
    root, params = built
    project = load_project(params)
    fit = pd.read_parquet(project.tables_dir / "efficiency_fit.parquet").iloc[0]
    efficiency = pd.read_parquet(project.tables_dir / "efficiency.parquet").set_index("district_id")
    assert fit["cv_r2"] < 0 and not fit["can_rank"]
    site = root / "site" / "r1"
    for district, row in efficiency.iterrows():
        page = text_of(site / "districts" / district / "efficiency.html")
        assert "cross-validated R² " + f"{fit['cv_r2']:.2f}".replace("-", "−") in page  # as computed, not floored at 0
        assert "cannot rank districts" in page and "percentile" not in page.lower()
        said_above, said_below = "scored above what its spending" in page, "scored below what its spending" in page
        assert (said_above, said_below) == (row["verdict"] == "above", row["verdict"] == "below"), district
        if row["verdict"] == "within":
            assert "cannot tell this district's result apart" in page
        scorecard = {t["caption"]: t for t in page_tables(site / "districts" / district / "scorecard.html")}
        finance = next(t for caption, t in scorecard.items() if caption.startswith("Finance"))
        column = finance["headers"].index("Peer percentile (0–100)") if "Peer percentile (0–100)" in finance["headers"] else None
        for cells in finance["rows"]:
            if cells and cells[0] == "Points above or below prediction" and column is not None:
                assert cells[column] in ("–", "*")
        standing = next(t for t in page_tables(site / "districts" / district / "peers.html") if t["caption"].startswith("Rank among peers"))
        rank = standing["headers"].index("Rank (1 = best)")
        for cells in standing["rows"]:
            if cells and cells[1] == "Points above or below prediction":
                assert cells[rank] == "–"
    overview = next(t for t in page_tables(site / "index.html") if t["caption"].startswith("Districts of the consortium"))
    verdicts = [cells[overview["headers"].index("Against prediction")] for cells in overview["rows"] if cells]
    assert set(verdicts) <= {"above", "below", "within", "*"} and "percentile" not in text_of(site / "index.html").lower()
    methods = text_of(site / "methods.html")
    assert "Percentiles and ranks are shown only when the cross-validated R² is above 0" in methods


def test_every_school_year_appears_on_the_scorecard_and_gaps_pages(built):
    root, params = built
    project = load_project(params)
    years = sorted(pd.read_parquet(project.tables_dir / "district_indicators.parquet")["school_year"].unique())
    assert len(years) >= 3
    shown = [f"{year - 1}–{str(year)[-2:]}" for year in years]
    middle = shown[len(shown) // 2]
    site = root / "site" / "r1"
    for district in ("D01", "D03", "D14"):
        for page in ("scorecard.html", "outcome_gaps.html"):
            tables = page_tables(site / "districts" / district / page)
            yearly = [t for t in tables if all(f"{year}" in " ".join(t["headers"]) for year in shown)]
            assert yearly, (district, page)
        assert middle in text_of(site / "districts" / district / "scorecard.html")
        gaps_page = text_of(site / "districts" / district / "outcome_gaps.html")
        assert not re.search(r"by 0 points", gaps_page)


def test_the_gap_series_shows_exactly_the_publishable_gap_of_each_group_and_year(built):
    """Each cell of the every-year gap table is the gap of its own group and year, or the symbol where the release
    hides that gap: never another row's value, never a hidden gap."""
    from districtstat import views
    from districtstat.analyses.gaps import publishable
    from districtstat.report import Release

    _, params = built
    release = Release(load_project(params))
    gaps = release.table("gaps")
    gaps = gaps[(gaps["grade"] == "ALL") & (gaps["comparison_kind"] == "complement")]
    shown = set(publishable(gaps, release.min_n).index)
    checked = 0
    for district in sorted(gaps["district_id"].unique()):
        table = views.gap_series_table(release, district)
        frame = table.display_frame()
        assert not frame.duplicated(subset=["subject", "group"]).any()
        own = gaps[gaps["district_id"] == district]
        for (subject, group), row in frame.set_index(["subject", "group"]).iterrows():
            for year in views.year_columns(frame):
                match = own[(own["subject"] == subject) & (own["focal"].map(views.subgroup_label) == group) & (own["school_year"].map(views.school_year) == year)]
                if match.empty:
                    assert pd.isna(row[year])
                    continue
                if match.index[0] in shown:
                    assert row[year] == pytest.approx(match["gap"].iloc[0])
                else:
                    assert row[year] == "*"
                checked += 1
    assert checked > 500
