"""The published student counts file (`downloads/student_counts.csv`): each count's key, and the file written by one
release and read by the next, which keeps what it hid hidden."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from districtstat.privacy.disclosure.symbols import SUPPRESSED

STUDENT_COUNTS_FILE = "downloads/student_counts.csv"
COUNT_FIELDS = ["measure", "district_id", "school_year", "subject", "grade", "group"]


def count_key(measure: str, district_id: str, school_year: object, subject: str = "", grade: str = "", group: str = "ALL") -> str:
    """The name of one published count across tables, pages and releases: `tested/D03/2024/MATH/ALL/EL`."""
    return "/".join([measure, str(district_id), str(int(school_year)), subject, grade, group])


def read_student_counts(path) -> dict[str, float | None]:
    """The counts a release published (`downloads/student_counts.csv`), by key; None where it showed the symbol."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if frame.empty:  # a release that shows no count (aggregate data without enrollment) publishes none
        return {}
    keys = frame[COUNT_FIELDS[:3]].agg("/".join, axis=1) + "/" + frame[COUNT_FIELDS[3:]].agg("/".join, axis=1)
    values = [None if value == SUPPRESSED else float(value) for value in frame["students"]]
    return dict(zip(keys, values))


def student_counts_csv(counts: Mapping[str, float | None], names: Mapping[str, str] | None = None) -> str:
    """Every student count a release publishes, one row per count: what the next release keeps consistent with.
    With `names`, each district's name follows its id, so the file stands alone."""
    rows = [[*key.split("/"), SUPPRESSED if value is None else f"{value:.0f}"] for key, value in sorted(counts.items())]
    frame = pd.DataFrame(rows, columns=[*COUNT_FIELDS, "students"])
    if names is not None:
        frame.insert(COUNT_FIELDS.index("district_id") + 1, "district_name", frame["district_id"].map(lambda d: names.get(d, d)))
    return frame.to_csv(index=False, lineterminator="\n")
