"""The page's section on privacy: the disclosure rules that keep every published figure from revealing students."""

from __future__ import annotations

from districtstat.config import Settings
from districtstat.privacy.disclosure import SUPPRESSED
from districtstat.site.methods.code_tables import rounding_table
from districtstat.site.methods.writing import method


def privacy_section(settings: Settings) -> str:
    return f"""## Privacy

No published count, mean or rate rests on fewer than **{settings.min_n} students**, and no hidden count can be worked
out from what is published.

{method("Primary suppression", f"a count n is shown when n = 0 or n ≥ {settings.min_n}; otherwise shown as {SUPPRESSED}",
        f"A hidden figure is shown as `{SUPPRESSED}`, never as 0 or blank, with a footnote under the table. The count and "
        "every figure computed from those students (mean, SD, % proficient, gaps) are hidden together. A group with no "
        "students is shown as 0: it protects no one.")}
{method("Complementary suppression", f"hide more counts until, for every hidden count x:   max x − min x ≥ {settings.margin} students",
        "where min and max are the narrowest range anyone can place x in from every count this release shows and how groups "
        "add up (a group and all other students make all students; the race groups make all students). That range is "
        "computed by linear programming, the attack statistical agencies audit against. A group and all other students are "
        "hidden together; the next smallest count is hidden with a small one, and all students only when nothing else "
        "protects. The groups hidden in one sum must also hold at least "
        f"{settings.min_n} students together (or none): otherwise all students minus the shown groups would be a small group "
        "whose mean anyone could work out. One decision per district, year and subject serves every page, so no two pages "
        "together reveal more than either.")}
{method("Percentages of students", "a percentage p of n students is rounded to the step s(n) and shown as <c or >100 − c near its ends",
        "A percentage of a group times its count is a number of students (15.99% of 838 is 134 chronically absent "
        "students), so no percentage of students is published exactly: the proficiency rates of each group, the shares of "
        "economically disadvantaged students, English learners, students with disabilities and chronically absent students, "
        "wherever they appear (tables, rankings, charts, key figures, downloads). The step is the smallest of 1, 2, 5, 10, "
        f"20, 25 and 50 points whose width is at least {settings.min_n / 2:g} students ({settings.min_n} ÷ 2) of the group; near 0 or "
        "100 a percentage is shown only as below or above a bound c, the smallest multiple of the step whose rounding could "
        f"hold {settings.min_n} students; a group too small for any step, or whose bound would pass 50%, shows no percentage. This follows the "
        "reporting practice NCES recommends for aggregate reports (SLDS Technical Brief 3, NCES 2011-603): less detail for "
        "smaller groups and coding at the ends that grows as the group shrinks, with steps wider than its own because "
        "districtstat also publishes the counts. So no percentage says that 1 to "
        f"{settings.min_n - 1} students are in a category or outside it, and two releases' roundings of the same group leave "
        f"at least {settings.min_n} possible values for any change between them. A gap in % proficient is the difference of "
        "the two rounded percentages.")}
{rounding_table(settings.min_n)}
{method("Subjects together", "a group hidden in one subject is hidden in the other",
        "The same students take both tests, so a group's ELA and math counts differ by a student or two: one shown would all "
        "but give the other away.")}
{method("Releases side by side", f"no sum of groups may move by 1 to {settings.min_n - 1} students between releases",
        "Each release publishes every count it shows in `downloads/student_counts.csv`, which the next release reads. A count "
        f"hidden in the previous release stays hidden, a count that moved by fewer than {settings.min_n} students is hidden, "
        "and a second linear program, with both releases' counts as unknowns, bounds how much each group and each set of groups "
        "not shown in both releases (all students minus the groups shown twice) changed: where a change is certainly between 1 "
        f"and {settings.min_n - 1} students, more counts are hidden. Every figure resting on a hidden count goes with it: a "
        "district's mean score and % proficient with its count of students tested, its shares of students and its spending per "
        "pupil with its enrollment (total spending ÷ spending per pupil would give it), everywhere.")}
{method("Revised scores", f"where a group's score sum (mean × n) certainly changed while its count moved by fewer than {settings.min_n}, every figure of that district, year and subject is withheld",
        "A corrected score leaves every count as it was but moves the mean of each group the student belongs to, giving the "
        "student's profile and new score. The score sum is read as the attacker reads it, from the means as rounded on the "
        "previous release's pages (`downloads/published_figures.csv`) and this release's. The counts stay published.")}
{method("Audit at publish", "read back every published table and download; bound every hidden count; compare with the previous release",
        "Before a release is published, its CSV downloads (the same cells as its pages) are read back. The build stops, "
        "naming the file, row, column and count, if any count under the threshold is shown, if a count is shown in one "
        "place and hidden in another, if a hidden count can be narrowed to a range of fewer than "
        f"{settings.margin} students, alone or with the previous release, if hidden groups add up to fewer than "
        f"{settings.min_n}, if a set of groups moved by 1 to {settings.min_n - 1} students since the previous release, if a "
        "published percentage is not rounded to its group's step or pins a few students, or if any student id, name or birth date appears "
        f"anywhere in the release. Gap trends use only years in which both groups are shown, and school charts leave out "
        f"schools under {settings.min_n} students.")}"""
