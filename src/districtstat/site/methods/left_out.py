"""The methods page's account of the subjects tested and of what this release leaves out for want of data."""

from __future__ import annotations

import pandas as pd

from districtstat.config import Project
from districtstat.data.measures import OPTIONAL_MEASURES
from districtstat.data.subjects import DEFAULT_SUBJECTS


def left_out_section(project: Project) -> str:
    """Empty for a consortium that tests ELA and math and reports every optional measure; else what differs and why."""
    parts = []
    subjects = project.settings.subjects
    if [s.code for s in subjects] != [s.code for s in DEFAULT_SUBJECTS]:
        composite = ", a composite of several subjects' scores"
        described = "; ".join(f"{s.name} ({s.code}{composite if s.composite else ''})" for s in subjects)
        parts.append(
            f"The subjects tested are those params declare: {described}. Each subject's mean scale score and percent proficient "
            "are its own indicators; a composite is never reported as one of the subjects it combines."
        )
    path = project.tables_dir / "left_out.parquet"
    left_out = pd.read_parquet(path) if path.is_file() else pd.DataFrame(columns=["kind", "name", "measure"])
    for measure in left_out.loc[left_out["kind"] == "measure", "name"]:
        what, switched_off = OPTIONAL_MEASURES[measure]
        parts.append(f"- **{what[0].upper() + what[1:]}: not reported.** {switched_off[0].upper() + switched_off[1:]}. Nothing stands in for it on any page.")
    dropped = left_out[left_out["kind"] != "measure"]
    for _, row in dropped.iterrows():
        where = "peer matching" if row["kind"] == "peer_feature" else "the efficiency model"
        parts.append(f"- `{row['name']}` is declared for {where} in params but left out: it is made from {row['measure']}, which the data do not report.")
    if not parts:
        return ""
    return "## What the data do not report\n\n" + "\n".join(parts) + "\n"
