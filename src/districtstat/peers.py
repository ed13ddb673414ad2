"""Peer districts, chosen on demographics and size and never on outcomes."""

from __future__ import annotations

import re
from typing import Literal

import numpy as np
import pandas as pd
from scipy.spatial.distance import cdist

from .indicators import INDICATORS, rank_best_first


TRANSFORMED = re.compile(r"^(log|log10|log2|sqrt)\((\w+)\)$")
EQUALS = re.compile(r"^(\w+)\s*==\s*(.+?)\s*$")
TRANSFORMS = {"log": np.log, "log10": np.log10, "log2": np.log2, "sqrt": np.sqrt}


def base_column(feature: str) -> str:
    """The data column a feature is made from: 'log(enrollment)' and 'grade_span == K-8' name their column."""
    if match := TRANSFORMED.match(feature):
        return match[2]
    if match := EQUALS.match(feature):
        return match[1]
    return feature


def numeric_values(table: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    """Numeric features as declared: a column, or a transform of one (`log(enrollment)`), named as written."""
    missing = sorted({base_column(f) for f in features} - set(table.columns))
    if missing:
        raise KeyError(f"peers: no column {', '.join(missing)} in the district profile")
    columns = {}
    for feature in features:
        match = TRANSFORMED.match(feature)
        values = table[base_column(feature)].astype(float)
        columns[feature] = TRANSFORMS[match[1]](values) if match else values
    return pd.DataFrame(columns, index=table.index)


def indicator_values(table: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    """Categorical features as unscaled 0/1 columns: a feature already 0/1 (or `column == value`) is one column,
    a category with m levels is m columns. An unknown category is no indicator at all, not a category of its own."""
    missing = sorted({base_column(f) for f in features} - set(table.columns))
    if missing:
        raise KeyError(f"peers: no column {', '.join(missing)} in the district profile")
    pieces = []
    for feature in features:
        if match := EQUALS.match(feature):
            column = table[match[1]]
            pieces.append(pd.DataFrame({feature: (column.astype("string") == match[2]).fillna(False).astype(float)}, index=table.index))
            continue
        column = table[feature]
        known = column.dropna()
        if pd.api.types.is_bool_dtype(known) or (pd.api.types.is_numeric_dtype(known) and set(known.astype(float)) <= {0.0, 1.0}):
            pieces.append(pd.DataFrame({feature: column.astype(float).fillna(0.0)}, index=table.index))
        else:
            pieces.append(pd.get_dummies(column.astype("string"), prefix=feature, dtype=float))
    return pd.concat(pieces, axis=1) if pieces else pd.DataFrame(index=table.index)


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
    values = numeric_values(frame, numeric)
    if missing == "zero":
        values = values.fillna(0.0)
    elif missing == "mean":
        values = values.fillna(values.mean())
    else:
        values = values.dropna()
    spread = values.std(ddof=1)
    values = values.loc[:, spread > 0]  # a feature every district shares cannot tell districts apart
    standardized = (values - values.mean()) / spread[values.columns]
    categories = indicator_values(frame.loc[standardized.index], indicators)
    for feature, weight in (weights or {}).items():
        scale = np.sqrt(weight)
        if feature in standardized:
            standardized[feature] *= scale
        owned = [c for c in categories.columns if c == feature or c.startswith(f"{feature}_")]
        categories[owned] = categories[owned] * scale
    return standardized.join(categories)


def find_peers(
    table: pd.DataFrame,
    id_col: str = "district_id",
    numeric: list[str] | None = None,
    indicators: list[str] | None = None,
    k: int = 5,
    missing: Literal["zero", "mean", "exclude"] = "zero",
    weights: dict[str, float] | None = None,
) -> pd.DataFrame:
    """The k nearest districts by Euclidean distance, excluding the district itself, ties broken by id."""
    features = peer_features(table, id_col, list(numeric or []), list(indicators or []), missing, weights).sort_index()
    ids = features.index.to_numpy()
    distances = cdist(features.to_numpy(), features.to_numpy())
    rows = []
    for i, district in enumerate(ids):
        others = np.array([j for j in range(len(ids)) if j != i])
        order = np.lexsort((ids[others], distances[i, others]))[:k]
        for rank, j in enumerate(others[order], start=1):
            rows.append((district, rank, ids[j], float(distances[i, j])))
    return pd.DataFrame(rows, columns=["district", "rank", "peer", "distance"])


def why_peers(table: pd.DataFrame, district: str, peer_ids: list[str], features: list[str], id_col: str = "district_id") -> pd.DataFrame:
    """The district's profile beside its peers' average, the difference in SD units, flagged at 0.5 and 1 SD."""
    frame = numeric_values(table.set_index(id_col), features)
    sd = frame.std(ddof=1)
    own = frame.loc[district]
    peer_mean = frame.loc[peer_ids].mean()
    difference = (own - peer_mean) / sd
    flags = np.where(difference.abs() >= 1, "≥ 1 SD", np.where(difference.abs() >= 0.5, "≥ 0.5 SD", ""))
    return pd.DataFrame({"feature": features, "district": own.to_numpy(), "peer_average": peer_mean.to_numpy(), "difference_sd": difference.to_numpy(), "flag": flags})


def peer_standing(kpis: pd.DataFrame, district: str, peer_ids: list[str]) -> pd.DataFrame:
    """The district's value, the peer median and its rank among itself and its peers (1 = best) for each KPI."""
    group = kpis.loc[[district, *peer_ids]]
    rows = []
    for code in kpis.columns:
        indicator = INDICATORS.get(code)
        values = group[code].dropna()
        if district not in values.index or indicator is None:
            continue
        ranked = indicator.better != "neither" and indicator.peer_ranked
        rank = int(rank_best_first(values, indicator.better)[district]) if ranked else None
        rows.append(
            {
                "indicator": indicator.label,
                "code": code,
                "area": indicator.area,
                "district": float(values[district]),
                "peer_median": float(values.drop(district).median()) if len(values) > 1 else np.nan,
                "rank": rank,
                "of": len(values),
                "better": indicator.better,
            }
        )
    return pd.DataFrame(rows)
