"""Generate a release's Quarto project from the executed notebooks, and publish the rendered site atomically.

The same generated project renders with Quarto when it is installed and with smalldocs (pure Python)
otherwise (see `render`). A release renders into `site/<release>/` and never touches another release's files.

Each page carries its own provenance: a notebook page the release, data hash, code commit and parameters
hash recorded when its notebook ran; a generated page those of this build. A page whose notebook did not
run again is therefore byte-identical to the published one, and the renderer need not lay it out again.

The submodules, one concern each (every name is re-exported here, so `districtstat.site.project.write_project` and
the like keep working):

- `navigation`: the generated `_quarto.yml` with its menus (`quarto_config`), the pages' titles (`page_title`) and
  the listing of every district (`listing_page`);
- `notebook_pages`: an executed notebook as a page, with district links, table downloads and its provenance
  footer (`with_title`, `provenance_html`);
- `district_pages`: each district's home, its figures at a glance after disclosure control (`district_page`);
- `writer`: writing only the files that changed, and the record of what was written (`ProjectWriter`,
  `published_tables`, `project_signature`);
- `what_changed`: the key figures, actions and survey answers as downloads, and the What changed page (`write_changes`);
- `downloads_page`: the Downloads page, `datapackage.json` and the files only they publish (`write_downloads`);
- `generate`: the whole project, page by page (`write_project`);
- `publication`: the atomic publication of the rendered release and restoring a stopped one (`publish`, `restore`).
"""

from districtstat.site.project.district_pages import district_page, markdown_text, reported
from districtstat.site.project.downloads_page import FIGURES_PAGE, NOTEBOOKS_FILE, STUDENT_COUNTS_ABOUT, write_downloads, write_figures
from districtstat.site.project.generate import OVERVIEW_META, write_project
from districtstat.site.project.navigation import ACTIONS_PAGE, PAGE_TITLES, WHAT_CHANGED, listing_page, page_title, quarto_config, size_band
from districtstat.site.project.notebook_pages import DISTRICT_HREF, district_links, notebook_provenance, provenance_html, with_title
from districtstat.site.project.publication import publish, release_date, restore
from districtstat.site.project.what_changed import ACTIONS_ABOUT, KEY_FIGURES_ABOUT, SURVEY_ANSWERS_ABOUT, comparable_release, key_figures, write_changes
from districtstat.site.project.writer import SOURCE_TIME, ProjectWriter, project_signature, published_tables, read_record

__all__ = [
    "ACTIONS_ABOUT",
    "ACTIONS_PAGE",
    "DISTRICT_HREF",
    "FIGURES_PAGE",
    "KEY_FIGURES_ABOUT",
    "NOTEBOOKS_FILE",
    "OVERVIEW_META",
    "PAGE_TITLES",
    "SOURCE_TIME",
    "STUDENT_COUNTS_ABOUT",
    "SURVEY_ANSWERS_ABOUT",
    "WHAT_CHANGED",
    "ProjectWriter",
    "comparable_release",
    "district_links",
    "district_page",
    "key_figures",
    "listing_page",
    "markdown_text",
    "notebook_provenance",
    "page_title",
    "project_signature",
    "provenance_html",
    "publish",
    "published_tables",
    "quarto_config",
    "read_record",
    "release_date",
    "reported",
    "restore",
    "size_band",
    "with_title",
    "write_changes",
    "write_downloads",
    "write_figures",
    "write_project",
]
