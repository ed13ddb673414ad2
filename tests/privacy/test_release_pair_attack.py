"""An outside attacker against two consecutive releases of the same consortium.

The second release withdraws students and corrects a score, as the attack on the example did (issue: privacy across
releases): three students leave one district, one student leaves a district's hidden race groups, two chronically
absent students leave another, and one math score is corrected upward across the proficiency cut. The attacker reads
only what the two releases publish (`student_counts.csv`, `published_figures.csv`, `key_figures.csv`) and knows how
groups add up; its integer programs are written here with scipy's `milp`, independent of `districtstat.disclosure`.
The pair is the suite's shared second release (`second_release.py`), which carries a quarter's other changes too.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import LinearConstraint, milp

from second_release import YEAR, rows

MIN_N, MARGIN = 10, 5
STEPS = (1, 2, 5, 10, 20, 25, 50)  # the Methods page's rounding of percentages, as a reader learns it


@pytest.fixture(scope="module")
def releases(second_release):
    """Release r1 as built, and r2 of the same consortium after the withdrawals and the correction."""
    return second_release


# ------------------------------------------------------------------ what the attacker reads


def published_counts(site: Path) -> dict[tuple, dict[str, float | None]]:
    """Test-taker counts by district, year and subject: group → count, None where hidden."""
    systems: dict[tuple, dict[str, float | None]] = {}
    for row in csv.DictReader(io.StringIO((site / "downloads" / "student_counts.csv").read_text())):
        if row["measure"] == "tested" and row["grade"] == "ALL":
            systems.setdefault((row["district_id"], row["school_year"], row["subject"]), {})[row["group"]] = None if row["students"] == "*" else float(row["students"])
    return systems


def relations_of(groups: list[str]) -> list[tuple[str, ...]]:
    """Sets of groups that add up to all students: the races, and each group with all other students."""
    races = tuple(g for g in groups if g.startswith("RACE_"))
    found = [races] if races else []
    found += [(g, f"NOT_{g}") for g in groups if not g.startswith("NOT_") and "_X_" not in g and f"NOT_{g}" in groups]
    return found


class Program:
    """Integer unknowns ≥ 0 with equalities, and the least and most of any linear sum of them."""

    def __init__(self):
        self.names: dict[tuple, int] = {}
        self.equalities: list[tuple[dict[tuple, float], float]] = []

    def var(self, name: tuple) -> int:
        return self.names.setdefault(name, len(self.names))

    def equal(self, terms: dict[tuple, float], value: float) -> None:
        self.equalities.append((terms, value))

    def bounds(self, terms: dict[tuple, float]) -> tuple[float, float]:
        size = len(self.names)
        a = np.zeros((len(self.equalities), size))
        b = np.zeros(len(self.equalities))
        for i, (row, value) in enumerate(self.equalities):
            for name, weight in row.items():
                a[i, self.names[name]] += weight
            b[i] = value
        objective = np.zeros(size)
        for name, weight in terms.items():
            objective[self.names[name]] += weight
        ends = []
        for sign in (1, -1):
            found = milp(sign * objective, integrality=np.ones(size), bounds=(0, 10**6), constraints=[LinearConstraint(a, b, b)] if len(b) else [])
            assert found.status == 0, found.message
            ends.append(sign * found.fun)
        return ends[0], ends[1]


def pair_program(first: dict[str, float | None], second: dict[str, float | None]) -> tuple[Program, dict]:
    """Both releases' counts of one district, year and subject as unknowns: shown ones fixed, relations in each."""
    program = Program()
    groups = sorted(set(first) | set(second))
    for release, counts in (("r1", first), ("r2", second)):
        for group in groups:
            program.var((release, group))
            if counts.get(group) is not None:
                program.equal({(release, group): 1}, counts[group])
        for parts in relations_of(groups):  # every student of the example has a race, a sex and a program record
            program.equal({**{(release, g): 1 for g in parts}, (release, "ALL"): -1}, 0)
    return program, groups


def pinned_to_few(low: float, high: float) -> bool:
    return (0 < low and high < MIN_N) or (-MIN_N < low and high < 0)


# ------------------------------------------------------------------ the attacks


def test_every_student_has_the_records_the_attacker_assumes(releases):
    students = rows(releases["data"] / "students.csv")
    assert (students["race_ethnicity"] != "").all() and (students["sex"] != "").all()


def test_no_hidden_count_and_no_change_of_any_set_of_groups_is_pinned_by_the_two_releases(releases):
    first, second = published_counts(releases["first"]), published_counts(releases["second"])
    found = []
    for system in sorted(set(first) & set(second)):
        if first[system] == second[system]:
            continue
        program, groups = pair_program(first[system], second[system])
        for group in groups:
            if second[system].get(group, 0) is None:
                low, high = program.bounds({("r2", group): 1})
                if high - low < MARGIN:
                    found.append((system, group, "hidden count", low, high))
        targets = [(g,) for g in groups] + [tuple(g for g in parts if first[system].get(g) is None or second[system].get(g) is None) for parts in relations_of(groups)]
        for target in {t for t in targets if t}:
            low, high = program.bounds({**{("r2", g): 1 for g in target}, **{("r1", g): -1 for g in target}})
            if pinned_to_few(low, high):
                found.append((system, target, "change", low, high))
    assert found == []


def test_the_withdrawals_and_the_correction_did_change_what_was_published(releases):
    """The attack has something to attack: the second release's counts differ where students left."""
    first, second = published_counts(releases["first"]), published_counts(releases["second"])
    changed = {system[0] for system in set(first) & set(second) if system[1] == YEAR and first[system] != second[system]}
    assert {"D03", releases["one_district"]} <= changed


def figures(site: Path) -> pd.DataFrame:
    return pd.read_csv(site / "downloads" / "published_figures.csv", dtype=str, keep_default_na=False)


def percent_reading(shown: str, symbol: str, n: float) -> tuple[float, float] | None:
    """The count in a percentage's category, as an attacker reads the published value with the Methods page's rule."""
    step = next((s for s in STEPS if s * n >= 50 * MIN_N), None)
    if symbol.startswith("<"):
        return 0.0, float(symbol[1:]) * n / 100
    if symbol.startswith(">"):
        return float(symbol[1:]) * n / 100, n
    if symbol or step is None or not shown:
        return None
    value = float(shown)
    return max(value - step / 2, 0) * n / 100, min(value + step / 2, 100) * n / 100


def proficient_counts(site: Path) -> dict[tuple, tuple[float, float, float]]:
    """(district, year, subject, group) → (n, least and most students proficient) from every % proficient shown with its count."""
    table = figures(site)
    chosen = table[table["measure"].str.startswith("% proficient") & (table["n"] != "")]
    found = {}
    for row in chosen.itertuples():
        reading = percent_reading(row.value, row.shown_as, float(row.n))
        if reading is not None:
            found[(row.district_id, row.school_year, row.subject, row.group)] = (float(row.n), *reading)
    return found


def test_no_percentage_pins_the_students_in_or_outside_its_category_in_either_release_or_between_them(releases):
    first, second = proficient_counts(releases["first"]), proficient_counts(releases["second"])
    assert len(second) > 100, "the releases publish percentages proficient with their counts"
    found = []
    for key, (n, low, high) in second.items():
        for a, b in ((low, high), (n - high, n - low)):
            if pinned_to_few(a, b):
                found.append((key, "in one release", a, b))
        if key in first:
            _, low_1, high_1 = first[key]
            if pinned_to_few(low - high_1, high - low_1):
                found.append((key, "between releases", low - high_1, high - low_1))
    assert found == []


def test_every_figure_resting_on_a_hidden_count_is_hidden_everywhere(releases):
    """A district's mean and % proficient in a subject go with its hidden count of students tested; shares and
    spending per pupil with its hidden enrollment."""
    second = releases["second"]
    counts = rows(second / "downloads" / "student_counts.csv")
    hidden_tested = {(r.district_id, r.school_year, r.subject) for r in counts.itertuples() if r.measure == "tested" and r.group == "ALL" and r.students == "*"}
    hidden_enrolled = {(r.district_id, r.school_year) for r in counts.itertuples() if r.measure == "enrolled" and r.students == "*"}
    assert ("D03", YEAR) in hidden_enrolled, "three students withdrawn from D03: its enrollment moved by fewer than min_n"
    table = figures(second)
    shown = table[(table["value"] != "") & ~table["table"].str.startswith("Regression")]
    shown = shown[~shown["table"].str.contains("every school year") | (shown["measure"] == "value")]  # a scorecard's trend and rank are of the latest year shown
    about_tested = shown["measure"].str.contains("proficient|mean|score", case=False) | shown["indicator"].str.contains("proficient|mean|score", case=False)
    leaks = [r for r in shown[about_tested].itertuples() if (r.district_id, r.school_year, r.subject) in hidden_tested and r.group in ("", "All students")]
    about_enrolled = (shown["measure"].str.contains("per pupil", case=False) & ~shown["measure"].str.contains("median", case=False)) | shown["indicator"].isin(["Economically disadvantaged", "English learners", "Students with disabilities", "Chronically absent", "Spending per pupil"])
    leaks += [r for r in shown[about_enrolled].itertuples() if (r.district_id, r.school_year) in hidden_enrolled]
    key_figures = rows(second / "downloads" / "key_figures.csv")
    on_tested = key_figures["figure"].str.contains("mean_score|pct_proficient") & ~key_figures["figure"].str.contains(r"\.")
    on_enrolled = key_figures["figure"].str.fullmatch("per_pupil_spending|spend_.*|pct_ecodis|pct_el|pct_swd|pct_chronic_absent")
    subject = key_figures["figure"].str.extract("(ela|math)$", expand=False).str.upper()
    leaks += [r for r, s in zip(key_figures[on_tested].itertuples(), subject[on_tested]) if (r.district_id, str(r.school_year), s) in hidden_tested]
    leaks += [r for r in key_figures[on_enrolled].itertuples() if (r.district_id, str(r.school_year)) in hidden_enrolled]
    assert leaks == []


def test_the_corrected_score_moves_no_published_count_of_proficient_students_that_could_be_pinned(releases):
    """The corrected student's district: its proficient counts in both releases overlap in every group, so nothing
    says that one student crossed the cut."""
    first, second = proficient_counts(releases["first"]), proficient_counts(releases["second"])
    mine = [key for key in first if key[:3] == ("D07", YEAR, "MATH")]
    assert mine, "the corrected district's math percentages were published in the first release"
    for key in mine:
        if key in second:  # withheld as a revision of a few students' records, or not pinned
            (_, low_1, high_1), (_, low_2, high_2) = first[key], second[key]
            assert not pinned_to_few(low_2 - high_1, high_2 - low_1), key


def group_means(site: Path) -> dict[tuple, tuple[float, float]]:
    """(district, year, subject, group) → (mean, students) for every group mean shown beside its count."""
    table = figures(site)
    chosen = table[(table["measure"] == "Mean score (points)") & (table["value"] != "") & (table["n"] != "")]
    return {(r.district_id, r.school_year, r.subject, r.group): (float(r.value), float(r.n)) for r in chosen.itertuples()}


def test_no_group_shows_that_its_scores_changed_while_its_students_did_not(releases):
    """A mean × its count is a score sum: where a group kept its students (or nearly) and its score sum certainly
    moved, the groups that moved give the corrected student's profile and the move their new score."""
    first, second = group_means(releases["first"]), group_means(releases["second"])
    found = []
    for key, (mean, n) in second.items():
        if key in first and abs(n - first[key][1]) < MIN_N:
            low = (mean - 0.05) * n - (first[key][0] + 0.05) * first[key][1]
            high = (mean + 0.05) * n - (first[key][0] - 0.05) * first[key][1]
            if low > 0 or high < 0:
                found.append((key, low, high))
    assert found == []
    # a 42-point correction moves the mean of a group under 200 students by more than 0.2 points, beyond rounding
    small = [key for key, (_, n) in first.items() if key[:3] == ("D07", YEAR, "MATH") and key[3] in student_groups(releases) and n < 200]
    assert small, "the corrected student belongs to a small group whose math mean was published"
    assert not any(key[:3] == ("D07", YEAR, "MATH") for key in second), "so the second release withholds the district's revised math figures"


def student_groups(releases) -> set[str]:
    """The groups, as the pages name them, of the student whose score was corrected."""
    from districtstat.data.aggregate import subgroup_label

    data, student = releases["data"], releases["corrected"]
    record = rows(data / "students.csv").set_index("student_id").loc[student]
    programs = rows(data / "program_participation.csv")
    codes = {"ALL", f"RACE_{record['race_ethnicity']}", f"SEX_{record['sex']}"}
    codes |= set(programs.loc[(programs["school_year"] == YEAR) & (programs["student_id"] == student), "program_code"])
    return {subgroup_label(code) for code in codes}


def test_no_chart_label_or_page_names_a_figure_of_a_hidden_enrollment(releases):
    """Charts' titles and alt texts name districts beside their values ("from Riverbend City Schools at $344"): none
    may name a spending or share of a district whose enrollment the release hides, nor the enrollment itself."""
    import re

    second = releases["second"]
    counts = rows(second / "downloads" / "student_counts.csv")
    hidden = counts[(counts["measure"] == "enrolled") & (counts["school_year"] == YEAR) & (counts["students"] == "*")]
    enrolled = rows(releases["data"] / "enrollments.csv")
    assert len(hidden) >= 2
    found = []
    for district, name in zip(hidden["district_id"], hidden["district_name"]):
        truth = int(((enrolled["school_year"] == YEAR) & (enrolled["district_id"] == district)).sum())
        named = re.compile(rf"{re.escape(name)}(:| at) (\$[\d,]+|[\d.]+% )")
        for page in sorted(second.rglob("*")):
            if page.suffix in (".html", ".svg", ".json", ".csv"):
                text = page.read_text(encoding="utf-8", errors="replace")
                found += [(page.name, match.group(0)) for match in named.finditer(text)]
                if f"{truth:,} students" in text or f"{truth:,} enrolled" in text:
                    found.append((page.name, f"{truth:,} students"))
    assert found == []


def test_a_district_whose_latest_figures_are_withheld_keeps_the_year_on_its_scorecard_marked_hidden(releases):
    """D05's chronic absence in 2023–24 rests on a count two students moved: the reader sees `*` in that year, not a
    scorecard that quietly ends a year early and ranks it on the year before."""
    def outcomes(site: Path) -> pd.DataFrame:
        files = sorted((site / "downloads" / "districts" / "D05" / "scorecard").glob("student-outcomes-*.csv"))
        return rows(files[0]).set_index("Indicator")

    before, after = outcomes(releases["first"]), outcomes(releases["second"])
    assert list(after.columns) == list(before.columns)
    assert before.loc["Chronically absent", "2023–24"] not in ("", "*")
    assert after.loc["Chronically absent", "2023–24"] == "*"
    assert after.loc["Chronically absent", "Peer percentile (0–100)"] == ""
    assert after.loc["Chronically absent", "2022–23"] == before.loc["Chronically absent", "2022–23"]
    page = (releases["second"] / "districts" / "D05" / "scorecard.html").read_text()
    assert "are not shown (*)" in page


def test_the_counts_three_withdrawn_students_moved_are_hidden_with_the_figures_resting_on_them(releases):
    """Three D03 students gone: r2 shows no D03 count they moved (tested, enrolled), and no share or mean resting on
    them; every count both releases show is equal or differs by at least `min_n`."""
    from districtstat.privacy.disclosure import STUDENT_COUNTS_FILE, count_key, read_student_counts

    first = read_student_counts(releases["first"] / STUDENT_COUNTS_FILE)
    second = read_student_counts(releases["second"] / STUDENT_COUNTS_FILE)
    both = [key for key in first if key in second and first[key] is not None and second[key] is not None]
    assert both and all(first[key] == second[key] or abs(first[key] - second[key]) >= MIN_N for key in both)
    moved = f"tested/D03/{YEAR}/MATH/ALL/ALL"
    assert first[moved] is not None and second[moved] is None
    size = count_key("enrolled", "D03", int(YEAR))
    assert first[size] is not None and second[size] is None, "enrollment moved by three: hidden, with the shares of its groups"
    consortium = rows(releases["second"] / "downloads" / "index" / "districts-of-the-consortium-latest-school-year.csv")
    hidden = consortium[consortium["Students"] == "*"]
    assert set(hidden["district_id"]) == {"D03", "D05"}, "D03 lost three students and D05 two; the other district 21"
    assert (hidden["% English learners"] == "*").all() and (hidden["Mean math score (points)"] == "*").all()
