"""Tennessee's Project STAR class-size experiment, kindergarten 1985-86 to third grade 1988-89 (`AER::STAR`), as
microdata contract files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from districtstat.data.real_data.source import _write, load_source

# --- Project STAR ----------------------------------------------------------------------------------

# STAR's suffix for each grade -> (grade code, spring school year): kindergarten was 1985-86.
STAR_GRADES = {"k": ("KG", 1986), "1": ("01", 1987), "2": ("02", 1988), "3": ("03", 1989)}
STAR_SEX = {"female": "F", "male": "M"}
STAR_RACE = {"cauc": "WH", "afam": "BL", "asian": "AS", "hispanic": "HI", "amindian": "AM", "other": "TR"}
STAR_LOCALE = {"inner-city": "city", "urban": "city", "suburban": "suburb", "rural": "rural"}
STAR_LOCALE_ORDER = ("city", "suburb", "town", "rural")  # breaks a tie in a system's locale
STAR_CLASS_PROGRAMS = {"small": "SMALL_CLASS", "regular+aide": "REGULAR_AIDE"}  # regular classes carry no program
STAR_SUBJECTS = {"ELA": "read", "MATH": "math"}
STAR_GRADE_SPAN = "K-3"  # the grades the study covers; the systems' full spans are not in the data
STAR_DEMOGRAPHICS = ("gender", "ethnicity", "birth")
QUARTER_MONTH = {"Q1": 1, "Q2": 4, "Q3": 7, "Q4": 10}



# --------------------------------------------------------------------------------------------------
# Tennessee Project STAR, 1985-86 to 1988-89: microdata
# --------------------------------------------------------------------------------------------------


def _system_id(code: pd.Series) -> pd.Series:
    return "SYS" + code.astype(int).astype(str).str.zfill(2)


def _school_id(code: pd.Series) -> pd.Series:
    return "SCH" + code.astype(int).astype(str).str.zfill(2)


def _student_id(rownames: pd.Series) -> pd.Series:
    return "STAR" + rownames.astype(int).astype(str).str.zfill(6)


def _birth_date(birth: pd.Series) -> pd.Series:
    """'1980 Q3' -> 1980-07-01: the first day of the birth quarter (the source keeps no finer date)."""
    parts = birth.str.extract(r"^(?P<year>\d{4}) (?P<quarter>Q[1-4])$")
    month = parts["quarter"].map(QUARTER_MONTH)
    text = parts["year"] + "-" + month.astype("Int64").astype("string").str.zfill(2) + "-01"
    return text.astype("string")


def _long(source: pd.DataFrame) -> pd.DataFrame:
    """One row per student and grade attended in a STAR school, with that year's variables."""
    pieces = []
    for suffix, (grade, year) in STAR_GRADES.items():
        year_rows = source[source[f"schoolid{suffix}"].notna()]
        pieces.append(
            pd.DataFrame(
                {
                    "rownames": year_rows["rownames"],
                    "school_year": year,
                    "grade": grade,
                    "system": year_rows[f"system{suffix}"],
                    "school": year_rows[f"schoolid{suffix}"],
                    "school_type": year_rows[f"school{suffix}"],
                    "class_type": year_rows[f"star{suffix}"],
                    "lunch": year_rows[f"lunch{suffix}"],
                    "read": year_rows[f"read{suffix}"],
                    "math": year_rows[f"math{suffix}"],
                }
            )
        )
    long = pd.concat(pieces, ignore_index=True)
    long["student_id"] = _student_id(long["rownames"])
    long["district_id"] = _system_id(long["system"])
    long["school_id"] = _school_id(long["school"])
    return long


def performance_cuts(source: pd.DataFrame | None = None) -> pd.DataFrame:
    """The quartiles that turn STAR scale scores into performance levels 1-4, by grade and subject.

    STAR's Stanford Achievement Test scores have no state cut scores, so levels are relative: the
    25th, 50th and 75th percentiles (linear interpolation) of every score in the whole source sample
    for that grade and subject, whether or not the student is written out. A score below the first
    cut is level 1, at or above it and below the second level 2, then 3, and at or above the third
    level 4. "Proficient" (levels 3 and 4) therefore means at or above the sample median, not a
    standard, and about half of the students are proficient by construction.
    """
    source = load_source("STAR") if source is None else source
    rows = []
    for suffix, (grade, year) in STAR_GRADES.items():
        for subject, column in STAR_SUBJECTS.items():
            scores = source[f"{column}{suffix}"].dropna().to_numpy(dtype=float)
            q1, q2, q3 = np.quantile(scores, [0.25, 0.5, 0.75])
            rows.append({"school_year": year, "grade": grade, "subject": subject, "n": len(scores), "cut_2": q1, "cut_3": q2, "cut_4": q3})
    return pd.DataFrame(rows)


def _levels(scores: np.ndarray, cuts: Sequence[float]) -> np.ndarray:
    return np.searchsorted(np.asarray(cuts, dtype=float), scores, side="right") + 1


def _system_locale(long: pd.DataFrame) -> pd.Series:
    """A system's locale: the locale of most of its student-years (STAR gives each school a type)."""
    counts = long.assign(locale=long["school_type"].map(STAR_LOCALE)).groupby(["district_id", "locale"]).size().rename("n").reset_index()
    counts["rank"] = counts["locale"].map({name: i for i, name in enumerate(STAR_LOCALE_ORDER)})
    counts = counts.sort_values(["district_id", "n", "rank"], ascending=[True, False, True], kind="stable")
    return counts.drop_duplicates("district_id").set_index("district_id")["locale"]


def star_tables(source: pd.DataFrame | None = None) -> tuple[dict[str, pd.DataFrame], dict]:
    """`AER::STAR` as microdata frames, and notes on the conversion.

    - districts: one per school system, `SYS` + its two-digit code, named "Tennessee system N",
      region Tennessee, grade span K-3 (the grades the study covers); locale from STAR's school type
      (inner-city and urban -> city, suburban -> suburb, rural -> rural), taking the locale of most of
      the system's student-years when its schools differ.
    - schools: `SCH` + the two-digit school id, in the system that runs it, level elementary.
    - students: `STAR` + the six-digit source row name, stable across versions of the data; sex and
      race/ethnicity recoded (cauc WH, afam BL, asian AS, hispanic HI, amindian AM, other TR); the
      birth date is the first day of the birth quarter.
    - enrollments: each grade the student attended in a STAR school, kindergarten in 1986 (1985-86)
      to third grade in 1989.
    - program_participation: SMALL_CLASS for a small class, REGULAR_AIDE for a regular class with a
      full-time aide (a regular class carries no program), ECODIS when the year's lunch variable says
      free lunch (unknown lunch status counts as not ECODIS).
    - assessments: ELA = reading, MATH = math, the scale score as given, performance levels from the
      quartiles of `performance_cuts`.

    181 students lack a sex, race/ethnicity or birth date; they are kept with those cells empty (the
    students contract allows unknown demographics), so every published STAR result is reproducible.
    """
    source = load_source("STAR") if source is None else source
    source = source.sort_values("rownames", kind="stable").reset_index(drop=True)
    incomplete = source[list(STAR_DEMOGRAPHICS)].isna().any(axis=1)
    cuts = performance_cuts(source)
    kept = source
    long = _long(kept)

    students = pd.DataFrame(
        {
            "student_id": _student_id(kept["rownames"]),
            "sex": kept["gender"].map(STAR_SEX),
            "race_ethnicity": kept["ethnicity"].map(STAR_RACE),
            "birth_date": _birth_date(kept["birth"].astype("string")),
        }
    )
    for column, source_column in (("sex", "gender"), ("race_ethnicity", "ethnicity")):
        unmapped = kept[source_column].notna() & students[column].isna()
        if unmapped.any():
            raise ValueError(f"STAR: unexpected {source_column} values {sorted(kept.loc[unmapped, source_column].unique())}")

    schools_long = long.drop_duplicates("school_id")
    if long.groupby("school_id")["district_id"].nunique().gt(1).any():
        raise ValueError("STAR: a school appears under more than one system")
    schools = pd.DataFrame(
        {
            "school_id": schools_long["school_id"],
            "district_id": schools_long["district_id"],
            "school_name": "Tennessee school " + schools_long["school"].astype(int).astype(str),
            "school_level": "elementary",
        }
    ).sort_values("school_id", kind="stable")

    locale = _system_locale(long)
    districts = pd.DataFrame({"district_id": locale.index})
    districts["district_name"] = "Tennessee system " + districts["district_id"].str[3:].str.lstrip("0")
    districts["region"] = "Tennessee"
    districts["locale"] = locale.to_numpy()
    districts["grade_span"] = STAR_GRADE_SPAN

    enrollments = long[["school_year", "student_id", "district_id", "school_id", "grade"]]

    programs = pd.concat(
        [
            long.loc[long["class_type"].isin(list(STAR_CLASS_PROGRAMS)), ["school_year", "student_id"]].assign(
                program_code=long["class_type"].map(STAR_CLASS_PROGRAMS)
            ),
            long.loc[long["lunch"] == "free", ["school_year", "student_id"]].assign(program_code="ECODIS"),
        ],
        ignore_index=True,
    )

    scored = []
    for subject, column in STAR_SUBJECTS.items():
        rows = long[long[column].notna()]
        scores = rows[column].to_numpy(dtype=float)
        levels = np.zeros(len(rows), dtype=int)
        for (year, grade), cut in cuts[cuts["subject"] == subject].groupby(["school_year", "grade"]):
            in_grade = (rows["grade"] == grade).to_numpy()
            levels[in_grade] = _levels(scores[in_grade], cut[["cut_2", "cut_3", "cut_4"]].iloc[0].to_numpy())
        scored.append(
            pd.DataFrame(
                {
                    "school_year": rows["school_year"],
                    "student_id": rows["student_id"],
                    "district_id": rows["district_id"],
                    "school_id": rows["school_id"],
                    "subject": subject,
                    "grade": rows["grade"],
                    "scale_score": rows[column].astype(int),  # whole numbers in the source
                    "performance_level": levels,
                }
            )
        )
    assessments = pd.concat(scored, ignore_index=True)

    order = lambda frame, keys: frame.sort_values(keys, kind="stable").reset_index(drop=True)  # noqa: E731
    tables = {
        "districts": order(districts, ["district_id"]),
        "schools": order(schools, ["school_id"]),
        "students": order(students, ["student_id"]),
        "enrollments": order(enrollments, ["school_year", "student_id"]),
        "program_participation": order(programs, ["school_year", "student_id", "program_code"]),
        "assessments": order(assessments, ["school_year", "student_id", "subject"]),
    }
    notes = {
        "dataset": "AER::STAR, Project STAR public access data (Tennessee, 1985-86 to 1988-89)",
        "source_students": len(source),
        "students_written": len(students),
        "incomplete_demographics": {
            "students": int(incomplete.sum()),
            "missing": {column: int(source[column].isna().sum()) for column in STAR_DEMOGRAPHICS},
            "handling": "kept with empty cells",
        },
        "performance_levels": {
            "rule": "quartiles of the whole source sample by grade and subject: below cut_2 level 1, "
            "then 2, 3, and level 4 at or above cut_4; proficient (3-4) means at or above the sample median",
            "cuts": cuts.to_dict(orient="records"),
        },
        "conversion": {
            "school_year": {suffix: year for suffix, (_, year) in STAR_GRADES.items()},
            "locale": STAR_LOCALE,
            "system_locale": "the locale of most of the system's student-years",
            "grade_span": f"{STAR_GRADE_SPAN}: the grades the study covers",
            "programs": STAR_CLASS_PROGRAMS | {"free lunch": "ECODIS"},
            "birth_date": "first day of the birth quarter",
            "not_in_source": ["attendance", "finance", "operations_kpis", "English learner and disability status"],
        },
    }
    return tables, notes


def write_star(out_dir: Path) -> Path:
    """Write Project STAR as microdata contract files; same source, same bytes. See `star_tables`."""
    tables, notes = star_tables()
    return _write(tables, notes, out_dir)
