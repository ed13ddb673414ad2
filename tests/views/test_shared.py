"""What the fork server computes once for every kernel is what each page would compute itself."""

import pandas as pd

from districtstat import views
from districtstat.analyses.actions import action_progress
from districtstat.config import load_project
from districtstat.report import Release
from districtstat.views.shared import SHARED_PROPERTIES, compute_shared


def test_shared_results_are_those_a_page_computes_itself(built):
    _, params = built
    shared, own = Release(load_project(params)), Release(load_project(params))
    assert compute_shared(shared) == []
    assert {"findable", "kpis", "kpi_errors", "actions"} <= {key[0] for key in shared._remembered}
    assert all(name in vars(shared) for name in SHARED_PROPERTIES), "every shared property computed before a kernel forks"
    assert not own._remembered
    for district in ("D02", "D07"):
        pd.testing.assert_frame_equal(views.standing_among_peers(shared, district), views.standing_among_peers(own, district))
        pd.testing.assert_frame_equal(action_progress(shared, district), action_progress(own, district))
        pd.testing.assert_frame_equal(views.scorecard_table(shared, district, "Operations").frame, views.scorecard_table(own, district, "Operations").frame)
    assert views.findable_districts(shared) == views.findable_districts(own)
    pd.testing.assert_frame_equal(shared.withheld_history, own.withheld_history)
