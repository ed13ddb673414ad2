"""The outcome gaps page as a board member reads it, on the shared test consortium: each gap the lead names with its
interval, at the site's one level, and the words of its trend only where the change's interval supports them."""

import re

import pytest

from districtstat import views
from districtstat.analyses.gaps import publishable
from districtstat.config import load_project
from districtstat.report import Release


@pytest.fixture(scope="module")
def release(built):
    _, params = built
    return Release(load_project(params))


def test_the_lead_gives_each_gap_its_90_percent_interval_and_a_trend_word_only_its_interval_supports(release):
    assert release.project.settings.gaps.confidence == 0.90  # unless the params choose another level
    named = 0
    for district in ("D01", "D03", "D14"):
        gaps = publishable(views.district_gaps(release, district), release.min_n).set_index(["group", "subject"])
        for line in views.gap_lead(release, district).splitlines()[2:]:
            found = re.match(r"- (.+) scored \*\*(\d+) points (?:below|above)\*\* other students in (.+?) \(90% interval (\S+) to (\S+) points", line)
            assert found, line
            subject = {"math": "MATH", "English language arts": "ELA"}[found.group(3)]
            row = gaps.loc[(found.group(1), subject)]
            row = row[row["comparison_kind"] == "complement"].iloc[0] if row.ndim > 1 else row
            assert (found.group(4), found.group(5)) == tuple(views.interval_text(row["gap_ci_low"], row["gap_ci_high"]).split(" to "))
            assert "95%" not in line and ("widening" not in line or "no clear change" not in line)
            if "has been widening" in line or "has been narrowing" in line:
                low, high = (float(x.replace("−", "-")) for x in re.search(r"90% interval (\S+) to (\S+);", line).groups())
                assert low > 0 or high < 0, line
            named += 1
    assert named >= 3
    labels = views.gap_labels(release)
    assert labels["gap_ci"] == "90% confidence interval" and "90% confidence intervals" in views.gap_chart_note(release)


def test_every_group_mean_has_its_90_percent_margin_hidden_wherever_the_mean_is(release):
    checked = 0
    for district in ("D01", "D03", "D10", "D14"):
        table = views.subgroup_results(release, district)
        frame, suppressed = table.frame, table.suppressed
        assert (suppressed["mean_margin"] == suppressed["mean_score"]).all(), district
        shown = frame[~suppressed["mean_score"]]
        expected = 1.6449 * shown["sd_score"] / shown["n"] ** 0.5
        assert (shown["mean_margin"] - expected).abs().max() < 0.01, district
        checked += len(shown)
    assert checked > 40 and views.RESULT_LABELS["mean_margin"] == "Mean margin, 90% (± points)"
    assert views.RESULT_FORMATS["mean_margin"].format(3.14159) == "±3.1"
