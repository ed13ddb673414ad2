import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from districtstat.privacy.disclosure import SUPPRESSED, ProtectedTable, below_threshold_cells, protect
from districtstat.report import show_table
from helpers import integer_attack


def test_small_cells_and_the_figures_resting_on_them_are_hidden():
    table = pd.DataFrame({"group": ["A", "B", "C"], "n": [4, 10, 0], "mean": [500.0, 480.0, None]})
    protected = protect(table, counts={"n": ["mean"]}, min_n=10)
    shown = protected.display_frame()
    assert shown.loc[0, "n"] == SUPPRESSED and shown.loc[0, "mean"] == SUPPRESSED
    assert shown.loc[1, "n"] == 10 and shown.loc[1, "mean"] == 480.0
    assert shown.loc[2, "n"] == 0, "a group with no students protects no one: shown as 0, not hidden"
    assert below_threshold_cells(protected) == 0
    assert "fewer than 10 students" in protected.footnote


def test_protect_demands_a_statement_of_counts():
    with pytest.raises(ValueError, match="needs `counts`"):
        protect(pd.DataFrame({"n": [1]}))


def test_show_table_refuses_an_unprotected_table():
    with pytest.raises(TypeError, match="ProtectedTable"):
        show_table(pd.DataFrame({"n": [1]}), "caption", "how to read")


def test_suppressed_cells_are_never_zero_or_blank_in_csv():
    protected = protect(pd.DataFrame({"n": [3, 50], "pct": [0.0, 40.0]}), counts={"n": ["pct"]}, min_n=10)
    first_row = protected.to_csv().splitlines()[1]
    assert first_row == f"{SUPPRESSED},{SUPPRESSED}"
    assert isinstance(protected, ProtectedTable)


# ------------------------------------------------------------------ complementary suppression: golden patterns

from hypothesis import given, settings, strategies as st  # noqa: E402

from districtstat.privacy.disclosure import (  # noqa: E402
    Relation,
    attacker_bounds,
    complement_pairs,
    count_key,
    exposed_cells,
    changed_by_few,
    coded_share,
    percent_interval,
    rounded_percent,
    shown_percent,
    small_hidden_groups,
    subgroup_relations,
    withhold_student_figures,
    suppress,
    suppress_subgroups,
)


def group_suppression(counts: dict, min_n: int = 10, margin: int = 5) -> set[str]:
    return suppress(counts, subgroup_relations(counts), min_n=min_n, margin=margin, pairs=complement_pairs(counts))


def test_a_single_small_cell_with_a_shown_total_takes_the_smallest_other_cell_with_it():
    row = {"total": 60, "A": 4, "B": 25, "C": 31}
    relations = [Relation("total", ("A", "B", "C"))]
    assert exposed_cells({"total": 60, "B": 25, "C": 31}, {"A"}, relations, 5)[0].describe() == "A can be worked out to lie between 4 and 4"
    hidden = suppress(row, relations, min_n=10, margin=5)
    assert hidden == {"A", "B"}
    assert attacker_bounds({"total": 60, "C": 31}, hidden, relations) == {"A": (0.0, 29.0), "B": (0.0, 29.0)}


def test_zeros_are_shown_and_never_serve_as_the_complement():
    assert suppress({"total": 40, "A": 0, "B": 0, "C": 40}, [Relation("total", ("A", "B", "C"))], min_n=10, margin=5) == set()
    row = {"total": 44, "A": 4, "Z": 0, "C": 40}
    hidden = suppress(row, [Relation("total", ("A", "Z", "C"))], min_n=10, margin=5)
    assert hidden == {"A", "C"}  # hiding the zero would leave A = 44 − 40 − 0 for all to see


def test_a_group_and_its_complement_are_hidden_together_and_all_students_stays_shown():
    counts = {"ALL": 100, "EL": 6, "NOT_EL": 94, "SWD": 12, "NOT_SWD": 88}
    assert group_suppression(counts) == {"EL", "NOT_EL"}


def test_all_students_minus_the_large_groups_never_reveals_a_small_remainder():
    counts = {"ALL": 103, "RACE_HI": 50, "RACE_WH": 50, "RACE_AS": 3, "NOT_RACE_HI": 53, "NOT_RACE_WH": 53, "NOT_RACE_AS": 100}
    hidden = group_suppression(counts)
    assert {"RACE_AS", "NOT_RACE_AS"} <= hidden and "ALL" not in hidden
    assert hidden & {"RACE_HI", "RACE_WH"}, "a second race group must be hidden, or AS = ALL − HI − WH"
    shown = {cell: value for cell, value in counts.items() if cell not in hidden}
    assert exposed_cells(shown, hidden, subgroup_relations(counts), 5) == []


def test_students_without_a_race_record_are_an_unknown_remainder_not_a_zero():
    counts = {"ALL": 60, "RACE_HI": 30, "RACE_WH": 26, "NOT_RACE_HI": 26, "NOT_RACE_WH": 30}  # 4 have no race recorded
    relations = subgroup_relations(counts)
    assert Relation("ALL", ("RACE_HI", "RACE_WH", "(no race recorded)")) in relations
    assert Relation("ALL", ("RACE_HI", "NOT_RACE_HI", "(no race recorded)")) in relations


def test_small_groups_hidden_together_must_make_min_n_students_or_their_mean_follows():
    """3 Asian and 4 Pacific Islander students, each hidden, are still 7 students all told: all students' mean times
    100 minus the shown groups' gives their mean. A third group is hidden with them."""
    counts = {"ALL": 100, "RACE_WH": 60, "RACE_HI": 33, "RACE_AS": 3, "RACE_PI": 4}
    hidden = group_suppression(counts)
    assert hidden == {"RACE_AS", "RACE_PI", "RACE_HI"}
    shown = {cell: value for cell, value in counts.items() if cell not in hidden}
    assert small_hidden_groups(shown, subgroup_relations(counts), 10) == []
    assert small_hidden_groups({"ALL": 100, "RACE_WH": 60, "RACE_HI": 33}, subgroup_relations(counts), 10) == [(Relation("ALL", ("RACE_AS", "RACE_HI", "RACE_PI", "RACE_WH")), 7.0)]


def test_a_few_students_without_a_race_record_are_not_left_to_subtraction():
    counts = {"ALL": 63, "RACE_HI": 30, "RACE_WH": 29}  # 4 students have no race recorded: ALL − HI − WH
    assert group_suppression(counts) == {"RACE_WH"}


def test_a_crossing_that_leaves_a_few_students_of_its_group_outside_is_hidden():
    counts = {"ALL": 120, "EL": 30, "NOT_EL": 90, "ECODIS": 70, "NOT_ECODIS": 50, "EL_X_ECODIS": 27}  # 3 EL students not ECODIS
    assert group_suppression(counts) == {"EL_X_ECODIS"}


def test_a_share_is_rounded_by_group_size_so_that_it_gives_away_no_count():
    table = pd.DataFrame({"district": ["Eastport", "Big", "Coded", "Exact", "Tiny"], "enrollment": [29, 400, 200, 100, 6], "pct_el": [13.79, 2.0, 97.0, 40.0, 50.0]})
    protected = protect(table, counts={"enrollment": ["pct_el"]}, shares={"pct_el": "enrollment"})
    assert protected.display_frame()["pct_el"].tolist() == ["<40", 2.0, 95.0, 40.0, SUPPRESSED]
    assert protected.to_csv().splitlines()[1] == "Eastport,29,<40", "13.8% of 29 students is 4 English learners: only 'under 40%' is said"
    assert "Hidden to protect" in protected.footnote and "rounded by group size" in protected.footnote and "near 0 or 100" in protected.footnote
    assert [coded_share(p, 29, 10) for p in (34.48, 65.52, 0.0, 100.0)] == [None, None, "<40", ">60"]
    assert rounded_percent(51.72, 29, 10) == 60.0, "29 students: steps of 20 points"


def test_percentages_from_the_attackers_list_no_longer_give_counts():
    """The issue's cells: 100% of 250, 94.1% of 17, 90% of 10, 5.4% of 37 and exact district shares."""
    assert shown_percent(100.0, 250, 10) == (None, ">96"), "all 250 proficient is never published as 100"
    assert shown_percent(94.1176, 17, 10) == (None, ">50")
    assert shown_percent(90.0, 10, 10) == (None, SUPPRESSED)
    assert shown_percent(5.4054, 37, 10) == (None, "<20")
    assert shown_percent(15.990, 838, 10) == shown_percent(16.160, 817, 10) == (16.0, None), "two withdrawn students no longer show"


@pytest.mark.parametrize("n", [10, 13, 15, 17, 20, 29, 37, 50, 99, 100, 199, 250, 499, 500, 838, 5000])
def test_no_percentage_pins_the_students_in_or_outside_its_category(n):
    """Every value a percentage of n students can be published as leaves at least min_n / 2 possible students in the
    category, includes 0 or reaches min_n (inside and outside), and is a true statement about the value."""
    for value in np.linspace(0, 100, 2001):
        rounded, code = shown_percent(value, n, 10)
        if code == SUPPRESSED:
            continue
        shown = rounded if code is None else code
        low, high = percent_interval(shown, n, 10)
        assert low - 1e-9 <= value * n / 100 <= high + 1e-9, (value, n, shown)
        assert high - low >= 5 - 1e-9 or low == 0 or high == n, (value, n, shown)
        for a, b in ((low, high), (n - high, n - low)):
            assert not (a > 1e-9 and b < 10 - 1e-9), (value, n, shown, a, b)


def test_district_figures_too_few_to_publish_exactly_leave_the_history_every_page_reads():
    history = pd.DataFrame(
        {
            "district_id": ["D1", "D1", "D1", "D2", "D2", "D2"],
            "school_year": 2024,
            "code": ["pct_chronic_absent", "pct_proficient_math", "BUS_ON_TIME_PCT", "pct_chronic_absent", "pct_proficient_math", "mean_score_math"],
            "value": [13.79, 100.0, 100.0, 13.5, 100.0, 500.0],
        }
    )
    enrollment = pd.DataFrame({"district_id": ["D1", "D2"], "school_year": [2024, 2024], "enrollment": [29, 400]})
    kept = withhold_student_figures(history, enrollment, 10)
    assert list(zip(kept["district_id"], kept["code"])) == [("D1", "BUS_ON_TIME_PCT"), ("D2", "pct_chronic_absent"), ("D2", "mean_score_math")], "100% of 400 is coded >98"
    assert kept["value"].tolist() == [100.0, 14.0, 500.0], "13.5% of 400 students is published as 14%; a bus figure is not a share of students"
    tested = pd.DataFrame({"district_id": ["D2", "D2"], "school_year": [2024, 2024], "subject": ["MATH", "ELA"], "n": [8, 300]})
    kept = withhold_student_figures(history, enrollment, 10, tested)
    assert list(zip(kept["district_id"], kept["code"])) == [("D1", "BUS_ON_TIME_PCT"), ("D2", "pct_chronic_absent")], "D2 tested 8 students in math"
    tiny = withhold_student_figures(history.assign(code="per_pupil_spending"), enrollment.assign(enrollment=[6, 400]), 10)
    assert len(tiny) == 6, "spending per pupil describes a budget, not students"
    assert withhold_student_figures(history.assign(code="mean_score_ela"), enrollment.assign(enrollment=[6, 400]), 10)["district_id"].tolist() == ["D2"] * 3


def outcomes_frame(counts: dict, district="D01", year=2024, subject="MATH") -> pd.DataFrame:
    return pd.DataFrame(
        {"school_year": year, "district_id": district, "subject": subject, "grade": "ALL", "subgroup": list(counts), "n": pd.array(list(counts.values()), dtype="Int64")}
    )


def test_a_table_linked_to_its_district_total_is_audited_with_that_total(tmp_path):
    """The gaps table shows no total, but the results table shows all students: together they would give EL away."""
    from districtstat.privacy.audit import DisclosureAuditError, audit_release
    from districtstat.site.downloads import published_table
    from pathlib import PurePosixPath

    counts = {"ALL": 40, "EL": 3, "NOT_EL": 37}
    outcomes = outcomes_frame(counts)
    key = lambda group: count_key("tested", "D01", 2024, "MATH", "ALL", group)  # noqa: E731
    results = protect(pd.DataFrame({"group": ["All students"], "n": [40]}), counts={"n": []}, keys={"n": [key("ALL")]})

    def publish(gaps: pd.DataFrame, hidden: list[bool]):
        table = protect(gaps, counts={"n_focal": [], "n_comparison": []}, hidden={"n_focal": hidden, "n_comparison": hidden}, keys={"n_focal": [key("EL")], "n_comparison": [key("NOT_EL")]})
        site = tmp_path / f"site-{hidden[0]}"
        published = []
        for name, shown in (("results.csv", results), ("gaps.csv", table)):
            (site / name).parent.mkdir(parents=True, exist_ok=True)
            (site / name).write_text(shown.to_csv())
            published.append(published_table(PurePosixPath(name), PurePosixPath("page"), shown.to_csv(), {"counts": shown.published_keys()}))
        (tmp_path / "data").mkdir(exist_ok=True)
        audit_release(site, tmp_path / "data", published, outcomes=outcomes, min_n=10, margin=5)

    gaps = pd.DataFrame({"group": ["English learners"], "n_focal": [3], "n_comparison": [37]})
    with pytest.raises(DisclosureAuditError, match=r"gaps.csv, row 1, column “n_focal” \(\*, tested/D01/2024/MATH/ALL/EL\): EL can be worked out to lie between 3 and 3"):
        publish(gaps.assign(n_focal=[3]), hidden=[False])  # primary suppression alone hides 3 but shows 37
    publish(gaps, hidden=[True])  # complementary suppression hides 37 too: passes


def test_suppression_of_the_whole_release_keeps_what_the_previous_release_hid_and_hides_small_moves():
    counts = {"ALL": 200, "EL": 40, "NOT_EL": 160, "SWD": 30, "NOT_SWD": 170}
    outcomes = outcomes_frame(counts)
    assert not suppress_subgroups(outcomes, min_n=10, margin=5).any()
    previous = {count_key("tested", "D01", 2024, "MATH", "ALL", "EL"): None}
    hidden = suppress_subgroups(outcomes, min_n=10, margin=5, previous=previous)
    assert set(outcomes.loc[hidden, "subgroup"]) == {"EL", "NOT_EL"}
    moved = {count_key("tested", "D01", 2024, "MATH", "ALL", "SWD"): 27.0}  # 3 students more than last release said
    hidden = suppress_subgroups(outcomes, min_n=10, margin=5, previous=moved)
    assert set(outcomes.loc[hidden, "subgroup"]) == {"SWD", "NOT_SWD"}


def test_a_set_of_hidden_groups_that_lost_one_student_between_releases_is_hidden_further():
    """The attacker's D10: every shown count moved by 0 or at least 10 (all 453→432, White 396→386, Hispanic 29→19,
    two or more 13→13), so the hidden race groups together lost exactly one student."""
    before = {"ALL": 453.0, "RACE_WH": 396.0, "RACE_HI": 29.0, "RACE_TW": 13.0}
    now = {"ALL": 432.0, "RACE_WH": 386.0, "RACE_HI": 19.0, "RACE_TW": 13.0, "RACE_AS": 8.0, "RACE_BL": 6.0}
    relations = subgroup_relations(now)
    naive = {cell: value for cell, value in now.items() if cell in before}
    assert changed_by_few(naive, before, relations, 10)[0].cells == ("RACE_AS", "RACE_BL"), "the single-release suppression leaves one student exposed"
    hidden = suppress(now, relations, min_n=10, margin=5, before=before)
    assert {"RACE_AS", "RACE_BL"} < hidden and len(hidden) > 2
    shown = {cell: value for cell, value in now.items() if cell not in hidden}
    assert changed_by_few(shown, before, relations, 10) == []
    assert changed_by_few(before, before, relations, 10) == [], "the same counts twice tell nothing"


def test_a_group_hidden_in_one_subject_is_hidden_in_the_other():
    counts = {"ALL": 200, "RACE_AS": 12, "RACE_HI": 60, "RACE_WH": 128}
    math = outcomes_frame(counts)
    ela = outcomes_frame({**counts, "RACE_AS": 8, "RACE_WH": 132}).assign(subject="ELA")
    outcomes = pd.concat([math, ela], ignore_index=True)
    hidden = suppress_subgroups(outcomes, min_n=10, margin=5)
    by_subject = {subject: set(outcomes.loc[hidden & (outcomes["subject"] == subject), "subgroup"]) for subject in ("ELA", "MATH")}
    assert "RACE_AS" in by_subject["MATH"], "12 Asian students tested in math, 8 in ELA: the ELA count would follow from math's"
    assert by_subject["ELA"] == by_subject["MATH"]


def test_the_audit_combines_two_releases_of_the_same_students():
    from districtstat.privacy.audit import moved_by_few, recoverable

    counts = {"ALL": 103, "RACE_HI": 50, "RACE_WH": 50, "RACE_AS": 3, "NOT_RACE_HI": 53, "NOT_RACE_WH": 53, "NOT_RACE_AS": 100}
    truth = {("D01", "2024", "MATH", "ALL"): counts}
    key = lambda group: count_key("tested", "D01", 2024, "MATH", "ALL", group)  # noqa: E731
    first = {key(g): (None if g in {"RACE_AS", "NOT_RACE_AS", "RACE_HI", "NOT_RACE_HI"} else v) for g, v in counts.items()}
    second = {key(g): (None if g in {"RACE_AS", "NOT_RACE_AS", "RACE_WH", "NOT_RACE_WH"} else v) for g, v in counts.items()}
    assert recoverable(first, truth, 5) == [] and recoverable(second, truth, 5) == []
    found = recoverable(second, truth, 5, previous=first)
    assert [k for k, _ in found] == [key("NOT_RACE_AS"), key("RACE_AS")]
    assert "RACE_AS can be worked out to lie between 3 and 3 together with the previous release" in found[1][1]
    assert moved_by_few({key("ALL"): 103.0}, {key("ALL"): 100.0}, 10) == [f"{key('ALL')}: 100 in the previous release and 103 now, so the two differ by 3 students"]


def test_percentages_of_students_in_a_table_are_rounded_and_coded_at_every_size():
    table = pd.DataFrame({"group": ["A", "B", "C", "D", "E"], "n": [40, 40, 40, 400, 2500], "pct": [2.5, 97.5, 50.0, 2.0, 100.0]})
    protected = protect(table, counts={"n": ["pct"]}, percents={"pct": "n"})
    assert protected.display_frame()["pct"].tolist() == ["<20", ">80", 60.0, 2.0, ">99"]
    assert protected.to_csv().splitlines()[1] == "A,40,<20"


# ------------------------------------------------------------------ property tests: random tables


@st.composite
def group_counts(draw):
    """One district, year and subject: random race groups and programs, some tiny, some empty."""
    races = draw(st.lists(st.integers(0, 60), min_size=2, max_size=6))
    counts = {f"RACE_{i}": n for i, n in enumerate(races) if n > 0}
    total = sum(races)
    for program in ("EL", "SWD", "ECODIS")[: draw(st.integers(0, 3))]:
        size = draw(st.integers(0, total))
        counts[program], counts[f"NOT_{program}"] = size, total - size
    for race in [c for c in counts if c.startswith("RACE_")]:
        counts[f"NOT_{race}"] = total - counts[race]
    counts["ALL"] = total
    return counts


def assert_nothing_recoverable(counts: dict, hidden: set, equations: list, min_n: int, margin: int) -> None:
    shown = {cell: value for cell, value in counts.items() if cell not in hidden}
    assert not [c for c, v in shown.items() if 0 < v < min_n], "a small count is shown"
    for target, (low, high) in integer_attack(counts, hidden, equations).items():
        if isinstance(target, str):
            assert high - low >= margin, f"{target} = {counts[target]} is pinned to [{low}, {high}]"
        else:
            assert high == 0 or high >= min_n, f"the hidden groups {target[1]} of {target[0]} hold at most {high} students"


def group_equations(counts: dict) -> list[tuple[str, tuple[str, ...]]]:
    """How the strategy's groups add up, written from the strategy, not from `subgroup_relations`."""
    races = tuple(sorted(c for c in counts if c.startswith("RACE_")))
    equations = [("ALL", races)] if races else []
    return equations + [("ALL", (c, f"NOT_{c}")) for c in sorted(counts) if f"NOT_{c}" in counts]


@settings(max_examples=80, deadline=None)
@given(group_counts(), st.sampled_from([5, 10, 20]))
def test_after_suppression_no_hidden_group_count_can_be_worked_out(counts, min_n):
    margin = max(1, min_n // 2)
    hidden = group_suppression(counts, min_n=min_n, margin=margin)
    assert_nothing_recoverable(counts, hidden, group_equations(counts), min_n, margin)


@st.composite
def two_way_tables(draw):
    """A rows × columns table of counts with its row, column and grand totals, all published."""
    rows, columns = draw(st.integers(2, 4)), draw(st.integers(2, 4))
    cells = {(r, c): draw(st.integers(0, 40)) for r in range(rows) for c in range(columns)}
    counts = {f"r{r}c{c}": n for (r, c), n in cells.items()}
    counts |= {f"r{r}": sum(cells[r, c] for c in range(columns)) for r in range(rows)}
    counts |= {f"c{c}": sum(cells[r, c] for r in range(rows)) for c in range(columns)}
    counts["all"] = sum(cells.values())
    relations = [Relation(f"r{r}", tuple(f"r{r}c{c}" for c in range(columns))) for r in range(rows)]
    relations += [Relation(f"c{c}", tuple(f"r{r}c{c}" for r in range(rows))) for c in range(columns)]
    relations += [Relation("all", tuple(f"r{r}" for r in range(rows))), Relation("all", tuple(f"c{c}" for c in range(columns)))]
    return counts, relations


@settings(max_examples=80, deadline=None)
@given(two_way_tables())
def test_after_suppression_no_cell_of_a_two_way_table_can_be_worked_out_from_its_totals(table):
    counts, relations = table
    hidden = suppress(counts, relations, min_n=10, margin=5, last_resort={"all"})
    assert_nothing_recoverable(counts, hidden, [(r.total, r.parts) for r in relations], 10, 5)


def test_the_audit_names_hidden_groups_that_add_up_to_fewer_than_min_n():
    from districtstat.privacy.audit import recoverable

    key = lambda group: count_key("tested", "D01", 2024, "MATH", "ALL", group)  # noqa: E731
    counts = {"ALL": 100, "RACE_WH": 60, "RACE_HI": 33, "RACE_AS": 3, "RACE_PI": 4}
    truth = {("D01", "2024", "MATH", "ALL"): {group: float(n) for group, n in counts.items()}}
    published = {key(group): (None if group in ("RACE_AS", "RACE_PI") else float(n)) for group, n in counts.items()}
    assert recoverable(published, truth, 5, min_n=10) == [(key("RACE_AS"), "the groups of ALL not shown (RACE_AS, RACE_PI) add up to at most 7 students")]
    assert recoverable(published | {key("RACE_HI"): None}, truth, 5, min_n=10) == []


def test_an_enrollment_the_previous_release_hid_or_that_moved_by_a_few_is_hidden():
    from districtstat.privacy.disclosure import hidden_enrollments

    indicators = pd.DataFrame({"district_id": ["D1", "D2", "D3", "D4"], "school_year": 2024, "enrollment": [835, 900, 500, 40]})
    previous = {count_key("enrolled", "D1", 2024): 838.0, count_key("enrolled", "D2", 2024): 880.0, count_key("enrolled", "D3", 2024): None}
    assert hidden_enrollments(indicators, previous, 10).tolist() == [True, False, True, False]
    assert not hidden_enrollments(indicators, None, 10).any()


def test_the_efficiency_residual_goes_with_the_outcome_it_is_measured_from():
    history = pd.DataFrame({"district_id": ["D1", "D1", "D2", "D2"], "school_year": 2024, "code": ["mean_score_math", "efficiency_residual"] * 2, "value": [500.0, 3.0, 510.0, -2.0]})
    enrollment = pd.DataFrame({"district_id": ["D1", "D2"], "school_year": [2024, 2024], "enrollment": [40, 40]})
    tested = pd.DataFrame({"district_id": ["D1", "D2"], "school_year": [2024, 2024], "subject": ["MATH", "MATH"], "n": [6, 30]})
    kept = withhold_student_figures(history, enrollment, 10, tested, residual_outcome="mean_score_math")
    assert list(zip(kept["district_id"], kept["code"])) == [("D2", "mean_score_math"), ("D2", "efficiency_residual")], "6 tested: outcome = prediction + residual"


def test_the_attacker_s_solver_writes_nothing_to_standard_output_from_any_thread():
    """HiGHS greets on standard output when the first solver is made; a notebook would keep that line."""
    script = (
        "from concurrent.futures import ThreadPoolExecutor\n"
        "from districtstat.privacy.disclosure import attacker\n"
        "with ThreadPoolExecutor(4) as pool:\n"
        "    solvers = list(pool.map(lambda _: attacker._solver(), range(8)))\n"
        "print(len(solvers))\n"
    )
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert shown.stdout == "8\n"
