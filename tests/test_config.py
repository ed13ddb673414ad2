from pathlib import Path

import pytest

from districtstat.config import ParamsError, load_project, parse_settings

ROOT = Path(__file__).parents[1]


def test_example_params_resolve_every_path_from_the_project_root():
    project = load_project(ROOT / "params" / "synthetic.yml")
    assert project.root == ROOT.resolve()
    assert project.tables_dir == ROOT.resolve() / "build" / project.release / "tables"
    assert project.release_site_dir == ROOT.resolve() / "site" / project.release
    assert project.relative(project.data_dir) == "data/synthetic"


def test_unknown_key_is_named_with_its_file(snapshot_params_error):
    message = snapshot_params_error("title: x\ndataset: synthetic\ndata_dir: d\nrelease: r1\npeers:\n  kk: 3\n")
    assert message == "params/test.yml: peers.kk: unknown key"


def test_missing_and_wrong_values_are_explained(snapshot_params_error):
    message = snapshot_params_error("title: x\ndataset: synthetic\nrelease: 'bad name'\nmin_n: 0\n")
    assert message.splitlines() == [
        "params/test.yml: data_dir: required key is missing",
        "params/test.yml: release: Value error, must be letters, digits, '.', '_' or '-', starting with a letter or digit (got 'bad name')",
        "params/test.yml: min_n: Input should be greater than or equal to 1 (got 0)",
    ]


def test_yaml_syntax_error_names_the_line(snapshot_params_error):
    message = snapshot_params_error("title: x\ndataset: [unclosed\n")
    assert message.startswith("params/test.yml:3: not valid YAML")


@pytest.fixture
def snapshot_params_error():
    def parse(text: str) -> str:
        with pytest.raises(ParamsError) as caught:
            parse_settings(text, "params/test.yml")
        return str(caught.value)

    return parse


def test_a_goal_needs_an_indicator_with_a_better_direction(snapshot_params_error):
    message = snapshot_params_error(
        "title: x\ndataset: synthetic\ndata_dir: d\nrelease: r1\ndistricts:\n  D01:\n    goals:\n      per_pupil_spending: 12000\n"
    )
    assert "districts.D01.goals: Value error, goal 'per_pupil_spending' is neither an indicator with a better direction" in message


def test_numeric_district_ids_are_read_as_text():
    settings = parse_settings("title: T\ndataset: custom\ndata_dir: d\nrelease: r\ndistricts:\n  67819:\n    goals:\n      mean_score_math: 700\n", "params/x.yml")
    assert list(settings.districts) == ["67819"]


PEERS = "title: x\ndataset: synthetic\ndata_dir: d\nrelease: r1\npeers:\n"


def test_peer_features_and_weights_are_explained_with_their_key(snapshot_params_error):
    assert snapshot_params_error(PEERS + "  numeric: [ln(enrollment)]\n") == (
        "params/test.yml: peers.numeric: Value error, 'ln(enrollment)' is neither a column nor log(column), log10(column), "
        "log2(column) or sqrt(column) (got ['ln(enrollment)'])"
    )
    assert snapshot_params_error(PEERS + "  indicators: ['grade_span = K-8']\n").startswith(
        "params/test.yml: peers.indicators: Value error, 'grade_span = K-8' is neither a column nor 'column == value'"
    )
    assert snapshot_params_error(PEERS + "  numeric: [log(enrollment), pct_el]\n  weights: {enrollment: 3}\n") == (
        "params/test.yml: peers.weights: Value error, weights name enrollment, not a feature in peers.numeric or "
        "peers.indicators (write a feature as it is declared: log(enrollment), pct_el, locale) (got {'enrollment': 3})"
    )
    assert "peers.weights: Value error, every peer weight must be above 0: pct_el (0)" in snapshot_params_error(PEERS + "  weights: {pct_el: 0}\n")


def test_peer_transforms_tests_and_weights_are_read_as_written():
    settings = parse_settings(
        PEERS + "  numeric: [log10(enrollment), sqrt(pct_el), log_enrollment]\n  indicators: ['grade_span == K-8', locale]\n"
        "  weights: {log10(enrollment): 3, 'grade_span == K-8': 0.5}\n",
        "params/test.yml",
    )
    assert settings.peers.numeric == ["log10(enrollment)", "sqrt(pct_el)", "log_enrollment"]
    assert settings.peers.weights == {"log10(enrollment)": 3.0, "grade_span == K-8": 0.5}


def test_the_same_params_text_is_parsed_once_and_a_broken_one_each_time(monkeypatch):
    """Every notebook run opens its release through the params file: a warm run finds the text its server parsed."""
    import yaml

    from districtstat.config import project

    parsed = []
    monkeypatch.setattr(project.yaml, "safe_load", lambda text: parsed.append(text) or yaml.load(text, Loader=yaml.SafeLoader))
    text = "title: Parsed once\ndataset: custom\ndata_dir: d\nrelease: r\nmin_n: 7\n"
    first = parse_settings(text, "params/once.yml")
    assert parse_settings(text, "params/once.yml") is first and first.min_n == 7
    assert parse_settings(text.replace("7", "8"), "params/once.yml").min_n == 8
    broken = "title: Parsed each time\nmin_n: 0\n"
    for _ in range(2):
        with pytest.raises(ParamsError, match="min_n: Input should be greater than or equal to 1"):
            parse_settings(broken, "params/once.yml")
    assert parsed == [text, text.replace("7", "8"), broken, broken]
