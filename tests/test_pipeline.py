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


def test_a_build_checks_and_aggregates_large_files_in_chunks_to_the_same_tables(tmp_path, monkeypatch):
    """With chunks and buckets made tiny, the data stage spools every student file and aggregates it a bucket at a
    time: its tables and data_quality.json are those of the whole read, byte for byte, and the spool is gone after."""
    from districtstat.data import partitioned
    from districtstat.data.contracts import checking

    whole = load_project(make_project(tmp_path / "whole", students=2500))
    pipeline.prepare(whole)
    chunked = load_project(make_project(tmp_path / "chunked", students=2500))
    monkeypatch.setattr(checking, "CHUNK_BYTES", 40_000)
    monkeypatch.setattr(partitioned, "BUCKET_ROWS", 2_000)
    calls = []
    original = partitioned.aggregate_partitioned
    monkeypatch.setattr(partitioned, "aggregate_partitioned", lambda *args, **kwargs: calls.append(1) or original(*args, **kwargs))
    pipeline.prepare(chunked)
    assert calls == [1]
    names = sorted(path.name for path in whole.tables_dir.glob("*.parquet"))
    assert names and names == sorted(path.name for path in chunked.tables_dir.glob("*.parquet"))
    for name in names:
        assert (chunked.tables_dir / name).read_bytes() == (whole.tables_dir / name).read_bytes(), name
    assert (chunked.build_dir / "data_quality.json").read_text() == (whole.build_dir / "data_quality.json").read_text()
    assert not (chunked.build_dir / "spool").exists()
