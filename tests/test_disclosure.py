import pandas as pd
import pytest

from districtstat.disclosure import SUPPRESSED, ProtectedTable, below_threshold_cells, protect
from districtstat.report import show_table


def test_small_cells_and_the_figures_resting_on_them_are_hidden():
    table = pd.DataFrame({"group": ["A", "B", "C"], "n": [4, 10, 0], "mean": [500.0, 480.0, None]})
    protected = protect(table, counts={"n": ["mean"]}, min_n=10)
    shown = protected.display_frame()
    assert shown.loc[0, "n"] == SUPPRESSED and shown.loc[0, "mean"] == SUPPRESSED
    assert shown.loc[1, "n"] == 10 and shown.loc[1, "mean"] == 480.0
    assert shown.loc[2, "n"] == SUPPRESSED
    assert below_threshold_cells(protected) == 0
    assert "fewer than 10 students" in protected.footnote


def test_protect_demands_a_statement_of_counts():
    with pytest.raises(ValueError, match="needs `counts`"):
        protect(pd.DataFrame({"n": [1]}))


def test_show_table_refuses_an_unprotected_table():
    with pytest.raises(TypeError, match="ProtectedTable"):
        show_table(pd.DataFrame({"n": [1]}), "caption", "how to read")


def test_suppressed_cells_are_never_zero_or_blank_in_csv():
    protected = protect(pd.DataFrame({"n": [3, 50], "pct": [0.0, 40.0]}), counts={"n": ["pct"]}, min_n=10)
    first_row = protected.to_csv().splitlines()[1]
    assert first_row == f"{SUPPRESSED},{SUPPRESSED}"
    assert isinstance(protected, ProtectedTable)
