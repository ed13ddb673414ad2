"""Subjects as a code set declared in params, and the optional measures of aggregate data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from districtstat.analyses.indicators import INDICATORS, project_indicators
from districtstat.config import ParamsError, Subject, parse_settings
from districtstat.data.contracts import load_contracts, validate_dataset, with_code_set
from districtstat.data.measures import columns_of, measures_not_reported, without_missing
from districtstat.data.subjects import subject_of_indicator, subject_words
from districtstat.privacy import disclosure
from districtstat.privacy.disclosure import STUDENT_FIGURES, STUDENT_RATES

ROOT = Path(__file__).parents[2]
BASE = "title: x\ndataset: custom\ndata_dir: d\nrelease: r1\n"
COMPOSITE = "subjects:\n  - {code: COMPOSITE, name: Composite of reading and math, short: composite, composite: true}\n"


def parse_error(text: str) -> str:
    with pytest.raises(ParamsError) as caught:
        parse_settings(text, "params/test.yml")
    return str(caught.value)


def test_without_a_declaration_the_subjects_are_ela_and_math():
    settings = parse_settings(BASE, "params/test.yml")
    assert [subject.code for subject in settings.subjects] == ["ELA", "MATH"]


def test_a_declared_composite_gets_its_own_indicators_named_in_its_words():
    settings = parse_settings(BASE + COMPOSITE + "efficiency: {outcome: mean_score_composite}\n", "params/test.yml")
    indicators = project_indicators(settings.subjects)
    assert list(indicators)[:3] == ["mean_score_composite", "pct_proficient_composite", "pct_chronic_absent"]
    assert "mean_score_math" not in indicators  # a composite is never filed under math
    assert INDICATORS["mean_score_composite"].label == "Mean composite scale score"
    assert subject_words("COMPOSITE").composite


def test_the_default_efficiency_outcome_is_refused_when_math_is_not_declared():
    message = parse_error(BASE + COMPOSITE)
    assert "efficiency.outcome: mean_score_math is about subject MATH, which is not among the declared subjects (COMPOSITE)" in message


def test_goals_and_topics_may_name_only_declared_subjects():
    goal = BASE + "subjects: [{code: SCI, name: Science, short: science}]\nefficiency: null\ndistricts:\n  D1: {goals: {gap.EL.MATH: -10}}\n"
    assert "districts.D1.goals: gap.EL.MATH is about subject MATH" in parse_error(goal)
    fine = BASE + "subjects: [{code: SCI, name: Science, short: science}]\nefficiency: null\ndistricts:\n  D1: {goals: {mean_score_sci: 500, gap.EL.SCI: -10}}\n"
    assert parse_settings(fine, "params/test.yml").districts["D1"].goals == {"mean_score_sci": 500, "gap.EL.SCI": -10}


def test_ela_and_math_keep_their_words_and_codes_must_be_codes():
    assert "MATH is always 'Math'" in parse_error(BASE + "subjects: [{code: MATH, name: Composite, short: composite}]\n")
    assert "upper-case letters" in parse_error(BASE + "subjects: [{code: sci, name: Science, short: science}]\n")
    assert "each code once" in parse_error(BASE + "subjects: [{code: ELA, name: English language arts, short: ELA}, {code: ELA, name: English language arts, short: ELA}]\n")


def test_every_subject_figure_rests_on_its_tested_students_for_disclosure_control():
    parse_settings(BASE + "subjects: [{code: SCI, name: Science, short: science}]\nefficiency: null\n", "params/test.yml")
    assert "mean_score_sci" in STUDENT_FIGURES and "pct_proficient_sci" in STUDENT_RATES
    assert "per_pupil_spending" not in STUDENT_FIGURES
    assert disclosure.tested_subject("pct_proficient_sci") == "SCI" and disclosure.tested_subject("per_pupil_spending") is None
    assert subject_of_indicator("mean_score_composite") == "COMPOSITE"


def test_a_subject_not_declared_is_named_with_the_code_set_and_the_params_file(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "districts.csv").write_text("district_id,district_name,grade_span\nA1,Alpha,K-8\n", encoding="utf-8")
    (data / "subgroup_outcomes.csv").write_text(
        "school_year,district_id,subject,grade,subgroup,n,mean_score\n2024,A1,COMPOSITE,ALL,ALL,120,650.5\n2024,A1,SCI,ALL,ALL,118,640.0\n", encoding="utf-8"
    )
    contracts = with_code_set(load_contracts(ROOT / "data_contracts"), "subjects", ["COMPOSITE"], version="params/state.yml")
    lines = validate_dataset(data, contracts, display_root=tmp_path).lines()
    assert lines == ["data/subgroup_outcomes.csv:3: subject: not in code set subjects@params/state.yml (SCI)", "1 problem in 1 file"]
    assert load_contracts(ROOT / "data_contracts")["subgroup_outcomes"].fields[2].constraints.enum == ["ELA", "MATH"]  # the default is untouched


def test_region_enrollment_and_grade_span_may_be_left_out_of_aggregate_files(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "districts.csv").write_text("district_id,district_name\nA1,Alpha\n", encoding="utf-8")
    (data / "district_profile.csv").write_text("school_year,district_id,pct_ecodis,per_pupil_spending\n2024,A1,40.5,11000\n", encoding="utf-8")
    assert validate_dataset(data, load_contracts(ROOT / "data_contracts"), display_root=tmp_path).ok


def test_features_made_from_a_missing_measure_are_left_out_and_named():
    assert columns_of("np.log(enrollment)") == {"enrollment"} and columns_of("grade_span == K-8") == {"grade_span"}
    kept, dropped = without_missing(["log(enrollment)", "pct_ecodis", "region == North", "np.log(per_pupil_spending)"], ["enrollment", "region"])
    assert kept == ["pct_ecodis", "np.log(per_pupil_spending)"] and dropped == ["log(enrollment)", "region == North"]


def test_the_measures_not_reported_are_read_from_the_latest_year():
    indicators = pd.DataFrame(
        {"school_year": [2023, 2024, 2024], "district_id": ["A", "A", "B"], "enrollment_reported": [True, False, True], "region": ["N", "N", None], "grade_span": ["K-8", "K-8", "K-6"]}
    )
    outcomes = pd.DataFrame({"sd_score": [None, 40.0], "pct_proficient": [None, None]})
    assert measures_not_reported({"district_indicators": indicators, "subgroup_outcomes": outcomes}) == ["enrollment", "region", "pct_proficient"]


def test_subject_model_documents_every_key():
    assert all(field.description for field in Subject.model_fields.values())
