"""The data stage's inputs: what its fingerprint covers decides when validation, aggregation and models rerun."""

from districtstat import pipeline
from districtstat.config import load_project
from helpers import make_project


def fingerprint_with(root, extra_params: str) -> str:
    return pipeline.fingerprint(load_project(make_project(root, extra_params=extra_params))).key


def test_goals_titles_and_pages_leave_the_data_stage_as_it_was_but_peers_and_min_n_do_not(tmp_path):
    plain = fingerprint_with(tmp_path, "")
    page_only = "title: Another Title\ndistrict_notebooks: [peers]\ndistricts:\n  D05:\n    goals:\n      mean_score_math: 520\n"
    assert fingerprint_with(tmp_path, page_only) == plain
    assert fingerprint_with(tmp_path, "districts:\n  D05:\n    peers: [D01, D02]\n") != plain
    assert fingerprint_with(tmp_path, "peers:\n  k: 3\n") != plain
    assert pipeline.fingerprint(load_project(make_project(tmp_path, min_n=11))).key != plain
    settings = pipeline.data_stage_settings(load_project(make_project(tmp_path, extra_params=page_only)).settings)
    assert settings.districts == {} and settings.title == "" and settings.district_notebooks == load_project(make_project(tmp_path)).settings.district_notebooks


def test_the_provenance_names_every_setting_goals_included(tmp_path):
    plain = pipeline.params_hash(load_project(make_project(tmp_path)))
    assert pipeline.params_hash(load_project(make_project(tmp_path, extra_params="districts:\n  D05:\n    goals:\n      mean_score_math: 520\n"))) != plain
