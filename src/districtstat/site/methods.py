"""The methods, glossary and data-quality pages of a release: what a reader needs to trust the numbers.

Every formula here is written from the code that computes it (gaps, efficiency, peers, scorecard,
disclosure) and from the release's own settings, so the page cannot describe a model the release did not fit.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from statistics import NormalDist

from pydantic import BaseModel

from districtstat.data.aggregate import CHRONIC_ABSENCE_THRESHOLD, FUNCTION_CATEGORY, PROFICIENT_LEVEL, SPENDING_CATEGORIES, subgroup_label
from districtstat.config import EfficiencyModel, PeerModel, Project, Settings
from districtstat.data.contracts import Failure
from districtstat.privacy.disclosure import SUPPRESSED, coding_cut, percent_step
from districtstat.analyses.efficiency import column_label, plain_term
from districtstat.analyses.indicators import INDICATORS
from districtstat.site.pages import front_matter, markdown_table
from districtstat.provenance import Provenance, package_versions
from districtstat.views import school_year

NONE = "—"
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def method(name: str, formula: str, meaning: str) -> str:
    """One method as a reader meets it: its name, its formula, then what it says and what it cannot."""
    shown = f"`{formula}`\n\n" if formula else ""
    return f"**{name}**\n\n{shown}{meaning}\n"


def percent(share: float) -> str:
    return f"{share * 100:g}%"


def quantile(confidence: float) -> str:
    """The percentile of a two-sided interval, as a reader says it ('97.5th')."""
    return f"{(0.5 + confidence / 2) * 100:g}th"


# ------------------------------------------------------------------ student results


def results_section() -> str:
    return f"""## Student results

What a district's results are made of: averages over the students tested, never a single student's score.

{method("Mean scale score", "x̄ = (x₁ + x₂ + … + xₙ) / n,   s = √( Σ (xᵢ − x̄)² / (n − 1) )",
        "The average score of the n students tested in a district, year, subject, grade (or all grades) and group, with "
        "its standard deviation s. It says where the typical student stands; it does not say how many reached the "
        "standard, and scores of different tests or grades are not on one scale.")}
{method("Percent proficient", f"% proficient = 100 × (students at performance level {PROFICIENT_LEVEL} or above) / n",
        f"The share of tested students at level {PROFICIENT_LEVEL} (proficient) or {PROFICIENT_LEVEL + 1} (advanced). It is "
        "easy to read but hides movement: a student rising from far below to just below the standard does not count.")}
{method("Chronic absence", f"chronically absent when days present / days enrolled < {CHRONIC_ABSENCE_THRESHOLD:.2f};   "
        "% chronically absent = 100 × chronically absent students / students with an attendance record",
        f"A student present on fewer than {CHRONIC_ABSENCE_THRESHOLD:.0%} of the days enrolled, for any reason, excused or not. "
        "Students without an attendance record count in neither group. It does not say why students miss school.")}
{method("Student shares", "% economically disadvantaged = 100 × students flagged / students enrolled (likewise English learners, disabilities)",
        "The district's student needs, from program records of the same school year. A student belongs to several groups at once.")}"""


# ------------------------------------------------------------------ gaps


def gaps_section(settings: Settings) -> str:
    confidence = settings.gaps.confidence
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    level = percent(confidence)
    crossings = ", ".join(" × ".join(subgroup_label(part) for part in parts) for parts in settings.gaps.intersections)
    crossed = f" Crossings of groups ({crossings}) have no complement and are compared with all students." if crossings else ""
    return f"""## Gaps between groups

How far a group of students is from the others, how sure the figure is, and whether the gap is closing.

{method("Gap", "gap = x̄₁ − x̄₂",
        "x̄₁ is the mean scale score of the group (say, English learners), x̄₂ that of the students outside it (all other "
        "students); each race/ethnicity is also compared with White students. A negative gap means the group scores "
        "below. A gap describes a difference; it does not say what causes it." + crossed)}
{method(f"{level} confidence interval of a gap (Welch)", "gap ± t × √(s₁²/n₁ + s₂²/n₂),   df = (s₁²/n₁ + s₂²/n₂)² / [ (s₁²/n₁)²/(n₁ − 1) + (s₂²/n₂)²/(n₂ − 1) ]",
        f"t is the {quantile(confidence)} percentile of Student's t distribution with df degrees of freedom (Welch–Satterthwaite), "
        "so the two groups may spread differently. The interval shows how much the gap could move from sampling "
        "alone; it does not cover errors in the tests or the records.")}
{method("Standardized gap (Hedges' g)", "g = (x̄₁ − x̄₂) / s_pooled × (1 − 3 / (4(n₁ + n₂) − 9)),   s_pooled = √( ((n₁ − 1)s₁² + (n₂ − 1)s₂²) / (n₁ + n₂ − 2) )",
        "The gap in standard deviations, so gaps on different tests can be compared; the last factor corrects a small "
        "upward bias in small groups. 0.2 is often called small and 0.8 large, but a gap's importance depends on the students.")}
{method(f"{level} confidence interval of g", f"g ± {z:.2f} × √( (n₁ + n₂) / (n₁ n₂) + g² / (2(n₁ + n₂)) )",
        "A normal approximation to the uncertainty of g. It is close for groups of a few dozen students or more.")}
{method("Gap in percent proficient (Wald interval)", f"Δ = p₁ − p₂,   Δ ± {z:.2f} × 100 × √( p₁(1 − p₁)/n₁ + p₂(1 − p₂)/n₂ )",
        "p₁ and p₂ are the shares proficient (as fractions) in the group and the comparison; Δ is in percentage points. "
        "The interval is too narrow when a share is near 0% or 100% or a group is small.")}
{method("Gap trend", "change = latest gap − first gap;   slope = least-squares slope of the gap on the school year;   closing when |latest gap| < |first gap|",
        f"Only years in which both groups reach {settings.min_n} students count, so a trend never reveals a hidden gap; the "
        "slope needs two such years. A gap can close because the group improved or because the others declined: read "
        "both groups' results.")}"""


# ------------------------------------------------------------------ efficiency and spending


def subscript(number: int) -> str:
    return str(number).translate(SUBSCRIPTS)


def plain_model(model: EfficiencyModel) -> str:
    """The release's regression in words: 'mean math scale score = b₀ + b₁ × (log of spending per pupil) + … + e'."""
    terms = [model.spending, *model.controls]
    parts = [f"b{subscript(i)} × ({plain_term(term)})" for i, term in enumerate(terms, start=1)]
    return f"{plain_term(model.outcome)} = b₀ + {' + '.join(parts)} + e"


def efficiency_model_section(model: EfficiencyModel | None) -> str:
    if model is None:
        return "This release has no spending data, so no efficiency model is fitted.\n"
    return f"""{method("The model (ordinary least squares, one row per district, latest year)", plain_model(model),
        f"Written as a formula: `{model.outcome} ~ {' + '.join([model.spending, *model.controls])}`. Each b is estimated "
        "across the consortium's districts; e is what the model leaves unexplained. Each b says how the result moves "
        "with one unit more of its term, the others held equal; it is an association, not an effect.")}
{method("Robust standard errors (HC1)", "Var(b) = n / (n − p) × (XᵀX)⁻¹ Xᵀ diag(eᵢ²) X (XᵀX)⁻¹,   95% CI = b ± t(n − p) × SE",
        "n districts, p terms with the intercept. These standard errors stay honest when districts scatter more at one end "
        "of the model than the other; with few districts the intervals are wide.")}
{method("Residual", "residual = observed − predicted",
        "Points above (+) or below (−) the result predicted for the district's spending and student needs. It describes; "
        "it does not show that spending or management caused the result, and anything the model leaves out lands in it.")}
{method("Prediction interval and verdict", "interval = residual ± t(n − p) × √( SE(line)² + τ² + σ²ⱼ )",
        "SE(line) is the robust (HC1) uncertainty of the prediction for the district's spending and needs; τ² is how far "
        "districts truly differ from the line (the residual variance left after chance); σ²ⱼ is how much the district's own "
        "result varies by chance: its students' score SD² ÷ students tested where the data give SDs, else estimated from "
        "how much more small districts scatter (squared residuals regressed on 1 ÷ students). A page says a district is "
        "**above** or **below** what its spending and needs predict only when the whole 95% interval is; otherwise it "
        "says the data cannot tell the district apart from its prediction. With equal σ²ⱼ this is the usual 95% "
        "interval for a new district's result.")}
{method("Size-adjusted residual and percentile", "adjusted = residual × τ² / (τ² + σ²ⱼ);   percentile = 100 × rank(adjusted) / N",
        "Empirical-Bayes shrinkage, as the Stanford Education Data Archive does for small districts: the less a district's "
        "own result can be told from chance, the more its residual is pulled toward zero, so a 300-student district is not "
        "ranked on noise. Rank 1 is the lowest; ties share their average rank. **Percentiles and ranks are shown only when "
        f"the cross-validated R² is above {model.min_cv_r2:g}**; the residual is never ranked among a district's few "
        "peers, where one unusual peer would decide the rank.")}
{method(f"Cross-validated R² ({model.folds}-fold)", "R²_cv = 1 − Σ (yᵢ − ŷ₍₋ᵢ₎)² / Σ (yᵢ − ȳ)²",
        f"The districts are shuffled (seed {model.seed}) into {model.folds} folds; ŷ₍₋ᵢ₎ predicts district i from a model "
        "fitted without its fold. It says how well the model predicts a district it has not seen, and is lower than the "
        "in-sample R², which always flatters the model. It is reported as computed: below zero, the model predicts new "
        "districts worse than the consortium average does, and then no page ranks districts on the residual.")}
{method("What the model can and cannot support", "",
        "It can say whether a district's result is far enough from what its spending and needs predict to stand out from "
        "chance and from the ordinary spread of districts. It cannot say why: prices differ between regions (spending is "
        "not cost-adjusted unless the params divide it by a cost index), the needs it allows for are a few shares of "
        "students, and one year of results moves with who was tested. Other specifications declared in the params "
        "(`efficiency.alternatives`) are fitted on the same districts and shown beside it, so readers see how much the "
        "verdict depends on the choice of model.")}"""

def function_codes() -> str:
    """Which NCES function codes land in which spending category, read from the aggregation itself."""
    codes: dict[str, list[str]] = {}
    for code, category in sorted(FUNCTION_CATEGORY.items()):
        codes.setdefault(category, []).append(code)
    return "; ".join(f"{SPENDING_CATEGORIES[category]} {', '.join(found)}" for category, found in codes.items())


def spending_section(settings: Settings) -> str:
    return f"""## Spending and results

Does a district get more or less than expected for its spending and the needs of its students? And does money follow need?

{efficiency_model_section(settings.efficiency)}
{method("Spending per pupil", "spending per pupil = spending in the fiscal year / students enrolled in the school year it ends",
        "Every amount in the district's ledger for the year (or the figure a public dataset publishes), divided by "
        "enrollment. It does not adjust for prices, "
        "which differ between regions, or for students placed and paid for elsewhere.")}
{method("Spending by NCES function", "per pupil in a category = spending in the category / students enrolled;   share = 100 × category / all spending",
        "Amounts are grouped by the federal (NCES) function code of the account: "
        f"{function_codes()}; any other code counts as {SPENDING_CATEGORIES['other']}. Employee benefits (object 200) and "
        "out-of-district placements (object 560) are counted by object, whatever their function.")}
{method("School allocation (is money progressive?)", "school spending per pupil = a + b × (% economically disadvantaged at the school)",
        f"Fitted within each district and year over its schools of at least {settings.min_n} students (four schools at least), "
        "with robust (HC1) standard errors. **Progressive** when the 95% confidence interval of b is above zero (schools "
        "with more disadvantaged students get more per pupil), **regressive** when it is below zero, otherwise no clear "
        "pattern. Only spending charged to a school counts; district-wide services are left out.")}"""


# ------------------------------------------------------------------ peers and scorecard


MISSING_RULES = {
    "zero": "a missing value counts as 0 (after any transform) before standardizing, a missing 0/1 value as 0, and an unknown category is no indicator at all",
    "mean": "a missing value takes the consortium average (z = 0), a missing 0/1 value the share of districts with 1, and an unknown category is no indicator at all",
    "exclude": "a district with any characteristic missing is left out of peer matching (it has no computed peers and is no one's peer)",
}


def indicator_term(feature: str) -> str:
    """`grade_span == K-8` read aloud: grade span is K-8."""
    column, equals, value = feature.partition("==")
    return f"{plain_term(column.strip())} is {value.strip()}" if equals else plain_term(feature)


def peers_section(rule: PeerModel, fixed: int) -> str:
    numeric = ", ".join(f"{plain_term(f)} (`{f}`)" for f in rule.numeric) or "none"
    indicators = ", ".join(f"{indicator_term(f)} (`{f}`)" for f in rule.indicators) or "none"
    fixed_note = f" {fixed} district{'s' if fixed != 1 else ''} named {'their' if fixed != 1 else 'its'} own peers in the params instead." if fixed else ""
    return f"""## Peer districts

Which districts are most like this one in students and size, so that a comparison is fair. Peers are never chosen on results.

{method("Standardized characteristics (z-scores)", "z = (x − x̄) / s,   s = √( Σ (xᵢ − x̄)² / (N − 1) )",
        f"Each numeric characteristic — {numeric} — is measured in standard deviations of the N districts (sample SD), "
        f"so no one characteristic dominates; {MISSING_RULES[rule.missing]} (rule `{rule.missing}`). A characteristic "
        "all districts share is dropped. A characteristic written log(x), log10(x), log2(x) or sqrt(x) is transformed "
        "before it is standardized, so that under log a district of 40,000 students is as far from one of 4,000 as that "
        f"one is from 400. Categories — {indicators} — enter as 0/1 indicators, unscaled: a characteristic that is already "
        "0/1, or written `column == value`, is one indicator (two districts that differ only there are 1 apart); a category "
        "with m values is m indicators, one per value (two districts that differ only in category differ in two of them "
        "and are √2 apart).")}
{method("Weights", "wⱼ (z_Aj − z_Bj)² = (√wⱼ z_Aj − √wⱼ z_Bj)²,   wⱼ = 1 unless the params say otherwise",
        "A weight multiplies a characteristic's squared difference: its standardized value, or each of its indicators, is "
        "multiplied by √w, so a characteristic of weight w counts as much as w characteristics of weight 1. In this release: "
        f"{', '.join(f'{indicator_term(f)} (`{f}`) counts {w:g} times' for f, w in rule.weights.items()) or 'every characteristic counts once'}.")}
{method("Distance and the nearest districts", f"d(A, B) = √( Σⱼ wⱼ (z_Aj − z_Bj)² + Σₖ wₖ (I_Ak − I_Bk)² );   peers = the {rule.k} districts with the smallest d",
        f"The district itself is left out; equal distances are broken by district id, so the list is reproducible.{fixed_note} "
        "Similar districts on these characteristics may still differ in ways no data here record.")}
{method("Why these peers", "difference = (district value − peers' average) / s",
        "On each numeric characteristic, in standard deviations; differences of 0.5 SD or more are flagged "
        "“≥ 0.5 SD”, of 1 SD or more “≥ 1 SD”. Flags show where a peer group fits less well.")}
{method("Rank and percentile among peers", "rank = 1 + (districts in the group doing better);   peer percentile = 100 × (peers doing worse) / (peers with a value)",
        "The group is the district and its peers; better is higher or lower as each indicator says (fewer absences, more "
        "buses on time); tied districts share the best rank. Spending has no better direction and is not ranked, and "
        "neither is the distance from the efficiency prediction, which a handful of peers cannot rank.")}"""


def scorecard_section(settings: Settings) -> str:
    with_goals = sum(1 for overrides in settings.districts.values() if overrides.goals)
    return f"""## Scorecard

Is the district meeting its own goals, and is each indicator moving the right way?

{method("Status against a goal", "met when value ≥ goal (higher is better), value ≤ goal (lower is better), |gap| ≤ |goal| (gaps)",
        f"Goals are set by each district in the params; in this release {with_goals} "
        f"{'district sets its' if with_goals == 1 else 'districts set their'} own. A district without a goal shows no status.")}
{method("Trend words", "change = slope × (latest year − first year),   slope = least-squares slope over every year shown;   steady when |change| < smallest meaningful change",
        "One rule in each indicator's own unit, the same for scores and percentages: "
        f"{meaningful_changes()}. Otherwise **improving** or **worsening** in the indicator's better direction, **closing** or **widening** for "
        "gaps, and **up** or **down** when neither direction is better (spending). The change is judged at the precision the page "
        "shows it. With three years the line's change equals latest − first; with more, every year counts. A few years do not "
        "make a trend certain: one unusual year moves it.")}
{method("Change against the path before an action", "against = (latest − before) − d̄ × h,   95% range ±1.96 × σ × √(h + h²/m)",
        "For each action a district records (`actions.csv`): *before* is the indicator's value in the last school year completed "
        "before the action started, *h* the years from then to the latest, *d̄* the average of the district's *m* yearly changes "
        "before the action (none when only one year came before: then d̄ = 0 and the h²/m term drops), and σ the standard "
        "deviation of yearly changes around each district's own average change, pooled over every district of the consortium. "
        "A change inside the range is the indicator's ordinary movement; a change beyond it is a sign something changed, not "
        "proof that the action changed it: other things changed too, and the students differ from year to year. An action is "
        "**overdue** when it is planned or in progress and its review date is before the release date.")}"""


def routines_section(settings: Settings) -> str:
    surveyed = [topic.title for topic in settings.topics if topic.survey is not None]
    asked = f"This release asks a survey on {', '.join(surveyed)}." if surveyed else "No topic of this release asks a survey."
    return f"""## Processes month by month and topic surveys

{method("Natural process limits (XmR chart)", "centre = mean of the baseline months;   mR̄ = mean of |xᵢ − xᵢ₋₁| over the baseline;   limits = centre ± 2.66 × mR̄;   range limit = 3.268 × mR̄",
        "For support services reported every month (buses on time, substitute requests filled, work orders closed). The baseline is "
        "the first 12 months, or the months before an action started when the page reads an action. A limit beyond a natural bound "
        "(0, or 100 for a percentage) is set at the bound. Three patterns are signals: a month beyond a limit; eight or more months in a "
        "row on one side of the centre line; six or more months in a row each higher (or each lower) than the one before. Anything "
        "else is the process's routine variation, and no single month inside the limits is worth reacting to. A signal says that "
        "something changed, not what.")}
{method("Survey answers", "",
        f"{asked} Each district answers in its own file, checked against a contract generated from the questions (type, range, codes, "
        "required) like every input. Answers are what the districts reported, not checked against other data. A numeric answer that "
        "counts students is a student count under the same disclosure rules as every other: hidden when it, or the district's other "
        "students, would be fewer than `min_n`, or when an earlier release hid it.")}"""


def meaningful_changes() -> str:
    """Each unit's smallest meaningful change, read from the indicators themselves."""
    from districtstat.analyses.indicators import GAP_MEANINGFUL_CHANGE, INDICATORS

    by_unit: dict[str, set[float]] = {}
    for indicator in INDICATORS.values():
        by_unit.setdefault(indicator.unit, set()).add(indicator.meaningful_change)
    words = {"points": "scale points", "%": "percentage points", "$": "dollars per pupil (the smaller for a single spending function)", "days": "days"}
    parts = [f"{' or '.join(f'{v:g}' for v in sorted(values))} {words.get(unit, unit)}" for unit, values in by_unit.items()]
    return "; ".join(parts) + f"; {GAP_MEANINGFUL_CHANGE:g} scale points for a gap"


def rounding_table(min_n: int, largest: int = 1000) -> str:
    """The percentage steps and end codes by group size, as `disclosure.shown_percent` applies them."""
    rows, start, last = [], None, ()
    for n in range(min_n, largest + 1):
        step = percent_step(n, min_n)
        rule = None if step is None or coding_cut(n, step, min_n) > 50 else (step, coding_cut(n, step, min_n))
        if rule != last:
            if start is not None:  # the first size opens the first row
                rows.append((start, n - 1, last))
            start, last = n, rule
    rows.append((start, None, last))
    body = [
        [f"{low:,}–{high:,}" if high is not None else f"{low:,} or more", "not shown" if rule is None else f"{rule[0]} point{'s' if rule[0] > 1 else ''}", "" if rule is None else f"<{rule[1]} and >{100 - rule[1]}"]
        for low, high, rule in rows
        if high is None or rule is not None or low == min_n
    ]
    return markdown_table(["Group size (students)", "Percentage rounded to", "Shown only as"], body, "How a percentage of students is published, by the size of its group")


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


# ------------------------------------------------------------------ parameters of this release

SETTING_NOTES = {
    "title": "The name of the report site.",
    "dataset": "The data this release reads: an example dataset, or 'custom'.",
    "data_dir": "The folder of input files, in the project.",
    "site_dir": "Where releases are published, in the project.",
    "release": "The name of this release; a published release is never rewritten.",
    "min_n": "The fewest students a published figure may rest on.",
    "protection_margin": "The narrowest range, in students, anyone may be able to place a hidden count in (unset: half of min_n).",
    "overview_notebook": "The notebook behind the consortium overview.",
    "district_notebooks": "The pages each district gets.",
    "topic_notebook": "The notebook behind each topic-of-the-quarter page.",
    "efficiency": "No spending data: no efficiency model is fitted.",
    "efficiency.outcome": "The result the efficiency model explains.",
    "efficiency.spending": "How spending enters the model.",
    "efficiency.controls": "Student needs and size the model holds equal.",
    "efficiency.folds": "Folds (k) of the cross-validated R².",
    "efficiency.seed": "Seed of the random split into folds, so the R² can be reproduced.",
    "efficiency.min_cv_r2": "The cross-validated R² the model must exceed before any page ranks districts on its residual.",
    "efficiency.alternatives.name": "Other specifications, fitted on the same districts and shown beside the declared one.",
    "efficiency.alternatives.spending": "How spending enters each other specification.",
    "efficiency.alternatives.controls": "The needs each other specification allows for.",
    "peers.numeric": "Characteristics peers are matched on, standardized.",
    "peers.indicators": "Categories peers are matched on, as 0/1 indicators.",
    "peers.k": "Peers per district.",
    "peers.missing": "What a missing characteristic counts as.",
    "peers.weights": "How many times a characteristic's squared difference counts in the distance.",
    "gaps.intersections": "Crossings of student groups reported beside the single groups.",
    "gaps.confidence": "Confidence level of the gap intervals.",
    "topics.title": "The heading of each topic page.",
    "topics.why": "Why the consortium looks at the topic this quarter.",
    "topics.indicators": "The indicators every district is compared on.",
    "topics.questions": "Questions for the districts to discuss.",
    "districts.goals": "Districts that set their own scorecard goals.",
    "districts.peers": "Districts that name their own peers instead of the computed ones.",
}
MODEL_TERMS = {"efficiency.outcome", "efficiency.spending", "efficiency.controls", "efficiency.alternatives.spending", "efficiency.alternatives.controls", "peers.numeric", "peers.indicators"}


def shown_list(values: list) -> str:
    """Indicator codes with their labels, sentences one after another, crossings as 'EL × ECODIS', else joined by commas."""
    texts = [item for item in values if isinstance(item, str)]
    if values and len(texts) == len(values) and all(text in INDICATORS for text in texts):
        return ", ".join(f"{column_label(code)} (`{code}`)" for code in texts)
    if values and len(texts) == len(values) and all(text.rstrip().endswith((".", "?", "!")) for text in texts):
        return " ".join(texts)
    return ", ".join(" × ".join(map(str, item)) if isinstance(item, list) else str(item) for item in values) or "none"


def shown_value(project: Project, key: str, value: object) -> str:
    """A setting as a reader can read it: words for model terms, paths inside the project, lists joined."""
    if key in MODEL_TERMS:
        terms = value if isinstance(value, list) else [value]
        return ", ".join(f"{plain_term(term)} (`{term}`)" for term in terms) or "none"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Path):
        return project.relative(project.root / value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return shown_list(value)
    if isinstance(value, dict):
        return ", ".join(f"{name}: {item}" for name, item in value.items()) or "none"
    return str(value)


def note(key: str, model: type[BaseModel], name: str) -> str:
    """What a setting means: this page's words, else the field's own description as a sentence."""
    if key in SETTING_NOTES:
        return SETTING_NOTES[key]
    description = (model.model_fields[name].description or "").strip()
    return description[:1].upper() + description[1:].rstrip(".") + "." if description else NONE


def entries_setting(key: str, entries: dict[str, BaseModel], model: type[BaseModel]) -> list[list[str]]:
    """Per-entry settings (each district's section) summed up per field: how many entries set it, and which."""
    rows = []
    for name in model.model_fields:
        setting = f"{key}.{name}"
        which = sorted(entry for entry, item in entries.items() if getattr(item, name))
        noun = key[:-1] if len(which) == 1 and key.endswith("s") else key
        listed = f" ({', '.join(which[:10])}{', …' if len(which) > 10 else ''})" if which else ""
        rows.append([f"`{setting}`", f"{len(which)} {noun}{listed}", note(setting, model, name)])
    return rows


def numbered(values: list[str]) -> str:
    """Values of several entries in one cell, numbered so each lines up with the same entry in the other rows."""
    return values[0] if len(values) == 1 else " ".join(f"({i}) {value}" for i, value in enumerate(values, start=1))


def listed_setting(project: Project, key: str, items: list[BaseModel]) -> list[list[str]]:
    """A list of settings models (topics of the quarter, say): one row per field, the entries' values in order."""
    model = type(items[0])
    return [
        [f"`{key}.{name}`", numbered([shown_value(project, f"{key}.{name}", getattr(item, name)) for item in items]), note(f"{key}.{name}", model, name)]
        for name in model.model_fields
    ]


def entry_model(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    """The settings model of each entry of a `dict[str, Model]` field, if that is what the field holds."""
    for argument in getattr(model.model_fields[name].annotation, "__args__", ()):
        if isinstance(argument, type) and issubclass(argument, BaseModel):
            return argument
    return None


def setting_rows(project: Project, settings: BaseModel, prefix: str = "") -> list[list[str]]:
    """One row per setting, walking nested models, so a field added to Settings appears without touching this page."""
    rows = []
    model = type(settings)
    for name in model.model_fields:
        key, value = f"{prefix}{name}", getattr(settings, name)
        entries = entry_model(model, name)
        if isinstance(value, BaseModel):
            rows += setting_rows(project, value, f"{key}.")
        elif isinstance(value, dict) and entries is not None:
            rows += entries_setting(key, value, entries)
        elif isinstance(value, list) and value and all(isinstance(item, BaseModel) for item in value):
            rows += listed_setting(project, key, value)
        else:
            rows.append([f"`{key}`", shown_value(project, key, value), note(key, model, name)])
    return rows


def parameters_section(project: Project, provenance: Provenance) -> str:
    settings = project.settings.model_copy(update={"release": project.release})  # a --release given at build time wins
    table = markdown_table(["Setting", "Value", "What it means"], setting_rows(project, settings), f"Every setting of release {project.release}, from {project.relative(project.params_file)}")
    return f"""## Parameters of this release

The settings every figure of this release was computed with, as the params file states them.

{table}
{provenance.line()}

The parameters hash on this page covers every setting above. A district's or topic's page shows the hash of
the settings its notebook reads: these without the topics and the release date, plus that district's own
section or that topic.

Built with: {", ".join(f"{name} {version}" for name, version in package_versions().items())}.
"""


# ------------------------------------------------------------------ glossary

GLOSSARY = {
    "Scale score": "The score on the state test, on a scale shared by all students of a grade and subject; higher is better.",
    "Proficient": f"At performance level {PROFICIENT_LEVEL} (proficient) or {PROFICIENT_LEVEL + 1} (advanced): meeting the state's standard.",
    "Chronically absent": f"Present on fewer than {CHRONIC_ABSENCE_THRESHOLD:.0%} of the days enrolled, for any reason.",
    "Economically disadvantaged": "Eligible for free or reduced-price meals, or a similar measure of family income.",
    "English learner": "A student still learning English, receiving language support.",
    "Students with disabilities": "Students with an individualized education program (IEP) under special education law.",
    "Subgroup": "A group of students who share a characteristic (English learners, a race/ethnicity) reported separately.",
    "Gap": "A group's average score minus the average of the students it is compared with; negative means behind.",
    "Standardized gap": "A gap divided by how spread out scores are (Hedges' g), so gaps on different tests compare.",
    "Confidence interval": "The range a figure could plausibly take if other, similar students had been tested.",
    "Residual": "Points above or below the result predicted for a district's spending and student needs.",
    "Percentile": "The percent of districts (or peers) a district does better than.",
    "Peer district": "One of the districts most like this one in students and size, never chosen on results.",
    "Per-pupil spending": "A district's spending in the year divided by the students enrolled.",
    "NCES function": "The federal code for what money is spent on: instruction, student support, administration, transportation, …",
    "Out-of-district placement": "A student the district places, and pays for, in another district or a private school.",
    f"Suppressed (`{SUPPRESSED}`)": "A figure hidden because it rests on too few students to publish without risk to their privacy.",
    "Release": "One published edition of the site, built from one dataset with one set of settings; never changed afterwards.",
    "Data hash": "A fingerprint of the input files: any change to the data gives a different hash.",
    "Parameters hash": "A fingerprint of the settings (the params file) the release was built with.",
    "Code commit": "The version of the districtstat code that built the release.",
}


def glossary_section() -> str:
    terms = "\n\n".join(f"{term}\n:   {meaning}" for term, meaning in GLOSSARY.items())
    return f"## Glossary\n\nThe words of this site, in plain language.\n\n{terms}\n"


def methods_page(project: Project, provenance: Provenance) -> str:
    settings = project.settings
    fixed_peers = sum(1 for overrides in settings.districts.values() if overrides.peers)
    return "\n".join(
        [
            front_matter({"title": "Methods and glossary"}),
            """How each figure on this site is computed, what it means and what it cannot tell. Formulas are written for
researchers; the sentence under each is for everyone. The settings of this release and a glossary close the page.

## Where the numbers come from

Every input file is checked against its data contract before any figure is computed (see the data-quality
page). Student records are turned into district, school and student-group summaries; only summaries that pass
disclosure control are published.
""",
            results_section(),
            gaps_section(settings),
            spending_section(settings),
            peers_section(settings.peers, fixed_peers),
            scorecard_section(settings),
            routines_section(settings),
            privacy_section(settings),
            parameters_section(project, provenance),
            glossary_section(),
        ]
    )


# ------------------------------------------------------------------ data quality


def period(column: str | None, latest: int | None) -> str:
    """The latest period a file covers: school year 2024 reads '2023–24', fiscal year 2024 'FY 2024'."""
    if column is None or latest is None:
        return NONE
    return f"FY {latest}" if column == "fiscal_year" else school_year(latest)


def input_name(entity: str, entry: dict) -> str:
    """The file's name; a record written before names were stored still has the file's path."""
    return entry.get("name") or Path(entry.get("file") or entity).name


def quality_row(entity: str, entry: dict) -> list[str]:
    """A file's name, problems, latest period and hash, never its rows: the rows of enrollments or assessments are
    students, and one release's count minus another's would give a hidden district's change in students."""
    problems = entry.get("problems", entry.get("failures"))
    return [
        input_name(entity, entry),
        f"{problems:,}" if problems is not None else NONE,
        period(entry.get("period_column"), entry.get("latest_period")),
        f"`{entry['content_hash']}`" if entry.get("content_hash") else NONE,
    ]


def quality_summary(report: dict) -> str:
    """One sentence a board member can repeat: did the data pass, and how recent is it (no total of rows: see `quality_row`)."""
    files = report["files"]
    failing = sorted(input_name(entity, entry) for entity, entry in files.items() if entry.get("problems", entry.get("failures")))
    school_years = [entry["latest_period"] for entry in files.values() if entry.get("period_column") == "school_year" and entry.get("latest_period")]
    recent = f" The most recent school year in the data is {period('school_year', max(school_years))}." if school_years else ""
    if report.get("ok"):
        return f"All {len(files)} input files passed their data contracts.{recent}"
    problems = report.get("problems", sum(entry.get("failures", 0) for entry in files.values()))
    where = [f"{len(failing)} of {len(files)} input files ({', '.join(failing)})"] if failing else []
    where += ["the dataset folder"] if report.get("dataset") else []
    return f"The data failed their contracts: {problems:,} problems in {' and '.join(where) or 'the data'}. Nothing is computed from data that fail.{recent}"


def problem_lines(report: dict) -> list[str]:
    lines = [line for _, entry in sorted(report["files"].items()) for line in entry.get("problem_lines", [])]
    return lines + [Failure(**problem).format() for problem in report.get("dataset", [])]


def survey_quality(surveys: dict) -> str:
    """Each topic survey's answer files: who answered, who has not, and the problems found in them."""
    if not surveys:
        return ""
    rows = [
        [topic, f"`{entry['folder']}`", str(len(entry["answered"])), ", ".join(entry["not_answered"]) or NONE, str(len(entry["problem_lines"]))]
        for topic, entry in sorted(surveys.items())
    ]
    table = markdown_table(["Topic", "Answer files", "Districts that answered", "Not answered yet", "Problems"], rows, "Survey answers of each topic, checked against the contract generated from its questions")
    lines = [line for entry in surveys.values() for line in entry["problem_lines"]]
    listed = "\n" + "\n".join(f"- `{line}`" for line in lines) + "\n" if lines else ""
    return f"\n## Survey answers\n\nEach district's answers to a topic survey are checked like every input file, one file per district.\n\n{table}{listed}"


def data_quality_page(project: Project) -> str:
    path = project.build_dir / "data_quality.json"
    head = front_matter({"title": "Data quality"})
    if not path.is_file():
        return f"{head}\nNo validation record exists for release {project.release}.\n"
    report = json.loads(path.read_text(encoding="utf-8"))
    header = ["Input", "Problems", "Latest period covered", "Content hash"]
    rows = [quality_row(entity, entry) for entity, entry in sorted(report["files"].items())]
    table = markdown_table(header, rows, "Validation of each input file against its data contract")
    lines = problem_lines(report)
    found = "\n## Problems found\n\nUp to five lines per file, each naming the file, line, column, rule and value to fix.\n\n" + "\n".join(f"- `{line}`" for line in lines) + "\n" if lines else ""
    found += survey_quality(report.get("surveys") or {})
    return f"""{head}
{quality_summary(report)}

## Validation results

Every input file is checked against its data contract (the columns, types, allowed codes and keys it must
have) before any figure is computed. The latest period is the last school or fiscal year the file covers;
the content hash identifies the exact file checked. Files' row counts are not shown: rows of students, compared
between releases, would tell how many students a district gained or lost where its pages hide that.

{table}{found}"""
