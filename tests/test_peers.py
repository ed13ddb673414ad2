import numpy as np
import pandas as pd
import pytest

from districtstat.peers import find_peers, peer_standing, why_peers


@pytest.fixture
def districts():
    return pd.DataFrame(
        {
            "district_id": ["A", "B", "C", "D", "E"],
            "enrollment": [100.0, 200.0, 300.0, np.nan, 210.0],
            "pct_el": [10.0, 12.0, 30.0, 11.0, 12.0],
            "locale": ["city", "city", "rural", "rural", "city"],
        }
    )


def hand_distances(frame: pd.DataFrame) -> pd.DataFrame:
    """The same rule written out by hand: z-score with sample SD, 0/1 dummies, Euclidean distance."""
    numeric = frame[["enrollment", "pct_el"]].fillna(0.0)
    z = (numeric - numeric.mean()) / numeric.std(ddof=1)
    z["city"] = (frame["locale"] == "city").astype(float)
    z["rural"] = (frame["locale"] == "rural").astype(float)
    z.index = frame["district_id"]
    return pd.DataFrame({a: {b: float(np.sqrt(((z.loc[a] - z.loc[b]) ** 2).sum())) for b in z.index} for a in z.index})


def test_find_peers_matches_a_hand_computation(districts):
    peers = find_peers(districts, id_col="district_id", numeric=["enrollment", "pct_el"], indicators=["locale"], k=2, missing="zero")
    distances = hand_distances(districts)
    for district in districts["district_id"]:
        expected = distances[district].drop(district).sort_values(kind="stable")
        chosen = peers[peers["district"] == district].sort_values("rank")
        assert chosen["peer"].tolist() == expected.index[:2].tolist()
        assert chosen["distance"].to_numpy() == pytest.approx(expected.to_numpy()[:2])
    assert set(peers.columns) == {"district", "rank", "peer", "distance"}


def test_ties_are_broken_by_district_id():
    table = pd.DataFrame({"district_id": ["Z", "M", "A", "Q"], "x": [0.0, 1.0, 1.0, 5.0]})
    peers = find_peers(table, numeric=["x"], indicators=[], k=2)
    z_peers = peers[peers["district"] == "Z"].sort_values("rank")["peer"].tolist()
    assert z_peers == ["A", "M"]


def test_missing_rule_exclude_drops_the_district(districts):
    peers = find_peers(districts, numeric=["enrollment", "pct_el"], indicators=["locale"], k=2, missing="exclude")
    assert "D" not in set(peers["district"]) | set(peers["peer"])


def test_why_peers_flags_half_and_one_sd(districts):
    table = districts.fillna({"enrollment": 150.0})
    why = why_peers(table, "A", ["B", "E"], ["enrollment", "pct_el"])
    sd = table["enrollment"].std(ddof=1)
    expected = (100 - (200 + 210) / 2) / sd
    row = why.set_index("feature").loc["enrollment"]
    assert row["difference_sd"] == pytest.approx(expected)
    assert row["flag"] == ("≥ 1 SD" if abs(expected) >= 1 else "≥ 0.5 SD")


def test_peer_standing_ranks_lower_is_better_kpis_ascending():
    kpis = pd.DataFrame({"WORK_ORDER_DAYS": [3.0, 5.0, 1.0], "mean_score_math": [500.0, 520.0, 480.0]}, index=["A", "B", "C"])
    standing = peer_standing(kpis, "A", ["B", "C"]).set_index("code")
    assert standing.loc["WORK_ORDER_DAYS", "rank"] == 2
    assert standing.loc["mean_score_math", "rank"] == 2
    assert standing.loc["mean_score_math", "peer_median"] == pytest.approx(500.0)


def test_a_constant_feature_and_an_unknown_category_do_not_break_distances():
    table = pd.DataFrame(
        {"district_id": ["A", "B", "C"], "x": [1.0, 2.0, 4.0], "same": [5.0, 5.0, 5.0], "locale": ["city", None, "city"]}
    )
    peers = find_peers(table, numeric=["x", "same"], indicators=["locale"], k=1)
    assert peers["distance"].notna().all()
    assert peers.set_index("district").loc["A", "peer"] == "B"
