import numpy as np
import pandas as pd
import pytest

from districtstat.peers import find_peers, peer_features, peer_standing, why_peers


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


def test_a_0_1_indicator_is_one_column_and_weighs_as_much_as_one_level_of_a_category():
    table = pd.DataFrame(
        {
            "district_id": ["A", "B", "C", "D"],
            "pct_el": [10.0, 10.0, 10.0, 20.0],
            "k8_only": [0, 1, 0, 0],
            "locale": ["city", "city", "rural", "city"],
        }
    )
    features = peer_features(table, "district_id", ["pct_el"], ["k8_only", "locale"], "zero")
    assert [c for c in features.columns if c.startswith("k8_only")] == ["k8_only"]  # one column, not two
    assert sorted(c for c in features.columns if c.startswith("locale")) == ["locale_city", "locale_rural"]  # m levels, m columns
    peers = find_peers(table, numeric=["pct_el"], indicators=["k8_only", "locale"], k=3).set_index(["district", "peer"])["distance"]
    assert peers[("A", "B")] == pytest.approx(1.0)  # differ only in the 0/1 indicator
    assert peers[("A", "C")] == pytest.approx(np.sqrt(2))  # differ only in the category: one level column each way
    assert peers[("A", "B")] ** 2 == pytest.approx(peers[("A", "C")] ** 2 / 2)  # the indicator weighs one level column


def test_column_equals_value_makes_one_indicator():
    table = pd.DataFrame({"district_id": ["A", "B", "C"], "grade_span": ["K-6", "K-8", None], "pct_el": [1.0, 1.0, 1.0]})
    features = peer_features(table, "district_id", [], ["grade_span == K-8"], "zero")
    assert list(features.columns) == ["grade_span == K-8"]
    assert features["grade_span == K-8"].tolist() == [0.0, 1.0, 0.0]


def test_a_transform_in_params_gives_the_same_peers_as_a_precomputed_column(districts):
    districts = districts.assign(log_enrollment=np.log(districts["enrollment"]))
    declared = find_peers(districts, numeric=["log(enrollment)", "pct_el"], indicators=["locale"], k=2, missing="mean")
    precomputed = find_peers(districts, numeric=["log_enrollment", "pct_el"], indicators=["locale"], k=2, missing="mean")
    pd.testing.assert_frame_equal(declared, precomputed)


def test_a_weight_multiplies_a_features_squared_difference(districts):
    frame = districts.fillna({"enrollment": 0.0})
    plain = find_peers(frame, numeric=["enrollment", "pct_el"], k=4).set_index(["district", "peer"])["distance"]
    weighted = find_peers(frame, numeric=["enrollment", "pct_el"], k=4, weights={"enrollment": 3.0}).set_index(["district", "peer"])["distance"]
    z = (frame[["enrollment", "pct_el"]] - frame[["enrollment", "pct_el"]].mean()) / frame[["enrollment", "pct_el"]].std(ddof=1)
    z.index = frame["district_id"]
    for (a, b), distance in weighted.items():
        expected = np.sqrt(3 * (z.loc[a, "enrollment"] - z.loc[b, "enrollment"]) ** 2 + (z.loc[a, "pct_el"] - z.loc[b, "pct_el"]) ** 2)
        assert distance == pytest.approx(expected)
        assert plain[(a, b)] == pytest.approx(np.sqrt(((z.loc[a] - z.loc[b]) ** 2).sum()))


def test_peer_settings_explain_a_bad_transform_or_weight():
    from districtstat.config import ParamsError, parse_settings

    base = "title: t\ndataset: synthetic\ndata_dir: d\nrelease: r\n"
    with pytest.raises(ParamsError, match=r"peers.numeric: .*'ln\(enrollment\)' is neither a column nor log\(column\)"):
        parse_settings(base + "peers: {numeric: [ln(enrollment)]}\n", "params/x.yml")
    with pytest.raises(ParamsError, match="weights name pct_frl, not a feature"):
        parse_settings(base + "peers: {numeric: [pct_el], weights: {pct_frl: 2}}\n", "params/x.yml")


def test_the_example_keeps_very_different_sizes_apart():
    """The README example's largest district (39,913 students) and smallest (321) get peers of their own size class."""
    from districtstat.config import load_project
    from districtstat.synthetic import ConsortiumSpec, generate
    from helpers import ROOT

    settings = load_project(ROOT / "params" / "synthetic.yml").settings
    frames = generate(ConsortiumSpec())
    from districtstat.aggregate import aggregate, latest_rows

    latest = latest_rows(aggregate(frames)["district_indicators"])
    rule = settings.peers
    peers = find_peers(latest, numeric=rule.numeric, indicators=rule.indicators, k=rule.k, missing=rule.missing, weights=rule.weights)
    size = latest.set_index("district_id")["enrollment"]
    largest, smallest = size.idxmax(), size.idxmin()
    assert size[peers.loc[peers["district"] == largest, "peer"]].min() >= 1000
    assert size[peers.loc[peers["district"] == smallest, "peer"]].max() <= 5000
    unweighted = find_peers(latest, numeric=rule.numeric, indicators=rule.indicators, k=rule.k, missing=rule.missing)
    assert size[unweighted.loc[unweighted["district"] == largest, "peer"]].min() < 1000  # what equal weights did
