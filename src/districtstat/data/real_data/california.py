"""California's 420 K-6 and K-8 districts of 1998-99 (`AER::CASchools`) as aggregate contract files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from districtstat.data.real_data.source import _write, load_source

# --- California ------------------------------------------------------------------------------------

CALIFORNIA_YEAR = 1999  # the 1998-99 school year, by its spring year
CALIFORNIA_SPANS = {"KK-06": "K-6", "KK-08": "K-8"}


# --------------------------------------------------------------------------------------------------
# California, 1998-99: aggregate data
# --------------------------------------------------------------------------------------------------


def california_tables(source: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """`AER::CASchools` as `districts`, `district_profile` and `subgroup_outcomes` frames.

    - districts: the district code is the id, the `school` column (the district's name) the name, the
      county the region; `locale` is unknown and left empty; grades KK-06 and KK-08 become K-6 and K-8.
    - district_profile: enrollment = students; pct_ecodis = lunch, the percent qualifying for
      reduced-price lunch; pct_el = english; per_pupil_spending = expenditure; students_per_teacher =
      students / teachers (full-time equivalents); median_household_income = income × 1000, rounded to
      whole dollars. The source calls it the district's *average* income: no median is published.
      pct_swd and pct_chronic_absent are not published and are written as empty columns (the
      contract's every column is present, so no stage has to invent an absent one).
    - subgroup_outcomes: the district's average Stanford 9 reading (ELA) and math (MATH) scores of its
      fifth graders, the only grade tested, as grade ALL and subgroup ALL. The number tested is not
      published: n is the district's total enrollment, an upper bound. sd_score and pct_proficient
      are left empty (not published).

    Values are rounded to the precision the source carries (it was stored in single precision):
    scores and spending to cents, percentages and ratios to 4 decimals.
    """
    source = load_source("CASchools") if source is None else source
    source = source.sort_values("rownames", kind="stable").reset_index(drop=True)
    unknown_spans = sorted(set(source["grades"]) - set(CALIFORNIA_SPANS))
    if unknown_spans:
        raise ValueError(f"CASchools: unexpected grade spans {unknown_spans}")
    district_id = source["district"].astype(int).astype(str)
    districts = pd.DataFrame(
        {
            "district_id": district_id,
            "district_name": source["school"].astype(str),
            "region": source["county"].astype(str),
            "locale": pd.Series(pd.NA, index=source.index, dtype="string"),
            "grade_span": source["grades"].map(CALIFORNIA_SPANS),
        }
    )
    profile = pd.DataFrame(
        {
            "school_year": CALIFORNIA_YEAR,
            "district_id": district_id,
            "enrollment": source["students"].astype(int),
            "pct_ecodis": source["lunch"].round(4),
            "pct_el": source["english"].round(4),
            "pct_swd": np.nan,  # not published
            "pct_chronic_absent": np.nan,  # not published
            "per_pupil_spending": source["expenditure"].round(2),
            "students_per_teacher": (source["students"] / source["teachers"]).round(4),
            "median_household_income": (source["income"] * 1000).round(0).astype(int),
        }
    )
    outcomes = pd.concat(
        [
            pd.DataFrame(
                {
                    "school_year": CALIFORNIA_YEAR,
                    "district_id": district_id,
                    "subject": subject,
                    "grade": "ALL",
                    "subgroup": "ALL",
                    "n": source["students"].astype(int),
                    "mean_score": source[column].round(2),
                    "sd_score": np.nan,
                    "pct_proficient": np.nan,
                }
            )
            for subject, column in (("ELA", "read"), ("MATH", "math"))
        ],
        ignore_index=True,
    )
    order = lambda frame, keys: frame.sort_values(keys, kind="stable").reset_index(drop=True)  # noqa: E731
    return {
        "districts": order(districts, ["district_id"]),
        "district_profile": order(profile, ["school_year", "district_id"]),
        "subgroup_outcomes": order(outcomes, ["school_year", "district_id", "subject", "grade", "subgroup"]),
    }


def write_california(out_dir: Path) -> Path:
    """Write the California districts of 1998-99 as aggregate contract files; same source, same bytes."""
    notes = {
        "dataset": "AER::CASchools, California Test Score Data (420 K-6 and K-8 districts, 1998-99)",
        "school_year": CALIFORNIA_YEAR,
        "conversion": {
            "locale": "unknown, left empty",
            "grade_span": CALIFORNIA_SPANS,
            "pct_ecodis": "lunch: percent qualifying for reduced-price lunch",
            "median_household_income": "income x 1000: the district's AVERAGE income (no median is published)",
            "mean_score": "district average Stanford 9 score of fifth graders, the only grade tested; reported as grade ALL",
            "n": "total enrollment (students): the number tested is not published",
            "pct_swd, pct_chronic_absent, sd_score, pct_proficient": "not published, left empty",
        },
    }
    return _write(california_tables(), notes, out_dir)
