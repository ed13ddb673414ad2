"""Scaffolds: the files a new consortium or a new page starts from (`districtstat new consortium|notebook`).

Why: a consortium's first files and a page's first cells decide whether they follow the contracts and the project's
rules (thin notebooks, logic in the views, every table protected). A scaffold writes them as the project writes its
own, derived from the contracts and the settings models, so they cannot drift from them; it never writes over a file.

- `consortium`: params/NAME.yml and data/NAME/ with a fill-in CSV per contract (`new_consortium`);
- `data_templates`: one contract as a fill-in CSV, header then `#` comment lines and an example row (`template_csv`);
- `notebook`: notebooks/NAME.ipynb, views/NAME.py and tests/views/test_NAME.py, listed in a params file (`new_notebook`);
- `page_sources`: the text of those three files, for a district page and for a consortium page;
- `params_edit`: a name added to a list setting of a params file, its comments kept (`with_list_item`);
- `files`: writing all of a scaffold's files or none (`write_new`, `ScaffoldError`).
"""

from districtstat.scaffold.consortium import AGGREGATE_ENTITIES, KINDS, consortium_files, new_consortium
from districtstat.scaffold.data_templates import example_rows, template_csv
from districtstat.scaffold.files import ScaffoldError, write_new
from districtstat.scaffold.notebook import check_name, new_notebook, page_files
from districtstat.scaffold.params_edit import with_list_item

__all__ = [
    "AGGREGATE_ENTITIES",
    "KINDS",
    "ScaffoldError",
    "check_name",
    "consortium_files",
    "example_rows",
    "new_consortium",
    "new_notebook",
    "page_files",
    "template_csv",
    "with_list_item",
    "write_new",
]
