"""A district's brief: one printable page, as HTML and as a PDF, to bring to a board or StatNet meeting.

The brief is an extract of the district's pages: its sentences and cells are read from the outputs of the executed
notebooks the pages are made of (the views' tables after disclosure control, in the pages' own format), so a
figure reads here exactly as there and a figure the pages hide cannot appear here. Reading them costs tens of
milliseconds a district; computing the views again would cost ten times that (a scorecard's worth of pandas).

A brief is one dict of text; the page's HTML is written from it and the PDF laid out from it by Typst (the `typst`
package), which reads it as data, never as markup. Typst uses the fonts matplotlib ships and ignores the system's,
so the same brief gives the same bytes on any machine.

The submodules, one concern each (every name is re-exported here, so `districtstat.site.brief.write_briefs` and the
like keep working):

- `reading`: the executed pages a brief is read from, their texts and their tables parsed from the outputs' markup
  (`Page`, `page_path`);
- `content`: what the brief says: its figures at a glance, key figures, goals, gaps, spending statement, actions and
  peers, chosen from the pages (`brief`);
- `layout`: the brief as a page of the site (`brief_page`) and the names of its page and PDF (`PAGE`, `PDF`);
- `typeset`: the PDF, laid out by Typst (`brief_pdf`), and the version of the code a brief depends on (`code_version`);
- `generated`: the briefs in the generated project, read again only when their pages changed (`write_briefs`), and
  the student counts they show, for the audit (`shown_counts`).
"""

from districtstat.site.brief.content import (
    ACTIONS_SHOWN,
    ELSEWHERE,
    GLANCE,
    key_figure_labels,
    MONTHS,
    R_SQUARED,
    SENTENCE_END,
    SHARES,
    YEAR,
    YEARS_SHOWN,
    action_line,
    at_a_glance,
    brief,
    district_actions,
    efficiency_statement,
    goals,
    key_figures,
    largest_gaps,
    peer_names,
    published_on,
    runs,
    scorecard_rows,
    withheld_notes,
)
from districtstat.site.brief.generated import CACHE, district_briefs, district_names, shown_counts, source_key, write_briefs
from districtstat.site.brief.layout import PAGE, PDF, brief_page, runs_html, table_html, template
from districtstat.site.brief.reading import Page, PageTables, joined, page_path
from districtstat.site.brief.typeset import brief_pdf, code_version, fonts, typesetter

__all__ = [
    "ACTIONS_SHOWN",
    "CACHE",
    "ELSEWHERE",
    "GLANCE",
    "key_figure_labels",
    "MONTHS",
    "PAGE",
    "PDF",
    "R_SQUARED",
    "SENTENCE_END",
    "SHARES",
    "YEAR",
    "YEARS_SHOWN",
    "Page",
    "PageTables",
    "action_line",
    "at_a_glance",
    "brief",
    "brief_page",
    "brief_pdf",
    "code_version",
    "district_actions",
    "district_briefs",
    "district_names",
    "efficiency_statement",
    "fonts",
    "goals",
    "joined",
    "key_figures",
    "largest_gaps",
    "page_path",
    "peer_names",
    "published_on",
    "runs",
    "runs_html",
    "scorecard_rows",
    "shown_counts",
    "source_key",
    "table_html",
    "template",
    "typesetter",
    "withheld_notes",
    "write_briefs",
]
