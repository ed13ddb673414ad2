"""The order of simulation: each district's schools, students, outcomes, money and operations, each topic from its
own stream, then the tables of all of them."""

from __future__ import annotations

import pandas as pd

from districtstat.data.synthetic.finance import _finance
from districtstat.data.synthetic.model import ATTENDANCE, SPAN_GRADES
from districtstat.data.synthetic.operations import _monthly_operations, _operations
from districtstat.data.synthetic.outcomes import _days_enrolled, _days_present, _scores
from districtstat.data.synthetic.population import (
    DistrictData,
    _district_enrollment,
    _programs,
    _school_layout,
    _school_names,
    _student_years,
    _students,
)
from districtstat.data.synthetic.spec import (
    ConsortiumSpec,
    DistrictProfile,
    Topic,
    _stream,
    district_profiles,
    effective_scale,
)
from districtstat.data.synthetic.tables import _frames


def _simulate_district(spec: ConsortiumSpec, number: int, profile: DistrictProfile, scale: float) -> DistrictData:
    """Schools, students and their years, then programs, attendance, scores, money and operations."""
    years = spec.years
    enrollment = _district_enrollment(profile, scale)
    layout = _school_layout(enrollment, profile.grade_span)
    n_schools = sum(band.count for band in layout)
    students = _students(spec, number, profile, enrollment, layout[0].count)
    rows = _student_years(students, years, layout)
    rows.programs = _programs(_stream(spec.seed, number, Topic.PROGRAMS), profile, students, rows, n_schools, years)
    attendance = _stream(spec.seed, number, Topic.ATTENDANCE)
    rows.days_enrolled = _days_enrolled(attendance, students, rows, years, SPAN_GRADES[profile.grade_span][0])
    rows.days_present = _days_present(attendance, profile, students, rows)
    rows.chronic = rows.days_present < ATTENDANCE.chronic_threshold * rows.days_enrolled
    rows.scores = _scores(_stream(spec.seed, number, Topic.SCORES), profile, students, rows, n_schools, years)
    operations = _operations(_stream(spec.seed, number, Topic.OPERATIONS), profile, years)
    return DistrictData(
        profile=profile,
        layout=layout,
        school_names=_school_names(_stream(spec.seed, number, Topic.SCHOOLS), profile, layout),
        school_levels=[band.level for band in layout for _ in range(band.count)],
        students=students,
        student_years=rows,
        finance=_finance(_stream(spec.seed, number, Topic.FINANCE), profile, rows, n_schools, years),
        operations=operations,
        monthly=_monthly_operations(_stream(spec.seed, number, Topic.MONTHLY_OPERATIONS), profile, years, operations),
    )


def generate(spec: ConsortiumSpec = ConsortiumSpec()) -> dict[str, pd.DataFrame]:
    """Every microdata entity of the contracts, as frames sorted by primary key; a pure function of spec."""
    profiles = district_profiles(spec)
    scale = effective_scale(spec, profiles)
    districts = [_simulate_district(spec, number, profile, scale) for number, profile in enumerate(profiles, start=1)]
    return _frames(districts, spec.years)
