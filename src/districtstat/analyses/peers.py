"""Peer districts, chosen on demographics and size and never on outcomes."""

from __future__ import annotations

import re
from typing import Literal

import numpy as np
import pandas as pd
from scipy.spatial.distance import cdist

from districtstat.analyses.indicators import INDICATORS
from districtstat.analyses.standing import median_difference_interval, peer_standing_interval, uncertainty_of


TRANSFORMED = re.compile(r"^(log|log10|log2|sqrt)\((\w+)\)$")
EQUALS = re.compile(r"^(\w+)\s*==\s*(.+?)\s*$")
TRANSFORMS = {"log": np.log, "log10": np.log10, "log2": np.log2, "sqrt": np.sqrt}


class FeatureError(KeyError):
    """A declared peer feature the district profile cannot supply, said in the words of the params (a KeyError, as a
    missing column is, so that callers catching one catch both)."""

    def __str__(self) -> str:
        return str(self.args[0])


def base_column(feature: str) -> str:
    """The data column a feature is made from: 'log(enrollment)' and 'grade_span == K-8' name their column."""
    if match := TRANSFORMED.match(feature):
        return match[2]
    if match := EQUALS.match(feature):
        return match[1]
    return feature


def check_columns(table: pd.DataFrame, features: list[str]) -> None:
    """Every feature's column is in the profile; a misspelt one is named as the params wrote it."""
    unknown = [feature for feature in features if base_column(feature) not in table.columns]
    if unknown:
        named = [feature if base_column(feature) == feature else f"{feature} (column {base_column(feature)})" for feature in unknown]
        raise FeatureError(f"peers: no column {', '.join(named)} in the district profile")


def numeric_values(table: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    """Numeric features as declared: a column, or a transform of one (`log(enrollment)`), named as written.
    A transform undefined for a known value (log of 0) is an error, not a silent infinity in every distance."""
    check_columns(table, features)
    columns = {}
    for feature in features:
        match = TRANSFORMED.match(feature)
        values = table[base_column(feature)].astype(float)
        if match:
            with np.errstate(divide="ignore", invalid="ignore"):
                transformed = TRANSFORMS[match[1]](values)
            undefined = values.notna() & ~np.isfinite(transformed)
            if undefined.any():
                shown = ", ".join(f"{district} ({value:g})" for district, value in values[undefined].items())
                raise FeatureError(f"peers: {feature} is undefined for {shown}; choose a transform defined for every value")
            values = transformed
        columns[feature] = values
    return pd.DataFrame(columns, index=table.index)


def is_zero_one(values: pd.Series) -> bool:
    """Already a 0/1 indicator (booleans, or numbers that are only 0 and 1): one column, not two. Text such as
    "yes"/"no" is a category."""
    known = values.dropna()
    if pd.api.types.is_bool_dtype(known):
        return True
    numbers = pd.api.types.is_numeric_dtype(known) or all(isinstance(value, (bool, int, float, np.bool_, np.number)) for value in known)
    return numbers and set(known.astype(float)) <= {0.0, 1.0}


def indicator_columns(table: pd.DataFrame, feature: str) -> pd.DataFrame:
    """One categorical feature as unscaled 0/1 columns, NaN where the district's value is unknown: a feature already
    0/1, or `column == value` (value compared as text), is one column named as written; a category with m levels is
    m columns."""
    column = table[base_column(feature)]
    known = column.notna()
    if match := EQUALS.match(feature):
        value = match[2].strip("'\"")
        return pd.DataFrame({feature: (column.astype(str) == value).astype(float).where(known)}, index=table.index)
    if is_zero_one(column):
        return pd.DataFrame({feature: column[known].astype(float).reindex(table.index)}, index=table.index)
    levels = pd.get_dummies(column.astype("string"), prefix=feature, dtype=float)
    return levels.where(known, np.nan, axis=0)


def fill_missing(
    values: pd.DataFrame, pieces: dict[str, pd.DataFrame], missing: Literal["zero", "mean", "exclude"]
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """The params' missing-value rule: `zero` counts a missing value as 0; `mean` gives it the consortium average
    (a 0/1 indicator the share of districts with 1); `exclude` leaves the district out. An unknown category is no
    indicator at all, not a category of its own."""
    if missing == "exclude":
        keep = values.notna().all(axis=1)
        for piece in pieces.values():
            keep &= piece.notna().all(axis=1)
        return values[keep], {feature: piece[keep] for feature, piece in pieces.items()}
    if missing == "mean":
        values = values.fillna(values.mean())
        pieces = {feature: piece.fillna(piece.mean()) if list(piece.columns) == [feature] else piece for feature, piece in pieces.items()}
    return values.fillna(0.0), {feature: piece.fillna(0.0) for feature, piece in pieces.items()}


def peer_features(
    table: pd.DataFrame,
    id_col: str,
    numeric: list[str],
    indicators: list[str],
    missing: Literal["zero", "mean", "exclude"],
    weights: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Numeric features z-scored with the sample SD; categorical ones as unscaled 0/1 indicators; a weight w makes a
    feature's squared difference count w times (its columns are scaled by √w)."""
    frame = table.set_index(id_col)
    check_columns(frame, [*numeric, *indicators])
    values = numeric_values(frame, numeric)
    values, pieces = fill_missing(values, {feature: indicator_columns(frame, feature) for feature in indicators}, missing)
    spread = values.std(ddof=1)
    values = values.loc[:, spread > 0]  # a feature every district shares cannot tell districts apart
    columns = {feature: [feature] for feature in values.columns} | {feature: list(piece.columns) for feature, piece in pieces.items()}
    features = (values - values.mean()) / spread[values.columns]
    if pieces:
        features = features.join(pd.concat(pieces.values(), axis=1))
    for feature, weight in (weights or {}).items():
        owned = columns.get(feature, [])
        features[owned] = features[owned] * np.sqrt(weight)
    return features


def find_peers(
    table: pd.DataFrame,
    id_col: str = "district_id",
    numeric: list[str] | None = None,
    indicators: list[str] | None = None,
    k: int = 5,
    missing: Literal["zero", "mean", "exclude"] = "zero",
    weights: dict[str, float] | None = None,
) -> pd.DataFrame:
    """The k nearest districts by Euclidean distance, excluding the district itself, ties broken by id.

    Distances are computed `PEER_BLOCK` districts at a time, and each district's nearest are picked from those no
    farther than its k-th, so memory and the sorting grow with the number of districts, not with its square."""
    features = peer_features(table, id_col, list(numeric or []), list(indicators or []), missing, weights).sort_index()
    ids = features.index.to_numpy()
    values = features.to_numpy()
    rows = []
    for start in range(0, len(ids), PEER_BLOCK):
        for offset, distances in enumerate(cdist(values[start : start + PEER_BLOCK], values)):
            i = start + offset
            for rank, j in enumerate(nearest(distances, i, ids, k), start=1):
                rows.append((ids[i], rank, ids[j], float(distances[j])))
    return pd.DataFrame(rows, columns=["district", "rank", "peer", "distance"])


PEER_BLOCK = 512  # districts whose distances to every other district are held at once


def nearest(distances: np.ndarray, i: int, ids: np.ndarray, k: int) -> np.ndarray:
    """The positions of district i's k nearest others: by distance, equal up to rounding a tie broken by id. Only the
    districts no farther than the k-th nearest are sorted."""
    tied = np.round(distances, 9)
    tied[i] = np.inf
    others = len(ids) - 1
    take = min(k, others)
    bound = np.partition(tied, take - 1)[take - 1] if 0 < take < others else np.nan
    candidates = np.flatnonzero(tied <= bound) if not np.isnan(bound) else np.flatnonzero(np.arange(len(ids)) != i)
    order = np.lexsort((ids[candidates], tied[candidates]))[: max(take, 0)]
    return candidates[order]


def why_peers(table: pd.DataFrame, district: str, peer_ids: list[str], features: list[str], id_col: str = "district_id") -> pd.DataFrame:
    """The district's profile beside its peers' average, the difference in SD units, flagged at 0.5 and 1 SD."""
    frame = numeric_values(table.set_index(id_col), features)
    sd = frame.std(ddof=1)
    own = frame.loc[district]
    peer_mean = frame.loc[peer_ids].mean()
    difference = (own - peer_mean) / sd
    flags = np.where(difference.abs() >= 1, "≥ 1 SD", np.where(difference.abs() >= 0.5, "≥ 0.5 SD", ""))
    return pd.DataFrame({"feature": features, "district": own.to_numpy(), "peer_average": peer_mean.to_numpy(), "difference_sd": difference.to_numpy(), "flag": flags})


def peer_standing(kpis: pd.DataFrame, district: str, peer_ids: list[str], errors: pd.DataFrame | None = None) -> pd.DataFrame:
    """The district's value, the peer median and its rank among itself and its peers (1 = best) for each KPI, with
    the rank's 90% interval (`best` to `worst`) and the percentile's (`low` to `high`) from each figure's standard
    error in `errors` (laid out as `kpis`; see `standing`).

    A figure resting on students with no known error (no `errors`, or NaN) has no rank: `uncertainty` says `unknown`.
    `standing` says whether the interval supports a verdict: `above` or `below` the middle of its peers, else `middle`.
    `difference` is the district's value minus the peer median, in the indicator's unit, with its 90% interval
    (`difference_low` to `difference_high`, `standing.median_difference_interval`); `se` is the value's own error."""
    group = kpis.loc[[district, *peer_ids]]
    spread = (errors if errors is not None else pd.DataFrame(index=kpis.index)).reindex(index=group.index, columns=kpis.columns)
    rows = []
    for code in kpis.columns:
        indicator = INDICATORS.get(code)
        values = group[code].dropna()
        if district not in values.index or indicator is None:
            continue
        ranked = indicator.better != "neither" and indicator.peer_ranked and len(values) > 1
        found = None
        se = spread[code].reindex(values.index).astype(float)
        if indicator.peer_ranked and len(values) > 1:
            low, high = median_difference_interval(values[district], se[district], values.drop(district), se.drop(district))
        else:
            low = high = np.nan
        if ranked:
            peers = values.drop(district)
            found = peer_standing_interval(
                values[district], se[district], peers, se[peers.index], indicator.better, uncertainty_of(code, se[district]), meaningful=indicator.meaningful_change
            )
        rows.append(
            {
                "indicator": indicator.label,
                "code": code,
                "area": indicator.area,
                "district": float(values[district]),
                "se": float(se[district]),
                "peer_median": float(values.drop(district).median()) if len(values) > 1 and indicator.peer_ranked else np.nan,
                "difference": float(values[district] - values.drop(district).median()) if len(values) > 1 and indicator.peer_ranked else np.nan,
                "difference_low": low,
                "difference_high": high,
                "rank": found.rank if found else np.nan,
                "best": found.best if found else np.nan,
                "worst": found.worst if found else np.nan,
                "of": len(values),
                "percentile": found.percentile if found else np.nan,
                "low": found.low if found else np.nan,
                "high": found.high if found else np.nan,
                "uncertainty": found.uncertainty if found else "",
                "standing": found.verdict if found else "",
                "better": indicator.better,
            }
        )
    return pd.DataFrame(rows)
