"""What every district's pages compute about the whole consortium, computed once before the notebooks' runs are forked.

A warm run starts as a copy of the fork server, so whatever the release remembers there (who is withheld,
each district's peers, every action's progress) each notebook inherits instead of computing again. The results
are those a notebook would compute itself: the same functions, on the same tables.
"""

from __future__ import annotations

from districtstat.analyses.actions import action_progress
from districtstat.report import Release
from districtstat.views.common import findable_districts
from districtstat.views.peers import consortium_kpis

SHARED_PROPERTIES = ("latest_year", "latest_indicators", "history", "withheld_history", "tested_students", "publishable_districts", "peer_lists", "district_names", "enrollment_reported", "left_out")
SHARED_RESULTS = (findable_districts, consortium_kpis, action_progress)


def compute_shared(release: Release) -> list[str]:
    """Compute what every page shares; gives back what could not be computed from this release's tables, which the
    notebooks needing it then compute (and report on) themselves."""
    skipped = []
    for name in SHARED_PROPERTIES:
        try:
            getattr(release, name)
        except (FileNotFoundError, KeyError, ValueError):
            skipped.append(name)
    for compute in SHARED_RESULTS:
        try:
            compute(release)
        except (FileNotFoundError, KeyError, ValueError):
            skipped.append(compute.__name__)
    return skipped
