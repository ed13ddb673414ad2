"""The overview as a board member reads it: every district's mean score with its 90% margin, the interval its
scorecard shows, and hidden wherever the mean is."""

import pytest

from districtstat import views
from districtstat.config import load_project
from districtstat.report import Release


@pytest.fixture(scope="module", params=["first", "second"])
def release(request, built, second_release):
    """r1, and r2 of the shared consortium, where withdrawn students hide some districts' figures."""
    params = built[1] if request.param == "first" else second_release["params"]
    return Release(load_project(params))


def test_every_mean_score_has_the_interval_its_scorecard_shows_and_is_hidden_with_it(release):
    table = views.consortium_table(release)
    frame, suppressed = table.frame.reset_index(drop=True), table.suppressed.reset_index(drop=True)
    ids = table.districts
    checked = 0
    for code in ("mean_score_math", "mean_score_ela"):
        interval = code + "_interval"
        assert views.CONSORTIUM_LABELS[interval] == ("Math" if code.endswith("math") else "ELA") + " margin, 90% (± points)"
        assert (suppressed[interval] == suppressed[code]).all(), "an interval would give a hidden mean back"
        for row, district_id in enumerate(ids):
            if suppressed.loc[row, code]:
                continue
            card = views.scorecard_table(release, district_id, "Student outcomes").frame.set_index("indicator")
            label = next(label for label in card.index if label.lower().startswith(("mean math", "mean ela")[code.endswith("ela")]))
            low, high = (float(part.replace("−", "-").replace(",", "")) for part in card.loc[label, "latest_interval"].split(" to "))
            margin = float(frame.loc[row, interval].removeprefix("±"))
            assert frame.loc[row, code] - margin == pytest.approx(low, abs=0.1001) and frame.loc[row, code] + margin == pytest.approx(high, abs=0.1001), (district_id, code)
            checked += 1
    assert checked >= 20
    if release.project.release != "r1":
        assert suppressed["mean_score_math"].any(), "r2 hides some district's mean"
