"""The tables, charts and sentences of each page, built from a release so that notebooks stay thin.

Each function returns what a page shows: a `ProtectedTable`, a matplotlib figure with its alt text, or
plain-language Markdown. Wording is for a board member, not a statistician.

One submodule per notebook, and one for what several share:

- `common`: values, changes and signed numbers in words, school years, the keys of published enrollment counts,
  whether the efficiency model may rank, the box that finds a district on a chart of every district;
- `overview`: the table of every district, its note on the efficiency column, the spending (or need) and results chart;
- `outcome_gaps`: each student group's gap, in the latest year and over every year, and every group's results;
- `efficiency`: the distance from the efficiency prediction, the model's fit, coefficients and alternatives, spending
  by function, and how school budgets follow need;
- `peers`: the nearest peers, why they are peers, and the district's standing among them;
- `scorecard`: every indicator of each area over every school year, its table and small charts, standing among peers.

Notebooks call `views.<name>` after `from districtstat import views`: every name is re-exported here. Beside them,
`chart_kinds` lists every kind of chart the pages draw, for the chart benchmark and the tests.
"""

from __future__ import annotations

from districtstat.views.common import (
    BY_UNIT,
    CHANGE_BY_UNIT,
    MONEY,
    SHARE_FORMATS,
    UNIT_CODES,
    UNIT_WORDS,
    change_text,
    efficiency_fit,
    enrolled_keys,
    findable_districts,
    group_shares,
    interval_text,
    model_can_rank,
    natural_key,
    ordinal,
    percent_text,
    points,
    school_year,
    signed_dollars,
    signed_points,
    signed_ratio,
    value_text,
)
from districtstat.views.overview import (
    CONSORTIUM_FORMATS,
    CONSORTIUM_LABELS,
    consortium_how_to_read,
    consortium_note,
    consortium_table,
    spending_outcome_caption,
    spending_outcome_chart,
    spending_reported,
)
from districtstat.views.outcome_gaps import (
    GAP_FORMATS,
    GAP_LABELS,
    GAP_SERIES_NOTE,
    RESULT_FORMATS,
    RESULT_LABELS,
    SUBJECT_LABELS,
    district_gaps,
    gap_chart,
    gap_chart_note,
    gap_labels,
    gap_lead,
    gap_series_formats,
    gap_series_labels,
    gap_series_table,
    gap_table,
    gap_trend_words,
    subgroup_results,
    subject_words,
)
from districtstat.views.efficiency import (
    COEFFICIENT_FORMATS,
    COEFFICIENT_LABELS,
    FUNCTION_FORMATS,
    FUNCTION_LABELS,
    MODEL_FORMATS,
    MODEL_LABELS,
    VERDICT_WORDS,
    allocation_chart,
    allocation_lead,
    allocation_row,
    better_alternative,
    coefficient_table,
    efficiency_chart,
    efficiency_chart_caption,
    efficiency_lead,
    model_comparison,
    model_fit_sentence,
    resting_on_too_few,
    spending_by_function,
)
from districtstat.views.peers import (
    FEATURE_LABELS,
    PEER_FORMATS,
    PEER_LABELS,
    STANDING_FORMATS,
    STANDING_LABELS,
    STANDING_NOTE,
    WHY_FORMATS,
    WHY_LABELS,
    peer_table,
    standing_among_peers,
    standing_chart,
    standing_table,
    why_these_peers,
)
from districtstat.views.scorecard import (
    AREA_NOTES,
    SCORECARD_FORMATS,
    SCORECARD_LABELS,
    district_scorecard,
    district_series,
    gap_group_key,
    scorecard_chart,
    scorecard_formats,
    scorecard_labels,
    scorecard_lead,
    scorecard_table,
    series_chart,
    show_scorecard_area,
    year_columns,
)

# Importers read these from the views, as they did when the views were one module.
from districtstat.analyses.efficiency import in_sentence
from districtstat.data.aggregate import subgroup_label

__all__ = [
    # common
    "BY_UNIT", "CHANGE_BY_UNIT", "MONEY", "SHARE_FORMATS", "UNIT_CODES", "UNIT_WORDS", "change_text", "efficiency_fit",
    "enrolled_keys", "findable_districts", "group_shares", "interval_text", "model_can_rank", "natural_key", "ordinal",
    "percent_text", "points", "school_year", "signed_dollars", "signed_points", "signed_ratio", "value_text",
    # overview
    "CONSORTIUM_FORMATS", "CONSORTIUM_LABELS", "consortium_how_to_read", "consortium_note", "consortium_table", "spending_outcome_caption",
    "spending_outcome_chart", "spending_reported",
    # outcome_gaps
    "GAP_FORMATS", "GAP_LABELS", "GAP_SERIES_NOTE", "RESULT_FORMATS", "RESULT_LABELS", "SUBJECT_LABELS", "district_gaps", "gap_chart",
    "gap_chart_note", "gap_labels", "gap_lead",
    "gap_series_formats", "gap_series_labels", "gap_series_table", "gap_table", "gap_trend_words", "subgroup_results", "subject_words",
    # efficiency
    "COEFFICIENT_FORMATS", "COEFFICIENT_LABELS", "FUNCTION_FORMATS", "FUNCTION_LABELS", "MODEL_FORMATS", "MODEL_LABELS",
    "VERDICT_WORDS", "allocation_chart", "allocation_lead", "allocation_row", "better_alternative", "coefficient_table",
    "efficiency_chart", "efficiency_chart_caption", "efficiency_lead", "model_comparison", "model_fit_sentence", "resting_on_too_few", "spending_by_function",
    # peers
    "FEATURE_LABELS", "PEER_FORMATS", "PEER_LABELS", "STANDING_FORMATS", "STANDING_LABELS", "STANDING_NOTE", "WHY_FORMATS", "WHY_LABELS",
    "peer_table", "standing_among_peers", "standing_chart", "standing_table", "why_these_peers",
    # scorecard
    "AREA_NOTES", "SCORECARD_FORMATS", "SCORECARD_LABELS", "district_scorecard", "district_series", "gap_group_key",
    "scorecard_chart", "scorecard_formats", "scorecard_labels", "scorecard_lead", "scorecard_table", "series_chart",
    "show_scorecard_area", "year_columns",
    # from elsewhere
    "in_sentence", "subgroup_label",
]
