"""A page is added to a params file's list in the list's own style, and nothing else of the file changes."""

from __future__ import annotations

import pytest

from districtstat.scaffold import ScaffoldError, with_list_item

HEAD = "# Our consortium\ntitle: T  # the site's name\ndataset: custom\ndata_dir: data/t\nrelease: r1\n"


def added(text: str, key: str = "district_notebooks", item: str = "attendance") -> str:
    edited, was_added = with_list_item(text, key, item, "params/t.yml")
    assert was_added
    return edited


def test_a_flow_list_gets_the_name_before_its_bracket_and_keeps_its_comment():
    text = HEAD + "district_notebooks: [scorecard, peers]  # no gaps\nmin_n: 10\n"
    assert added(text) == HEAD + "district_notebooks: [scorecard, peers, attendance]  # no gaps\nmin_n: 10\n"
    assert added(HEAD + "district_notebooks: []\n") == HEAD + "district_notebooks: [attendance]\n"


def test_a_block_list_gets_a_line_indented_as_its_last_item():
    text = HEAD + "district_notebooks:\n  - scorecard  # first\n  - peers\n# what follows\nmin_n: 10\n"
    assert added(text) == HEAD + "district_notebooks:\n  - scorecard  # first\n  - peers\n  - attendance\n# what follows\nmin_n: 10\n"


def test_an_unset_list_is_written_with_its_default_so_the_file_keeps_its_pages():
    assert added(HEAD) == HEAD + (
        "district_notebooks: [scorecard, outcome_gaps, efficiency, peers, operations, attendance]  "
        "# attendance added by `districtstat new notebook` to the default pages\n"
    )
    assert added(HEAD, "consortium_notebooks", "summary") == HEAD + "consortium_notebooks: [summary]  # summary added by `districtstat new notebook`\n"


def test_a_name_already_listed_leaves_the_file_as_it_is():
    text = HEAD + "district_notebooks: [attendance]\n"
    assert with_list_item(text, "district_notebooks", "attendance", "params/t.yml") == (text, False)


def test_a_list_it_cannot_edit_safely_is_refused_with_what_to_do():
    with pytest.raises(ScaffoldError, match=r"^params/t.yml: cannot add attendance to district_notebooks: the list's last item is not on a line of its own; add it by hand$"):
        with_list_item(HEAD + "district_notebooks:\n  - scorecard\n  -\n    peers\n", "district_notebooks", "attendance", "params/t.yml")
