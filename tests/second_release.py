"""Release r2 of the shared consortium, built once for every test that needs two releases: the attacker, the
browser and the second-release checks.

Between r1 and r2, as a consortium's next quarter would bring: three students leave one district, one student
leaves a district's hidden race groups, two chronically absent students leave another, one math score is corrected
upward across the proficiency cut (the attack on the example, issue: privacy across releases); an action is done and
a new one starts; a survey answer changes; a board sets a goal; and a second topic of the quarter adds a page that
r1 does not have.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

YEAR = "2024"
FIRST, LATEST = "r1", "r2"
UNCHANGED_DISTRICT = "D02"  # no student of it leaves and no score of it changes: the browser tests' district
NEW_GOAL = "districts:\n  D03:\n    goals:\n      mean_score_math: 520\n"
NEW_TOPIC = "  - id: chronic-absence\n    title: Chronic absence\n    indicators: [pct_chronic_absent]\n"
NEW_TOPIC_PAGE = "topics/chronic-absence.html"
DONE_ACTION = "Re-route the three routes with the most late arrivals (A2)"
NEW_ACTION = "Radio dispatch on every bus (N1)"


def rows(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def withdraw(data: Path, students: set[str]) -> None:
    """The students leave in the latest year: every yearly record of theirs in 2024 goes."""
    for name in ("enrollments", "assessments", "attendance", "program_participation"):
        frame = rows(data / f"{name}.csv")
        frame = frame[~((frame["school_year"] == YEAR) & frame["student_id"].isin(students))]
        frame.to_csv(data / f"{name}.csv", index=False, lineterminator="\n")


def leaving_hidden_groups(first_counts: pd.DataFrame, data: Path, avoid: set[str]) -> tuple[str, set[str]]:
    """The attacker's D10: a district whose 2024 math counts hide some race groups but show all students; one student
    of the hidden groups leaves, and ten of each of the two largest shown races, so that every shown race count
    moves by at least `min_n` while the hidden groups together lose one student."""
    tested = first_counts[(first_counts["measure"] == "tested") & (first_counts["school_year"] == YEAR) & (first_counts["subject"] == "MATH")]
    students, scores = rows(data / "students.csv"), rows(data / "assessments.csv")
    for district, counts in tested.groupby("district_id"):
        shown = dict(zip(counts["group"], counts["students"]))
        races = {g.removeprefix("RACE_"): v for g, v in shown.items() if g.startswith("RACE_")}
        hidden = [race for race, v in races.items() if v == "*"]
        largest = sorted((race for race, v in races.items() if v != "*"), key=lambda race: -float(races[race]))[:2]
        if district in avoid or shown.get("ALL", "*") == "*" or not hidden or len(largest) < 2 or float(races[largest[1]]) < 25:
            continue
        here = set(scores.loc[(scores["school_year"] == YEAR) & (scores["district_id"] == district) & (scores["subject"] == "MATH"), "student_id"])
        tested_here = students[students["student_id"].isin(here)]
        one = sorted(tested_here.loc[tested_here["race_ethnicity"].isin(hidden), "student_id"])[:1]
        if one:
            tens = [sorted(tested_here.loc[tested_here["race_ethnicity"] == race, "student_id"])[:10] for race in largest]
            return district, set(one).union(*tens)
    raise AssertionError("the first release hides no race group of a district that shows all its students")


def chronically_absent(data: Path, district: str, how_many: int) -> set[str]:
    attendance = rows(data / "attendance.csv")
    this = attendance[(attendance["school_year"] == YEAR) & (attendance["district_id"] == district)]
    absent = this[this["days_present"].astype(float) < 0.9 * this["days_enrolled"].astype(float)]
    return set(sorted(absent["student_id"])[:how_many])


def correct_a_score(data: Path, district: str) -> str:
    """One student's math score corrected from just under the proficiency cut to 42 points higher, level 3."""
    scores = rows(data / "assessments.csv")
    mine = scores[(scores["school_year"] == YEAR) & (scores["district_id"] == district) & (scores["subject"] == "MATH") & (scores["performance_level"] == "2")]
    at = mine.index[0]
    scores.loc[at, "scale_score"] = f"{float(scores.loc[at, 'scale_score']) + 42:.1f}"
    scores.loc[at, "performance_level"] = "3"
    scores.to_csv(data / "assessments.csv", index=False, lineterminator="\n")
    return scores.loc[at, "student_id"]


def update_plans_and_answers(data: Path) -> None:
    """One action done and a new one started; one district's survey answer changed from 19.9% to 12.5%."""
    plans = data / "actions.csv"
    text = plans.read_text(encoding="utf-8").replace("2024-03-31,in_progress", "2024-03-31,done")
    plans.write_text(text + "D04,N1,BUS_ON_TIME_PCT,Radio dispatch on every bus,Director of transportation,2024-08-15,2025-06-30,in_progress,\n", encoding="utf-8")
    answers = data / "surveys" / "transportation" / "D01.csv"
    answers.write_text(answers.read_text(encoding="utf-8").replace(",yes,19.9\n", ",yes,12.5\n"), encoding="utf-8")


def make_second_release(source: Path, source_params: Path, root: Path) -> dict:
    """r1 copied from `source` (without its build folder, so every notebook runs again), changed, and built as r2.

    Returns what the tests need to know of the scenario, as JSON-ready values."""
    from districtstat.cli import main

    shutil.copytree(source, root, ignore=shutil.ignore_patterns("build"))
    params = root / source_params.relative_to(source)
    data = root / "data" / "synthetic"
    first_counts = rows(root / "site" / FIRST / "downloads" / "student_counts.csv")
    enrolled = rows(data / "enrollments.csv")
    three = set(sorted(enrolled.loc[(enrolled["school_year"] == YEAR) & (enrolled["district_id"] == "D03"), "student_id"])[:3])
    one_district, leaving = leaving_hidden_groups(first_counts, data, avoid={"D03", "D05", "D07", UNCHANGED_DISTRICT})
    withdraw(data, three | leaving | chronically_absent(data, "D05", 2))
    corrected = correct_a_score(data, "D07")
    update_plans_and_answers(data)
    text = params.read_text(encoding="utf-8").replace(f"release: {FIRST}", f"release: {LATEST}")
    topics_end = text.index("\n", text.index("    survey: ")) + 1  # the first topic's last line
    params.write_text(text[:topics_end] + NEW_TOPIC + text[topics_end:] + NEW_GOAL, encoding="utf-8")
    assert main(["build", "--params", str(params), "--quiet", "--workers", "2"]) == 0
    return {"root": str(root), "params": str(params), "one_district": one_district, "corrected": corrected}


def scenario_paths(scenario: dict) -> dict:
    root = Path(scenario["root"])
    return scenario | {
        "root": root,
        "params": Path(scenario["params"]),
        "data": root / "data" / "synthetic",
        "first": root / "site" / FIRST,
        "second": root / "site" / LATEST,
    }


def write_scenario(scenario: dict, path: Path) -> None:
    path.write_text(json.dumps(scenario, indent=1, sort_keys=True), encoding="utf-8")


def read_scenario(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
