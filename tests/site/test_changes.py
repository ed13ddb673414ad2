"""The 'what changed since the previous release' page: planted moves found, sized, judged and shown."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pandas as pd
import pytest
import yaml

from districtstat import views
from districtstat.site import changes
from districtstat.config import Project, load_project
from districtstat.provenance import Provenance
from districtstat.report import Release
from districtstat.analyses.scorecard import EQUITY_GROUPS

DESCRIBED = {
    "gap.EL.MATH": ("English learners: gap in math", "Equity", "points", "closer_to_zero"),
    "mean_score_math": ("Mean math scale score", "Student outcomes", "points", "higher"),
    "pct_chronic_absent": ("Chronically absent", "Student outcomes", "%", "lower"),
    "WORK_ORDER_DAYS": ("Days to close a work order", "Operations", "days", "lower"),
    "per_pupil_spending": ("Spending per pupil", "Finance", "$", "neither"),
    "spend_instruction": ("Instruction per pupil", "Finance", "$", "neither"),
    "peer_rank.mean_score_math": ("Rank among its peers (1 = best): mean math scale score", "Student outcomes", "rank", "lower"),
}
NAMES = {"D1": "Alder District", "D2": "Birch Schools", "D3": "Cedar Unified", "D4": "Dune Valley"}


def figures(values: dict[str, dict[str, float]], year: int = 2024) -> pd.DataFrame:
    """Key figures as a release publishes them, from {district: {figure: value}}."""
    rows = []
    for d, by_figure in values.items():
        for f, v in by_figure.items():
            label, area, unit, better = DESCRIBED.get(f, (f, "Operations", "points", "higher"))
            rows.append({"district_id": d, "district_name": NAMES.get(d, d), "school_year": year, "figure": f, "label": label, "area": area, "unit": unit, "better": better, "value": v})
    return pd.DataFrame(rows, columns=changes.COLUMNS)


# Planted: D1's gap narrows (better) by less than its chronic absence rises (worse) but against a far smaller
# spread across districts, so it leads; D1 gains a figure and a move too small to show; D2 loses a figure,
# rises a place among peers and moves 40 cents; D3's spending rises (no better direction); D4 stands still.
BEFORE = figures(
    {
        "D1": {"gap.EL.MATH": -20, "pct_chronic_absent": 10, "mean_score_math": 500.0},
        "D2": {"spend_instruction": 8000, "per_pupil_spending": 12000.0, "peer_rank.mean_score_math": 3, "gap.EL.MATH": -18},
        "D3": {"per_pupil_spending": 11000, "gap.EL.MATH": -19, "pct_chronic_absent": 40, "mean_score_math": 480},
        "D4": {"gap.EL.MATH": -17, "pct_chronic_absent": 30, "mean_score_math": 490},
    },
    year=2023,
)
AFTER = figures(
    {
        "D1": {"gap.EL.MATH": -15, "pct_chronic_absent": 16, "mean_score_math": 500.03, "WORK_ORDER_DAYS": 7.0},
        "D2": {"per_pupil_spending": 12000.4, "peer_rank.mean_score_math": 2, "gap.EL.MATH": -18},
        "D3": {"per_pupil_spending": 11300, "gap.EL.MATH": -19, "pct_chronic_absent": 40, "mean_score_math": 480},
        "D4": {"gap.EL.MATH": -17, "pct_chronic_absent": 30, "mean_score_math": 490},
    }
)


# Each figure's usual one-year movement (σ): the gap's 5-point move is beyond its ±1.6 points, chronic absence's 6 points
# within its ±8.2; a peer rank has none.
MOVEMENT = {"gap.EL.MATH": 1.0, "pct_chronic_absent": 5.0, "mean_score_math": 2.0, "WORK_ORDER_DAYS": 0.5, "per_pupil_spending": 200.0, "spend_instruction": 150.0}


@pytest.fixture(scope="module")
def moved() -> pd.DataFrame:
    return changes.figure_changes(BEFORE, AFTER, MOVEMENT)


def test_planted_moves_are_found_judged_and_nothing_else(moved):
    found = moved.set_index(["district_id", "figure"])
    assert set(found.index) == {
        ("D1", "gap.EL.MATH"),
        ("D1", "pct_chronic_absent"),
        ("D1", "WORK_ORDER_DAYS"),
        ("D2", "spend_instruction"),
        ("D2", "peer_rank.mean_score_math"),
        ("D3", "per_pupil_spending"),
    }
    gap = found.loc[("D1", "gap.EL.MATH")]
    assert (gap["before"], gap["after"], gap["change"], gap["direction"], gap["status"]) == (-20, -15, 5, "better", "changed")
    absent = found.loc[("D1", "pct_chronic_absent")]
    assert (absent["change"], absent["direction"], absent["status"]) == (6, "worse", "changed")
    new = found.loc[("D1", "WORK_ORDER_DAYS")]
    assert (np.isnan(new["before"]), new["after"], new["status"], new["direction"]) == (True, 7.0, "new", "")
    dropped = found.loc[("D2", "spend_instruction")]
    assert (dropped["before"], np.isnan(dropped["after"]), dropped["status"]) == (8000, True, "no longer published")
    rank = found.loc[("D2", "peer_rank.mean_score_math")]
    assert (rank["change"], rank["direction"]) == (-1, "better")  # a lower rank number is better
    spending = found.loc[("D3", "per_pupil_spending")]
    assert (spending["change"], spending["direction"]) == (300, "")  # spending has no better direction
    assert (gap["judged"], gap["usual"]) == ("better", pytest.approx(1.645, abs=1e-3))
    assert (absent["judged"], absent["usual"]) == (changes.WITHIN_USUAL, pytest.approx(5 * 1.645, abs=1e-3))
    assert rank["judged"] == changes.NOT_JUDGED and spending["judged"] == "" and new["judged"] == ""


@pytest.mark.parametrize(
    "figure, move, years, judged",
    [
        ("mean_score_math", -8.0, 1, "worse"),  # beyond ±3.3 points and at least the 4 points that matter
        ("mean_score_math", -3.0, 1, changes.WITHIN_USUAL),
        ("mean_score_math", -4.0, 2, changes.WITHIN_USUAL),  # two years: ±1.645·2·√2 = ±4.7 points
        ("mean_score_math", -8.0, 0, changes.REVISED),  # the same school year: a correction, not a change
        ("WORK_ORDER_DAYS", 0.9, 1, changes.WITHIN_USUAL),  # beyond ±0.8 days, but under its smallest meaningful change of 1 day
        ("gap.EL.MATH", 6.0, 1, "better"),
    ],
)
def test_a_move_is_better_or_worse_only_beyond_its_usual_movement_and_a_meaningful_size(figure, move, years, judged):
    from districtstat.analyses.scorecard import meaningful_change

    before, after = figures({"D1": {figure: -20.0}}, year=2024 - years), figures({"D1": {figure: -20.0 + move}}, year=2024)
    moved = changes.figure_changes(before, after, MOVEMENT)
    assert moved["judged"].tolist() == [judged], (meaningful_change(figure), moved["usual"].tolist())
    assert changes.figure_changes(before, after)["judged"].tolist() == [changes.REVISED if years == 0 else changes.NOT_JUDGED]


def test_the_usual_movement_is_each_figures_spread_of_one_year_changes_around_each_districts_own_trend():
    history = pd.DataFrame(
        {
            "district_id": ["A"] * 3 + ["B"] * 3,
            "school_year": [2022, 2023, 2024] * 2,
            "code": "mean_score_math",
            "value": [500.0, 502.0, 506.0, 480.0, 479.0, 480.0],  # changes +2, +4 around +3; −1, +1 around 0
        }
    )
    movement = changes.usual_movements(history, ["mean_score_math", "peer_rank.mean_score_math"])
    assert list(movement) == ["mean_score_math"]
    assert movement["mean_score_math"] == pytest.approx(np.sqrt((1 + 1 + 1 + 1) / 2))


def test_moves_lead_by_size_against_the_spread_across_districts(moved):
    d1 = moved[moved["district_id"] == "D1"]
    # the gap moved 5 points where districts sit about 2 apart; absence moved 6 points where they sit about 14 apart
    assert d1["figure"].tolist() == ["gap.EL.MATH", "pct_chronic_absent", "WORK_ORDER_DAYS"]
    gap_sd = np.std([-20, -18, -19, -17, -15, -18, -19, -17], ddof=1)
    assert d1["relative_size"].iloc[0] == pytest.approx(5 / gap_sd)
    assert moved["figure"][moved["district_id"] == "D2"].tolist() == ["peer_rank.mean_score_math", "spend_instruction"]
    assert moved["district_id"].tolist() == sorted(moved["district_id"])


@pytest.mark.parametrize(
    "figure, before, after, direction",
    [
        ("gap.EL.MATH", -4, 3, "better"),  # crossing zero, closer to it
        ("gap.EL.MATH", -3, 4, "worse"),
        ("gap.EL.MATH", -5, 5, ""),  # as far from zero as before
        ("pct_chronic_absent", 20, 18, "better"),
        ("mean_score_math", 500, 498, "worse"),
    ],
)
def test_direction_follows_the_figures_better_side(figure, before, after, direction):
    moved = changes.figure_changes(figures({"D1": {figure: before}}), figures({"D1": {figure: after}}))
    assert moved["direction"].tolist() == [direction]


@pytest.mark.parametrize(
    "figure, move, listed",
    [
        ("pct_chronic_absent", 0.04, False),  # shown with one decimal: 0.04 would not show
        ("pct_chronic_absent", 0.06, True),
        ("mean_score_math", 0.049, False),
        ("per_pupil_spending", 0.4, False),  # shown in whole dollars
        ("per_pupil_spending", 0.6, True),
        ("peer_rank.mean_score_math", 1, True),  # any change of rank
        ("peer_rank.mean_score_math", 0, False),
    ],
)
def test_only_moves_that_would_show_are_listed(figure, move, listed):
    moved = changes.figure_changes(figures({"D1": {figure: 10.0}}), figures({"D1": {figure: 10.0 + move}}))
    assert len(moved) == int(listed)


def test_nothing_moved_gives_an_empty_frame_and_a_plain_page():
    moved = changes.figure_changes(AFTER, AFTER)
    assert moved.empty
    page = changes.what_changed_page("r2", "r1", moved, [], NAMES)
    assert "No published figure moved since release r1." in page
    assert "Methods and parameters are unchanged." in page
    assert not re.findall(r"^## ", page, re.M)


def test_a_key_listed_twice_is_refused():
    with pytest.raises(ValueError, match="twice"):
        changes.figure_changes(pd.concat([BEFORE, BEFORE.head(1)]), AFTER)


# ------------------------------------------------------------------ settings


BEFORE_PARAMETERS = {
    "release": "r1",
    "title": "Consortium",
    "min_n": 10,
    "efficiency": {"outcome": "mean_score_math", "controls": ["pct_ecodis", "pct_el"], "folds": 5},
    "peers": {"k": 5, "indicators": ["locale"]},
    "gaps": {"confidence": 0.95},
    "districts": {},
    "code_commit": "abc",
    "data_hash": "1" * 64,
    "params_hash": "2" * 64,
    "package_versions": {"statsmodels": "0.14.1", "pandas": "2.2.0"},
}
AFTER_PARAMETERS = {
    "release": "r2",
    "title": "Consortium",
    "min_n": 15,
    "efficiency": {"outcome": "mean_score_math", "controls": ["pct_ecodis", "pct_el", "pct_swd"], "folds": 5},
    "peers": {"k": 5, "indicators": ["locale"]},
    "gaps": {},
    "districts": {"D1": {"goals": {"mean_score_math": 505.0}, "peers": None}},
    "code_commit": "def",
    "data_hash": "3" * 64,
    "params_hash": "4" * 64,
    "package_versions": {"statsmodels": "0.14.2", "pandas": "2.2.0", "seaborn": "0.13.2"},
}


def test_settings_changes_name_each_changed_setting_and_method():
    assert changes.settings_changes(BEFORE_PARAMETERS, AFTER_PARAMETERS) == [
        "`districts.D1.goals.mean_score_math`: added (505)",
        "`efficiency.controls`: [pct_ecodis, pct_el] → [pct_ecodis, pct_el, pct_swd] — the student needs the efficiency model allows for",
        "`gaps.confidence`: removed (was 0.95) — the confidence level of gap intervals",
        "`min_n`: 10 → 15 — the smallest group whose figures are published",
        "Analysis code changed: commit abc → def",
        "seaborn not used → 0.13.2",
        "statsmodels 0.14.1 → 0.14.2",
    ]
    assert changes.settings_changes(AFTER_PARAMETERS, AFTER_PARAMETERS) == []


# ------------------------------------------------------------------ the page


def sections(page: str) -> dict[str, str]:
    """Each district section by its heading."""
    parts = re.split(r"^## ", page, flags=re.M)[1:]
    return {part.split("\n", 1)[0]: part for part in parts}


def table_rows(section: str) -> list[list[str]]:
    lines = [line for line in section.splitlines() if line.startswith("| ")][1:]  # header left out
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines]


def test_page_lists_exactly_the_districts_with_moves(moved):
    notes = changes.settings_changes(BEFORE_PARAMETERS, AFTER_PARAMETERS)
    page = changes.what_changed_page("r2", "r1", moved, notes, NAMES)
    meta = yaml.safe_load(page.split("---\n")[1])
    assert meta["title"] == "What changed since the previous release"
    assert list(sections(page)) == [
        "[Alder District](districts/D1/index.qmd)",
        "[Birch Schools](districts/D2/index.qmd)",
        "[Cedar Unified](districts/D3/index.qmd)",
    ]
    assert "**No published figure moved** in Dune Valley." in page
    assert "In **3 of 4 districts**" in page and "6 figures in all" in page
    assert "Release r1 reported on the 2022–23 school year; release r2 reports on 2023–24." in page
    for note in notes:
        assert f"- {note}" in page
    assert "Methods and parameters are unchanged." not in page
    assert not re.search(r"\bnan\b|<NA>|None", page, re.I)


def test_page_tables_show_values_in_their_units(moved):
    page = changes.what_changed_page("r2", "r1", moved, [], NAMES)
    assert "Methods and parameters are unchanged." in page
    tables = {heading.split("]")[0][1:]: table_rows(text) for heading, text in sections(page).items()}
    assert tables["Alder District"] == [
        ["English learners: gap in math", "−20.0", "−15.0", "+5.0 points", "better: beyond the usual movement (±1.6 points)"],
        ["Chronically absent", "10.0%", "16.0%", "+6.0 percentage points", "no clear change: within the usual movement (±8.2 percentage points)"],
        ["Days to close a work order", "not published", "7.0 days", "–", "new figure"],
    ]
    assert tables["Birch Schools"] == [
        ["Rank among its peers (1 = best): mean math scale score", "3rd", "2nd", "up 1 place", "not judged: no measure of its usual movement"],
        ["Instruction per pupil", "$8,000", "not published", "–", "no longer published"],
    ]
    assert tables["Cedar Unified"] == [["Spending per pupil", "$11,000", "$11,300", "+$300", "–"]]
    assert ": Alder District: figures that moved between release r1 and release r2" in page


def test_a_large_consortium_page_stays_readable():
    rng = np.random.default_rng(7)
    codes = [*DESCRIBED, *(f"KPI_{i}" for i in range(8))]
    ids = [f"{600000 + i:07d}" for i in range(450)]
    before = figures({d: {f: float(rng.normal(50, 10)) for f in codes} for d in ids})
    after = before.assign(value=before["value"] + rng.normal(0, 3, len(before)), school_year=2025)
    names = {d: f"District {i}" for i, d in enumerate(ids)}
    moved = changes.figure_changes(before, after)
    page = changes.what_changed_page("r2", "r1", moved, [], names)
    found = sections(page)
    assert len(found) == 450
    assert list(found)[:3] == ["[District 0](districts/0600000/index.qmd)", "[District 1](districts/0600001/index.qmd)", "[District 2](districts/0600002/index.qmd)"]
    assert all(len(table_rows(text)) <= changes.MOST_SHOWN for text in found.values())
    moved_per_district = moved.groupby("district_id").size()
    capped = moved_per_district[moved_per_district > changes.MOST_SHOWN]
    assert len(capped)  # the planted noise moves more than ten figures somewhere
    for district_id, count in capped.items():
        assert f"…and {count - changes.MOST_SHOWN} more moved figure" in found[f"[{names[district_id]}](districts/{district_id}/index.qmd)"]
    assert "(downloads/key_figures.csv)" in page
    assert not re.search(r"\bnan\b", page, re.I)


# ------------------------------------------------------------------ the CSV


def test_key_figures_csv_round_trips_and_rewrites_the_same_bytes():
    frame = figures({"0612345": {"per_pupil_spending": 12345.678901, "gap.EL.MATH": -0.0001, "peer_rank.mean_score_math": 2.0}})
    text = changes.write_key_figures(frame)
    assert text.splitlines()[0] == ",".join(changes.COLUMNS)
    assert "\r" not in text and ",12346\n" in text and ",0.0\n" in text and "-0.0" not in text, "rounded as the pages show them"
    back = changes.read_key_figures(io.StringIO(text))
    assert back["district_id"].tolist() == ["0612345"] * 3  # an NCES id keeps its leading zero
    assert back["value"].tolist() == [12346.0, 0.0, 2.0]
    assert changes.write_key_figures(back) == text


# ------------------------------------------------------------------ a real release


@pytest.fixture(scope="module")
def release(built) -> Release:
    """The suite's built release, read with a board's goal for D01: goals are page settings, so the build's tables
    are those this release would have."""
    from districtstat.config import parse_settings

    _, params = built
    project = load_project(params)
    goals = "districts:\n  D01:\n    goals:\n      mean_score_math: 500\n"
    return Release(type(project)(project.params_file, parse_settings(params.read_text(encoding="utf-8") + goals, str(params)), project.root))


@pytest.fixture(scope="module")
def published(release) -> pd.DataFrame:
    return changes.key_figures(release)


def latest(release: Release) -> pd.DataFrame:
    indicators = release.table("district_indicators")
    return indicators[indicators["school_year"] == indicators["school_year"].max()].set_index("district_id")


def test_key_figures_are_the_latest_years_values(release, published):
    assert list(published.columns) == changes.COLUMNS
    assert not published.duplicated(["district_id", "figure"]).any()
    assert published.equals(published.sort_values(["district_id", "figure"], kind="stable").reset_index(drop=True))
    own = published[published["district_id"] == "D03"].set_index("figure")
    assert own.loc["mean_score_math", "value"] == pytest.approx(latest(release).loc["D03", "mean_score_math"])
    assert own.loc["mean_score_math", "district_name"] == release.district_name("D03")
    assert own.loc["gap.EL.MATH", "better"] == "closer_to_zero" and own.loc["gap.EL.MATH", "area"] == "Equity"
    residual = release.table("efficiency").set_index("district_id").loc["D03", "residual"]
    assert own.loc["efficiency_residual", "value"] == pytest.approx(residual)
    assert (published["school_year"] == release.latest_year).all()


def independent_rank(values: pd.Series, district: str) -> int:
    """1 + how many of the group did strictly better: ties share the better rank."""
    return 1 + int((values > values[district]).sum())


def test_peer_ranks_match_a_rank_computed_from_the_peers_table(release, published):
    """A key figure's rank is the district's rank among its peers, and is listed only where the 90% interval of its
    standing lies wholly above or below the middle of its peers: a rank the data cannot tell from the middle is no key
    figure, so the next release cannot report its move as better or worse."""
    peers = release.table("peers")
    scores = latest(release)
    rows = published[published["unit"] == "rank"].set_index(["district_id", "figure"])
    ranks = rows["value"]
    assert not ranks.index.get_level_values("figure").str.contains("efficiency_residual").any()  # never ranked among peers
    listed = 0
    for district in sorted(peers["district"].unique()):
        group = [district, *peers.loc[peers["district"] == district, "peer"]]
        standing = views.standing_among_peers(release, district).set_index("code")
        for code in ("mean_score_math", "mean_score_ela"):
            supported = standing.loc[code, "standing"] in ("above", "below")
            assert ((district, f"peer_rank.{code}") in ranks.index) == supported, (district, code)
            if supported:
                listed += 1
                assert ranks[(district, f"peer_rank.{code}")] == independent_rank(scores.loc[group, code], district)
                low, high = standing.loc[code, ["low", "high"]]
                assert low > 50 or high < 50
                assert "90% interval" in rows.loc[(district, f"peer_rank.{code}"), "label"]
    assert listed, "some district's rank is supported: the test reads something"


def publishable_gaps(release: Release, min_n: int) -> set[tuple[str, str]]:
    gaps = release.table("gaps")
    enrollment = latest(release)["enrollment"]
    chosen = gaps[
        (gaps["school_year"] == release.latest_year)
        & (gaps["grade"] == "ALL")
        & (gaps["comparison_kind"] == "complement")
        & gaps["focal"].isin(EQUITY_GROUPS)
        & (gaps["n_focal"] >= min_n)
        & (gaps["n_comparison"] >= min_n)
        & gaps["gap"].notna()
        & gaps["district_id"].map(enrollment).ge(min_n)
    ]
    return {(d, f"gap.{focal}.{subject}") for d, focal, subject in zip(chosen["district_id"], chosen["focal"], chosen["subject"])}


def test_only_gaps_on_groups_of_at_least_min_n_are_key_figures(release, published):
    shown = {(d, f) for d, f in zip(published["district_id"], published["figure"]) if f.startswith("gap.")}
    assert shown == publishable_gaps(release, release.min_n)
    stricter = Release(Project(release.project.params_file, release.project.settings.model_copy(update={"min_n": 60}), release.project.root))
    strict = changes.key_figures(stricter)
    strict_gaps = {(d, f) for d, f in zip(strict["district_id"], strict["figure"]) if f.startswith("gap.")}
    assert strict_gaps == publishable_gaps(release, 60)
    assert strict_gaps < shown  # the stricter threshold hides gaps the default one shows
    small = set(latest(release).index[latest(release)["enrollment"] < 60])
    assert small and not small & set(strict["district_id"])  # a district under the threshold publishes nothing


def test_key_figures_are_deterministic(release, published):
    again = changes.key_figures(Release(release.project))
    assert changes.write_key_figures(again) == changes.write_key_figures(published)


def test_parameters_record_holds_every_setting_and_what_built_it(release):
    provenance = Provenance("r1", "d" * 64, "abc123", "p" * 64)
    record = changes.parameters_record(release.project, provenance)
    assert json.loads(changes.write_parameters(record)) == record
    assert record["min_n"] == 10 and record["release"] == "r1"
    assert record["districts"]["D01"]["goals"] == {"mean_score_math": 500.0}  # goals are public
    assert record["efficiency"]["controls"] == release.project.settings.efficiency.controls
    assert (record["code_commit"], record["data_hash"], record["params_hash"]) == ("abc123", "d" * 64, "p" * 64)
    assert "pandas" in record["package_versions"]
    assert not record["data_dir"].startswith("/")


def test_page_from_the_previous_published_folder(release, published, tmp_path):
    previous = tmp_path / "r0"
    (previous / "downloads").mkdir(parents=True)
    planted = published.copy()
    planted.loc[(planted["district_id"] == "D02") & (planted["figure"] == "mean_score_math"), "value"] -= 4
    (previous / changes.KEY_FIGURES_FILE).write_text(changes.write_key_figures(planted), encoding="utf-8")
    provenance = Provenance("r1", "d" * 64, "new123", "p" * 64)
    record = changes.parameters_record(release.project, provenance) | {"min_n": 5, "code_commit": "old456"}
    (previous / changes.PARAMETERS_FILE).write_text(changes.write_parameters(record), encoding="utf-8")
    names = {d: release.district_name(d) for d in release.latest_indicators["district_id"]}
    page = changes.what_changed_since(previous, "r1", changes.key_figures(release), changes.parameters_record(release.project, provenance), names)
    assert list(sections(page)) == [f"[{release.district_name('D02')}](districts/D02/index.qmd)"]
    assert table_rows(page)[0][0] == "Mean math scale score" and table_rows(page)[0][3] == "+4.0 points"
    assert "- `min_n`: 5 → 10" in page and "- Analysis code changed: commit old456 → new123" in page
    assert "Release r1 compared with release r0" in page


def test_a_move_is_what_readers_saw_change_at_the_shown_precision():
    before = figures({"D1": {"mean_score_math": 70.04, "mean_score_ela": 70.06}})
    after = figures({"D1": {"mean_score_math": 70.06, "mean_score_ela": 70.11}})
    moved = changes.figure_changes(before, after).set_index("figure")
    assert list(moved.index) == ["mean_score_math"], "70.0 → 70.1 was shown as a move; 70.1 → 70.1 was not"
    assert moved.loc["mean_score_math", "change"] == pytest.approx(0.1)


def test_names_dates_folders_and_topics_are_not_method_changes():
    before = {"title": "A", "release": "r1", "release_date": "2024-09-30", "data_dir": "d1", "topics": [{"id": "a"}], "min_n": 10}
    after = {"title": "B", "release": "r2", "release_date": "2025-09-30", "data_dir": "d2", "topics": [{"id": "b"}], "min_n": 10}
    assert changes.settings_changes(before, after) == []
    assert changes.settings_changes(before, after | {"min_n": 15})[0].startswith("`min_n`: 10 → 15")
