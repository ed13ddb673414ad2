"""The methods, glossary and data-quality pages of a release: what a reader needs to trust the numbers.

Every formula here is written from the code that computes it (gaps, efficiency, peers, scorecard,
disclosure) and from the release's own settings, so the page cannot describe a model the release did not fit.

The submodules, one concern each (every name is re-exported here, so `districtstat.site.methods.methods_page` and
the like keep working):

- `writing`: how a method is written (its name, formula and meaning: `method`), shares, percentiles, subscripts
  and the dash of an empty cell (`NONE`);
- `code_tables`: what the page reads from the code that applies it: the spending categories of the NCES function
  codes, each unit's smallest meaningful change, the percentage steps by group size (`rounding_table`);
- `models`: the sections on the statistical models: student results, gaps, spending and the efficiency model,
  peer districts, the scorecard, processes and surveys;
- `privacy`: the section on disclosure control (`privacy_section`);
- `parameters`: the table of every setting of the release (`parameters_section`);
- `page`: the Methods and glossary page as a whole (`methods_page`, `GLOSSARY`);
- `data_quality`: the data-quality page, each input checked against its data contract (`data_quality_page`).
"""

from districtstat.site.methods.code_tables import function_codes, meaningful_changes, rounding_table
from districtstat.site.methods.data_quality import data_quality_page, input_name, period, problem_lines, quality_row, quality_summary, survey_quality
from districtstat.site.methods.models import (
    MISSING_RULES,
    efficiency_model_section,
    gaps_section,
    indicator_term,
    peers_section,
    plain_model,
    results_section,
    routines_section,
    scorecard_section,
    spending_section,
)
from districtstat.site.methods.page import GLOSSARY, glossary_section, methods_page
from districtstat.site.methods.parameters import (
    MODEL_TERMS,
    SETTING_NOTES,
    entries_setting,
    entry_model,
    listed_setting,
    note,
    numbered,
    parameters_section,
    setting_rows,
    shown_list,
    shown_value,
)
from districtstat.site.methods.privacy import privacy_section
from districtstat.site.methods.writing import NONE, SUBSCRIPTS, method, percent, quantile, subscript

__all__ = [
    "GLOSSARY",
    "MISSING_RULES",
    "MODEL_TERMS",
    "NONE",
    "SETTING_NOTES",
    "SUBSCRIPTS",
    "data_quality_page",
    "efficiency_model_section",
    "entries_setting",
    "entry_model",
    "function_codes",
    "gaps_section",
    "glossary_section",
    "indicator_term",
    "input_name",
    "listed_setting",
    "meaningful_changes",
    "method",
    "methods_page",
    "note",
    "numbered",
    "parameters_section",
    "peers_section",
    "percent",
    "period",
    "plain_model",
    "privacy_section",
    "problem_lines",
    "quality_row",
    "quality_summary",
    "quantile",
    "results_section",
    "rounding_table",
    "routines_section",
    "scorecard_section",
    "setting_rows",
    "shown_list",
    "shown_value",
    "spending_section",
    "subscript",
    "survey_quality",
]
