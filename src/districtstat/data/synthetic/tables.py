"""The contracts' tables: every district's arrays stacked into frames with global ids, each sorted by its primary
key."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from districtstat.data.synthetic.model import (
    GRADE_CODES,
    KPI_UNITS,
    MONTHLY_KPI_UNITS,
    PROGRAM_CODES,
    RACE_CODES,
    SCORES,
    SEX_CODES,
    SUBJECTS,
)
from districtstat.data.synthetic.operations import school_months
from districtstat.data.synthetic.population import DistrictData


STUDENT_SERIAL_DIGITS = 7


def _text(values) -> pd.api.extensions.ExtensionArray:
    return pd.array(np.asarray(values, dtype=object), dtype="str")


def _labels(names: Sequence[str], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Millions of labels from a short list, without a Python string per row (code -1 is missing)."""
    return _text(list(names)).take(np.asarray(codes), allow_fill=True)


def _student_ids(districts: Sequence[DistrictData]) -> pd.api.extensions.ExtensionArray:
    """`D01-0000001`: the district, then a serial, so sorting ids keeps districts together."""
    pieces = []
    for d in districts:
        serial = np.arange(1, d.students.race.size + 1).astype(str)
        pieces.append(np.char.add(f"{d.profile.district_id}-", np.char.zfill(serial, STUDENT_SERIAL_DIGITS)))
    return _text(np.concatenate(pieces))


@dataclasses.dataclass
class Keys:
    """Identifiers shared by every table: district, school and student labels by global index."""

    district_ids: list[str]
    school_ids: list[str]
    student_ids: pd.api.extensions.ExtensionArray
    school_offset: np.ndarray
    student_offset: np.ndarray


def _keys(districts: Sequence[DistrictData]) -> Keys:
    return Keys(
        district_ids=[d.profile.district_id for d in districts],
        school_ids=[f"{d.profile.district_id}-S{k + 1:03d}" for d in districts for k in range(len(d.school_names))],
        student_ids=_student_ids(districts),
        school_offset=np.cumsum([0] + [len(d.school_names) for d in districts]),
        student_offset=np.cumsum([0] + [d.students.race.size for d in districts]),
    )


def _stacked_student_years(districts: Sequence[DistrictData], keys: Keys) -> dict[str, np.ndarray]:
    """All districts' student-years with global indices, sorted by year then student id."""
    years = [d.student_years for d in districts]
    rows = {
        "student": np.concatenate([y.student + off for y, off in zip(years, keys.student_offset)]),
        "district": np.concatenate([np.full(y.student.size, k) for k, y in enumerate(years)]),
        "school": np.concatenate([y.school + off for y, off in zip(years, keys.school_offset)]),
        "year": np.concatenate([y.year for y in years]).astype(np.int64),
        "grade": np.concatenate([y.grade for y in years]),
        "days_enrolled": np.concatenate([y.days_enrolled for y in years]).astype(np.int64),
        "days_present": np.concatenate([y.days_present for y in years]).astype(np.int64),
        "scores": np.concatenate([y.scores for y in years]),
        **{code: np.concatenate([y.programs[code] for y in years]) for code in PROGRAM_CODES},
    }
    order = np.lexsort((rows["student"], rows["year"]))
    return {key: value[order] for key, value in rows.items()}


def _frames(districts: Sequence[DistrictData], years: Sequence[int]) -> dict[str, pd.DataFrame]:
    """Stack the districts and sort every table by its primary key."""
    keys = _keys(districts)
    rows = _stacked_student_years(districts, keys)
    return {
        "districts": _district_frame(districts),
        "schools": _school_frame(districts, keys),
        "students": _student_frame(districts, keys),
        "enrollments": _enrollment_frame(rows, keys),
        "program_participation": _program_frame(rows, keys),
        "attendance": _attendance_frame(rows, keys),
        "assessments": _assessment_frame(rows, keys),
        "finance": _finance_frame(districts, keys),
        "operations_kpis": _operations_frame(districts, keys, school_months(years)),
    }


def _district_frame(districts: Sequence[DistrictData]) -> pd.DataFrame:
    profiles = [d.profile for d in districts]
    return pd.DataFrame({
        "district_id": [p.district_id for p in profiles],
        "district_name": [p.district_name for p in profiles],
        "region": [p.region for p in profiles],
        "locale": [p.locale for p in profiles],
        "grade_span": [p.grade_span for p in profiles],
    })


def _school_frame(districts: Sequence[DistrictData], keys: Keys) -> pd.DataFrame:
    return pd.DataFrame({
        "school_id": _text(keys.school_ids),
        "district_id": _labels(keys.district_ids, np.repeat(np.arange(len(districts)), np.diff(keys.school_offset))),
        "school_name": _text([name for d in districts for name in d.school_names]),
        "school_level": _text([level for d in districts for level in d.school_levels]),
    })


def _student_frame(districts: Sequence[DistrictData], keys: Keys) -> pd.DataFrame:
    birth_date = np.concatenate([d.students.birth_date for d in districts])
    return pd.DataFrame({
        "student_id": keys.student_ids,
        "sex": _labels(SEX_CODES, np.concatenate([d.students.sex for d in districts])),
        "race_ethnicity": _labels(RACE_CODES, np.concatenate([d.students.race for d in districts])),
        "birth_date": _text(np.datetime_as_string(birth_date, unit="D")),
    })


def _enrollment_frame(rows: dict[str, np.ndarray], keys: Keys) -> pd.DataFrame:
    return pd.DataFrame({
        "school_year": rows["year"],
        "student_id": keys.student_ids.take(rows["student"]),
        "district_id": _labels(keys.district_ids, rows["district"]),
        "school_id": _labels(keys.school_ids, rows["school"]),
        "grade": _labels(GRADE_CODES, rows["grade"]),
    })


def _attendance_frame(rows: dict[str, np.ndarray], keys: Keys) -> pd.DataFrame:
    return pd.DataFrame({
        "school_year": rows["year"],
        "student_id": keys.student_ids.take(rows["student"]),
        "district_id": _labels(keys.district_ids, rows["district"]),
        "days_enrolled": rows["days_enrolled"],
        "days_present": rows["days_present"],
    })


def _program_frame(rows: dict[str, np.ndarray], keys: Keys) -> pd.DataFrame:
    """One row per program a student was in, sorted by year, student and program code."""
    hits = [np.flatnonzero(rows[code]) for code in PROGRAM_CODES]
    row = np.concatenate(hits)
    code = np.concatenate([np.full(h.size, k) for k, h in enumerate(hits)])
    order = np.lexsort((code, rows["student"][row], rows["year"][row]))
    row, code = row[order], code[order]
    return pd.DataFrame({
        "school_year": rows["year"][row],
        "student_id": keys.student_ids.take(rows["student"][row]),
        "program_code": _labels(PROGRAM_CODES, code),
    })


def _assessment_frame(rows: dict[str, np.ndarray], keys: Keys) -> pd.DataFrame:
    """ELA then MATH for every tested student-year; levels from the cut scores."""
    row, subject = np.nonzero(~np.isnan(rows["scores"]))
    score = rows["scores"][row, subject]
    return pd.DataFrame({
        "school_year": rows["year"][row],
        "student_id": keys.student_ids.take(rows["student"][row]),
        "district_id": _labels(keys.district_ids, rows["district"][row]),
        "school_id": _labels(keys.school_ids, rows["school"][row]),
        "subject": _labels(SUBJECTS, subject),
        "grade": _labels(GRADE_CODES, rows["grade"][row]),
        "scale_score": score,
        "performance_level": performance_level(score),
    })


def performance_level(score: np.ndarray) -> np.ndarray:
    """1 below basic .. 4 advanced; levels 3 and 4 are proficient."""
    return 1 + np.searchsorted(np.asarray(SCORES.cut_scores), score, side="right").astype(np.int64)


def _finance_frame(districts: Sequence[DistrictData], keys: Keys) -> pd.DataFrame:
    """The ledger sorted by year, district, school (district-wide lines first), function, object, fund."""
    ledger = {name: np.concatenate([d.finance[name] for d in districts]) for name in districts[0].finance}
    district = np.concatenate([np.full(d.finance["year"].size, k) for k, d in enumerate(districts)])
    school = np.where(ledger["school"] >= 0, ledger["school"] + keys.school_offset[district], -1)
    finance = pd.DataFrame({
        "fiscal_year": ledger["year"].astype(np.int64),
        "district_id": _labels(keys.district_ids, district),
        "school_id": _labels(keys.school_ids, school),
        "fund_code": _text(ledger["fund"]),
        "function_code": _text(ledger["function"]),
        "object_code": _text(ledger["object"]),
        "amount": ledger["amount"],
    })
    order = ["fiscal_year", "district_id", "school_id", "function_code", "object_code", "fund_code"]
    return finance.sort_values(order, kind="stable", na_position="first", ignore_index=True)


def _operations_frame(districts: Sequence[DistrictData], keys: Keys, months: Sequence[str]) -> pd.DataFrame:
    """Whole-year values (an empty month) first in each school year, then its months: the file sorted by its key."""
    pieces = []
    for part, units in (("operations", KPI_UNITS), ("monthly", MONTHLY_KPI_UNITS)):
        codes = sorted(units)
        kpi = np.concatenate([getattr(d, part)["kpi"] for d in districts])
        district = np.concatenate([np.full(getattr(d, part)["kpi"].size, k) for k, d in enumerate(districts)])
        month = np.concatenate([d.monthly["month"] for d in districts]) if part == "monthly" else np.full(kpi.size, -1)
        pieces.append(pd.DataFrame({
            "school_year": np.concatenate([getattr(d, part)["year"] for d in districts]).astype(np.int64),
            "month": _labels(months, month),
            "district_id": _labels(keys.district_ids, district),
            "kpi_code": _labels(codes, kpi),
            "value": np.concatenate([getattr(d, part)["value"] for d in districts]),
            "unit": _labels([units[code] for code in codes], kpi),
        }))
    operations = pd.concat(pieces, ignore_index=True)
    order = ["school_year", "month", "district_id", "kpi_code"]
    return operations.sort_values(order, kind="stable", na_position="first", ignore_index=True)
