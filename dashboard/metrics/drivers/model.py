"""The adjusted odds ratios: a logistic regression of the outcome on every driver together, fitted on a fixed random
sample of the customers, with customers of the same drivers grouped in SQL into one weighted row."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pandas as pd
from scipy import stats

from dashboard.metrics.drivers.customers import Population
from dashboard.sql import Sql, group_by_all, in_list, join, lit, sql

if TYPE_CHECKING:
    from dashboard.metrics.drivers.effects import Side

RIDGE = 1e-4
MAX_LOG_ODDS = 20.0
"""An adjusted odds ratio whose interval reaches past e^±20 is not shown: the data separate the outcome on it."""
Z95 = float(stats.norm.ppf(0.975))
HASH_RANGE = 2**64
"""DuckDB's hash() of a row_order is an unsigned 64-bit integer: a customer is in a sample of rate p when it is below
p × HASH_RANGE, so the same customers are drawn every time, and a smaller sample is part of a larger one."""


def logistic(x: np.ndarray, y: np.ndarray, ridge: float = RIDGE, max_iter: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients (intercept first) and their standard errors of a logistic regression of y on x (one row per
    customer; see fit)."""
    x = np.asarray(x, dtype=float)
    return fit(*grouped(x, np.ones(len(x)), np.asarray(y, dtype=float)), ridge=ridge, max_iter=max_iter)


def fit(
    rows: np.ndarray, counts: np.ndarray, hits: np.ndarray, ridge: float = RIDGE, max_iter: int = 50
) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients (intercept first) and their standard errors of a logistic regression of the outcome on the drivers,
    by Newton-Raphson (IRLS, each step halved until the objective does not get worse) with ridge × ‖β‖² (intercept not
    penalised) added to minus the log-likelihood; customers with the same drivers are one row of rows, weighted by
    their number (counts) and outcomes (hits): the same likelihood as one row each."""
    design = np.column_stack([np.ones(len(rows)), rows])
    k = design.shape[1]
    penalty = np.full(k, 2 * ridge)
    penalty[0] = 0.0
    beta = np.zeros(k)
    mean = hits.sum() / counts.sum()
    beta[0] = math.log(mean / (1 - mean)) if 0 < mean < 1 else 0.0
    hessian = np.eye(k)

    def objective(b: np.ndarray) -> float:
        """The penalised log-likelihood at b (log(1 + e^η) computed without overflow)."""
        eta = np.einsum("ij,j->i", design, b)
        return float(np.sum(hits * eta - counts * np.logaddexp(0.0, eta)) - np.sum(penalty / 2 * b * b))

    # numpy's own loops (einsum), not BLAS: a threaded BLAS on these small products spins its threads and took ten times
    # the CPU on a loaded machine
    current = objective(beta)
    for _ in range(max_iter):
        eta = np.clip(np.einsum("ij,j->i", design, beta), -30, 30)
        prob = 1 / (1 + np.exp(-eta))
        weight = counts * prob * (1 - prob)
        gradient = np.einsum("ij,i->j", design, hits - counts * prob) - penalty * beta
        hessian = np.einsum("ij,ik->jk", design * weight[:, None], design) + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        # a full Newton step can overshoot far from the optimum (many correlated drivers, a rare outcome) and run off to
        # where every probability is 0 or 1: halve it until the penalised likelihood does not fall
        scale = 1.0
        while scale > 1e-10 and objective(beta + scale * step) < current - 1e-9 * abs(current):
            scale /= 2
        beta = beta + scale * step
        current = objective(beta)
        if np.max(np.abs(scale * step)) < 1e-8:
            break
    covariance = np.linalg.pinv(hessian)
    return beta, np.sqrt(np.clip(np.diag(covariance), 0, None))


def grouped(x: np.ndarray, counts: np.ndarray, hits: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct rows of x (in a fixed order), the customers of each (counts summed) and their outcomes (hits)."""
    if x.shape[1] <= 62 and np.isin(x, (0.0, 1.0)).all():  # yes/no drivers: one integer per row
        keys = x.astype(np.int64) @ (np.int64(1) << np.arange(x.shape[1], dtype=np.int64))
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        rows = x[first]
    else:
        rows, inverse = np.unique(x, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    return (
        rows,
        np.bincount(inverse, weights=counts, minlength=len(rows)),
        np.bincount(inverse, weights=hits, minlength=len(rows)),
    )


def adjusted(
    cur: duckdb.DuckDBPyConnection,
    found: Population,
    sides: list[Side],
    customers: int,
    sample: int,
    groups: pd.DataFrame | None = None,
) -> tuple[dict[str, tuple[float, float, float]], int]:
    """Adjusted odds ratio and 95 % interval per driver in the model (one level of each attribute, its most common in the
    sample, left out as the reference), and the customers it was fitted on; groups: the model's customers grouped by
    sample_groups when already counted (else they are)."""
    if min(customers, sample) < 10 or not sides:
        return {}, 0
    x, counts, hits = _on_sides(sample_groups(cur, found, customers, sample) if groups is None else groups, sides)
    size = int(counts.sum())
    if size < 10 or hits.sum() in (0, size):
        return {}, 0
    sums = counts @ x
    by_group: dict[str, list[int]] = {}
    for j, side in enumerate(sides):
        if side.driver.group:
            by_group.setdefault(side.driver.group, []).append(j)
    reference = {max(members, key=lambda j: sums[j]) for members in by_group.values()}
    used = [j for j in range(len(sides)) if j not in reference and 0 < sums[j] < size]
    if not used:
        return {}, 0
    beta, se = fit(*grouped(x[:, used], counts, hits))
    found_ratios = {}
    for i, j in enumerate(used, start=1):
        low, high = beta[i] - Z95 * se[i], beta[i] + Z95 * se[i]
        if max(abs(low), abs(high)) <= MAX_LOG_ODDS:  # beyond: a driver that (almost) decides the outcome alone
            found_ratios[sides[j].driver.column] = (math.exp(beta[i]), math.exp(low), math.exp(high))
    return found_ratios, size


def sample_groups(cur: duckdb.DuckDBPyConnection, found: Population, customers: int, sample: int) -> pd.DataFrame:
    """The model's customers grouped by every flag and level column of found's rows: per group its customers (n) and
    outcomes (hits). With more customers than sample, a fixed random sample of about that many: each customer kept
    with probability sample / customers, by the hash of its row_order (see HASH_RANGE; a filter on the hash reaches the
    tables, so the sample reads a sample's share of the customers' rows)."""
    rows: Sql = found.rows
    if customers > sample:
        below = _below(customers, sample)
        if found.rows_of is not None:  # the same condition inside, so the journey pain of a period is summed for the sample only
            rows = found.rows_of(sql("hash(cid) < cast({} as ubigint)", below))
        rows = sql("select * from ({}) r where hash(row_order) < cast({} as ubigint)", rows, below)
    return _grouped(cur, rows, _columns(found))


def sample_groups_per_segment(
    cur: duckdb.DuckDBPyConnection, found: Population, sizes: dict[str, int], sample: int
) -> pd.DataFrame:
    """sample_groups of each segment label alone (sizes: its customers), in one query over found's rows: the groups
    with a segment_key column, each segment's customers sampled as sample_groups samples them when it is filtered
    alone (at sample / its customers), so a one-segment filter fits its model without reading the rows again."""
    whole = [segment for segment, customers in sizes.items() if customers <= sample]
    kept = [in_list("segment_key", whole)] if whole else []
    kept += [
        sql("(segment_key = {} and hash(row_order) < cast({} as ubigint))", lit(segment), _below(customers, sample))
        for segment, customers in sizes.items()
        if customers > sample
    ]
    if not kept:
        return pd.DataFrame(columns=["segment_key", *_columns(found), "n", "hits"])
    return _grouped(cur, sql("select * from ({}) r where {}", found.rows, join(kept, " or ")), ["segment_key", *_columns(found)])


def _below(customers: int, sample: int) -> Sql:
    """The hash below which a customer is in the sample of about sample out of customers."""
    return lit(min(HASH_RANGE - 1, int(HASH_RANGE * sample / customers)))


def _columns(found: Population) -> list[str]:
    """The flag and level columns of found's rows, which the model's customers are grouped by."""
    return [d.column for d in found.flags] + [lv.column for lv in found.levels]


def _grouped(cur: duckdb.DuckDBPyConnection, rows: Sql, columns: list[str]) -> pd.DataFrame:
    """rows grouped by columns: per group its customers (n) and outcomes (hits)."""
    picked = "".join(f"{c}, " for c in columns)
    query = sql(
        f"select {picked}count(*) as n, count(*) filter (where outcome) as hits from ({{}}) r {{}}",
        rows,
        group_by_all() if columns else Sql(""),
    )
    return cur.execute(*query).df()


def _on_sides(groups: pd.DataFrame, sides: list[Side]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group of sample_groups, whether it is on each side (0/1 per side), its customers and its outcomes."""
    x = np.column_stack([_is_on(groups, side) for side in sides]).astype(float) if len(groups) else np.zeros((0, len(sides)))
    return x, groups["n"].to_numpy(dtype=float), groups["hits"].to_numpy(dtype=float)


def _is_on(groups: pd.DataFrame, side: Side) -> np.ndarray:
    """Whether each group is on side: its yes/no column is true, or its level column holds the side's value (None: a
    missing value)."""
    values = groups[side.column].astype(object)
    if side.value is True:
        return values.eq(True).to_numpy(dtype=bool)
    if side.value is None:
        return values.isna().to_numpy(dtype=bool)
    return values.eq(side.value).to_numpy(dtype=bool)
