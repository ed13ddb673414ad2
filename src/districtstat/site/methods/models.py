"""The page's sections on the statistical models: student results, gaps between groups, spending and the
efficiency model, peer districts, the scorecard, and the processes and surveys followed month by month.

Every formula here is written from the code that computes it and from the release's own settings, so the page
cannot describe a model the release did not fit.
"""

from __future__ import annotations

from statistics import NormalDist

from districtstat.data.aggregate import CHRONIC_ABSENCE_THRESHOLD, PROFICIENT_LEVEL, SPENDING_CATEGORIES, subgroup_label
from districtstat.config import EfficiencyModel, PeerModel, Settings
from districtstat.analyses.efficiency import plain_term
from districtstat.analyses.standing import CONFIDENCE, GRID
from districtstat.analyses.trends import CONFIDENCE as TREND_CONFIDENCE
from districtstat.site.methods.code_tables import function_codes, meaningful_changes, record_differences
from districtstat.site.methods.writing import method, percent, quantile, subscript


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
        "The district's student needs, from program records of the same school year. A student belongs to several groups at once.")}
{method("Standard error of a district's figure", "mean: s / √n;   percentage: √( 100² × p(1 − p) / n + w² / 12 ),  w = the step it is published to;   gap: √(s₁²/n₁ + s₂²/n₂);   records: 0",
        "How far a figure would move by chance with another cohort of as many students: one year's students are one of the "
        "many cohorts a district serves. n is the students tested (for chronic absence, the students enrolled), p the "
        "published share, and w² / 12 the error of rounding it to whole points or coarser (Privacy); a gap's error is the "
        "one its confidence interval is built on. Finance and operations figures "
        "are the district's records of every dollar, bus run, work order and post, not a sample of students: they have no "
        "sampling error, though districts count them in slightly different ways, so two records are told apart only by "
        "their smallest meaningful difference (Peer districts). Where the data give no standard deviation of the scores (public aggregate files such as "
        "California's), the error of a mean is unknown.")}"""


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
{method("Gap trend", "change = slope × (latest year − first year),   slope = least-squares slope of the gap on the school year;   "
        "closing when the change moves the gap toward zero, reaches the smallest meaningful change and its 90% interval excludes zero",
        f"The trend words' rule (Scorecard), with each year's gap's own standard error. Only years in which both groups reach "
        f"{settings.min_n} students count, so a trend never reveals a hidden gap; the slope needs two such years. A gap "
        "resting on a few dozen students moves by ten points or more by chance alone, so its change is usually no clear "
        "change. A gap can close because the group improved or because the others declined: read both groups' results.")}"""


# ------------------------------------------------------------------ efficiency and spending


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
{method("Robust standard errors (HC1)", "Var(b) = n / (n − p) × (XᵀX)⁻¹ Xᵀ diag(eᵢ²) X (XᵀX)⁻¹,   90% CI = b ± t(n − p) × SE",
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
        "**above** or **below** what its spending and needs predict only when the whole 90% interval is (t at its 95th "
        "percentile); otherwise it says the data cannot tell the district apart from its prediction. With equal σ²ⱼ this "
        "is the usual 90% interval for a new district's result; every interval of this site is a 90% one.")}
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
        "with robust (HC1) standard errors. **Progressive** when the 90% confidence interval of b is above zero (schools "
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
        "neither is the distance from the efficiency prediction, which a handful of peers cannot rank. Every rank and "
        "percentile is shown with its interval (below).")}
{standing_method()}"""


def standing_method() -> str:
    """How sure a rank or percentile is, and when a page states a standing: written from `standing`'s own constants."""
    level, tail = percent(CONFIDENCE), (1 - CONFIDENCE) / 2 * 100
    return method(
        f"{level} interval of a rank or percentile, and when a standing is stated",
        "P(beats c of k peers) = average over x of PoissonBinomial(c; q₁(x), …, q_k(x)),   qⱼ(x) = chance peer j does worse than x;   "
        f"interval = {tail:g}th to {100 - tail:g}th percentile of c, as a rank or as 100 × c / k",
        "Each district's figure, and each peer's, is taken as normal about its published value with its standard error "
        "(Student results). Given the district's own figure x, each peer does worse than it or not independently, so the "
        "number of peers it beats is computed exactly (a Poisson-binomial count); x is averaged over "
        f"{GRID:,} evenly spaced points of its own normal distribution. That is what a simulation of many redraws estimates, "
        "without a simulation's noise: the same figures always give the same interval. The interval always includes the "
        "district's observed place. A district stands clearly above (or below) the middle of its peers only where the whole "
        "interval of its percentile is above (or below) 50: a scorecard's lead names these with their value and their peers' "
        "median (and calls a district the highest or lowest of its group only where the whole interval puts it there), "
        "never one of them as the best of several, and says of the others that they cannot be told apart from the middle; "
        "the peers page colours only these as better or worse, and the key figures list a peer rank only for these. A figure resting on students with no known "
        "standard error gets no rank or percentile.",
    ) + "\n" + method(
        "Records: the smallest meaningful difference",
        "peer about the same when |record − peer's record| < d;   interval = from (peers worse by d or more) to (peers "
        "not better by d or more), as a rank or as 100 × count / k",
        "An operations record (buses on time, days to close a work order, staff attendance …) counts every bus run, work "
        "order or post, so it has no sampling error; but districts count these in slightly different ways, and a difference "
        "of a fraction of a point says nothing a board could act on. So a peer whose record is within the smallest "
        "meaningful difference d is about the same: it could stand on either side, and the interval runs over both. A "
        "record stands clearly above (below) the middle of its peers only where more than half of them are worse (better) "
        "by d or more. d is the same threshold a change over the years must reach before a trend word calls it a change "
        "(Scorecard), judged at the one decimal the pages show:\n\n" + record_differences(),
    )


def interval_words() -> str:
    z = NormalDist().inv_cdf(0.5 + TREND_CONFIDENCE / 2)
    return f"{percent(TREND_CONFIDENCE)} interval = change ± {z:.3f} × SE(change)"


def scorecard_section(settings: Settings) -> str:
    with_goals = sum(1 for overrides in settings.districts.values() if overrides.goals)
    return f"""## Scorecard

Is the district meeting its own goals, and is each indicator moving the right way?

{method("Status against a goal", "met when value ≥ goal (higher is better), value ≤ goal (lower is better), |gap| ≤ |goal| (gaps)",
        f"Goals are set by each district in the params; in this release {with_goals} "
        f"{'district sets its' if with_goals == 1 else 'districts set their'} own. A district without a goal shows no status.")}
{method("Trend words", "change = slope × (latest year − first year),   slope = least-squares slope over every year shown;   "
        "SE(change) = (latest year − first year) × √( Σ wᵢ² SEᵢ² ),  wᵢ = (yearᵢ − mean year) / Σ (yearⱼ − mean year)²;   "
        f"{interval_words()}",
        "A word only where the change is both clear of chance and large enough to matter. SEᵢ is each year's standard error "
        "(Student results); with three years the line's change equals latest − first, and its standard error √(SE_first² + SE_latest²). "
        "The smallest meaningful change is one rule in each indicator's own unit, the same for scores and percentages: "
        f"{meaningful_changes()} (each operations record's own is in the table under Peer districts). Where the change reaches it and its 90% interval excludes zero: **improving** or **worsening** "
        "in the indicator's better direction, **closing** or **widening** for gaps, and **up** or **down** when neither direction "
        "is better (spending); otherwise **no clear change**. A record of the whole district has no sampling error, so its "
        "interval is the change itself and the smallest meaningful change alone decides. Where a figure rests on students and "
        "the data give no standard error, a change of at least that size gets no word. The change is judged at the precision "
        "the page shows it. Years are taken as independent samples of students; as next year's students are mostly this "
        "year's, the interval is if anything too wide. A few years do not make a trend certain: one unusual year moves it.")}
{method("Change against the path before an action", "against = (latest − before) − d̄ × h,   90% range ±1.645 × σ × √(h + h²/m)",
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
