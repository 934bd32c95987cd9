"""The customers of a spec counted in one grouped SQL query: per driver column, attribute or tenure level and measure
value, the customers with and without the outcome (and their touchpoint costs), one grouping set per column. Kept
for the last few specs, so the driver table and the tipping points of one view run it once."""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

import duckdb

from dashboard.metrics.drivers.customers import Population, population
from dashboard.metrics.drivers.spec import DriverSpec
from dashboard.sql import Sql, join, sql
from dashboard.store import Version


@dataclass(frozen=True)
class Cells:
    """Customers with the outcome (hits) and without (misses), and the sum of their touchpoint costs."""

    hits: int
    misses: int
    cost: float

    def __add__(self, other: Cells) -> Cells:
        """Both groups together."""
        return Cells(self.hits + other.hits, self.misses + other.misses, self.cost + other.cost)

    @property
    def customers(self) -> int:
        """Customers in the group."""
        return self.hits + self.misses


NONE = Cells(0, 0, 0.0)


@dataclass(frozen=True)
class Counts:
    """The population counted: Cells per column of its rows and value (by_value), of everyone (total), and whether
    there are costs (some customer has one and their sum is finite)."""

    population: Population
    by_value: dict[str, dict[object, Cells]]
    total: Cells
    has_cost: bool


def counted(cur: duckdb.DuckDBPyConnection, found: Population) -> Counts:
    """The Counts of found's rows: one query grouping by the outcome with each flag, level and measure column in turn."""
    columns = [d.column for d in found.flags] + [lv.column for lv in found.levels]
    columns += [f"n_{column}" for column, _name in found.measures]
    sets = join([Sql("(outcome)"), *(Sql(f"(outcome, {c})") for c in columns)])
    picked = "".join(f", {c}, grouping({c})" for c in columns)
    query = sql(
        f"""
        select count(*), sum(coalesce(cost, 0)), count(cost), outcome{picked}
        from ({{}}) r
        group by grouping sets ({{}})
        """,
        found.rows,
        sets,
    )
    by_value: dict[str, dict[object, Cells]] = {c: {} for c in columns}
    total, costed = NONE, 0
    for n, cost, known, outcome, *values in cur.execute(*query).fetchall():
        one = Cells(n, 0, cost) if outcome else Cells(0, n, cost)
        grouped = [(c, v) for c, v, ungrouped in zip(columns, values[::2], values[1::2], strict=True) if not ungrouped]
        if not grouped:
            total, costed = total + one, costed + known
        for column, value in grouped:
            by_value[column][value] = by_value[column].get(value, NONE) + one
    return Counts(found, by_value, total, costed > 0 and math.isfinite(total.cost))


_KEPT: OrderedDict[tuple, Counts] = OrderedDict()
_KEPT_LOCK = threading.Lock()
KEPT = 4
"""Counts kept in the process (a few kB each): the driver table and the tipping points of one view count once."""


def counts(cur: duckdb.DuckDBPyConnection, version: Version, spec: DriverSpec) -> Counts:
    """The Counts of the spec's population, kept for the last KEPT (database file, version, spec)."""
    path = cur.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()
    key = (path[0] if path else None, version.version_id, str(version.created_at), spec.validate())
    with _KEPT_LOCK:
        if key in _KEPT:
            _KEPT.move_to_end(key)
            return _KEPT[key]
    found = counted(cur, population(cur, version, spec))
    with _KEPT_LOCK:
        _KEPT[key] = found
        while len(_KEPT) > KEPT:
            _KEPT.popitem(last=False)
    return found


def clear_kept() -> None:
    """Forget the kept counts (with the metric caches: after a publish, re-staging or a catalogue change)."""
    with _KEPT_LOCK:
        _KEPT.clear()
