"""data.keys: where each key sits among a set of keys, found by hash and confirmed value for value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import districtstat.data.keys as keys
from districtstat.data.keys import KeyLookup


def frame(*rows, names=("school_year", "student_id")):
    return pd.DataFrame(list(rows), columns=list(names)).astype({"school_year": "Int64", "student_id": "str"})


PARENT = frame((2024, "A"), (2024, "B"), (2023, "A"), (2024, "B"), (2022, "C"))
PROBE = frame((2024, "B"), (2022, "C"), (2023, "B"), (2024, "a"), (2024, None), (2023, "A"))
EXPECTED = [1, 4, -1, -1, -1, 2]  # the first of two equal keys; a missing part is never found


def plain_positions(parent: pd.DataFrame, probe: pd.DataFrame) -> list[int]:
    rows = [tuple(row) for row in parent.itertuples(index=False)]
    return [rows.index(tuple(row)) if tuple(row) in rows and not any(pd.isna(v) for v in row) else -1 for row in probe.itertuples(index=False)]


def test_positions_are_those_of_a_plain_search():
    assert plain_positions(PARENT, PROBE) == EXPECTED
    assert KeyLookup(PARENT).positions(PROBE).tolist() == EXPECTED
    assert KeyLookup(PARENT).contains(PROBE).tolist() == [p >= 0 for p in EXPECTED]


@pytest.mark.parametrize("buckets", [1, 2, 3])
def test_keys_sharing_a_hash_are_told_apart_by_their_values(monkeypatch, buckets):
    """With 1 to 3 hash values for every key, almost every lookup meets keys of the same hash that differ."""
    monkeypatch.setattr(keys, "hash_rows", lambda rows: pd.util.hash_pandas_object(rows, index=False).to_numpy() % buckets)
    assert KeyLookup(PARENT).positions(PROBE).tolist() == EXPECTED


def test_a_large_random_set_agrees_with_pandas():
    generator = np.random.default_rng(7)
    ids = pd.Series([f"S{number:07d}" for number in generator.choice(10**6, 50_000, replace=False)], dtype="str")
    probe = pd.concat([ids.sample(20_000, random_state=1), pd.Series([f"X{n}" for n in range(5_000)], dtype="str")])
    expected = pd.Index(ids).get_indexer(probe)
    assert KeyLookup(ids.to_frame("id")).positions(probe.to_frame("id")).tolist() == expected.tolist()


def test_empty_sets_find_nothing():
    assert KeyLookup(PARENT.iloc[:0]).positions(PROBE).tolist() == [-1] * len(PROBE)
    assert KeyLookup(PARENT).positions(PROBE.iloc[:0]).tolist() == []
