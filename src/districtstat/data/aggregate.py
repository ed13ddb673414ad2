"""Microdata become the analysis tables: district and school profiles, subgroup outcomes, spending by function.

A dataset that provides `district_profile` and `subgroup_outcomes` directly (public aggregate data) skips
the microdata step; its files pass through unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from districtstat.data.spool import SpooledTable, as_frame

CHRONIC_ABSENCE_THRESHOLD = 0.90
PROFICIENT_LEVEL = 3
NEED_PROGRAMS = {"ECODIS": "pct_ecodis", "EL": "pct_el", "SWD": "pct_swd"}
DISTRICT_KEYS = ["school_year", "district_id"]
SCHOOL_KEYS = [*DISTRICT_KEYS, "school_id"]

RACE_LABELS = {
    "HI": "Hispanic/Latino",
    "AM": "American Indian or Alaska Native",
    "AS": "Asian",
    "BL": "Black or African American",
    "PI": "Native Hawaiian or Pacific Islander",
    "WH": "White",
    "TR": "Two or more races",
}
PROGRAM_LABELS = {
    "EL": "English learners",
    "SWD": "Students with disabilities",
    "ECODIS": "Economically disadvantaged",
    "TITLE1": "Title I services",
    "GIFTED": "Gifted and talented",
    "HOMELESS": "Experiencing homelessness",
    "MIGRANT": "Migrant",
    "FOSTER": "In foster care",
    "SMALL_CLASS": "Small class",
    "REGULAR_AIDE": "Regular class with aide",
    "CHRONIC_ABSENT": "Chronically absent",
}
SEX_LABELS = {"F": "Female", "M": "Male", "X": "Nonbinary"}

SPENDING_CATEGORIES = {
    "instruction": "Instruction",
    "student_support": "Student support",
    "instructional_staff": "Instructional staff support",
    "administration": "Administration",
    "operations_maintenance": "Operations and maintenance",
    "transportation": "Transportation",
    "benefits": "Employee benefits",
    "out_of_district_placements": "Out-of-district placements",
    "other": "Other support and food services",
}
FUNCTION_CATEGORY = {
    "1000": "instruction",
    "2100": "student_support",
    "2200": "instructional_staff",
    "2300": "administration",
    "2400": "administration",
    "2500": "administration",
    "2600": "operations_maintenance",
    "2700": "transportation",
    "2900": "other",
    "3100": "other",
}


def latest_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of the latest school year in a table: the year a release reports on."""
    return table[table["school_year"] == table["school_year"].max()]


def subgroup_label(code: str) -> str:
    """The words a board member reads for a subgroup code (`NOT_EL` -> `All but English learners`)."""
    if code == "ALL":
        return "All students"
    if "_X_" in code:
        return " × ".join(subgroup_label(part) for part in code.split("_X_"))
    if code.startswith("RACE_"):
        return RACE_LABELS.get(code[5:], code[5:])
    if code.startswith("SEX_"):
        return SEX_LABELS.get(code[4:], code[4:])
    if code.startswith("NOT_"):
        return "All but " + subgroup_label(code[4:])
    return PROGRAM_LABELS.get(code, code.replace("_", " ").title())


def program_flags(enrollments: pd.DataFrame, program_participation: pd.DataFrame | None, program_codes: list[str] | None = None) -> pd.DataFrame:
    """One boolean column per program for every enrolled student-year.

    `program_codes` are the programs the whole dataset records (default: those in `program_participation`); a part
    of a state read apart passes the whole state's, so a program none of its students is in still reads false."""
    keys = enrollments[["school_year", "student_id"]].drop_duplicates()
    if program_codes is None:
        recorded = program_participation is not None and not program_participation.empty
        program_codes = sorted(program_participation["program_code"].dropna().unique()) if recorded else []
    if not program_codes:
        return keys.assign(**{code: pd.Series(pd.NA, index=keys.index, dtype="boolean") for code in NEED_PROGRAMS})
    if program_participation is not None and not program_participation.empty:
        wide = (
            program_participation.assign(flag=True)
            .pivot_table(index=["school_year", "student_id"], columns="program_code", values="flag", aggfunc="any", fill_value=False)
            .reset_index()
        )
        wide.columns.name = None
        flags = keys.merge(wide, on=["school_year", "student_id"], how="left")
    else:
        flags = keys.copy()
    for code in sorted(set(program_codes) | set(NEED_PROGRAMS)):
        # A program the dataset never records is unknown, not zero: STAR has no English learner flag.
        if code not in program_codes:
            flags[code] = pd.Series(pd.NA, index=flags.index, dtype="boolean")
        else:
            flags[code] = flags[code].fillna(False).astype(bool) if code in flags else pd.Series(False, index=flags.index)
    return flags


def attendance_flags(attendance: pd.DataFrame | None) -> pd.DataFrame | None:
    """Chronic absence: present on fewer than 90% of enrolled days."""
    if attendance is None or attendance.empty:
        return None
    rate = attendance["days_present"].astype(float) / attendance["days_enrolled"].astype(float)
    return attendance[["school_year", "student_id"]].assign(
        attendance_rate=rate.to_numpy(), CHRONIC_ABSENT=(rate < CHRONIC_ABSENCE_THRESHOLD).to_numpy()
    )


def student_year(tables: dict[str, pd.DataFrame], program_codes: list[str] | None = None, attendance_recorded: bool | None = None) -> pd.DataFrame:
    """Every enrolled student-year with demographics, program flags and chronic absence.

    `program_codes` and `attendance_recorded` say what the whole dataset records, for a part of it read apart."""
    enrollments = tables["enrollments"]
    frame = enrollments.merge(tables["students"][["student_id", "sex", "race_ethnicity"]], on="student_id", how="left")
    frame = frame.merge(program_flags(enrollments, tables.get("program_participation"), program_codes), on=["school_year", "student_id"], how="left")
    absence = attendance_flags(tables.get("attendance"))
    if absence is None and attendance_recorded:
        absence = pd.DataFrame({"school_year": enrollments["school_year"].iloc[:0], "student_id": enrollments["student_id"].iloc[:0], "attendance_rate": pd.Series(dtype=float), "CHRONIC_ABSENT": pd.Series(dtype=bool)})
    if absence is not None:
        frame = frame.merge(absence, on=["school_year", "student_id"], how="left")
        frame["CHRONIC_ABSENT"] = frame["CHRONIC_ABSENT"].astype("boolean")  # unknown without an attendance record
    return frame


def _share(frame: pd.DataFrame, keys: list[str], flag: str) -> pd.Series:
    return frame.groupby(keys, sort=True)[flag].mean().mul(100).round(2)


def profile_table(tables: dict[str, pd.DataFrame], students: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per district or per school (by `keys`): size, needs and spending per pupil.

    A school's spending is what the ledger charges to the school, so district-wide spending is left out.
    """
    finance = tables.get("finance")
    spending = pd.Series(dtype=float)
    if finance is not None and not finance.empty:
        spending = finance.rename(columns={"fiscal_year": "school_year"}).dropna(subset=keys).groupby(keys, sort=True)["amount"].sum()
    result = students.groupby(keys, sort=True).size().rename("enrollment").to_frame()
    for code, column in NEED_PROGRAMS.items():
        result[column] = _share(students, keys, code)
    if "CHRONIC_ABSENT" in students:
        result["pct_chronic_absent"] = _share(students, keys, "CHRONIC_ABSENT")
    result["per_pupil_spending"] = (spending.reindex(result.index) / result["enrollment"]).round(2)
    result["enrollment"] = result["enrollment"].astype("Int64")
    return result.reset_index()


def subgroup_codes(frame: pd.DataFrame) -> dict[str, list[str]]:
    """The race, sex and program codes a frame of students holds: the groups `subgroup_masks` makes."""
    return {
        "race_ethnicity": sorted(frame["race_ethnicity"].dropna().unique()),
        "sex": sorted(frame["sex"].dropna().unique()),
        "flags": sorted(c for c in frame.columns if c in PROGRAM_LABELS and frame[c].eq(True).any()),
    }


def subgroup_masks(frame: pd.DataFrame, codes: dict[str, list[str]] | None = None) -> dict[str, pd.Series]:
    """Every reportable group and its complement, as boolean masks over the rows.

    `codes` (default: the frame's own, `subgroup_codes`) decide the groups: a part of a state read apart passes the
    whole state's, so a group none of its students is in still has its complement."""
    codes = codes or subgroup_codes(frame)
    masks: dict[str, pd.Series] = {"ALL": pd.Series(True, index=frame.index)}
    for column, prefix in (("race_ethnicity", "RACE_"), ("sex", "SEX_")):
        for code in codes[column]:
            masks[f"{prefix}{code}"] = frame[column] == code
            masks[f"NOT_{prefix}{code}"] = frame[column].notna() & (frame[column] != code)
    for code in codes["flags"]:
        masks[code] = frame[code].eq(True)
        # Without a record (no attendance, or tested without an enrollment) a student is in neither group.
        masks[f"NOT_{code}"] = frame[code].eq(False) if code == "CHRONIC_ABSENT" else ~frame[code].eq(True)
    return masks


def intersection_masks(frame: pd.DataFrame, masks: dict[str, pd.Series], intersections: list[list[str]]) -> dict[str, pd.Series]:
    """Groups at the crossing of two or more others, as params name them (e.g. EL × ECODIS)."""
    crossed = {}
    for parts in intersections:
        if all(part in masks for part in parts):
            mask = pd.Series(True, index=frame.index)
            for part in parts:
                mask &= masks[part]
            crossed["_X_".join(parts)] = mask
    return crossed


def _outcome_stats(scores: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    grouped = scores.groupby(keys, sort=True, observed=True)
    stats = grouped["scale_score"].agg(n="size", mean_score="mean", sd_score="std")
    stats["pct_proficient"] = grouped["proficient"].mean() * 100
    return stats.reset_index()


def scored_students(assessments: pd.DataFrame, students: pd.DataFrame) -> pd.DataFrame:
    """Every test taken, with what `student_year` knows of the student that year and whether it was proficient."""
    student_cols = [c for c in students.columns if c not in ("district_id", "school_id", "grade")]
    scores = assessments.merge(students[student_cols], on=["school_year", "student_id"], how="left")
    scores["proficient"] = scores["performance_level"] >= PROFICIENT_LEVEL
    scores["scale_score"] = scores["scale_score"].astype(float)
    return scores


OUTCOME_COLUMNS = ["school_year", "district_id", "subject", "grade", "subgroup", "n", "mean_score", "sd_score", "pct_proficient"]


def outcomes_of(scores: pd.DataFrame, intersections: list[list[str]] | None = None, codes: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """n, mean, SD and percent proficient per district, year, subject, grade and group of `scored_students`."""
    masks = subgroup_masks(scores, codes)
    masks.update(intersection_masks(scores, masks, intersections or []))
    pieces = []
    for code, mask in masks.items():
        members = scores[mask.fillna(False).to_numpy()]
        by_grade = _outcome_stats(members, ["school_year", "district_id", "subject", "grade"])
        all_grades = _outcome_stats(members, ["school_year", "district_id", "subject"]).assign(grade="ALL")
        pieces.append(pd.concat([all_grades, by_grade], ignore_index=True).assign(subgroup=code))
    outcomes = pd.concat(pieces, ignore_index=True)
    outcomes["n"] = outcomes["n"].astype("Int64")
    return sorted_outcomes(outcomes)


def sorted_outcomes(outcomes: pd.DataFrame) -> pd.DataFrame:
    return outcomes[OUTCOME_COLUMNS].sort_values(OUTCOME_COLUMNS[:5], kind="stable").reset_index(drop=True)


def subgroup_outcomes(tables: dict[str, pd.DataFrame], students: pd.DataFrame, intersections: list[list[str]] | None = None) -> pd.DataFrame:
    """n, mean, SD and percent proficient for every district, year, subject, grade and group."""
    return outcomes_of(scored_students(tables["assessments"], students), intersections)


def finance_by_function(finance: pd.DataFrame | None, profile: pd.DataFrame) -> pd.DataFrame:
    """Spending per pupil by category: NCES functions, with benefits and tuition placements by object."""
    columns = ["school_year", "district_id", "category", "category_label", "amount", "per_pupil", "share"]
    if finance is None or finance.empty:
        return pd.DataFrame(columns=columns)
    ledger = finance.rename(columns={"fiscal_year": "school_year"})
    category = ledger["function_code"].map(FUNCTION_CATEGORY).fillna("other")
    category = category.mask(ledger["object_code"] == "200", "benefits").mask(ledger["object_code"] == "560", "out_of_district_placements")
    totals = ledger.assign(category=category).groupby(["school_year", "district_id", "category"], sort=True)["amount"].sum().reset_index()
    totals = totals.merge(profile[["school_year", "district_id", "enrollment"]], on=["school_year", "district_id"], how="left")
    totals["per_pupil"] = (totals["amount"] / totals["enrollment"].astype(float)).round(2)
    totals["share"] = (totals["amount"] / totals.groupby(["school_year", "district_id"])["amount"].transform("sum") * 100).round(2)
    totals["category_label"] = totals["category"].map(SPENDING_CATEGORIES)
    totals["amount"] = totals["amount"].round(2)
    return totals[columns]


OPERATIONS_COLUMNS = ["school_year", "district_id", "kpi_code", "value", "unit"]
MONTHLY_COLUMNS = ["district_id", "kpi_code", "month", "school_year", "value", "unit"]


def operations_tables(kpis: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Whole-year KPI values (an empty month), as they always were, and monthly ones for the process charts."""
    if kpis is None:
        return pd.DataFrame(columns=OPERATIONS_COLUMNS), pd.DataFrame(columns=MONTHLY_COLUMNS)
    month = kpis["month"] if "month" in kpis else pd.Series(pd.NA, index=kpis.index, dtype="str")
    monthly = month.notna() & (month.astype("str") != "")
    annual = kpis.loc[~monthly.to_numpy(), OPERATIONS_COLUMNS]
    months = kpis.loc[monthly.to_numpy()].assign(month=month[monthly])[MONTHLY_COLUMNS]
    months = months.sort_values(["district_id", "kpi_code", "month"], kind="stable").reset_index(drop=True)
    return annual, months


def district_indicators(districts: pd.DataFrame, profile: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """One wide row per district and year: profile, names and all-student results by subject.

    `enrollment_reported` says whether the data give the district's enrollment. Where a public file does not,
    `enrollment` holds the most students tested in any subject that year instead: a lower bound that only decides
    what disclosure control lets a page show (a smaller count hides more), never shown as an enrollment, and
    `log_enrollment` stays empty so no model or peer match rests on it."""
    overall = outcomes[(outcomes["subgroup"] == "ALL") & (outcomes["grade"] == "ALL")]
    wide = overall.pivot_table(index=["school_year", "district_id"], columns="subject", values=["mean_score", "pct_proficient"])
    wide.columns = [f"{stat}_{subject.lower()}" for stat, subject in wide.columns]
    table = profile.merge(wide.reset_index(), on=["school_year", "district_id"], how="left")
    table = districts.merge(table, on="district_id", how="right")
    table["enrollment_reported"] = table["enrollment"].notna()
    table["log_enrollment"] = np.log(table["enrollment"].astype(float))
    most_tested = overall.groupby(["school_year", "district_id"], sort=True)["n"].max()
    at = pd.MultiIndex.from_frame(table[["school_year", "district_id"]])
    if not table["enrollment_reported"].all():
        lower_bound = pd.Series(most_tested.reindex(at).to_numpy(), index=table.index).round()
        table["enrollment"] = table["enrollment"].astype(float).fillna(lower_bound).astype("Int64")
    return table.sort_values(["school_year", "district_id"], kind="stable").reset_index(drop=True)


MICRODATA = ("students", "enrollments", "assessments", "attendance", "program_participation")


def aggregate(tables: dict[str, pd.DataFrame], intersections: list[list[str]] | None = None) -> dict[str, pd.DataFrame]:
    """Every analysis table a release needs, from whatever the dataset provides.

    Microdata spooled by validation (a state too large to hold) are aggregated a group of districts at a time
    (`partitioned`), to the same tables."""
    if any(isinstance(tables.get(name), SpooledTable) for name in MICRODATA):
        from districtstat.data.partitioned import aggregate_partitioned

        return aggregate_partitioned(tables, intersections)
    tables = {name: as_frame(table) for name, table in tables.items()}
    if "enrollments" in tables and "assessments" in tables:
        students = student_year(tables)
        profile = profile_table(tables, students, DISTRICT_KEYS)
        outcomes = subgroup_outcomes(tables, students, intersections)
        schools = profile_table(tables, students, SCHOOL_KEYS)
    else:
        profile = tables["district_profile"]
        outcomes = tables["subgroup_outcomes"]
        schools = pd.DataFrame(columns=[*SCHOOL_KEYS, "enrollment", *NEED_PROGRAMS.values(), "per_pupil_spending"])  # none published
    return analysis_tables(tables, profile, schools, outcomes)


def analysis_tables(tables: dict[str, pd.DataFrame], profile: pd.DataFrame, schools: pd.DataFrame, outcomes: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The release's tables from the profiles and outcomes, with what the small files add."""
    districts = tables["districts"]
    operations, monthly = operations_tables(tables.get("operations_kpis"))
    return {
        "districts": districts.sort_values("district_id", kind="stable").reset_index(drop=True),
        "district_profile": profile,
        "school_profile": schools,
        "subgroup_outcomes": outcomes,
        "finance_by_function": finance_by_function(tables.get("finance"), profile),
        "operations_kpis": operations,
        "operations_monthly": monthly,
        "district_indicators": district_indicators(districts, profile, outcomes),
    }
