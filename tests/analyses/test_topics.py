"""Topics of the quarter: params validation, and every district ranked with its peers' median (known answers)."""

import re

import pytest

from districtstat.analyses import topics
from districtstat.config import ParamsError, parse_settings
from districtstat.report import Release
from districtstat.config import load_project
from districtstat.execution.runner import plan, scope_hash

BASE = "title: T\ndataset: synthetic\ndata_dir: d\nrelease: r1\n"


def test_a_topic_naming_an_unknown_indicator_is_an_error_naming_the_key():
    with pytest.raises(ParamsError, match=r"topics\.0\.indicators.*unknown indicator\(s\) spend_buses"):
        parse_settings(BASE + "topics:\n  - {id: buses, title: Buses, indicators: [spend_buses]}\n", "params/x.yml")


def test_topic_ids_are_file_names_and_unique():
    with pytest.raises(ParamsError, match="lower-case"):
        parse_settings(BASE + "topics:\n  - {id: Buses!, title: B, indicators: [BUS_ON_TIME_PCT]}\n", "params/x.yml")
    with pytest.raises(ParamsError, match="used more than once"):
        parse_settings(BASE + "topics:\n  - {id: b, title: B, indicators: [BUS_ON_TIME_PCT]}\n  - {id: b, title: C, indicators: [BUS_ON_TIME_PCT]}\n", "params/x.yml")


@pytest.fixture(scope="module")
def release(built):
    """The suite's built release: these tests only read it."""
    _, params = built
    return Release(load_project(params))


def test_every_district_is_ranked_and_compared_with_the_median_of_its_own_peers(release):
    table = topics.ranked(release, "BUS_ON_TIME_PCT").set_index("district_id")
    values = release.table("operations_kpis")
    values = values[(values["kpi_code"] == "BUS_ON_TIME_PCT") & (values["school_year"] == values["school_year"].max())].set_index("district_id")["value"]
    assert set(table.index) == set(values.index)
    best = values.idxmax()
    assert table.loc[best, "rank"] == 1
    district = table.index[3]
    peers = release.peer_ids(district)
    assert table.loc[district, "peer_median"] == pytest.approx(values.reindex(peers).median())
    assert table.loc[district, "vs_peers"] == pytest.approx(values[district] - values.reindex(peers).median())


def test_lower_is_better_ranks_the_smallest_value_first(release):
    table = topics.ranked(release, "pct_chronic_absent")
    assert table.iloc[0]["value"] == table["value"].min() and table.iloc[0]["rank"] == 1


def test_topic_chart_draws_one_findable_point_per_district(release):
    from districtstat.site.charts import svg_markup

    fig, alt = topics.topic_chart(release, "BUS_ON_TIME_PCT")
    markup = svg_markup(fig, alt)
    for district_id in topics.ranked(release, "BUS_ON_TIME_PCT")["district_id"]:
        assert f'id="topic-BUS_ON_TIME_PCT-{district_id}"' in markup
    assert markup.startswith('<svg role="group" aria-label="Dot chart of')
    first = topics.ranked(release, "BUS_ON_TIME_PCT").iloc[0]
    assert f'<a href="district:{first["district_id"]}" id="topic-BUS_ON_TIME_PCT-{first["district_id"]}" class="district-mark"><title>{first["district_name"]}: {first["value"]:.1f}%</title>' in markup


def test_topics_run_once_each_and_do_not_change_what_district_pages_read(release):
    project = release.project
    tasks = plan(project, ["D01"])
    assert [t.label for t in tasks if t.topic] == ["topics/transportation"]
    without = project.settings.model_copy(update={"topics": []})
    other = type(project)(project.params_file, without, project.root)
    assert scope_hash(other, "D01") == scope_hash(project, "D01")
    assert scope_hash(other, None) == scope_hash(project, None), "the overview does not read the topics"
    renamed = project.settings.model_copy(update={"topics": [project.settings.topics[0].model_copy(update={"title": "Buses"})]})
    assert scope_hash(type(project)(project.params_file, renamed, project.root), None, "transportation") != scope_hash(project, None, "transportation")


def test_a_survey_number_is_ranked_like_an_indicator_against_the_answers_of_its_peers(release):
    topic = topics.topic(release, "transportation")
    late = next(m for m in topics.survey_measures(topic) if m.question.id == "late_routes")
    assert (late.label, late.unit, late.better, late.gid) == ("Routes late at least once a week", "%", "lower", "survey-transportation-late_routes")
    table = topics.ranked(release, late).set_index("district_id")
    answers = release.table("survey_answers").query("question_id == 'late_routes'").set_index("district_id")["value"]
    assert set(table.index) == set(answers.index) and table.loc[answers.idxmin(), "rank"] == 1
    district = table.index[2]
    assert table.loc[district, "peer_median"] == pytest.approx(answers.reindex(release.peer_ids(district)).median()), "peers that did not answer are left out"
    labels, formats = topics.table_labels(late), topics.table_formats(late)
    assert (labels["value"], labels["vs_peers"], formats["value"]) == ("Answer (%)", "Difference from peers (percentage points)", "{:.1f}%")


def test_a_topic_without_a_survey_shows_no_survey_section(release):
    plain = release.project.settings.topics[0].model_copy(update={"survey": None})
    assert topics.survey_measures(plain) == [] and topics.survey_sections(release, plain) == []


def test_a_value_the_table_hides_is_neither_plotted_nor_named_nor_ranked_around(release, monkeypatch):
    """The attack on the example: a topic chart's alt text read "from Riverbend City Schools at $344" while the
    district's figures were hidden elsewhere. Once its enrollment is hidden, the table shows `*` for its value, and the
    chart, its marks and its alt text leave the district out; ranks and peers' medians are of the values shown."""
    import numpy as np

    from districtstat.site.charts import svg_markup
    from districtstat.privacy.disclosure import SUPPRESSED

    code = "spend_transportation"
    chosen = topics.measure(code)
    before = topics.ranked(Release(release.project), code)
    lowest = before.sort_values(["value", "district_id"]).iloc[0]
    fig, alt = topics.topic_chart(Release(release.project), code)
    assert f"from {lowest['district_name']} at {topics.shown_value(chosen, lowest['value'])}" in alt, "the district the attack names"
    monkeypatch.setattr(Release, "enrollment_hidden", lambda self, ids: np.array([d == lowest["district_id"] for d in ids], dtype=bool))
    hidden = Release(release.project)
    table = topics.topic_table(hidden, code)
    row = table.districts.index(lowest["district_id"])
    assert table.display_frame().loc[row, "value"] == SUPPRESSED and row == len(table.districts) - 1, "its row comes last, telling no order"
    fig, alt = topics.topic_chart(hidden, code)
    markup = svg_markup(fig, alt)
    assert lowest["district_name"] not in alt and topics.shown_value(chosen, lowest["value"]) not in alt
    assert f'id="topic-{code}-{lowest["district_id"]}"' not in markup and lowest["district_name"] not in markup
    assert alt.startswith(f"Dot chart of {len(before) - 1} districts")
    shown = topics.ranked(hidden, code).set_index("district_id")
    shown = shown[~shown["hidden"]]
    assert sorted(shown["rank"]) == list(range(1, len(shown) + 1)), "no gap in the ranks where the hidden value was"
    for district in shown.index:
        assert shown.loc[district, "peer_median"] == pytest.approx(shown["value"].reindex(hidden.peer_ids(district)).median(), nan_ok=True)


def test_a_value_the_release_withholds_keeps_its_districts_row_marked_hidden(release, monkeypatch):
    """A withheld figure is not in the published history at all (a rate resting on a count students moved): its
    district still has its row, last and `*`, as a district whose enrollment is hidden does, rather than vanishing
    from the table as if it did not exist; a district that does not report the indicator has no row."""
    import pandas as pd

    from districtstat.privacy.disclosure import SUPPRESSED

    code = "pct_chronic_absent"
    before = topics.ranked(Release(release.project), code)
    district = before.loc[~before["hidden"]].sort_values("district_id")["district_id"].iloc[0]
    year = int(before["school_year"].max())
    hidden = Release(release.project)
    already = hidden.withheld_history
    withheld = pd.concat([already, pd.DataFrame({"district_id": [district], "school_year": [year], "code": [code]})], ignore_index=True)
    history = hidden.history
    monkeypatch.setattr(Release, "history", property(lambda self: history[~((history["district_id"] == district) & (history["school_year"] == year) & (history["code"] == code))]))
    monkeypatch.setattr(Release, "withheld_history", property(lambda self: withheld))
    after = topics.ranked(hidden, code)
    hidden_rows = after.index[after["hidden"]]
    assert len(after) == len(before) and district in set(after.loc[hidden_rows, "district_id"])
    assert list(hidden_rows) == list(range(len(after) - len(hidden_rows), len(after))), "hidden rows come last, telling no order"
    table = topics.topic_table(hidden, code)
    assert table.display_frame().loc[table.districts.index(district), "value"] == SUPPRESSED
    monkeypatch.setattr(Release, "withheld_history", property(lambda self: already))
    assert district not in set(topics.ranked(Release(release.project), code)["district_id"]), "not reported, not withheld: no row"


def test_the_chart_plots_only_the_values_its_table_shows(release, monkeypatch):
    """Whatever hides a value in the table (today the enrollment, a survey count; tomorrow another rule), the chart reads
    the table: the district whose value is `*` there has no mark, no title and no place in the alt text."""
    from districtstat.site.charts import svg_markup

    code = "BUS_ON_TIME_PCT"
    table_of = topics.topic_table

    def hiding_the_highest(release, chosen):
        table = table_of(release, chosen)
        table.suppressed.loc[table.frame["value"].idxmax(), "value"] = True
        return table

    highest = topics.ranked(release, code).sort_values(["value", "district_id"]).iloc[-1]
    monkeypatch.setattr(topics, "topic_table", hiding_the_highest)
    fig, alt = topics.topic_chart(release, code)
    markup = svg_markup(fig, alt)
    assert highest["district_name"] not in alt and highest["district_name"] not in markup and f'id="topic-{code}-{highest["district_id"]}"' not in markup
    assert alt.startswith(f"Dot chart of {len(topics.ranked(release, code)) - 1} districts"), alt


def test_each_difference_from_the_peers_has_its_interval_or_says_why_it_is_exact(release):
    absent = topics.ranked(release, "pct_chronic_absent").set_index("district_id")
    for district, row in absent[~absent["hidden"]].iterrows():
        low, high = (float(end.replace("−", "-")) for end in row["vs_peers_interval"].split(" to "))
        assert low <= row["vs_peers"] <= high and high - low > 1, district  # a few hundred students: points, not tenths
    buses = topics.ranked(release, "BUS_ON_TIME_PCT")
    assert set(buses["vs_peers_interval"].dropna()) == {"exact"}  # records of every bus run: no sampling error
    labels = topics.table_labels("pct_chronic_absent")
    assert labels["vs_peers_interval"] == "Difference from peers, 90% interval (percentage points)"
    caption = topics.table_caption("pct_chronic_absent")[1]
    assert "90% interval" in caption and "Exact: every figure is a record" in caption


def test_the_example_topics_say_what_the_data_show_and_claim_no_cause():
    from helpers import ROOT

    settings = load_project(ROOT / "params" / "synthetic.yml").settings
    for chosen in settings.topics:
        assert not re.search(r"fall behind|whatever their school|decide whether", chosen.why), chosen.id
    absence = next(t for t in settings.topics if t.id == "chronic-absence")
    assert "not proof that absence causes" in absence.why
