"""Resource-allocation efficiency: outcomes against spending and student needs, across districts.

A district's residual is how many points its outcome sits above or below what districts with its
spending and needs score. It is descriptive, not causal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import patsy
import statsmodels.formula.api as smf
from scipy import stats
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold, cross_val_predict

from districtstat.analyses.indicators import INDICATORS
from districtstat.analyses.standing import CONFIDENCE


@dataclass
class EfficiencyFit:
    formula: str
    coefficients: pd.DataFrame
    n: int
    r2: float
    adj_r2: float
    cv_r2: float
    districts: pd.DataFrame
    result: object
    between_variance: float = float("nan")
    min_cv_r2: float = 0.0

    @property
    def can_rank(self) -> bool:
        """Ranks and percentiles need a model that predicts districts it was not fitted on."""
        return bool(self.cv_r2 > self.min_cv_r2)

    def summary(self) -> dict:
        return {
            "formula": self.formula,
            "n": self.n,
            "r2": self.r2,
            "adj_r2": self.adj_r2,
            "cv_r2": self.cv_r2,
            "min_cv_r2": self.min_cv_r2,
            "can_rank": self.can_rank,
            "residual_sd": float(np.sqrt(self.result.scale)),
            "between_sd": float(np.sqrt(self.between_variance)),
            "df_resid": float(self.result.df_resid),
        }


# District profile columns that are not indicators, as a board member would name them in a sentence.
PROFILE_LABELS = {
    "enrollment": "enrollment",
    "log_enrollment": "log of enrollment",
    "pct_ecodis": "% economically disadvantaged",
    "pct_el": "% English learners",
    "pct_swd": "% students with disabilities",
    "students_per_teacher": "students per teacher",
    "median_household_income": "median household income",
    "locale": "locale",
    "grade_span": "grade span",
    "region": "region",
}
TRANSFORMS = {"log": "log of", "log10": "log (base 10) of", "log2": "log (base 2) of", "sqrt": "square root of", "exp": "exponential of"}
TRANSFORMED = re.compile(r"^(?:np\.|numpy\.)?(log|log10|log2|sqrt|exp)\((\w+)\)$")
CATEGORY = re.compile(r"^(?:C\()?(\w+)\)?\[T\.(.+)\]$")
SQUARED = re.compile(r"^I\((\w+) \*\* 2\)$")


# First words a sentence keeps capitalized: the names of languages and peoples that open a group's label.
PROPER_WORDS = {"English", "Spanish", "American", "Asian", "Black", "Hispanic", "Native", "Pacific", "White", "Filipino", "Hawaiian", "Alaska"}


def in_sentence(label: str) -> str:
    """A label inside a sentence: first letter lowered unless it starts an acronym ('ELA') or a proper name ('English learners')."""
    if len(label) > 1 and label[1].isupper() or label.split(" ")[0].rstrip(":,") in PROPER_WORDS:
        return label
    return label[:1].lower() + label[1:]


def column_label(column: str) -> str:
    """A column as it reads inside a sentence: its indicator label, its profile label, or its name in words."""
    indicator = INDICATORS.get(column)
    if indicator is not None:
        label = in_sentence(indicator.label)
        return f"% {label}" if indicator.unit == "%" else label
    if column in PROFILE_LABELS:
        return PROFILE_LABELS[column]
    words = column.replace("_", " ").strip()
    return "% " + words[4:] if words.startswith("pct ") else words


def plain_term(term: str) -> str:
    """A model term in words ('np.log(per_pupil_spending)' -> 'log of spending per pupil'): readers see labels, not formulas."""
    term = term.strip()
    if term == "Intercept":
        return "Intercept (baseline)"
    if ":" in term:
        return " × ".join(plain_term(part) for part in term.split(":"))
    if match := TRANSFORMED.match(term):
        return f"{TRANSFORMS[match[1]]} {column_label(match[2])}"
    if match := CATEGORY.match(term):
        return f"{column_label(match[1])}: {match[2]}"
    if match := SQUARED.match(term):
        return f"{column_label(match[1])}, squared"
    if re.fullmatch(r"\w+", term):
        return column_label(term)
    return readable(term)


def readable(term: str) -> str:
    """An expression no rule knows, still without the code around it: 'I(a_b + c)' -> 'a b + c'."""
    inner = term[2:-1] if term.startswith("I(") and term.endswith(")") else term
    return re.sub(r"\s+", " ", inner.replace("np.", "").replace("_", " ")).strip()


def formula_for(outcome: str, spending: str, controls: list[str]) -> str:
    return f"{outcome} ~ {' + '.join([spending, *controls])}"


def coefficient_table(result, confidence: float = CONFIDENCE) -> pd.DataFrame:
    interval = result.conf_int(alpha=1 - confidence)
    return pd.DataFrame(
        {
            "term": result.params.index,
            "estimate": result.params.to_numpy(),
            "std_error": result.bse.to_numpy(),
            "t": result.tvalues.to_numpy(),
            "p": result.pvalues.to_numpy(),
            "ci_low": interval[0].to_numpy(),
            "ci_high": interval[1].to_numpy(),
        }
    )


def cross_validated_r2(formula: str, table: pd.DataFrame, folds: int, seed: int) -> float:
    """Out-of-sample R²: predictions for each district from a model fitted without it."""
    outcome, design = patsy.dmatrices(formula, table, return_type="dataframe")
    splitter = KFold(n_splits=min(folds, len(design)), shuffle=True, random_state=seed)
    predicted = cross_val_predict(LinearRegression(fit_intercept=False), design, outcome.iloc[:, 0], cv=splitter)
    return float(r2_score(outcome.iloc[:, 0], predicted))


def sampling_variances(residuals: np.ndarray, students: np.ndarray, sd: np.ndarray | None = None) -> np.ndarray:
    """How much each district's outcome varies by chance alone: SD² / students tested where the SDs are known,
    else σ²_within / students with σ²_within from regressing squared residuals on 1 / students (0 when the
    residuals do not grow as districts get smaller)."""
    students = np.asarray(students, dtype=float)
    if sd is not None and np.isfinite(sd).all() and np.isfinite(students).all() and (students > 0).all():
        return np.square(np.asarray(sd, dtype=float)) / students
    usable = np.isfinite(students) & (students > 0)
    if usable.sum() < 3:
        return np.zeros(len(residuals))
    inverse = 1.0 / students[usable]
    slope = np.polyfit(inverse, np.square(residuals[usable]), 1)[0]
    within = max(float(slope), 0.0)
    return np.where(usable, within / np.where(usable, students, 1.0), 0.0)


def fit_efficiency(
    table: pd.DataFrame,
    outcome: str,
    spending: str,
    controls: list[str],
    *,
    id_col: str = "district_id",
    folds: int = 5,
    seed: int = 0,
    students: str | None = None,
    score_sd: str | None = None,
    min_cv_r2: float = 0.0,
    confidence: float = CONFIDENCE,
) -> EfficiencyFit:
    """OLS with HC1 standard errors and k-fold R²; each district's residual with a prediction interval, its
    verdict, and a size-adjusted (empirical Bayes) residual that ranks are computed from, when the model can rank.

    The residual's interval is the 90% prediction interval (as every interval of the site) of a new district with the
    same spending and needs:
    the HC1 uncertainty of the fitted line plus the spread of districts around it, τ² (between districts) +
    σ²ⱼ (chance, larger for small districts). With equal σ²ⱼ it is statsmodels' `obs=True` interval.
    """
    formula = formula_for(outcome, spending, controls)
    used = table.dropna(subset=[outcome]).sort_values(id_col, kind="stable").reset_index(drop=True)
    result = smf.ols(formula, data=used).fit(cov_type="HC1", use_t=True)
    used = used.loc[result.fittedvalues.index]
    residuals = (used[outcome] - result.fittedvalues).to_numpy(dtype=float)
    size = used[students].to_numpy(dtype=float) if students and students in used else np.full(len(used), np.nan)
    spread = used[score_sd].to_numpy(dtype=float) if score_sd and score_sd in used else None
    chance = sampling_variances(residuals, size, spread)
    between = max(float(result.scale) - float(np.mean(chance)), 0.0)
    line = result.get_prediction(used).summary_frame(alpha=1 - confidence)
    t = stats.t.ppf(0.5 + confidence / 2, result.df_resid)
    half_width = t * np.sqrt(np.square(line["mean_se"].to_numpy()) + between + chance)
    districts = pd.DataFrame(
        {id_col: used[id_col].to_numpy(), "observed": used[outcome].to_numpy(), "predicted": result.fittedvalues.to_numpy(), "residual": residuals}
    )
    districts["pi_low"], districts["pi_high"] = residuals - half_width, residuals + half_width
    districts["verdict"] = np.select([districts["pi_low"] > 0, districts["pi_high"] < 0], ["above", "below"], default="within")
    districts["chance_variance"] = chance
    with np.errstate(divide="ignore", invalid="ignore"):
        reliability = np.where(between + chance > 0, between / (between + chance), 0.0)
    districts["shrunk_residual"] = reliability * residuals
    fit = EfficiencyFit(
        formula=formula,
        coefficients=coefficient_table(result, confidence),
        n=int(result.nobs),
        r2=float(result.rsquared),
        adj_r2=float(result.rsquared_adj),
        cv_r2=cross_validated_r2(formula, used, folds, seed),
        districts=districts,
        result=result,
        between_variance=between,
        min_cv_r2=min_cv_r2,
    )
    ranked = districts["shrunk_residual"].rank(pct=True, method="average") * 100
    districts["percentile"] = ranked if fit.can_rank else np.nan
    return fit


def compare_models(table: pd.DataFrame, models: list[tuple[str, str, str, list[str]]], *, folds: int = 5, seed: int = 0) -> pd.DataFrame:
    """In-sample and cross-validated fit of each declared model (name, outcome, spending, controls) on the same districts."""
    rows = []
    for name, outcome, spending, controls in models:
        formula = formula_for(outcome, spending, controls)
        used = table.dropna(subset=[outcome]).sort_values("district_id", kind="stable").reset_index(drop=True)
        result = smf.ols(formula, data=used).fit(cov_type="HC1", use_t=True)
        used = used.loc[result.fittedvalues.index]
        rows.append(
            {
                "model": name,
                "formula": formula,
                "n": int(result.nobs),
                "r2": float(result.rsquared),
                "adj_r2": float(result.rsquared_adj),
                "cv_r2": cross_validated_r2(formula, used, folds, seed),
                "aic": float(result.aic),
            }
        )
    return pd.DataFrame(rows, columns=["model", "formula", "n", "r2", "adj_r2", "cv_r2", "aic"])


ALLOCATION_COLUMNS = ["school_year", "district_id", "schools", "intercept", "slope", "ci_low", "ci_high"]


def school_allocation(
    school_profile: pd.DataFrame, need: str = "pct_ecodis", spending: str = "per_pupil_spending", min_schools: int = 4, min_enrollment: int = 1
) -> pd.DataFrame:
    """Within each district: the slope of school spending per pupil on school need, with its CI.

    A positive slope whose 90% interval excludes zero means money follows need (progressive allocation);
    only spending charged to schools counts, so district-wide services are left out. Schools under
    `min_enrollment` are left out, as they are from the published chart.
    """
    rows = []
    usable = school_profile.dropna(subset=[need, spending])
    usable = usable[usable["enrollment"] >= min_enrollment]
    for (year, district), schools in usable.groupby(["school_year", "district_id"], sort=True):
        row = dict.fromkeys(ALLOCATION_COLUMNS, np.nan) | {"school_year": year, "district_id": district, "schools": len(schools)}
        if len(schools) >= min_schools and schools[need].nunique() > 1:
            result = smf.ols(f"{spending} ~ {need}", data=schools).fit(cov_type="HC1", use_t=True)
            interval = result.conf_int(alpha=1 - CONFIDENCE).loc[need]
            row.update(intercept=float(result.params["Intercept"]), slope=float(result.params[need]), ci_low=float(interval[0]), ci_high=float(interval[1]))
        rows.append(row)
    table = pd.DataFrame(rows, columns=ALLOCATION_COLUMNS)
    table["pattern"] = np.select(
        [table["ci_low"] > 0, table["ci_high"] < 0, table["slope"].notna()], ["progressive", "regressive", "no clear pattern"], default="too few schools"
    )
    return table
