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
    """The Counts of found's rows from one grouped query with a few grouping sets, each one hash pass: the outcome with
    every flag together (their combinations are few), with every level column together (the product of a few
    levels each), and with each measure; per column and value the sums over the groups of its set."""
    sets = [[d.column for d in found.flags], [lv.column for lv in found.levels]]
    sets = [columns for columns in sets if columns] + [[f"n_{column}"] for column, _name in found.measures]
    columns = [c for columns in sets for c in columns]
    grouping = join([Sql("(outcome)")] if not sets else [Sql(f"(outcome, {', '.join(cs)})") for cs in sets])
    picked = "".join(f", {c}" for c in columns) + "".join(f", grouping({cs[0]})" for cs in sets)
    query = sql(
        f"""
        select count(*), sum(coalesce(cost, 0)), count(cost), outcome{picked}
        from ({{}}) r
        group by grouping sets ({{}})
        """,
        found.rows,
        grouping,
    )
    sums: dict[str, dict[object, list]] = {c: {} for c in columns}
    total, costed = [0, 0, 0.0], 0
    first = sets[0] if sets else None
    for n, cost, known, outcome, *values in cur.execute(*query).fetchall():
        at = dict(zip(columns, values, strict=False))
        part = next((cs for cs, ungrouped in zip(sets, values[len(columns) :], strict=True) if not ungrouped), None)
        if part is first:  # each customer once: the first set (or the outcome alone) gives the totals
            _add(total, outcome, n, cost)
            costed += known
        for column in part or ():
            _add(sums[column].setdefault(at[column], [0, 0, 0.0]), outcome, n, cost)
    by_value = {c: {v: Cells(*cells) for v, cells in values.items()} for c, values in sums.items()}
    return Counts(found, by_value, Cells(*total), costed > 0 and math.isfinite(total[2]))


def _add(cells: list, outcome: bool, n: int, cost: float) -> None:
    """Add n customers with (or without) the outcome and their cost to [hits, misses, cost]."""
    cells[0 if outcome else 1] += n
    cells[2] += cost


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
