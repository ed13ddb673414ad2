import numpy as np
import pandas as pd
import pytest

from districtstat.analyses.peers import find_peers, peer_features, peer_standing, why_peers


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
    errors = pd.DataFrame({"WORK_ORDER_DAYS": [0.0, 0.0, 0.0], "mean_score_math": [1.0, 1.0, 1.0]}, index=["A", "B", "C"])
    standing = peer_standing(kpis, "A", ["B", "C"], errors).set_index("code")
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


@pytest.fixture(scope="module")
def example_latest() -> pd.DataFrame:
    """The README example's latest year per district, as `districtstat example synthetic` writes it."""
    from districtstat.data.aggregate import aggregate, latest_rows
    from districtstat.data.synthetic import ConsortiumSpec, generate

    return latest_rows(aggregate(generate(ConsortiumSpec()))["district_indicators"]).reset_index(drop=True)


def example_peers(latest: pd.DataFrame, weights: dict[str, float] | None) -> pd.DataFrame:
    from districtstat.config import load_project
    from helpers import ROOT

    rule = load_project(ROOT / "params" / "synthetic.yml").settings.peers
    return find_peers(latest, numeric=rule.numeric, indicators=rule.indicators, k=rule.k, missing=rule.missing, weights=weights)


def size_ratios(peers: pd.DataFrame, size: pd.Series) -> np.ndarray:
    """How many times larger the bigger of each district and peer is."""
    own, peer = size[peers["district"]].to_numpy(), size[peers["peer"]].to_numpy()
    return np.maximum(own, peer) / np.minimum(own, peer)


def test_the_example_keeps_very_different_sizes_apart(example_latest):
    """The example's largest district (39,913 students) has as peers every district of at least a quarter of its size
    (only three exist, so k = 5 cannot keep all five peers above a quarter) and none under a tenth; the smallest (321)
    none over ten times its size; and no district anywhere a peer ten times larger or smaller, which equal weights gave."""
    from districtstat.config import load_project
    from helpers import ROOT

    weights = load_project(ROOT / "params" / "synthetic.yml").settings.peers.weights
    size = example_latest.set_index("district_id")["enrollment"]
    largest, smallest = size.idxmax(), size.idxmin()
    assert (size[largest], size[smallest]) == (39913, 321)
    peers = example_peers(example_latest, weights)
    of_largest = size[peers.loc[peers["district"] == largest, "peer"]]
    others = size.drop(largest)
    within_a_quarter = set(others[others >= size[largest] / 4].index)
    assert len(within_a_quarter) == 3 and within_a_quarter <= set(of_largest.index)
    assert of_largest.min() >= size[largest] / 10
    assert size[peers.loc[peers["district"] == smallest, "peer"]].max() <= 10 * size[smallest]
    assert size_ratios(peers, size).max() <= 10
    unweighted = example_peers(example_latest, None)
    assert size_ratios(unweighted, size).max() > 10  # what equal weights did: the 440-student D12 was a peer of D01


def test_a_missing_indicator_follows_the_missing_rule():
    """zero: a missing 0/1 value counts 0; mean: the share of districts with 1; exclude: the district is left out.
    An unknown category is no indicator at all under zero and mean."""
    table = pd.DataFrame(
        {
            "district_id": ["A", "B", "C", "D", "E"],
            "x": [1.0, 2.0, 3.0, 4.0, 5.0],
            "k8_only": pd.array([True, None, False, True, True], dtype="boolean"),
            "span": ["K-8", "K-6", None, "K-8", "K-6"],
            "locale": ["city", "rural", "city", None, "town"],
        }
    )
    indicators = ["k8_only", "span == K-8", "locale"]
    zero = peer_features(table, "district_id", ["x"], indicators, "zero")
    assert list(zero.columns) == ["x", "k8_only", "span == K-8", "locale_city", "locale_rural", "locale_town"]
    assert zero.loc["B", "k8_only"] == 0 and zero.loc["C", "span == K-8"] == 0
    assert zero.loc["D", ["locale_city", "locale_rural", "locale_town"]].tolist() == [0, 0, 0]
    mean = peer_features(table, "district_id", ["x"], indicators, "mean")
    assert mean.loc["B", "k8_only"] == pytest.approx(3 / 4) and mean.loc["C", "span == K-8"] == pytest.approx(2 / 4)
    assert mean.loc["D", ["locale_city", "locale_rural", "locale_town"]].tolist() == [0, 0, 0]
    exclude = peer_features(table, "district_id", ["x"], indicators, "exclude")
    assert list(exclude.index) == ["A", "E"]
    assert exclude["x"].tolist() == pytest.approx([-1 / np.sqrt(2), 1 / np.sqrt(2)])  # z over A and E only: (1 − 3) / √8


def test_a_weight_on_a_category_scales_each_of_its_level_columns():
    table = pd.DataFrame({"district_id": ["A", "B", "C"], "x": [0.0, 0.0, 3.0], "locale": ["city", "rural", "city"], "locale_type": [1, 1, 0]})
    weighted = find_peers(table, numeric=["x"], indicators=["locale", "locale_type"], k=2, weights={"locale": 2.5}).set_index(["district", "peer"])["distance"]
    z = (np.array([0.0, 0.0, 3.0]) - 1.0) / np.std([0.0, 0.0, 3.0], ddof=1)
    assert weighted[("A", "B")] == pytest.approx(np.sqrt(2.5 * 2))  # two level columns differ, each counts 2.5 times
    assert weighted[("A", "C")] == pytest.approx(np.sqrt((z[0] - z[2]) ** 2 + 1))  # locale_type is not locale's
    assert weighted[("B", "C")] == pytest.approx(np.sqrt((z[1] - z[2]) ** 2 + 2.5 * 2 + 1))


def test_a_transform_undefined_for_a_value_or_an_unknown_column_is_a_params_error():
    from districtstat.config import ParamsError, Settings
    from districtstat.analyses.models import district_peers

    latest = pd.DataFrame({"district_id": ["A", "B", "C"], "enrollment": [0.0, 200.0, 300.0], "pct_el": [1.0, 2.0, 3.0], "locale": ["city"] * 3})

    def settings(peers: dict) -> Settings:
        return Settings.model_validate({"title": "t", "dataset": "custom", "data_dir": "d", "release": "r", "peers": peers})

    with pytest.raises(ParamsError, match=r"^params: peers: log\(enrollment\) is undefined for A \(0\); choose a transform"):
        district_peers(settings({"numeric": ["log(enrollment)", "pct_el"]}), latest)
    with pytest.raises(ParamsError, match=r"^params: peers: no column sqrt\(enrolment\) \(column enrolment\), pct_frl in the district profile$"):
        district_peers(settings({"numeric": ["sqrt(enrolment)", "pct_frl"]}), latest)
    with pytest.raises(ParamsError, match=r"no column grade_span == K-8 \(column grade_span\) in the district profile"):
        district_peers(settings({"numeric": ["pct_el"], "indicators": ["grade_span == K-8"]}), latest)
    assert len(district_peers(settings({"numeric": ["sqrt(enrollment)", "pct_el"]}), latest)) == 3 * 2


def test_a_hidden_peer_average_or_difference_hides_the_notable_flag_too():
    """A flag of "≥ 1 SD" beside a hidden peer average or difference says roughly what is hidden: the flag goes with
    them, and stays where both are shown."""
    from types import SimpleNamespace

    from districtstat import views
    from districtstat.privacy.disclosure import SUPPRESSED

    latest = pd.DataFrame(
        {
            "district_id": ["A", "B", "C", "D", "E", "F"],
            "enrollment": [9000.0, 1100.0, 1300.0, 1500.0, 1700.0, 1900.0],
            "median_household_income": [90000.0, 50000.0, 52000.0, 54000.0, 56000.0, 58000.0],
        }
    )
    size_hidden = {"B"}  # a peer whose enrollment every page hides
    release = SimpleNamespace(
        latest_indicators=latest,
        project=SimpleNamespace(settings=SimpleNamespace(peers=SimpleNamespace(numeric=["enrollment", "median_household_income"]))),
        peer_ids=lambda district: ["B", "C"],
        enrollment_hidden=lambda ids: np.array([d in size_hidden for d in ids], dtype=bool),
        withheld_figures=lambda ids, code: np.array([code == "enrollment" and d in size_hidden for d in ids], dtype=bool),
        min_n=10,
        latest_year=2024,
        left_out=pd.DataFrame(columns=["kind", "name", "measure", "switches_off"]),  # every measure reported
    )
    assert set(why_peers(latest, "A", ["B", "C"], ["enrollment", "median_household_income"])["flag"]) == {"≥ 1 SD"}
    shown = views.why_these_peers(release, "A").display_frame().set_index("feature")
    size, income = shown.loc["Enrollment"], shown.loc["Median household income"]
    assert (size["peer_average"], size["difference_sd"], size["flag"]) == (SUPPRESSED, SUPPRESSED, SUPPRESSED)
    assert income["flag"] == "≥ 1 SD" and SUPPRESSED not in (income["peer_average"], income["difference_sd"])
    size_hidden.clear()
    size_hidden.add("A")  # only the district's own size hidden: its value, difference and flag go, the peers' average stays
    own = views.why_these_peers(release, "A").display_frame().set_index("feature").loc["Enrollment"]
    assert (own["district"], own["difference_sd"], own["flag"]) == (SUPPRESSED, SUPPRESSED, SUPPRESSED) and own["peer_average"] != SUPPRESSED


def test_peers_are_found_block_by_block_sorting_only_the_nearest(monkeypatch):
    """Thousands of districts: no matrix of every district against every other (13,000² distances are 1.35 GB), and
    each district sorts only its nearest candidates, not all the others; the peers are the same as in one block."""
    from districtstat.analyses import peers

    table = pd.DataFrame({"district_id": [f"D{number:02d}" for number in range(40, 0, -1)], "x": [float(n * n % 37) + n / 100 for n in range(40)]})
    table.loc[[3, 9, 20], "x"] = 5.0  # ties, broken by id
    whole = find_peers(table, numeric=["x"], indicators=[], k=2)
    blocks, sorted_lengths = [], []
    cdist, lexsort = peers.cdist, np.lexsort
    monkeypatch.setattr(peers, "PEER_BLOCK", 3)
    monkeypatch.setattr(peers, "cdist", lambda a, b: blocks.append(a.shape[0]) or cdist(a, b))
    monkeypatch.setattr(np, "lexsort", lambda keys: sorted_lengths.append(len(keys[0])) or lexsort(keys))
    in_blocks = find_peers(table, numeric=["x"], indicators=[], k=2)
    pd.testing.assert_frame_equal(in_blocks, whole)
    assert max(blocks) == 3 and sum(blocks) == len(table)
    assert len(sorted_lengths) == len(table) and max(sorted_lengths) <= 2 + 2  # k, and at most two more tied with the k-th
