"""Tipping points: per count or duration measure, the threshold where the outcome rate changes most, from customers
and outcomes per value of the measure counted in SQL."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from dashboard.metrics.drivers.counts import Counts, counts
from dashboard.metrics.drivers.spec import DriverSpec
from dashboard.store import Version

MIN_SIDE = 30
"""A tipping point leaves at least this many customers on each side."""
MAX_CUTS = 60
COLUMNS = ["measure", "threshold", "beyond", "share_beyond", "rate_beyond", "rate_below", "difference", "npv", "sensitivity"]


def tipping_points(cur: duckdb.DuckDBPyConnection, version: Version, spec: DriverSpec) -> pd.DataFrame:
    """The tipping points of the spec's outcome (see tipping_from)."""
    return tipping_from(value_counts(counts(cur, version, spec)))


def value_counts(found: Counts) -> pd.DataFrame:
    """Per measure and value (NaN where a customer has none): customers and how many of them have the outcome."""
    parts = [
        found.by_measure[f"n_{column}"].assign(measure=name).rename(columns={"hits": "outcomes"})
        for column, name in found.population.measures
    ]
    if not parts:
        return pd.DataFrame({"measure": [], "value": [], "customers": [], "outcomes": []})
    return pd.concat(parts, ignore_index=True)[["measure", "value", "customers", "outcomes"]]


def tipping_from(counts: pd.DataFrame) -> pd.DataFrame:
    """Per measure of counts (measure, value, customers, outcomes): the threshold t where the outcome rate changes most,
    i.e. the split "at least t" against "below t" with the largest difference in outcome rate either way (difference =
    rate beyond − rate below), among splits leaving MIN_SIDE customers on each side; the candidate thresholds are the
    measure's positive values, or MAX_CUTS quantiles of them when there are more (customers without a value are below
    any t). Columns: measure, threshold, beyond (customers at or past it), share_beyond, rate_beyond (= positive
    predictive value), rate_below, npv (= 1 − rate below), sensitivity (share of the outcomes that lie beyond it).
    Measures with no such split are left out."""
    rows = []
    for name, part in counts.groupby("measure", sort=False):
        values = part["value"].astype(float).fillna(-np.inf).to_numpy()
        order = np.argsort(values, kind="stable")
        values, customers = values[order], part["customers"].to_numpy(dtype=np.int64)[order]
        hits = part["outcomes"].to_numpy(dtype=np.int64)[order]
        positive = values > 0
        cuts = values[positive]
        if len(cuts) > MAX_CUTS:  # quantiles over every customer's value, as if one row each
            cuts = np.unique(np.quantile(np.repeat(cuts, customers[positive]), np.linspace(0, 1, MAX_CUTS)))
        # every cut at once: customers and outcomes counted cumulatively, the customers below a cut found by bisection
        customers_up_to, hits_up_to = np.concatenate([[0], np.cumsum(customers)]), np.concatenate([[0], np.cumsum(hits)])
        at = np.searchsorted(values, cuts, side="left")
        below, total = customers_up_to[at], int(customers_up_to[-1])
        beyond = total - below
        valid = (beyond >= MIN_SIDE) & (below >= MIN_SIDE)
        if not valid.any():
            continue
        hits_below = hits_up_to[at]
        hits_beyond = hits_up_to[-1] - hits_below
        with np.errstate(divide="ignore", invalid="ignore"):
            rate_beyond, rate_below = hits_beyond / beyond, hits_below / below
        gaps = np.where(valid, rate_beyond - rate_below, 0.0)
        best = int(np.argmax(np.where(valid, np.abs(gaps), -1.0)))  # the first cut of the largest gap
        n1, outcomes = int(beyond[best]), int(hits_up_to[-1])
        rows.append(
            {
                "measure": name,
                "threshold": float(cuts[best]),
                "beyond": n1,
                "share_beyond": n1 / total,
                "rate_beyond": float(rate_beyond[best]),
                "rate_below": float(rate_below[best]),
                "difference": float(gaps[best]),
                "npv": float(1 - rate_below[best]),
                "sensitivity": float(hits_beyond[best] / outcomes) if outcomes else None,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)
