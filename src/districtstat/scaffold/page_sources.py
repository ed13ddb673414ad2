"""The text of a new page's files, for a district page and for a consortium page: the notebook's cells, its view
module and that module's test. `$name` stands for the page's name.

What a new page shows first is something real and safe: every indicator of the latest school year, read from
`release.history`, the figures every page may publish (rates and shares rounded by group size, figures that rest on
too few students left out), through `protect` as every table is. It is there to be replaced by what the page is for.
"""

from __future__ import annotations

from string import Template

DISTRICT_CELLS = [
    ("markdown", "Every indicator of this district in the latest school year, as its other pages publish them."),
    ("parameters", None),
    ("code", "from districtstat import report\nfrom districtstat.views import $name\n\nconsortium = report.open_release(params_file, release)"),
    ("markdown", "## Every indicator"),
    (
        "code",
        "report.show_table(\n"
        "    $name.indicator_table(consortium, district_id),\n"
        '    caption="Every indicator of this district, latest school year",\n'
        '    how_to_read="Each figure in its own unit, rounded as every page shows it. A * marks a figure the release does not publish because it rests on too few students.",\n'
        "    labels=$name.LABELS,\n"
        "    formats=$name.FORMATS,\n"
        ")",
    ),
]

CONSORTIUM_CELLS = [
    ("markdown", "Every indicator of the consortium's districts in the latest school year: for how many districts it is published, and the middle of their figures."),
    ("parameters", None),
    ("code", "from districtstat import report\nfrom districtstat.views import $name\n\nconsortium = report.open_release(params_file, release)"),
    ("markdown", "## Every indicator"),
    (
        "code",
        "report.show_table(\n"
        "    $name.indicator_table(consortium),\n"
        '    caption="Every indicator across the consortium, latest school year",\n'
        '    how_to_read="Districts counts the districts whose pages publish the indicator; half of them are above the median and half below. A district\'s figure withheld on its pages is left out here too.",\n'
        "    labels=$name.LABELS,\n"
        "    formats=$name.FORMATS,\n"
        ")",
    ),
]

_VIEW_HEAD = '''"""The $name page: $what

Written by `districtstat new notebook $name` as a starting point, to be changed into what the page is for. Its figures
are read from `release.history`, the figures every page may publish (rates and shares rounded by group size, figures
resting on too few students left out), and go through `protect`, as `report.show_table` requires of every table.
Keep it that way: compute here, show in notebooks/$name.ipynb.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from districtstat.analyses.indicators import INDICATORS
from districtstat.privacy.disclosure import ProtectedTable, protect
from districtstat.report import ByRow, Release
from districtstat.views.common import UNIT_CODES, UNIT_WORDS, value_text

'''

_BY_UNIT = 'ByRow(lambda value, row: value_text(float(value), UNIT_CODES.get(row["unit"], row["unit"])))'

DISTRICT_VIEW = _VIEW_HEAD + f'''LABELS = {{"area": "Area", "indicator": "Indicator", "unit": "Unit", "value": "This district"}}
FORMATS = {{"value": {_BY_UNIT}}}


def indicator_table(release: Release, district_id: str) -> ProtectedTable:
    """Every indicator of the district in the latest school year, in the order of `INDICATORS`.

    A figure the data hold but no page may publish is marked `*` (suppressed), not left out: a reader should not
    wonder whether it was ever measured."""
    year = release.latest_year
    history = release.history
    own = history[(history["district_id"] == district_id) & (history["school_year"] == year)]
    values = dict(zip(own["code"], own["value"]))
    withheld = release.withheld_codes(district_id, year)
    codes = [code for code in INDICATORS if code in values or code in withheld]
    table = pd.DataFrame(
        {{
            "area": [INDICATORS[code].area for code in codes],
            "indicator": [INDICATORS[code].label for code in codes],
            "unit": [UNIT_WORDS.get(INDICATORS[code].unit, INDICATORS[code].unit) for code in codes],
            "value": [values.get(code, np.nan) for code in codes],
        }}
    )
    protected = protect(table, counts={{}}, min_n=release.min_n)  # no counts of students: each figure is one pages publish
    marked = np.array([code in withheld for code in codes], dtype=bool)
    protected.frame.loc[marked, "value"] = np.nan
    protected.suppressed.loc[marked, "value"] = True
    return protected.of_school_year(year)
'''

CONSORTIUM_VIEW = _VIEW_HEAD + f'''LABELS = {{"area": "Area", "indicator": "Indicator", "unit": "Unit", "districts": "Districts", "median": "Median"}}
FORMATS = {{"districts": "{{:.0f}}", "median": {_BY_UNIT}}}


def indicator_table(release: Release) -> ProtectedTable:
    """Every indicator in the latest school year: how many districts' pages publish it, and the median of those figures.

    Only published figures enter the median, so it tells nothing a reader of every district's page could not work out."""
    year = release.latest_year
    history = release.history
    latest = history[(history["school_year"] == year) & history["code"].isin(INDICATORS)]
    by_code = {{code: values for code, values in latest.groupby("code")["value"]}}
    codes = [code for code in INDICATORS if code in by_code]
    table = pd.DataFrame(
        {{
            "area": [INDICATORS[code].area for code in codes],
            "indicator": [INDICATORS[code].label for code in codes],
            "unit": [UNIT_WORDS.get(INDICATORS[code].unit, INDICATORS[code].unit) for code in codes],
            "districts": [len(by_code[code]) for code in codes],
            "median": [float(by_code[code].median()) for code in codes],
        }}
    )
    return protect(table, counts={{}}, min_n=release.min_n).of_school_year(year)  # counts of districts, not of students
'''

_TEST_HEAD = '''"""Tests for districtstat.views.$name: the page shows the release's published figures, and nothing it withholds."""

from districtstat.analyses.indicators import INDICATORS
from districtstat.config import load_project
from districtstat.privacy.disclosure import SUPPRESSED
from districtstat.report import Release
from districtstat.views import $name

'''

DISTRICT_TEST = _TEST_HEAD + '''
def test_${name}_shows_each_published_indicator_of_the_latest_year_and_marks_each_withheld_one(built):
    _, params = built
    release = Release(load_project(params))
    district = sorted(release.publishable_districts)[0]
    shown = $name.indicator_table(release, district).display_frame().set_index("indicator")["value"]
    history = release.history
    own = history[(history["district_id"] == district) & (history["school_year"] == release.latest_year)]
    published = {INDICATORS[code].label: value for code, value in zip(own["code"], own["value"]) if code in INDICATORS}
    assert len(published) >= 5
    assert shown[shown != SUPPRESSED].to_dict() == published
    withheld = release.withheld_codes(district, release.latest_year) & set(INDICATORS)
    assert sorted(shown[shown == SUPPRESSED].index) == sorted(INDICATORS[code].label for code in withheld)
'''

CONSORTIUM_TEST = _TEST_HEAD + '''
def test_${name}_counts_the_districts_publishing_each_indicator_and_takes_the_median_of_their_figures(built):
    _, params = built
    release = Release(load_project(params))
    table = $name.indicator_table(release).display_frame().set_index("indicator")
    history = release.history
    latest = history[(history["school_year"] == release.latest_year) & history["code"].isin(INDICATORS)]
    assert len(table) == latest["code"].nunique() >= 5
    assert not (table == SUPPRESSED).to_numpy().any()
    for code, values in latest.groupby("code")["value"]:
        row = table.loc[INDICATORS[code].label]
        assert (row["districts"], row["median"]) == (len(values), values.median())
'''

SOURCES = {
    "district": {"cells": DISTRICT_CELLS, "view": DISTRICT_VIEW, "test": DISTRICT_TEST, "what": "every indicator of a district in the latest school year."},
    "consortium": {"cells": CONSORTIUM_CELLS, "view": CONSORTIUM_VIEW, "test": CONSORTIUM_TEST, "what": "every indicator across the consortium in the latest school year."},
}


def filled(text: str, name: str, what: str = "") -> str:
    return Template(text).substitute(name=name, what=what)
