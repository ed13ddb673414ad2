"""The spending and results page: the district's distance from what the efficiency model predicts, how well the
model predicts, its coefficients and alternatives, spending by function, and how school budgets follow need."""

from __future__ import annotations

import numpy as np
import pandas as pd

from districtstat.data.aggregate import SPENDING_CATEGORIES, latest_rows
from districtstat.site.charts import HIGHLIGHT, SMALLEST_TEXT, district_points, figure, matplotlib_colour
from districtstat.privacy.disclosure import ProtectedTable, protect, rounded_percent
from districtstat.analyses.efficiency import in_sentence, plain_term
from districtstat.analyses.indicators import INDICATORS
from districtstat.report import Release
from districtstat.views.common import MONEY, efficiency_fit, key_outcome, interval_text, model_can_rank, ordinal, signed_dollars, signed_points, signed_ratio


VERDICT_WORDS = {
    "above": "above what its spending and student needs predict",
    "below": "below what its spending and student needs predict",
    "within": "within the range its spending and student needs predict",
}


def model_fit_sentence(release: Release) -> str:
    """How well the model predicts, in words, with the cross-validated R² as computed (negative included)."""
    fit = efficiency_fit(release)
    in_sample = f"The model accounts for {fit['r2'] * 100:.0f}% of the differences in results between the {int(fit['n'])} districts it was fitted on (R² {signed_ratio(fit['r2'])})"
    cv = fit["cv_r2"]
    if cv <= 0:
        out_of_sample = (
            f"but when each district is predicted by a model fitted without it, the predictions miss by more than simply "
            f"guessing the consortium average would (cross-validated R² {signed_ratio(cv)}). "
        )
    else:
        out_of_sample = f"and {cv * 100:.0f}% when each district is predicted by a model fitted without it (cross-validated R² {signed_ratio(cv)}). "
    if fit["can_rank"]:
        ranking = "That is enough to place districts in order, using residuals adjusted for how much a district of each size varies by chance."
    elif cv > 0:
        ranking = f"That is at or below the {signed_ratio(fit['min_cv_r2'])} this consortium requires before ranking districts, so **the data cannot rank districts on this measure this release**."
    else:
        ranking = "So **the data cannot rank districts on this measure this release**: any ordering of districts would rest on noise."
    return f"{in_sample}, {out_of_sample}{ranking}{better_alternative(release, cv)}"


def better_alternative(release: Release, cv_r2: float) -> str:
    """Name a declared alternative that predicts new districts better, so the choice of model is not hidden."""
    if not release.has_table("efficiency_models"):
        return ""
    others = release.table("efficiency_models").iloc[1:]
    better = others[(others["cv_r2"] > cv_r2) & (others["cv_r2"] > 0)]
    if better.empty:
        return ""
    best = better.loc[better["cv_r2"].idxmax()]
    return (
        f" Of the other models declared for comparison, “{best['model']}” predicts new districts better (cross-validated R² "
        f"{signed_ratio(best['cv_r2'])}); the table at the end of this page compares them."
    )


def efficiency_lead(release: Release, district_id: str) -> str:
    table = release.table("efficiency").set_index("district_id")
    name = release.district_name(district_id)
    if district_id not in table.index:
        return f"**{name}** is not in this release's efficiency model: its result or its spending is not reported."
    if resting_on_too_few(release, [district_id])[0]:
        return f"**{name}** tested too few students to publish its result or its distance from the prediction."
    row = table.loc[district_id]
    outcome = release.project.settings.efficiency.outcome
    label = in_sentence(INDICATORS[outcome].label) if outcome in INDICATORS else outcome
    direction = "above" if row["residual"] >= 0 else "below"
    lines = [
        f"**{name}**: {label} {row['observed']:.1f} points; districts with its spending and student needs are predicted to score "
        f"{row['predicted']:.1f} points, so it sits **{abs(row['residual']):.1f} points {direction}** the prediction "
        f"(90% prediction interval {interval_text(row['pi_low'], row['pi_high'])} points).",
    ]
    if row["verdict"] == "within":
        lines.append("The interval includes zero: **the data cannot tell this district's result apart from what its spending and needs predict.**")
    else:
        lines.append(f"The whole interval is {'above' if row['verdict'] == 'above' else 'below'} zero: the district scored **{VERDICT_WORDS[row['verdict']]}**.")
    lines.append("\n\n" + model_fit_sentence(release))
    dropped = release.left_out[release.left_out["kind"] == "model_control"]
    if len(dropped):
        lines.append(
            f"The model leaves out {', '.join(dropped['name'])}, declared in params, because the data do not report "
            f"{', '.join(sorted(set(dropped['measure'])))}: its prediction allows for fewer differences between districts."
        )
    if model_can_rank(release) and pd.notna(row.get("percentile")):
        lines.append(
            f"Adjusted for its size, its distance from the prediction is {signed_points(row['shrunk_residual'])} points, "
            f"the {ordinal(row['percentile'])} percentile of the consortium."
        )
    lines.append(
        "\n\nA residual describes; it does not prove that spending caused anything. Test scores and spending are measured "
        "with error; intervals are wider for small districts, whose results vary more by chance, and for districts whose "
        "spending and needs are unlike the others'."
    )
    return " ".join(lines).replace(" \n\n", "\n\n")


def resting_on_too_few(release: Release, district_ids) -> np.ndarray:
    """Districts whose efficiency result no page may show: their outcome or residual is withheld."""
    outcome = key_outcome(release)
    return release.withheld_figures(district_ids, outcome) | release.withheld_figures(district_ids, "efficiency_residual")


# The most districts a district's chart of every district draws. Each district's page has the chart, so drawing all
# of them made the site, the notebooks, the render and the audit grow with the square of the districts (1 KB a
# district on every page: 14 MB pages at 13,000 districts). The examples, 14 and 420 districts, draw every district.
CHART_DISTRICTS = 500


def charted_rows(table: pd.DataFrame, district_id: str, limit: int | None = None) -> pd.DataFrame:
    """The rows, in order, a district's chart draws: every row up to `limit`; beyond it the district's own and
    `limit` - 1 evenly spaced ranks, the first and last included, so the chart keeps the spread at a fixed size."""
    limit = CHART_DISTRICTS if limit is None else limit
    if len(table) <= limit:
        return table
    ranks = set(np.linspace(0, len(table) - 1, limit - 1).round().astype(int).tolist())
    ranks |= set(np.flatnonzero(table["district_id"].to_numpy() == district_id).tolist())
    return table.iloc[sorted(ranks)].reset_index(drop=True)


def charted_districts(release: Release, district_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every district the chart may show, in the chart's order, and the rows it draws of them (`charted_rows`).

    Rows are drawn bottom-up: ordered by the residual only where the model may rank; otherwise by name (A at the
    top), so the chart ranks nobody."""
    table = release.table("efficiency")
    table = table[~resting_on_too_few(release, table["district_id"].tolist())]
    table = table.assign(name=table["district_id"].map(release.district_name))
    if model_can_rank(release):
        table = table.sort_values(["residual", "district_id"], kind="stable").reset_index(drop=True)
    else:
        table = table.sort_values(["name", "district_id"], ascending=False, kind="stable").reset_index(drop=True)
    return table, charted_rows(table, district_id)


def efficiency_chart_caption(release: Release, district_id: str) -> str:
    """The chart's caption, saying how many districts it draws when it cannot draw them all."""
    every, drawn = charted_districts(release, district_id)
    which = "every district" if len(drawn) == len(every) else f"{len(drawn):,} of {len(every):,} districts evenly spaced by rank"
    return f"Points above or below the predicted result, {which}, with 90% prediction intervals"


def efficiency_chart(release: Release, district_id: str):
    """Every district's distance from its prediction with its 90% prediction interval, the district marked."""
    every, table = charted_districts(release, district_id)
    height = max(3.0, min(0.28 * len(table) + 1.2, 9.0))
    fig, ax = figure(7.5, height)
    own = table["district_id"] == district_id
    positions = np.arange(len(table))
    colours = np.where(own, matplotlib_colour(HIGHLIGHT), "#8c8c8c")  # darker than CONTEXT: the bars are the message
    ax.hlines(positions, table["pi_low"], table["pi_high"], colors=colours, linewidth=1.2)
    titles = [f"{row['name']}: {signed_points(row['residual'])} points (90% prediction interval {interval_text(row['pi_low'], row['pi_high'])})" for _, row in table.iterrows()]
    district_points(ax, table.assign(y=positions), "residual", "y", "efficiency", titles=titles, sizes=np.where(own, 64, 25), colour=colours)
    ax.axvline(0, color="black", linewidth=0.8, linestyle="--")
    ax.set_xlabel("Points above (+) or below (−) the predicted result, with 90% prediction interval (points)")
    names = table["name"]
    if len(table) <= 40:
        ax.set_yticks(positions, names, fontsize=SMALLEST_TEXT)
    else:
        ax.set_yticks(positions[own.to_numpy()], names[own], fontsize=8)
    ax.set_ylabel("")
    name = release.district_name(district_id)
    outside = int((every["verdict"] != "within").sum())
    drawn = f"{len(every)} districts'" if len(table) == len(every) else f"{len(table)} of {len(every)} districts' (evenly spaced by rank)"
    if not own.any():
        return fig, f"Dot chart of {drawn} distance from their predicted result with 90% intervals; {name} is not in the model. {outside} of the intervals exclude zero."
    row = table[own].iloc[0]
    alt = (
        f"Dot chart of {drawn} distance from their predicted result, each with its 90% prediction interval; "
        f"{name} sits at {signed_points(row['residual'])} points ({interval_text(row['pi_low'], row['pi_high'])}). "
        f"{outside} of {len(every)} intervals exclude zero."
    )
    return fig, alt


def coefficient_table(release: Release) -> ProtectedTable:
    """The model's coefficients, each term in words: the formula itself is on the methods page."""
    coefficients = release.table("efficiency_coefficients")
    return protect(coefficients.assign(term=coefficients["term"].map(plain_term)), counts={}, min_n=release.min_n).of_school_year(release.latest_year)


COEFFICIENT_FORMATS = {"estimate": "{:,.3f}", "std_error": "{:,.3f}", "t": "{:.2f}", "p": "{:.3f}", "ci_low": "{:,.3f}", "ci_high": "{:,.3f}"}
COEFFICIENT_LABELS = {
    "term": "Term",
    "estimate": "Estimate (points per unit of the term)",
    "std_error": "Robust SE (HC1, points)",
    "t": "t",
    "p": "p",
    "ci_low": "90% CI low (points)",
    "ci_high": "90% CI high (points)",
}


def model_comparison(release: Release) -> ProtectedTable:
    """Each declared specification's fit on the same districts, in sample and out of sample."""
    models = release.table("efficiency_models")
    terms = [" + ".join(plain_term(term) for term in formula.split("~", 1)[1].split("+")) for formula in models["formula"]]
    table = models.assign(terms=terms)[["model", "terms", "n", "r2", "adj_r2", "cv_r2"]]
    return protect(table, counts={}, min_n=release.min_n).of_school_year(release.latest_year)


MODEL_LABELS = {"model": "Model", "terms": "Spending and needs allowed for", "n": "Districts", "r2": "R²", "adj_r2": "Adjusted R²", "cv_r2": "Cross-validated R²"}
MODEL_FORMATS = {"n": "{:,.0f}", "r2": "{:.2f}", "adj_r2": "{:.2f}", "cv_r2": "{:.2f}"}


def spending_by_function(release: Release, district_id: str) -> ProtectedTable:
    finance = release.table("finance_by_function")
    latest = latest_rows(finance)
    reported = latest[~release.enrollment_hidden(latest["district_id"])]  # a hidden enrollment's per-pupil figures stay out of the median too
    median = reported.groupby("category")["per_pupil"].median().rename("consortium_median")
    own = latest[latest["district_id"] == district_id].set_index("category")[["per_pupil", "share"]]
    table = own.join(median, how="outer").reindex([c for c in SPENDING_CATEGORIES if c in own.index or c in median.index])
    table.insert(0, "category", [SPENDING_CATEGORIES[c] for c in table.index])
    table["difference"] = table["per_pupil"] - table["consortium_median"]
    protected = protect(table.reset_index(drop=True), counts={}, min_n=release.min_n)
    if release.enrollment_hidden([district_id]).any():  # total spending ÷ spending per pupil would give the hidden enrollment
        protected.suppressed.loc[protected.frame["per_pupil"].notna(), ["per_pupil", "difference"]] = True
    return protected.of_school_year(latest["school_year"].max())


FUNCTION_LABELS = {
    "category": "Spending category",
    "per_pupil": "Per pupil ($)",
    "share": "% of spending",
    "consortium_median": "Consortium median ($ per pupil)",
    "difference": "Difference from median ($ per pupil)",
}
FUNCTION_FORMATS = {"per_pupil": MONEY, "consortium_median": MONEY, "difference": signed_dollars, "share": "{:.1f}%"}


# ------------------------------------------------------------------ allocation within the district


def allocation_row(release: Release, district_id: str) -> pd.Series | None:
    table = release.table("school_allocation")
    rows = table[(table["district_id"] == district_id) & (table["school_year"] == release.latest_year)]
    return None if rows.empty else rows.iloc[0]


def allocation_lead(release: Release, district_id: str) -> str:
    row = allocation_row(release, district_id)
    if row is None:
        return "No school-level spending is reported, so whether school budgets follow student need cannot be shown."
    if row["pattern"] == "too few schools":
        return "This district has too few schools to say whether school budgets follow student need."
    meaning = {
        "progressive": "schools with more economically disadvantaged students receive more per pupil: money follows need",
        "regressive": "schools with more economically disadvantaged students receive less per pupil",
        "no clear pattern": "spending per pupil does not clearly rise or fall with school need",
    }[row["pattern"]]
    return (
        f"Across its {int(row['schools'])} schools, each additional percentage point of economically disadvantaged students goes with "
        f"**{signed_dollars(row['slope'])} per pupil** (90% confidence interval {signed_dollars(row['ci_low'])} to {signed_dollars(row['ci_high'])}): {meaning}. "
        "Only spending charged to schools counts; district-wide services are left out."
    )


def allocation_chart(release: Release, district_id: str):
    """School spending per pupil against school need, schools under the privacy threshold left out."""
    schools = release.table("school_profile")
    chosen = schools[(schools["district_id"] == district_id) & (schools["school_year"] == release.latest_year) & (schools["enrollment"] >= release.min_n)]
    shown = [rounded_percent(v, n, release.min_n) for v, n in zip(chosen["pct_ecodis"], chosen["enrollment"])]  # a school's size is public elsewhere
    chosen = chosen.assign(pct_ecodis=[np.nan if v is None else v for v in shown]).dropna(subset=["pct_ecodis", "per_pupil_spending"])
    if chosen.empty:
        return None, "no school-level spending is reported for this district."
    fig, ax = figure(7.5, 3.8)
    ax.scatter(chosen["pct_ecodis"], chosen["per_pupil_spending"], color=HIGHLIGHT, edgecolor="black", linewidth=0.4)
    fit = allocation_row(release, district_id)
    if fit is not None and pd.notna(fit["slope"]):
        xs = np.linspace(chosen["pct_ecodis"].min(), chosen["pct_ecodis"].max(), 2)
        ax.plot(xs, fit["intercept"] + fit["slope"] * xs, color="black", linewidth=1, linestyle="--")
    ax.set_xlabel("Students economically disadvantaged at the school (%)")
    ax.set_ylabel("School spending per pupil ($)")
    ax.yaxis.set_major_formatter(lambda y, _: f"${y:,.0f}")
    alt = f"Scatter plot of {len(chosen)} schools of {release.district_name(district_id)}: school spending per pupil against the share of economically disadvantaged students, with a fitted line."
    return fig, alt
