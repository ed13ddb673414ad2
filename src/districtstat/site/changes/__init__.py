"""What changed since the previous release: the key figures that moved, district by district, and any change in methods.

Each release publishes its key figures (`downloads/key_figures.csv`) and its settings (`downloads/parameters.json`);
the next release reads both back from the previous release's published folder and compares. Comparing the
published files, not the previous build's tables, means the page can only ever show what was already public.

The submodules, one concern each (every name is re-exported here, so `districtstat.site.changes.figure_changes` and
the like keep working):

- `published`: the names of the files a release publishes for the next (`KEY_FIGURES_FILE`, `PARAMETERS_FILE`,
  `ACTIONS_FILE`, `SURVEY_ANSWERS_FILE`) and a published record read back as text (`read_published`, `published_text`);
- `key_figures`: one release's key figures (`key_figures`), their public CSV and reading it back (`write_key_figures`,
  `read_key_figures`);
- `moves`: the figures that moved between two releases, at the precision the pages show (`figure_changes`);
- `parameters`: the settings a release publishes (`parameters_record`, `write_parameters`, `read_parameters`) and the
  sentences saying which settings, code or libraries changed (`settings_changes`);
- `page`: the What changed page (`what_changed_page`, `what_changed_since`);
- `routines`: its sections on the action plans and survey answers that changed (`action_section`, `answer_section`).
"""

from districtstat.site.changes.key_figures import (
    COLUMNS,
    CSV_DECIMALS,
    DEFAULT_DECIMALS,
    DESCRIPTION,
    KEYS,
    PEER_RANKED,
    RANK_PREFIX,
    RANK_WORDS,
    key_figures,
    latest_figures,
    peer_ranks,
    read_key_figures,
    rounded_text,
    write_key_figures,
)
from districtstat.site.changes.moves import DEFAULT_STEP, NOT_JUDGED, REVISED, SHOWN_STEP, STATUS_ORDER, WITHIN_USUAL, figure_changes, improvement, indexed, judge, order_moves, spread, step_of, usual_movements
from districtstat.site.changes.page import (
    HOW_TO_READ,
    MOST_SHOWN,
    district_section,
    link_text,
    methods_list,
    number,
    ordered_districts,
    school_years_sentence,
    shown_change,
    shown_value,
    summary,
    unmoved_line,
    verdict,
    what_changed_page,
    what_changed_since,
)
from districtstat.site.changes.parameters import (
    NOT_A_SETTING,
    SETTING_WORDS,
    flatten,
    method_sentences,
    parameters_record,
    read_parameters,
    setting_sentence,
    settings_changes,
    shown_setting,
    write_parameters,
)
from districtstat.site.changes.published import ACTIONS_FILE, KEY_FIGURES_FILE, PARAMETERS_FILE, SURVEY_ANSWERS_FILE, published_text, read_published
from districtstat.site.changes.routines import action_section, answer_section, district_link, routine_section

__all__ = [
    "ACTIONS_FILE",
    "COLUMNS",
    "CSV_DECIMALS",
    "DEFAULT_DECIMALS",
    "DEFAULT_STEP",
    "DESCRIPTION",
    "HOW_TO_READ",
    "KEYS",
    "KEY_FIGURES_FILE",
    "MOST_SHOWN",
    "NOT_A_SETTING",
    "NOT_JUDGED",
    "PARAMETERS_FILE",
    "PEER_RANKED",
    "RANK_PREFIX",
    "RANK_WORDS",
    "REVISED",
    "SETTING_WORDS",
    "SHOWN_STEP",
    "STATUS_ORDER",
    "SURVEY_ANSWERS_FILE",
    "WITHIN_USUAL",
    "action_section",
    "answer_section",
    "district_link",
    "district_section",
    "figure_changes",
    "flatten",
    "improvement",
    "indexed",
    "judge",
    "key_figures",
    "latest_figures",
    "link_text",
    "method_sentences",
    "methods_list",
    "number",
    "order_moves",
    "ordered_districts",
    "parameters_record",
    "peer_ranks",
    "published_text",
    "read_key_figures",
    "read_parameters",
    "read_published",
    "rounded_text",
    "routine_section",
    "school_years_sentence",
    "setting_sentence",
    "settings_changes",
    "shown_change",
    "shown_setting",
    "shown_value",
    "spread",
    "step_of",
    "summary",
    "unmoved_line",
    "usual_movements",
    "verdict",
    "what_changed_page",
    "what_changed_since",
    "write_key_figures",
    "write_parameters",
]
