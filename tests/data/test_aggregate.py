"""aggregate.aggregate against answers worked out by hand or by a plain loop over the rows."""

import csv
import statistics
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

from districtstat.data import aggregate as ag
from districtstat.data.contracts import load_contracts, validate_dataset

ROOT = Path(__file__).parents[2]
VALID = ROOT / "tests" / "fixtures" / "contracts" / "valid"

# Dtypes of the typed tables validate_dataset hands on: integer -> Int64, number -> float64, string -> str, date -> datetime64[us].
DTYPES = {
    "districts": {"district_id": "str", "district_name": "str", "region": "str", "locale": "str", "grade_span": "str"},
    "students": {"student_id": "str", "sex": "str", "race_ethnicity": "str", "birth_date": "datetime64[us]"},
    "enrollments": {"school_year": "Int64", "student_id": "str", "district_id": "str", "school_id": "str", "grade": "str"},
    "program_participation": {"school_year": "Int64", "student_id": "str", "program_code": "str"},
    "attendance": {"school_year": "Int64", "student_id": "str", "district_id": "str", "days_enrolled": "Int64", "days_present": "Int64"},
    "assessments": {
        "school_year": "Int64", "student_id": "str", "district_id": "str", "school_id": "str", "subject": "str",
        "grade": "str", "scale_score": "float64", "performance_level": "Int64",
    },
    "finance": {
        "fiscal_year": "Int64", "district_id": "str", "school_id": "str", "fund_code": "str", "function_code": "str",
        "object_code": "str", "amount": "float64",
    },
}


def typed(entity, rows):
    columns = list(DTYPES[entity])
    return pd.DataFrame(rows, columns=columns).astype(DTYPES[entity])


@pytest.fixture(scope="module")
def fixture_tables():
    return validate_dataset(VALID, load_contracts(ROOT / "data_contracts")).tables


@pytest.fixture(scope="module")
def fixture_out(fixture_tables):
    return ag.aggregate(fixture_tables)


# --- A small hand-made consortium --------------------------------------------------------------
#
# D01, 2024, MATH (one school S1):
#   id  sex race grade score level  programs            days present/enrolled
#   A   F   HI   04    400   2      EL                  160/180 = 0.889 -> chronic
#   B   M   HI   04    450   3      EL ECODIS           162/180 = 0.900 -> NOT chronic (boundary)
#   C   F   WH   05    500   3      ECODIS              180/180
#   D   M   WH   05    550   4      -                   100/180 -> chronic
#   E   F   BL   05    350   1      EL ECODIS SWD       170/180
# D01, 2023: A (SWD) and B (EL) enrolled; B 100/180 chronic.  C has a 2023 EL record but no 2023 enrollment.
# D02, 2024: F (M, HI, grade 04, 600, level 4), no programs, 180/180.

STUDENTS = {"A": ("F", "HI"), "B": ("M", "HI"), "C": ("F", "WH"), "D": ("M", "WH"), "E": ("F", "BL"), "F": ("M", "HI"), "G": ("F", "WH")}
MATH_2024_D01 = {  # id: (grade, score, level)
    "A": ("04", 400.0, 2),
    "B": ("04", 450.0, 3),
    "C": ("05", 500.0, 3),
    "D": ("05", 550.0, 4),
    "E": ("05", 350.0, 1),
}
PROGRAMS_2024 = {"A": ["EL"], "B": ["EL", "ECODIS"], "C": ["ECODIS"], "E": ["EL", "ECODIS", "SWD"]}


def hand_tables():
    return {
        "districts": typed("districts", [("D01", "One", "North", "city", "K-12"), ("D02", "Two", "South", "rural", "K-8")]),
        "students": typed("students", [(sid, sex, race, "2013-01-01") for sid, (sex, race) in STUDENTS.items()]),
        "enrollments": typed(
            "enrollments",
            [(2024, sid, "D01", "S1", grade) for sid, (grade, _, _) in MATH_2024_D01.items()]
            + [(2024, "F", "D02", "S2", "04"), (2023, "A", "D01", "S1", "03"), (2023, "B", "D01", "S1", "03")],
        ),
        "program_participation": typed(
            "program_participation",
            [(2024, sid, code) for sid, codes in PROGRAMS_2024.items() for code in codes]
            + [(2023, "A", "SWD"), (2023, "B", "EL"), (2023, "C", "EL")],
        ),
        "attendance": typed(
            "attendance",
            [
                (2024, "A", "D01", 180, 160), (2024, "B", "D01", 180, 162), (2024, "C", "D01", 180, 180),
                (2024, "D", "D01", 180, 100), (2024, "E", "D01", 180, 170), (2024, "F", "D02", 180, 180),
                (2023, "A", "D01", 180, 180), (2023, "B", "D01", 180, 100),
            ],
        ),
        "assessments": typed(
            "assessments",
            [(2024, sid, "D01", "S1", "MATH", grade, score, level) for sid, (grade, score, level) in MATH_2024_D01.items()]
            + [(2024, "F", "D02", "S2", "MATH", "04", 600.0, 4)],
        ),
        "finance": typed(
            "finance",
            [
                (2024, "D01", None, "GENERAL", "1000", "100", 600000.0),  # instruction
                (2024, "D01", None, "GENERAL", "2100", "200", 100000.0),  # benefits (object 200 beats function 2100)
                (2024, "D01", None, "GENERAL", "2300", "200", 5000.0),  # benefits, not administration
                (2024, "D01", None, "GENERAL", "2300", "100", 50000.0),  # administration
                (2024, "D01", None, "GENERAL", "2400", "100", 30000.0),  # administration
                (2024, "D01", None, "GENERAL", "2500", "300", 20000.0),  # administration
                (2024, "D01", "S1", "SPECIAL_REVENUE", "1000", "560", 40000.0),  # out-of-district placements
                (2024, "D01", None, "GENERAL", "2700", "560", 10000.0),  # out-of-district placements
                (2023, "D01", None, "GENERAL", "1000", "100", 999999.0),  # another fiscal year
                (2024, "D02", None, "GENERAL", "1000", "100", 12000.0),
            ],
        ),
    }


@pytest.fixture(scope="module")
def hand():
    return ag.aggregate(hand_tables())


@pytest.fixture(scope="module")
def hand_crossed():
    return ag.aggregate(hand_tables(), intersections=[["EL", "ECODIS"], ["RACE_HI", "EL"], ["EL", "NO_SUCH_GROUP"]])


def outcome(outcomes, subgroup, *, district="D01", year=2024, subject="MATH", grade="ALL"):
    rows = outcomes[
        (outcomes["school_year"] == year) & (outcomes["district_id"] == district) & (outcomes["subject"] == subject)
        & (outcomes["grade"] == grade) & (outcomes["subgroup"] == subgroup)
    ]
    assert len(rows) == 1, f"expected one row for {subgroup} {district} {year} {subject} {grade}, found {len(rows)}"
    return rows.iloc[0]


def profile_row(profile, year, district):
    rows = profile[(profile["school_year"] == year) & (profile["district_id"] == district)]
    assert len(rows) == 1
    return rows.iloc[0]


# --- district_profile ----------------------------------------------------------------------------


def read_csv(name):
    with open(VALID / f"{name}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_district_profile_on_the_fixture_matches_a_plain_loop_over_the_csv_rows(fixture_out):
    enrolled = defaultdict(set)
    for row in read_csv("enrollments"):
        enrolled[(int(row["school_year"]), row["district_id"])].add(row["student_id"])
    programs = defaultdict(set)
    for row in read_csv("program_participation"):
        programs[(int(row["school_year"]), row["program_code"])].add(row["student_id"])
    chronic = {
        (int(row["school_year"]), row["student_id"]) for row in read_csv("attendance") if int(row["days_present"]) * 10 < int(row["days_enrolled"]) * 9
    }
    spent = defaultdict(float)
    for row in read_csv("finance"):
        spent[(int(row["fiscal_year"]), row["district_id"])] += float(row["amount"])

    profile = fixture_out["district_profile"]

    assert len(profile) == len(enrolled)
    for (year, district), ids in enrolled.items():
        row = profile_row(profile, year, district)
        assert row["enrollment"] == len(ids)
        for code, column in (("ECODIS", "pct_ecodis"), ("EL", "pct_el"), ("SWD", "pct_swd")):
            assert row[column] == pytest.approx(round(100 * len(ids & programs[(year, code)]) / len(ids), 2))
        assert row["pct_chronic_absent"] == pytest.approx(round(100 * sum((year, s) in chronic for s in ids) / len(ids), 2))
        assert row["per_pupil_spending"] == pytest.approx(round(spent[(year, district)] / len(ids), 2))


def test_district_profile_on_the_fixture_known_values(fixture_out):
    profile = fixture_out["district_profile"]
    d1 = profile_row(profile, 2024, "D001")
    d2 = profile_row(profile, 2024, "D002")
    assert (d1["enrollment"], d2["enrollment"]) == (3, 2)
    assert (d1["pct_el"], d1["pct_ecodis"], d1["pct_swd"]) == pytest.approx((33.33, 33.33, 33.33))
    assert (d2["pct_el"], d2["pct_ecodis"], d2["pct_swd"]) == pytest.approx((0, 0, 0))
    # ST0002 158/180 and ST0004 149/180 are below 90%
    assert (d1["pct_chronic_absent"], d2["pct_chronic_absent"]) == pytest.approx((33.33, 50.0))
    # (1,250,000 + 310,000.50 + 85,000) / 3 and (42,000 + 120,500) / 2
    assert (d1["per_pupil_spending"], d2["per_pupil_spending"]) == pytest.approx((548333.5, 81250.0))


def test_district_profile_counts_programs_of_enrolled_students_in_that_year_only(hand):
    profile = hand["district_profile"]
    now = profile_row(profile, 2024, "D01")
    assert now["enrollment"] == 5
    assert (now["pct_el"], now["pct_ecodis"], now["pct_swd"]) == pytest.approx((60.0, 60.0, 20.0))
    before = profile_row(profile, 2023, "D01")
    assert before["enrollment"] == 2
    # 2023: A is SWD, B is EL; C's 2023 EL record does not count because C was not enrolled in 2023
    assert (before["pct_el"], before["pct_ecodis"], before["pct_swd"]) == pytest.approx((50.0, 0.0, 50.0))
    other = profile_row(profile, 2024, "D02")
    assert (other["enrollment"], other["pct_el"]) == (1, 0.0)


def test_chronic_absence_is_strictly_below_ninety_percent_of_enrolled_days(hand):
    profile = hand["district_profile"]
    # 2024: A (160/180) and D (100/180) are chronic; B at exactly 162/180 = 90% is not
    assert profile_row(profile, 2024, "D01")["pct_chronic_absent"] == pytest.approx(40.0)
    assert profile_row(profile, 2023, "D01")["pct_chronic_absent"] == pytest.approx(50.0)

    tables = hand_tables()
    attendance = tables["attendance"].copy()
    attendance.loc[(attendance["school_year"] == 2024) & (attendance["student_id"] == "B"), "days_present"] = 161
    profile = ag.aggregate({**tables, "attendance": attendance})["district_profile"]
    assert profile_row(profile, 2024, "D01")["pct_chronic_absent"] == pytest.approx(60.0)


@pytest.mark.parametrize(("enrolled", "present", "chronic"), [(10, 9, False), (180, 162, False), (90, 81, False), (180, 161, True), (10, 8, True)])
def test_attendance_flags_boundary(enrolled, present, chronic):
    attendance = typed("attendance", [(2024, "A", "D01", enrolled, present)])
    assert bool(ag.attendance_flags(attendance)["CHRONIC_ABSENT"].iloc[0]) is chronic


def test_per_pupil_spending_uses_only_the_fiscal_year_equal_to_the_school_year(hand):
    profile = hand["district_profile"]
    # 2024 D01 ledger: 600,000 + 100,000 + 5,000 + 50,000 + 30,000 + 20,000 + 40,000 + 10,000 = 855,000 over 5 pupils
    assert profile_row(profile, 2024, "D01")["per_pupil_spending"] == pytest.approx(171000.0)
    assert profile_row(profile, 2023, "D01")["per_pupil_spending"] == pytest.approx(499999.5)
    assert profile_row(profile, 2024, "D02")["per_pupil_spending"] == pytest.approx(12000.0)


# --- subgroup_outcomes ---------------------------------------------------------------------------


def expected_stats(ids):
    scores = [MATH_2024_D01[s][1] for s in ids]
    levels = [MATH_2024_D01[s][2] for s in ids]
    return {
        "n": len(ids),
        "mean_score": statistics.mean(scores),
        "sd_score": statistics.stdev(scores) if len(ids) > 1 else None,
        "pct_proficient": 100 * sum(level >= 3 for level in levels) / len(ids),
    }


def assert_stats(row, ids):
    want = expected_stats(ids)
    assert row["n"] == want["n"]
    assert row["mean_score"] == pytest.approx(want["mean_score"])
    if want["sd_score"] is None:
        assert pd.isna(row["sd_score"])
    else:
        assert row["sd_score"] == pytest.approx(want["sd_score"])
    assert row["pct_proficient"] == pytest.approx(want["pct_proficient"])


@pytest.mark.parametrize(
    ("subgroup", "ids"),
    [
        ("ALL", "ABCDE"),
        ("RACE_HI", "AB"),
        ("NOT_RACE_HI", "CDE"),
        ("EL", "ABE"),
        ("NOT_EL", "CD"),
        ("ECODIS", "BCE"),
        ("SEX_F", "ACE"),
        ("CHRONIC_ABSENT", "AD"),  # B sits exactly on 90% and is not chronically absent
        ("NOT_CHRONIC_ABSENT", "BCE"),
    ],
)
def test_subgroup_outcomes_all_grades(subgroup, ids, hand):
    outcomes = hand["subgroup_outcomes"]
    assert_stats(outcome(outcomes, subgroup), list(ids))


def test_subgroup_outcomes_known_numbers_worked_by_hand(hand):
    outcomes = hand["subgroup_outcomes"]
    everyone = outcome(outcomes, "ALL")
    # scores 400 450 500 550 350: mean 450, squared deviations 2500+0+2500+10000+10000 = 25000, /4 = 6250
    assert (everyone["n"], everyone["mean_score"]) == (5, 450.0)
    assert everyone["sd_score"] == pytest.approx(6250**0.5)
    assert everyone["pct_proficient"] == pytest.approx(60.0)  # levels 2 3 3 4 1
    el = outcome(outcomes, "EL")  # 400 450 350
    assert (el["n"], el["mean_score"], el["sd_score"]) == (3, 400.0, pytest.approx(50.0))
    assert el["pct_proficient"] == pytest.approx(100 / 3)


def test_subgroup_outcomes_single_grade_differs_from_all_grades(hand):
    outcomes = hand["subgroup_outcomes"]
    assert_stats(outcome(outcomes, "ALL", grade="04"), ["A", "B"])
    assert_stats(outcome(outcomes, "ALL", grade="05"), ["C", "D", "E"])
    assert_stats(outcome(outcomes, "EL", grade="05"), ["E"])
    assert_stats(outcome(outcomes, "NOT_RACE_HI", grade="05"), ["C", "D", "E"])


def test_subgroup_outcomes_keep_districts_apart(hand):
    outcomes = hand["subgroup_outcomes"]
    other = outcome(outcomes, "ALL", district="D02")
    assert (other["n"], other["mean_score"], other["pct_proficient"]) == (1, 600.0, 100.0)
    assert pd.isna(other["sd_score"])
    assert outcome(outcomes, "RACE_HI", district="D02")["n"] == 1


def test_each_group_and_its_complement_partition_all_students(hand):
    outcomes = hand["subgroup_outcomes"]
    n = {(r.school_year, r.district_id, r.subject, r.grade, r.subgroup): r.n for r in outcomes.itertuples()}
    groups = {key[4] for key in n if not key[4].startswith("NOT_") and key[4] != "ALL"}
    assert {"EL", "ECODIS", "SWD", "CHRONIC_ABSENT", "RACE_HI", "SEX_F"} <= groups
    checked = 0
    for (year, district, subject, grade, code), count in n.items():
        if code in groups:
            complement = n.get((year, district, subject, grade, "NOT_" + code), 0)
            assert count + complement == n[(year, district, subject, grade, "ALL")], (code, district, grade)
            checked += 1
    assert checked > 10


def test_subgroup_outcomes_on_the_fixture_match_a_plain_loop(fixture_out):
    outcomes = fixture_out["subgroup_outcomes"]
    rows = [r for r in read_csv("assessments") if r["district_id"] == "D001" and r["subject"] == "ELA"]
    scores = [float(r["scale_score"]) for r in rows]  # ST0001 512.5 level 3, ST0002 455 level 2
    row = outcome(outcomes, "ALL", district="D001", subject="ELA")
    assert row["n"] == len(rows) == 2
    assert row["mean_score"] == pytest.approx(statistics.mean(scores))
    assert row["sd_score"] == pytest.approx(statistics.stdev(scores))
    assert row["pct_proficient"] == pytest.approx(50.0)
    el = outcome(outcomes, "EL", district="D001", subject="ELA")  # ST0001 only
    assert (el["n"], el["mean_score"]) == (1, 512.5)


def test_assessed_student_without_an_enrollment_row_is_not_counted_in_every_program():
    """G took the test in 2024 but has no 2024 enrollment and no program records: G is not EL, ECODIS or SWD."""
    tables = hand_tables()
    extra = typed("assessments", [(2024, "G", "D01", "S1", "MATH", "05", 300.0, 1)])
    tables["assessments"] = pd.concat([tables["assessments"], extra], ignore_index=True)
    outcomes = ag.aggregate(tables)["subgroup_outcomes"]
    assert outcome(outcomes, "EL")["n"] == 3  # A B E
    assert outcome(outcomes, "ECODIS")["n"] == 3  # B C E
    assert outcome(outcomes, "SWD")["n"] == 1  # E


# --- intersections and labels --------------------------------------------------------------------


def test_intersection_el_by_ecodis_counts_students_in_both(hand_crossed, hand):
    outcomes = hand_crossed["subgroup_outcomes"]
    assert_stats(outcome(outcomes, "EL_X_ECODIS"), ["B", "E"])
    assert_stats(outcome(outcomes, "EL_X_ECODIS", grade="05"), ["E"])
    assert "EL_X_ECODIS" not in set(hand["subgroup_outcomes"]["subgroup"])


def test_intersection_with_a_race_group_and_unknown_parts_skipped(hand_crossed):
    outcomes = hand_crossed["subgroup_outcomes"]
    assert_stats(outcome(outcomes, "RACE_HI_X_EL"), ["A", "B"])
    assert not outcomes["subgroup"].str.contains("NO_SUCH_GROUP").any()


def test_intersection_masks_directly():
    frame = pd.DataFrame({"EL": [True, True, False, False], "ECODIS": [True, False, True, False]})
    masks = {"EL": frame["EL"], "ECODIS": frame["ECODIS"]}
    crossed = ag.intersection_masks(frame, masks, [["EL", "ECODIS"]])
    assert list(crossed) == ["EL_X_ECODIS"]
    assert crossed["EL_X_ECODIS"].tolist() == [True, False, False, False]
    assert masks["EL"].tolist() == [True, True, False, False]  # the parts are left as they were


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("ALL", "All students"),
        ("RACE_HI", "Hispanic/Latino"),
        ("RACE_WH", "White"),
        ("SEX_X", "Nonbinary"),
        ("EL", "English learners"),
        ("NOT_EL", "All but English learners"),
        ("NOT_RACE_BL", "All but Black or African American"),
        ("CHRONIC_ABSENT", "Chronically absent"),
        ("EL_X_ECODIS", "English learners × Economically disadvantaged"),
    ],
)
def test_subgroup_label(code, label):
    assert ag.subgroup_label(code) == label


@pytest.mark.parametrize(
    ("code", "label"),
    [("RACE_HI_X_EL", "Hispanic/Latino × English learners"), ("SEX_F_X_ECODIS", "Female × Economically disadvantaged")],
)
def test_subgroup_label_of_an_intersection_that_starts_with_a_race_or_sex_group(code, label):
    assert ag.subgroup_label(code) == label


# --- finance_by_function -------------------------------------------------------------------------


def test_finance_by_function_categories_per_pupil_and_share(hand):
    spending = hand["finance_by_function"]
    d01 = spending[(spending["school_year"] == 2024) & (spending["district_id"] == "D01")].set_index("category")
    expected = {
        "instruction": 600000.0,
        "benefits": 105000.0,  # object 200, whatever the function (2100 and 2300)
        "administration": 100000.0,  # functions 2300, 2400 and 2500
        "out_of_district_placements": 50000.0,  # object 560, under function 1000 and 2700
    }
    assert dict(d01["amount"]) == pytest.approx(expected)
    total = sum(expected.values())  # 855,000
    for category, amount in expected.items():
        assert d01.loc[category, "per_pupil"] == pytest.approx(round(amount / 5, 2))
        assert d01.loc[category, "share"] == pytest.approx(round(100 * amount / total, 2))
    assert d01.loc["administration", "category_label"] == "Administration"
    assert d01.loc["out_of_district_placements", "category_label"] == "Out-of-district placements"
    assert d01["share"].sum() == pytest.approx(100, abs=0.05)

    d01_2023 = spending[(spending["school_year"] == 2023) & (spending["district_id"] == "D01")]
    assert d01_2023[["category", "amount", "per_pupil", "share"]].values.tolist() == [["instruction", 999999.0, 499999.5, 100.0]]


def test_finance_by_function_on_the_fixture(fixture_out):
    spending = fixture_out["finance_by_function"]
    got = {(r.district_id, r.category): (r.amount, r.per_pupil) for r in spending.itertuples()}
    assert got == {
        ("D001", "instruction"): (1250000.0, pytest.approx(416666.67)),
        ("D001", "administration"): (310000.5, pytest.approx(103333.5)),
        ("D001", "other"): (85000.0, pytest.approx(28333.33)),
        ("D002", "out_of_district_placements"): (42000.0, 21000.0),  # function 1000, object 560
        ("D002", "transportation"): (120500.0, 60250.0),
    }


def test_no_finance_gives_an_empty_spending_table_and_no_per_pupil_spending():
    tables = {k: v for k, v in hand_tables().items() if k != "finance"}
    out = ag.aggregate(tables)
    assert out["finance_by_function"].empty
    assert out["district_profile"]["per_pupil_spending"].isna().all()


# --- public aggregate data -----------------------------------------------------------------------


def test_public_aggregate_tables_pass_through_unchanged():
    districts = typed("districts", [("D02", "Two", "South", "rural", "K-8"), ("D01", "One", "North", "city", "K-12")])
    profile = pd.DataFrame(
        {"school_year": [2024, 2024], "district_id": ["D01", "D02"], "enrollment": [1000, 400], "pct_ecodis": [40.0, 55.5]}
    ).astype({"school_year": "Int64", "district_id": "str", "enrollment": "Int64"})
    outcomes = pd.DataFrame(
        {
            "school_year": [2024, 2024, 2024], "district_id": ["D01", "D01", "D02"], "subject": ["MATH", "MATH", "MATH"],
            "grade": ["ALL", "ALL", "ALL"], "subgroup": ["ALL", "EL", "ALL"], "n": [900, 100, 350],
            "mean_score": [501.0, 470.0, 480.0], "sd_score": [50.0, 45.0, 48.0], "pct_proficient": [55.0, 30.0, 44.0],
        }
    ).astype({"school_year": "Int64", "n": "Int64"})
    before = (profile.copy(), outcomes.copy())

    out = ag.aggregate({"districts": districts, "district_profile": profile, "subgroup_outcomes": outcomes})

    pd.testing.assert_frame_equal(out["district_profile"], before[0])
    pd.testing.assert_frame_equal(out["subgroup_outcomes"], before[1])
    assert out["districts"]["district_id"].tolist() == ["D01", "D02"]
    assert out["finance_by_function"].empty
    assert out["school_profile"].empty
    indicators = out["district_indicators"].set_index("district_id")
    assert indicators.loc["D01", "mean_score_math"] == 501.0  # the ALL row, not the EL row
    assert indicators.loc["D02", "pct_proficient_math"] == 44.0
    assert indicators.loc["D01", "district_name"] == "One"
