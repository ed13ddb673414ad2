"""Peer districts, chosen on demographics and size and never on outcomes."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy.spatial.distance import cdist

from .indicators import INDICATORS, rank_best_first


def peer_features(
    table: pd.DataFrame, id_col: str, numeric: list[str], indicators: list[str], missing: Literal["zero", "mean", "exclude"]
) -> pd.DataFrame:
    """Numeric features z-scored with the sample SD; categorical ones as unscaled 0/1 indicators."""
    frame = table.set_index(id_col)[numeric + indicators]
    values = frame[numeric].astype(float)
    if missing == "zero":
        values = values.fillna(0.0)
    elif missing == "mean":
        values = values.fillna(values.mean())
    else:
        values = values.dropna()
    spread = values.std(ddof=1)
    values = values.loc[:, spread > 0]  # a feature every district shares cannot tell districts apart
    standardized = (values - values.mean()) / spread[values.columns]
    # an unknown category is no indicator at all, not a category of its own
    dummies = pd.get_dummies(frame.loc[standardized.index, indicators].astype("string"), dtype=float) if indicators else None
    return standardized if dummies is None else standardized.join(dummies)


def find_peers(
    table: pd.DataFrame,
    id_col: str = "district_id",
    numeric: list[str] | None = None,
    indicators: list[str] | None = None,
    k: int = 5,
    missing: Literal["zero", "mean", "exclude"] = "zero",
) -> pd.DataFrame:
    """The k nearest districts by Euclidean distance, excluding the district itself, ties broken by id."""
    features = peer_features(table, id_col, list(numeric or []), list(indicators or []), missing).sort_index()
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
    frame = table.set_index(id_col)[features].astype(float)
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
        rank = int(rank_best_first(values, indicator.better)[district]) if indicator.better != "neither" else None
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
