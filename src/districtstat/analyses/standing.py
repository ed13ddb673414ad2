"""How sure a district's standing among its peers is: the standard error of each figure, and the 90% interval of the
district's percentile and rank among its peers that the chance error of its own figure and of its peers' gives.

A district's mean score, percent proficient, chronic absence and gaps rest on the few hundred students of one school
year: another cohort of the same size would give somewhat different figures by chance alone, and with five or so
peers a few points decide a place. So a percentile or rank is published with the interval that chance error gives,
and a verdict (clearly above or below the middle of its peers) only where that interval lies wholly on one side.

Finance and operations figures are the district's own records of every dollar, bus run, work order and post, not
results of a sample of students: they carry no sampling error (standard error 0). But a record is no more exact than
the way districts count it, and a difference of a fraction of a point in staff attendance tells a board nothing. So a
record's standing counts a peer within the indicator's smallest meaningful difference (`Indicator.meaningful_change`:
the same threshold a change over the years must reach) as about the same: such a peer could stand on either side,
and the interval of the percentile and rank runs over both. A record stands clearly above (below) the middle of its
peers only where more than half of them are worse (better) by at least that difference. The efficiency residual is a
model's figure and is never ranked among peers (`Indicator.peer_ranked`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm, qmc

from districtstat.analyses.indicators import INDICATORS, goodness
from districtstat.privacy.disclosure import STUDENT_GROUP_SHARES, STUDENT_RATES, students_behind, tested_subject
from districtstat.privacy.disclosure.percents import percent_step

CONFIDENCE = 0.90
# Points of the district's own normal distribution the interval is averaged over (see `beaten_distribution`).
GRID = 2000

# How a figure's uncertainty is known.
SAMPLING = "sampling"  # rests on students: its standard error is in the history
RECORD = "record"  # an administrative record of the whole district: no sampling error
UNKNOWN = "unknown"  # rests on students, but the data give no standard error (no SD, or no exact count tested)
MODEL = "model"  # a model's figure (the efficiency residual): never ranked among peers

# A standing the interval supports, or not.
ABOVE, BELOW, MIDDLE = "above", "below", "middle"


def figure_kind(code: str) -> str:
    """Whether a figure rests on a sample of students, is a record of the whole district, or is a model's.

    A student figure this module does not know (a new indicator) counts as resting on students with no known error,
    so it gets no verdict until someone says how sure it is."""
    indicator = INDICATORS.get(code)
    if indicator is not None and not indicator.peer_ranked:
        return MODEL
    if indicator is not None and indicator.area in ("Finance", "Operations"):
        return RECORD
    return SAMPLING


# ------------------------------------------------------------------ standard errors


def mean_se(sd, n):
    """The standard error of a mean scale score, s/√n, in points; NaN without an SD or with fewer than two students."""
    sd, n = np.asarray(sd, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 1, sd / np.sqrt(n), np.nan)


def percent_se(percent, n):
    """The standard error of a percentage of n students, 100 × √(p(1 − p)/n), in percentage points."""
    p, n = np.asarray(percent, dtype=float) / 100, np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, 100 * np.sqrt(p * (1 - p) / n), np.nan)


def rounding_sd(step):
    """The error a percentage rounded to `step` points carries, as a standard deviation: step/√12 (uniform over the
    step). Pages rank the rounded percentages they publish, so their rounding is part of how sure a rank is."""
    return np.asarray(step, dtype=float) / np.sqrt(12)


def standard_errors(history: pd.DataFrame, outcomes: pd.DataFrame | None, enrollment: pd.DataFrame, min_n: int) -> np.ndarray:
    """The standard error of every figure of a published history (district_id, school_year, code, value), in the
    figure's unit; NaN where there is none to give.

    - mean scale score: s/√n, with s the SD of the students tested and n their count (`subgroup_outcomes`, all
      students, all grades); NaN where the data give no SD (California's aggregate files);
    - percentage of students (proficient, chronically absent): 100 × √(p(1 − p)/n) from the published, rounded p and the
      students it is a share of (`students_behind`: those tested, or those enrolled), with the rounding's own error
      added (`rounding_sd`);
    - equity gap: kept from the history's `se` column, which `scorecard.gap_history` fills from the gap's own Welch
      interval (`gaps.gap_standard_error`);
    - finance and operations records: 0, no sampling error; the efficiency residual: NaN, never ranked.

    Every input is what pages publish (the rounded percentage, the count it rests on) or rests on a published figure,
    so an interval built on these errors tells nothing a page hides."""
    codes = history["code"].astype(str)
    kinds = codes.map(figure_kind).to_numpy()
    given = history["se"].astype(float).to_numpy() if "se" in history else np.full(len(history), np.nan)
    se = np.where(kinds == RECORD, 0.0, np.nan)
    se = np.where(codes.str.startswith("gap.").to_numpy(), given, se)
    tested = None
    if outcomes is not None and not outcomes.empty:
        tested = outcomes[(outcomes["subgroup"] == "ALL") & (outcomes["grade"] == "ALL")]
    students = students_behind(history, enrollment, None if tested is None else tested[["district_id", "school_year", "subject", "n"]].dropna(subset=["n"]))
    subject = codes.map(tested_subject)
    is_mean = codes.str.startswith("mean_score_").to_numpy() & subject.notna().to_numpy()
    if is_mean.any() and tested is not None and "sd_score" in tested:
        sd = tested.set_index(["district_id", "school_year", "subject"])["sd_score"].astype(float)
        at = pd.MultiIndex.from_arrays([history["district_id"], history["school_year"], subject])
        se = np.where(is_mean, mean_se(sd.reindex(at).to_numpy(), students), se)
    is_percent = codes.isin([*STUDENT_RATES, *STUDENT_GROUP_SHARES]).to_numpy()
    if is_percent.any():
        steps = np.array([percent_step(n, min_n) if is_share and pd.notna(n) and n > 0 else np.nan for n, is_share in zip(students, is_percent)], dtype=float)
        sampling = percent_se(history["value"], students)
        se = np.where(is_percent, np.sqrt(np.square(sampling) + np.square(rounding_sd(steps))), se)
    return se


def error_table(history: pd.DataFrame, year: int) -> pd.DataFrame:
    """One row per district, one column per figure: each figure's standard error in one school year, as `kpi_table`
    lays out the values (NaN where none is known)."""
    chosen = history[history["school_year"] == year]
    if "se" not in chosen:
        chosen = chosen.assign(se=np.nan)
    table = chosen.pivot_table(index="district_id", columns="code", values="se", aggfunc="first", dropna=False)
    table.columns.name = None
    return table.sort_index()


# ------------------------------------------------------------------ the interval of a standing


@dataclass(frozen=True)
class Standing:
    """A district's place among its peers on one figure, with its 90% interval.

    percentile = 100 × (peers doing worse) / (peers); rank = 1 + (peers doing better), 1 = best, of = peers + 1.
    `low`/`high` bound the percentile and `best`/`worst` the rank; for a record they run over the peers within its
    smallest meaningful difference. All are NaN where the uncertainty is `unknown`: no standing is stated then."""

    percentile: float
    low: float
    high: float
    rank: float
    best: float
    worst: float
    of: int
    uncertainty: str

    @property
    def verdict(self) -> str:
        """`above` or `below` the middle of its peers only where the whole interval is (above or below 50), `middle`
        where the interval includes 50, '' where no standing is stated."""
        if self.uncertainty not in (SAMPLING, RECORD) or np.isnan(self.low):
            return ""
        if self.low > 50:
            return ABOVE
        if self.high < 50:
            return BELOW
        return MIDDLE


def _conditional(x: np.ndarray, values: np.ndarray, errors: np.ndarray, better: str) -> tuple[np.ndarray, np.ndarray]:
    """For the district's figure at each point x, the chance that each peer does worse and that it does better
    (arrays of points × peers): each peer's figure is normal about its value with its standard error, or exactly its
    value where the error is 0."""
    x = x[:, None]
    v, s = values[None, :], errors[None, :]
    exact = s == 0
    safe = np.where(exact, 1.0, s)
    if better == "closer_to_zero":  # better is nearer zero: the peer does worse when |its figure| > |x|
        a = np.abs(x)
        inside = norm.cdf((a - v) / safe) - norm.cdf((-a - v) / safe)
        worse = np.where(exact, np.abs(v) > a, 1 - inside)
        ahead = np.where(exact, np.abs(v) < a, inside)
        return worse.astype(float), ahead.astype(float)
    below = norm.cdf((x - v) / safe)  # the chance the peer's figure is below x
    lower = np.where(exact, v < x, below).astype(float)
    higher = np.where(exact, v > x, 1 - below).astype(float)
    return (lower, higher) if better == "higher" else (higher, lower)


def _count_distribution(chances: np.ndarray) -> np.ndarray:
    """Points × peers chances of independent events → points × (peers + 1) chances of each count of them happening
    (the Poisson-binomial distribution, built one peer at a time)."""
    points, peers = chances.shape
    counts = np.zeros((points, peers + 1))
    counts[:, 0] = 1.0
    for j in range(peers):
        p = chances[:, j : j + 1]
        counts[:, 1:] = counts[:, 1:] * (1 - p) + counts[:, :-1] * p
        counts[:, :1] = counts[:, :1] * (1 - p)
    return counts


def beaten_distribution(own: float, own_se: float, peers, peers_se, better: str) -> tuple[np.ndarray, np.ndarray]:
    """The chance that the district does better than exactly c of its peers, and that exactly c of them do better than
    it, for c = 0 … peers, when every figure moves by chance as its standard error says.

    Why computed, not simulated: given the district's own figure, each peer beats it or not independently, so the
    count of peers it beats follows a Poisson-binomial distribution, computed exactly; only the district's own figure
    is averaged over, at `GRID` evenly spaced quantiles of its normal distribution. That is what a Monte Carlo of
    normal draws estimates, without its noise and without a seed: the same figures always give the same interval, and
    adding a peer or a district elsewhere moves no interval by chance."""
    values, errors = np.asarray(peers, dtype=float), np.asarray(peers_se, dtype=float)
    if own_se > 0:
        x = own + own_se * norm.ppf((np.arange(GRID) + 0.5) / GRID)
    else:
        x = np.array([float(own)])
    worse, ahead = _conditional(x, values, errors, better)
    return _count_distribution(worse).mean(axis=0), _count_distribution(ahead).mean(axis=0)


def _quantile(distribution: np.ndarray, share: float) -> int:
    """The smallest count whose cumulative chance reaches `share` (a hair of rounding forgiven)."""
    return int(np.argmax(np.cumsum(distribution) >= share - 1e-9))


def record_standing(own: float, peers: np.ndarray, better: str, meaningful: float) -> tuple[int, int]:
    """How many peers a record is clearly better than, and how many are clearly better than it: by at least the
    smallest meaningful difference, judged at the one decimal pages show; the rest are about the same."""
    difference = np.round(goodness(float(own), better) - goodness(peers, better), 6)
    clear = np.round(np.abs(difference), 1) >= meaningful
    return int(np.sum(clear & (difference > 0))), int(np.sum(clear & (difference < 0)))


def peer_standing_interval(
    own: float, own_se: float, peers, peers_se, better: str, uncertainty: str, confidence: float = CONFIDENCE, meaningful: float = 0.0
) -> Standing:
    """The district's percentile and rank among its peers on one figure, each with its `confidence` interval.

    The interval runs from the 5th to the 95th percentile (for 90%) of where the district would land if its figure
    and every peer's moved by chance within their standard errors; it always includes the district's observed place
    (with many near-tied peers the middle 90% could otherwise miss it). Ties count as neither better nor worse: tied
    districts share the better rank, as `indicators.rank_best_first` has it.

    A record has no sampling error: its interval runs over the peers within `meaningful`, its smallest meaningful
    difference, which could stand on either side of it (`record_standing`)."""
    values, errors = np.asarray(peers, dtype=float), np.asarray(peers_se, dtype=float)
    k = len(values)
    worse_now = int(np.sum(goodness(values, better) < goodness(float(own), better)))
    ahead_now = int(np.sum(goodness(values, better) > goodness(float(own), better)))
    percentile, rank = 100 * worse_now / k, 1.0 + ahead_now
    if uncertainty == RECORD:
        clearly_worse, clearly_better = record_standing(own, values, better, meaningful)
        return Standing(percentile, 100 * clearly_worse / k, 100 * (k - clearly_better) / k, rank, 1.0 + clearly_better, 1.0 + k - clearly_worse, k + 1, RECORD)
    if uncertainty != SAMPLING or np.isnan(own_se) or np.isnan(errors).any():
        return Standing(np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, k + 1, UNKNOWN)
    worse, ahead = beaten_distribution(own, own_se, values, errors, better)
    tail = (1 - confidence) / 2
    low, high = 100 * _quantile(worse, tail) / k, 100 * _quantile(worse, 1 - tail) / k
    best, worst = 1.0 + _quantile(ahead, tail), 1.0 + _quantile(ahead, 1 - tail)
    return Standing(percentile, min(low, percentile), max(high, percentile), rank, min(best, rank), max(worst, rank), k + 1, SAMPLING)


def uncertainty_of(code: str, own_se: float) -> str:
    """How the district's figure's uncertainty is known: a record, a sampling error, or unknown (no SE for a figure
    that rests on students)."""
    kind = figure_kind(code)
    if kind == SAMPLING and pd.isna(own_se):
        return UNKNOWN
    return kind


# The most districts whose ranks are computed exactly: the count distribution costs districts² per point of the grid,
# so a state-wide consortium gets no rank on a figure with sampling error rather than an approximate interval.
MOST_RANKED_EXACTLY = 60


def consortium_rank_intervals(code: str, values, errors, better: str) -> list[str | None]:
    """Each district's rank among every district on one figure as its 90% interval ('3 to 6'), for a record the ranks
    it could take with the districts within its smallest meaningful difference about the same, or None where no rank
    may be shown: the figure rests on students and its error is unknown, or there are more districts than
    `MOST_RANKED_EXACTLY`."""
    values, errors = np.asarray(values, dtype=float), np.asarray(errors, dtype=float)
    meaningful = INDICATORS[code].meaningful_change if code in INDICATORS else 0.0
    intervals: list[str | None] = []
    for i in range(len(values)):
        kind = uncertainty_of(code, errors[i]) if code in INDICATORS else RECORD
        others = np.delete(np.arange(len(values)), i)
        if kind == SAMPLING and len(values) > MOST_RANKED_EXACTLY or kind not in (SAMPLING, RECORD):
            intervals.append(None)
            continue
        standing = peer_standing_interval(values[i], errors[i], values[others], errors[others], better, kind, meaningful=meaningful)
        intervals.append(None if np.isnan(standing.best) else f"{standing.best:.0f} to {standing.worst:.0f}")
    return intervals


# ------------------------------------------------------------------ the interval of a difference from the peer median

# Quasi-random points a difference from the peer median is averaged over (see `median_difference_interval`).
MEDIAN_POINTS = 16383


def median_difference_interval(own: float, own_se: float, peers, peers_se, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The `confidence` interval of the district's figure minus its peers' median, in the figure's unit, when every
    figure moves by chance as its standard error says; (NaN, NaN) where an error is unknown, and the difference itself
    at both ends where every figure is a record (no sampling error).

    Why computed this way: the median of a handful of figures with different errors has no simple distribution, so
    its quantiles are read off `MEDIAN_POINTS` points of a Halton sequence without scrambling, each turned into a
    normal draw of every figure: a quasi-Monte Carlo integral with no seed, so the same figures, in any order, always
    give the same interval. It always includes the observed difference."""
    values, errors = np.asarray(peers, dtype=float), np.asarray(peers_se, dtype=float)
    if len(values) == 0 or pd.isna(own) or pd.isna(own_se) or np.isnan(errors).any():
        return float("nan"), float("nan")
    observed = float(own) - float(np.median(values))
    if own_se == 0 and (errors == 0).all():
        return observed, observed
    order = np.lexsort((errors, values))
    values, errors = values[order], errors[order]
    points = qmc.Halton(d=len(values) + 1, scramble=False).random(MEDIAN_POINTS + 1)[1:]  # the first point is all zeros
    draws = norm.ppf(points)
    differences = (own + own_se * draws[:, 0]) - np.median(values + errors * draws[:, 1:], axis=1)
    tail = (1 - confidence) / 2
    low, high = np.quantile(differences, [tail, 1 - tail])
    return min(float(low), observed), max(float(high), observed)
