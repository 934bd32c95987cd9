"""The customers of a spec counted in one grouped SQL query: per segment label, driver column, attribute or tenure level
and measure value, the customers with and without the outcome (and their touchpoint costs), one grouping set per
column. Kept for the last few specs, so the driver table and the tipping points of one view run it once, and a segment
filter is summed from the count over every segment."""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable
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


@dataclass(frozen=True)
class Cube:
    """The population counted per segment label: per column, (segment, value) -> [hits, misses, cost] (cells), and per
    segment [hits, misses, cost, customers with a cost] (totals). Counts of any segment filter are sums of its segments."""

    cells: dict[str, dict[tuple[object, object], list]]
    totals: dict[object, list]

    def counts(self, found: Population, segments: tuple[str, ...] = ()) -> Counts:
        """The Counts of found (the population of the same spec over segments only; empty = every segment)."""
        keep = set(segments)
        picked = [s for s in self.totals if not keep or s in keep]
        sums: dict[str, dict[object, list]] = {c: {} for c in self.cells}
        for column, cells in self.cells.items():
            into = sums[column]
            for (segment, value), (hits, misses, cost) in cells.items():
                if not keep or segment in keep:
                    at = into.setdefault(value, [0, 0, 0.0])
                    at[0] += hits
                    at[1] += misses
                    at[2] += cost
        total = [sum(self.totals[s][i] for s in picked) for i in range(4)]
        by_value = {c: {v: Cells(*cells) for v, cells in values.items()} for c, values in sums.items()}
        everyone = Cells(int(total[0]), int(total[1]), float(total[2]))
        return Counts(found, by_value, everyone, total[3] > 0 and math.isfinite(total[2]))


def cube(cur: duckdb.DuckDBPyConnection, found: Population) -> Cube:
    """The Cube of found's rows from one grouped query with a few grouping sets, each one hash pass keyed by the segment
    label and the outcome: with every flag together (their combinations are few), with every level column together (the
    product of a few levels each), and with each measure; per column, segment and value the sums over its set's groups."""
    sets = [[d.column for d in found.flags], [lv.column for lv in found.levels]]
    sets = [columns for columns in sets if columns] + [[f"n_{column}"] for column, _name in found.measures]
    columns = [c for columns in sets for c in columns]
    keys = "segment_key, outcome"
    grouping = join([Sql(f"({keys})")] if not sets else [Sql(f"({keys}, {', '.join(cs)})") for cs in sets])
    picked = "".join(f", {c}" for c in columns) + "".join(f", grouping({cs[0]})" for cs in sets)
    query = sql(
        f"""
        select count(*), sum(coalesce(cost, 0)), count(cost), {keys}{picked}
        from ({{}}) r
        group by grouping sets ({{}})
        """,
        found.rows,
        grouping,
    )
    cells: dict[str, dict[tuple[object, object], list]] = {c: {} for c in columns}
    totals: dict[object, list] = {}
    first = sets[0] if sets else None
    for n, cost, known, segment, outcome, *values in cur.execute(*query).fetchall():
        at = dict(zip(columns, values, strict=False))
        part = next((cs for cs, ungrouped in zip(sets, values[len(columns) :], strict=True) if not ungrouped), None)
        if part is first:  # each customer once: the first set (or the outcome alone) gives the totals
            total = totals.setdefault(segment, [0, 0, 0.0, 0])
            _add(total, outcome, n, cost)
            total[3] += known
        for column in part or ():
            _add(cells[column].setdefault((segment, at[column]), [0, 0, 0.0]), outcome, n, cost)
    return Cube(cells, totals)


def counted(cur: duckdb.DuckDBPyConnection, found: Population) -> Counts:
    """The Counts of found's rows (its Cube summed over every segment)."""
    return cube(cur, found).counts(found)


def _add(cells: list, outcome: bool, n: int, cost: float) -> None:
    """Add n customers with (or without) the outcome and their cost to [hits, misses, cost]."""
    cells[0 if outcome else 1] += n
    cells[2] += cost


_KEPT: OrderedDict[tuple, Counts | Cube] = OrderedDict()
_KEPT_LOCK = threading.Lock()
KEPT = 4
"""Counts and cubes kept in the process (a few kB each; a few MB for a cube of a duration measure at 1,000,000
customers): the driver table and the tipping points of one view count once, and a segment filter sums a kept cube."""


def _kept(key: tuple, make: Callable[[], Counts | Cube]) -> Counts | Cube:
    """make()'s answer for key, kept for the last KEPT keys."""
    with _KEPT_LOCK:
        if key in _KEPT:
            _KEPT.move_to_end(key)
            return _KEPT[key]
    found = make()
    with _KEPT_LOCK:
        _KEPT[key] = found
        while len(_KEPT) > KEPT:
            _KEPT.popitem(last=False)
    return found


def counts(cur: duckdb.DuckDBPyConnection, version: Version, spec: DriverSpec) -> Counts:
    """The Counts of the spec's population: the Cube of the same spec over every segment (kept, so a segment filter
    queries nothing but the population's facts), summed over the spec's segments; kept for the last KEPT specs."""
    path = cur.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()
    spec = spec.validate()
    at = (path[0] if path else None, version.version_id, str(version.created_at))
    every = spec.in_every_segment()

    def summed() -> Counts:
        kept_cube = _kept((*at, "cube", every), lambda: cube(cur, population(cur, version, every)))
        return kept_cube.counts(population(cur, version, spec), spec.filters.segments)

    return _kept((*at, "counts", spec), summed)


def clear_kept() -> None:
    """Forget the kept counts (with the metric caches: after a publish, re-staging or a catalogue change)."""
    with _KEPT_LOCK:
        _KEPT.clear()
