import json

import pandas as pd
import pytest

from districtstat.provenance import Provenance
from districtstat.site.render import RenderError, choose_renderer
from districtstat.site.versions import VersionsUnreadable, previous_release, write_versions


def publish(site, name):
    (site / name).mkdir(parents=True, exist_ok=True)
    write_versions(site, Provenance(name, "d" * 64, "abc123", "p" * 64), "2024-09-30")
    return json.loads((site / "versions.json").read_text())["releases"]


def test_versions_keep_publication_order_and_a_rebuilt_release_does_not_become_latest(tmp_path):
    publish(tmp_path, "2024.1")
    publish(tmp_path, "2025.1")
    releases = publish(tmp_path, "2024.1")
    assert [(r["name"], r["latest"]) for r in releases] == [("2024.1", False), ("2025.1", True)]
    assert "url=2025.1/index.html" in (tmp_path / "index.html").read_text()


def test_a_release_whose_folder_is_gone_leaves_the_list(tmp_path):
    publish(tmp_path, "a")
    publish(tmp_path, "b")
    (tmp_path / "a").rmdir()
    assert [r["name"] for r in publish(tmp_path, "c")] == ["b", "c"]


def test_an_unreadable_release_list_stops_publishing_instead_of_forgetting_releases(tmp_path):
    publish(tmp_path, "2024.1")
    (tmp_path / "versions.json").write_text('{"releases": [{"name": "2024.1"', encoding="utf-8")
    with pytest.raises(VersionsUnreadable, match="versions.json in the site folder cannot be read"):
        publish(tmp_path, "2025.1")
    assert previous_release(tmp_path / "nowhere", "2025.1") is None


def test_quarto_renderer_needs_quarto_on_path(monkeypatch):
    monkeypatch.setenv("PATH", "")
    assert choose_renderer("auto") == "smalldocs"
    with pytest.raises(RenderError, match="no `quarto` on PATH"):
        choose_renderer("quarto")


def test_versions_carry_the_declared_date_and_the_previous_release_is_the_one_published_before(tmp_path):
    publish(tmp_path, "2024.1")
    releases = publish(tmp_path, "2025.1")
    assert {r["name"]: r["date"] for r in releases} == {"2024.1": "2024-09-30", "2025.1": "2024-09-30"}
    assert previous_release(tmp_path, "2025.1") == "2024.1"
    assert previous_release(tmp_path, "2024.1") is None
    assert previous_release(tmp_path, "2026.1") == "2025.1"


def test_a_districts_home_hides_everything_under_min_n_and_codes_extreme_shares_of_a_small_district():
    from districtstat.site.project import district_page

    row = pd.Series({"district_id": "D99", "district_name": "Tiny", "region": "North", "locale": "Rural", "enrollment": 7.0, "pct_ecodis": 40.0, "pct_el": 0.0, "pct_swd": 14.3, "per_pupil_spending": 21000.0})
    page = district_page(row, ["scorecard"], [], False, min_n=10)
    assert "| Students | * |" in page and "| English learners | * |" in page and "7 students" not in page and "40.0%" not in page
    assert "fewer than 10 students" in page
    small = row.copy()
    small["enrollment"], small["pct_el"], small["pct_ecodis"] = 150.0, 2.0, 40.0
    page = district_page(small, ["scorecard"], [], False, min_n=10)
    assert "| English learners | <5% |" in page and "| Economically disadvantaged | 40% |" in page and "150 students" in page, "150 students: steps of 5 points, below 5% coded"


def test_a_districts_home_withholds_a_share_that_would_give_away_a_few_students():
    from districtstat.site.project import district_page

    row = pd.Series({"district_id": "D98", "district_name": "Eastport", "region": "North", "locale": "Rural", "enrollment": 29.0, "pct_ecodis": 34.48, "pct_el": 13.79, "pct_swd": 0.0, "per_pupil_spending": 21000.0})
    page = district_page(row, ["scorecard"], [], False, min_n=10)
    assert "| Students | 29 |" in page and "| English learners | <40% |" in page and "13.8%" not in page, "4 English learners: only 'under 40%' is said"
    assert "| Economically disadvantaged | 40% |" in page and "34.5%" not in page, "29 students: steps of 20 points"
    assert "| Students with disabilities | <40% |" in page and "near 0 or 100" in page and "rounded by group size" in page


def test_the_privacy_footnote_of_a_districts_home_opens_with_the_symbol_not_a_bullet():
    from districtstat.site.project import district_page

    row = pd.Series({"district_id": "D97", "district_name": "Tiny", "region": "North", "locale": "Rural", "enrollment": 7.0, "pct_ecodis": 40.0, "pct_el": 0.0, "pct_swd": 14.3, "per_pupil_spending": 21000.0})
    page = district_page(row, ["scorecard"], [], False, min_n=10)
    assert "\n\\* Hidden to protect student privacy" in page and "\n* Hidden" not in page


def test_the_site_layout_writes_what_smalldocs_own_layout_writes(built, tmp_path, monkeypatch):
    """`SiteLayout` looks up the pages' outputs and listings once a site instead of once a link; the pages are the same."""
    import shutil

    from smalldocs import layout

    from districtstat.config import load_project
    from districtstat.site import render
    from helpers import tree_digest

    _, params = built
    project = load_project(params)
    copy = tmp_path / "project"
    shutil.copytree(project.project_dir, copy, ignore=shutil.ignore_patterns("_site"))
    ours = tree_digest(render.render(copy, "smalldocs").output)
    monkeypatch.setattr(render, "SiteLayout", layout.Layout)
    theirs = tree_digest(render.render(copy, "smalldocs").output)
    assert ours == theirs and any(name.endswith("districts.html") for name in ours)
