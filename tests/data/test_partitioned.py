"""data.partitioned against data.aggregate: a state aggregated a bucket of districts at a time gives the same tables,
byte for byte, as one held whole, including where a bucket alone would get it wrong."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pandas as pd
import pytest

from districtstat.data.aggregate import aggregate
from districtstat.data.contracts import load_contracts, validate_dataset
from districtstat.data.partitioned import _Buckets, aggregate_partitioned
from districtstat.data.spool import SpooledTable
from districtstat.data.synthetic.files import write_consortium
from districtstat.data.synthetic.spec import ConsortiumSpec

ROOT = Path(__file__).parents[2]
VALID = ROOT / "tests" / "fixtures" / "contracts" / "valid"
CROSSED = [["EL", "ECODIS"], ["RACE_HI", "SWD"]]


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def assert_same_tables(whole: dict[str, pd.DataFrame], parts: dict[str, pd.DataFrame]) -> None:
    assert sorted(whole) == sorted(parts)
    for name in whole:
        pd.testing.assert_frame_equal(parts[name], whole[name], obj=name)
        assert parquet_bytes(parts[name]) == parquet_bytes(whole[name]), name


def both_ways(data: Path, spool: Path, chunk_bytes: int, bucket_rows: int):
    contracts = load_contracts(ROOT / "data_contracts")
    whole = validate_dataset(data, contracts)
    chunked = validate_dataset(data, contracts, spool_dir=spool, chunk_bytes=chunk_bytes)
    assert whole.ok and chunked.ok
    assert isinstance(chunked.tables["enrollments"], SpooledTable)
    return aggregate(whole.tables, CROSSED), chunked.tables


@pytest.mark.parametrize("bucket_rows", [1_500, 9_000])
def test_a_synthetic_state_in_buckets_gives_the_whole_states_tables(tmp_path, bucket_rows):
    data = tmp_path / "data"
    write_consortium(data, ConsortiumSpec(scale=0.03))
    whole, spooled = both_ways(data, tmp_path / "spool", 20_000, bucket_rows)
    buckets = _Buckets(spooled, spooled["students"].read(), bucket_rows, tmp_path / "buckets")
    assert len(buckets.numbers) > 1  # really split
    assert len(buckets.numbers) < len(buckets.bucket_of) or bucket_rows < 2_000  # and, with larger buckets, several district-years to one
    assert_same_tables(whole, aggregate_partitioned(spooled, CROSSED, bucket_rows=bucket_rows))


def add_rows(path: Path, *rows: str) -> None:
    with path.open("a") as file:
        file.write("".join(row + "\n" for row in rows))


@pytest.fixture
def uneven(tmp_path) -> Path:
    """Two districts (of one school year) in buckets of their own, each lacking what the other has.

    ST0004 (enrolled in D002) is tested in D001, so D001's bucket borrows her year from D002's; ST0002 has a program
    row in a year she is not enrolled; D002 has no attendance rows; D001 has no Asian or two-race students and no
    Title I, D002 no Hispanic, White or Black students."""
    data = tmp_path / "data"
    shutil.copytree(VALID, data)
    add_rows(data / "assessments.csv", "2024,ST0004,D001,S001,MATH,05,470,2")
    add_rows(data / "program_participation.csv", "2023,ST0002,GIFTED")
    attendance = pd.read_csv(data / "attendance.csv", dtype=str)
    attendance[attendance["district_id"] != "D002"].to_csv(data / "attendance.csv", index=False)
    return data


def test_buckets_that_each_lack_something_still_give_the_whole_states_tables(uneven, tmp_path):
    whole, spooled = both_ways(uneven, tmp_path / "spool", 40, 1)
    buckets = _Buckets(spooled, spooled["students"].read(), 1, tmp_path / "buckets")
    assert (buckets.districts, buckets.years, buckets.bucket_of.tolist()) == (["D001", "D002"], [2024], [0, 1])
    assert buckets.borrowed == {0: {1}}
    assert_same_tables(whole, aggregate_partitioned(spooled, CROSSED, bucket_rows=1))
    outcomes = whole["subgroup_outcomes"].query("district_id == 'D001' and subject == 'MATH' and grade == 'ALL'")
    assert outcomes.set_index("subgroup").loc["RACE_AS", "n"] == 1  # the borrowed year: her race came from D002's bucket
    assert "NOT_TITLE1" in set(outcomes["subgroup"])  # a program D001's bucket never sees still has its complement
    assert "GIFTED" not in set(whole["subgroup_outcomes"]["subgroup"])  # the program of a year without enrollment


def test_aggregate_takes_the_bucketed_way_for_spooled_microdata(uneven, tmp_path, monkeypatch):
    whole, spooled = both_ways(uneven, tmp_path / "spool", 40, 1)
    calls = []
    import districtstat.data.partitioned as partitioned

    original = partitioned.aggregate_partitioned
    monkeypatch.setattr(partitioned, "aggregate_partitioned", lambda *args, **kwargs: calls.append(1) or original(*args, **kwargs))
    assert_same_tables(whole, aggregate(spooled, CROSSED))
    assert calls == [1]
