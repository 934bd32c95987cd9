"""The driver table: per driver its 2×2 table (customers on each side, with and without the outcome) counted in SQL as
a few grouped rows, the crude effects worked from it, Holm's correction, and the adjusted odds ratios of model.py."""

from __future__ import annotations

import math
from dataclasses import dataclass

import duckdb
import pandas as pd
from scipy import stats

from dashboard.metrics.drivers import model
from dashboard.metrics.drivers.counts import NONE, Cells, Counts, counts
from dashboard.metrics.drivers.customers import Levels
from dashboard.metrics.drivers.spec import MAX_LEVELS, MODEL_ROWS, Driver, DriverSpec
from dashboard.store import Version

Z95 = float(stats.norm.ppf(0.975))
COLUMNS = [
    "column",
    "driver",
    "against",
    "kind",
    "attribute",
    "level",
    "customers",
    "exposed",
    "prevalence",
    "outcomes",
    "outcome_with",
    "rate_with",
    "rate_without",
    "difference",
    "difference_low",
    "difference_high",
    "odds_ratio",
    "or_low",
    "or_high",
    "p",
    "p_holm",
    "adjusted_or",
    "adjusted_low",
    "adjusted_high",
    "cost_with",
    "cost_without",
    "model_rows",
]


def wilson(successes: float, n: float) -> tuple[float, float]:
    """Wilson's 95 % score interval of the proportion successes ÷ n (n > 0): inside 0..1, never of zero width."""
    p, z2 = successes / n, Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def two_by_two(a: float, b: float, c: float, d: float) -> dict:
    """Rates, difference (Newcombe's 95 % hybrid score interval), odds ratio (Woolf 95 %, Haldane's 0.5 in every cell
    when one is zero) and the two-sided p of the odds ratio's z, from a = exposed with the outcome, b = exposed without,
    c = unexposed with, d = neither. Rates are None where their group is empty."""
    n1, n0 = a + b, c + d
    p1 = a / n1 if n1 else None
    p0 = c / n0 if n0 else None
    diff = lo = hi = None
    if p1 is not None and p0 is not None:
        # Newcombe (1998, method 10) from each rate's Wilson interval: inside -1..1 and of some width at rates of 0 or 1
        # on few customers, where the Wald interval ran past ±100 points or shrank to nothing
        diff = p1 - p0
        (low1, high1), (low0, high0) = wilson(a, n1), wilson(c, n0)
        lo = diff - math.sqrt((p1 - low1) ** 2 + (high0 - p0) ** 2)
        hi = diff + math.sqrt((high1 - p1) ** 2 + (p0 - low0) ** 2)
    cells = (a, b, c, d)
    if min(cells) == 0:
        cells = tuple(x + 0.5 for x in cells)
    ca, cb, cc, cd = cells
    log_or = math.log(ca * cd / (cb * cc))
    se_log = math.sqrt(sum(1 / x for x in cells))
    p = float(2 * stats.norm.sf(abs(log_or / se_log)))
    return {
        "rate_with": p1,
        "rate_without": p0,
        "difference": diff,
        "difference_low": lo,
        "difference_high": hi,
        "odds_ratio": math.exp(log_or),
        "or_low": math.exp(log_or - Z95 * se_log),
        "or_high": math.exp(log_or + Z95 * se_log),
        "p": p,
    }


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values (each at most 1, never below the one of a smaller raw p), in input order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def effects(cur: duckdb.DuckDBPyConnection, version: Version, spec: DriverSpec) -> pd.DataFrame:
    """The driver table of the spec's outcome (see effects_of), with the facts behind it as columns of the "all" row:
    threshold (low satisfaction) and contact_months."""
    found = counts(cur, version, spec)
    table = effects_of(cur, found, spec.validate().model_rows)
    for key, value in found.population.facts.items():
        table[key] = None
        table.loc[0, key] = value
    return table


def effects_of(cur: duckdb.DuckDBPyConnection, found: Counts, model_rows: int = MODEL_ROWS) -> pd.DataFrame:
    """One row per driver that splits the customers (some exposed, some not), largest absolute difference first, after a
    first row "all" with the whole population: customers, exposed, prevalence, outcomes, rates with and without, the
    difference and odds ratio with 95 % intervals, p and Holm-adjusted p, adjusted odds ratio and interval, cost to
    serve with and without (mean touchpoint cost per customer, a customer without touchpoints at 0), model rows."""
    total, has_cost = found.total, found.has_cost
    n = total.customers
    sides = [side for side in _sides(found) if 0 < _on(found, side).customers < n]
    kept = found.sample.groups if found.sample is not None and found.sample.rows == model_rows else None
    adjusted, fitted = model.adjusted(cur, found.population, sides, n, model_rows, kept) if n else ({}, 0)
    rows = []
    for side in sides:
        on = _on(found, side)
        a, b = on.hits, on.misses
        d = side.driver
        row = {"column": d.column, "driver": d.name, "kind": d.kind, "attribute": d.group, "level": d.level}
        row["against"] = d.against or f"not {d.name}"
        row.update({"customers": n, "exposed": a + b})
        row.update({"prevalence": (a + b) / n, "outcomes": total.hits, "outcome_with": a})
        row.update(two_by_two(a, b, total.hits - a, total.misses - b))
        row.update(dict(zip(("adjusted_or", "adjusted_low", "adjusted_high"), adjusted.get(d.column, (None,) * 3), strict=True)))
        row["cost_with"] = on.cost / on.customers if has_cost else None
        row["cost_without"] = (total.cost - on.cost) / (n - on.customers) if has_cost else None
        rows.append(row)
    for row, p in zip(rows, holm([r["p"] for r in rows]), strict=True):
        row["p_holm"] = p
    rows.sort(key=lambda r: (-abs(r["difference"]), r["driver"]))
    all_row = {"column": "all", "driver": "all customers", "kind": "all", "attribute": "", "level": "", "against": ""}
    all_row.update({"customers": n, "exposed": n, "prevalence": 1.0})
    all_row.update({"outcomes": total.hits, "rate_with": total.hits / n if n else None, "model_rows": fitted})
    all_row["cost_with"] = total.cost / n if has_cost and n else None
    return pd.DataFrame([all_row, *rows], columns=COLUMNS)


@dataclass(frozen=True)
class Side:
    """A driver and the value of a column of the rows that puts a customer on it."""

    driver: Driver
    column: str
    value: object


def _on(found: Counts, side: Side) -> Cells:
    """The Cells of the customers on side (none when no customer is)."""
    return found.by_value[side.column].get(side.value, NONE)


def _sides(found: Counts) -> list[Side]:
    """Every candidate driver in order (behaviours, journey pain, attribute levels, tenure bands) with its side."""
    sides = [Side(d, d.column, True) for d in found.population.flags]
    for lv in found.population.levels:
        sides += _tenure_sides(lv) if lv.bands else _attribute_sides(lv, found.by_value[lv.column])
    return sides


def _attribute_sides(lv: Levels, cells: dict[object, Cells]) -> list[Side]:
    """An attribute's MAX_LEVELS most common levels (most customers first, then by name; a missing value is a level
    named lv.missing), none when it has fewer than two levels or more than 4 × MAX_LEVELS (an identifier)."""
    names = {value: lv.missing if value is None else str(value) for value in cells}
    if not 2 <= len(cells) <= 4 * MAX_LEVELS:
        return []
    ranked = sorted(cells, key=lambda v: (-cells[v].customers, names[v]))[:MAX_LEVELS]
    return [
        Side(
            Driver(f"att_{lv.group}_{i}", f"{lv.label} is {names[v]}", lv.kind, lv.group, names[v], f"any other {lv.label}"),
            lv.column,
            v,
        )
        for i, v in enumerate(ranked)
    ]


def _tenure_sides(lv: Levels) -> list[Side]:
    """One driver per tenure band."""
    return [
        Side(Driver(f"ten_{lo}", f"customer for {label}", lv.kind, lv.group, label, "any other tenure"), lv.column, lo)
        for lo, label in lv.bands
    ]
