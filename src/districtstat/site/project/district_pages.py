"""A district's home page: its figures at a glance, under the same disclosure control as every table, and links to
its pages, its brief and the consortium's charts with it marked."""

from __future__ import annotations

import pandas as pd

from districtstat.privacy import disclosure
from districtstat.site import brief
from districtstat.privacy.disclosure import protect
from districtstat.site.pages import front_matter
from districtstat.site.project.navigation import page_title, size_band


def reported(value: object, template: str) -> str:
    return "not reported" if value is None or pd.isna(value) else template.format(value)


def markdown_text(text: str) -> str:
    """Text whose symbols Markdown would read as markup (the `*` that opens the privacy footnote is no bullet)."""
    return text.replace("*", "\\*")


def district_page(district: pd.Series, notebooks: list[str], topics: list, has_changes: bool, min_n: int = 10) -> str:
    """A district's home: its figures at a glance (all hidden when it has fewer than `min_n` students) and its pages."""
    enrollment = float(district["enrollment"])
    hidden = bool(district.get("enrollment_hidden", False))  # for the previous release's sake (`disclosure.hidden_enrollments`)
    small = 0 < enrollment < min_n or hidden
    size_reported = bool(district.get("enrollment_reported", True))  # else `enrollment` is a stand-in no page shows
    region = district.get("region")
    front = {
        "title": str(district["district_name"]),
        "subtitle": str(district["district_id"]),
        "description": " · ".join(
            str(part) for part in [None if small or not size_reported else f"{int(enrollment):,} students", region, district.get("locale")] if part is not None and pd.notna(part) and part != ""
        ),
        "categories": [str(category) for category in (region, size_band(enrollment) if size_reported else None) if category is not None and pd.notna(category)],
    }
    shares = ("pct_ecodis", "pct_el", "pct_swd")
    glance = pd.DataFrame(
        {
            "Figure": ["Students", "Economically disadvantaged", "English learners", "Students with disabilities", "Spending per pupil"],
            "students": enrollment,
            "share": [None, *(district.get(column) for column in shares), None],
            "Value": [f"{int(enrollment):,}" if size_reported else "not reported", *(reported(district.get(column), "{:.1f}%") for column in shares), reported(district.get("per_pupil_spending"), "${:,.0f}")],
        }
    )
    figures = protect(glance, counts={"students": ["Value", "share"]}, min_n=min_n, hidden={"students": [hidden] * len(glance)}, shares={"share": "students"})
    shown = figures.display_frame()
    rounded = figures.frame["share"].notna().to_numpy() & ~figures.suppressed["share"].to_numpy()
    shown.loc[rounded, "Value"] = [f"{value:.0f}%" for value in figures.frame.loc[rounded, "share"]]
    withheld = shown["share"].isin([disclosure.SUPPRESSED, *disclosure.CODED])
    shown.loc[withheld, "Value"] = [f"{code}%" if code in disclosure.CODED else code for code in shown.loc[withheld, "share"]]
    rows = "\n".join(f"| {row['Figure']} | {row['Value']} |" for _, row in shown.iterrows())
    links = "\n".join(f"- [{page_title(name).capitalize()}]({name}.ipynb)" for name in notebooks)
    links += f"\n- [One-page brief, to print or bring to a meeting]({brief.PAGE}) ([PDF]({brief.PDF}))"
    marked = f"?district={district['district_id']}"
    standing = [f"- [Among every district of the consortium: results and spending](../../index.ipynb{marked})"]
    standing += [f"- [Topic of the quarter: {topic.title}](../../topics/{topic.id}.ipynb{marked})" for topic in topics]
    if has_changes:
        standing.append("- [What changed since the previous release](../../what-changed.qmd)")
    footnote = f"{markdown_text(figures.footnote)}\n\n" if figures.footnote else ""
    return (
        f"{front_matter(front)}\n## At a glance\n\n| Figure | Value |\n|---|---|\n{rows}\n\n: Key figures for the latest school year\n\n{footnote}"
        "Shares are of the students enrolled; spending per pupil is current spending divided by enrollment. These figures describe "
        "the district's students and budget; they do not rate the district.\n\n"
        f"## Reports\n\n{links}\n\n## Where it stands\n\nThe consortium's charts, with this district and its peers marked:\n\n" + "\n".join(standing) + "\n"
    )
