"""The customers of a spec counted in one grouped SQL query: per segment label, driver column, attribute or tenure level
and measure value, the customers with and without the outcome (and their touchpoint costs), one grouping set per
column. Kept for the last few specs, so the driver table and the tipping points of one view run it once, and a segment
filter is summed from the count over every segment (a one-segment filter's model fitted on that count's sample of the
segment)."""

from __future__ import annotations

import math
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import duckdb
import numpy as np
import pandas as pd

from dashboard.metrics.drivers import model
from dashboard.metrics.drivers.customers import Population, clear_dates, population, without_whole_period
from dashboard.metrics.drivers.spec import MODEL_ROWS, DriverSpec
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
class ModelSample:
    """The model's customers of a population grouped by model.sample_groups (groups), drawn for a sample of rows."""

    rows: int
    groups: pd.DataFrame


@dataclass(frozen=True)
class Counts:
    """The population counted: Cells per column of its rows and value (by_value), of everyone (total), and whether
    there are costs (some customer has one and their sum is finite)."""

    population: Population
    by_value: dict[str, dict[object, Cells]]
    total: Cells
    has_cost: bool
    sample: ModelSample | None = field(default=None, compare=False)
    """The model's customers counted with the population, when they were (a segment summed from a Cube: None)."""
    by_measure: dict[str, pd.DataFrame] = field(default_factory=dict, compare=False)
    """Per measure column (n_...): its customers and outcomes (hits) per value, a missing value as NaN. A frame, not
    Cells per value: a duration measure has tens of thousands of values at 1,000,000 customers, and making a Python
    object of each took 150 ms of the Drivers page's first open."""


@dataclass(frozen=True)
class Cube:
    """The population counted per segment label: per grouping set its groups (segment, the set's columns, hits,
    misses, cost) and the columns it holds (sets), and per segment its hits, misses, cost and customers with a cost
    (totals). The Counts of any segment filter are sums over its segments' rows."""

    sets: tuple[tuple[pd.DataFrame, tuple[str, ...]], ...]
    totals: pd.DataFrame
    sample: ModelSample | None = None
    per_segment: pd.DataFrame | None = None
    """model.sample_groups_per_segment of the rows: the model's customers of a one-segment filter."""

    def counts(self, found: Population, segments: tuple[str, ...] = ()) -> Counts:
        """The Counts of found (the population of the same spec over segments only; empty = every segment)."""
        keep = list(segments)

        def picked(frame: pd.DataFrame) -> pd.DataFrame:
            return frame[frame["segment"].isin(keep)] if keep else frame

        measures = {f"n_{column}" for column, _name in found.measures}
        by_value, by_measure = {}, {}
        for frame, columns in self.sets:
            rows = picked(frame)
            if len(columns) == 1 and columns[0] in measures:
                by_measure[columns[0]] = _summed_by_measure(rows[columns[0]], rows["hits"], rows["misses"])
                continue
            sums = [rows[c].to_numpy(dtype=float) for c in ("hits", "misses", "cost")]
            for column in columns:
                by_value[column] = _summed_by_value(rows[column], sums)
        total = picked(self.totals)[["hits", "misses", "cost", "known"]].sum()
        everyone = Cells(int(total["hits"]), int(total["misses"]), float(total["cost"]))
        known = int(total["known"]) > 0 and math.isfinite(everyone.cost)
        sample = self.sample if not keep else self._one_segment(found, keep)
        return Counts(found, by_value, everyone, known, sample, by_measure)

    def _one_segment(self, found: Population, segments: list[str]) -> ModelSample | None:
        """The model's customers of found when it is one segment's (its groups of per_segment); else None (counted)."""
        columns = [d.column for d in found.flags] + [lv.column for lv in found.levels]
        groups = self.per_segment
        if self.sample is None or groups is None or len(segments) != 1 or not set(columns) <= set(groups.columns):
            return None
        rows = groups[groups["segment_key"] == segments[0]]
        if len(columns) == len(groups.columns) - 3:  # the same columns: each group is one already
            summed = rows[[*columns, "n", "hits"]].reset_index(drop=True)
        elif columns:
            summed = rows.groupby(columns, dropna=False, sort=False)[["n", "hits"]].sum().reset_index()
        else:
            summed = pd.DataFrame({"n": [int(rows["n"].sum())], "hits": [int(rows["hits"].sum())]})
        return ModelSample(self.sample.rows, summed)


def _summed_by_measure(values: pd.Series, hits: pd.Series, misses: pd.Series) -> pd.DataFrame:
    """Customers and outcomes (hits) per distinct value of a measure (a missing value as NaN), summed over the groups."""
    frame = pd.DataFrame(
        {
            "value": values.to_numpy(dtype=float, na_value=np.nan),
            "customers": (hits + misses).to_numpy(dtype=np.int64),
            "hits": hits.to_numpy(dtype=np.int64),
        }
    )
    return frame.groupby("value", dropna=False, sort=False)[["customers", "hits"]].sum().reset_index()


def _summed_by_value(values: pd.Series, sums: list[np.ndarray]) -> dict[object, Cells]:
    """Cells per distinct value (a missing one as None) of the groups' hits, misses and cost (sums, row by row)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    hits, misses, cost = (np.bincount(codes, weights=column, minlength=len(uniques)) for column in sums)
    keys = uniques.tolist()
    for at in np.flatnonzero(pd.isna(uniques)):
        keys[at] = None
    hits_n, misses_n = np.rint(hits).astype(np.int64).tolist(), np.rint(misses).astype(np.int64).tolist()
    return dict(zip(keys, map(Cells, hits_n, misses_n, cost.tolist()), strict=True))


def cube(cur: duckdb.DuckDBPyConnection, found: Population, model_rows: int = MODEL_ROWS, *, per_segment: bool = False) -> Cube:
    """The Cube of found's rows, and the model's sample of them (model_rows customers or about that many: see
    model.sample_groups), with per_segment each segment's sample too: the rows are computed once into a scratch table
    of the cursor, which all read."""
    scratch = f"dr_rows_{uuid.uuid4().hex}"
    cur.execute(*sql(f"create temp table {scratch} as {{}}", found.rows))
    try:
        kept = replace(found, rows=Sql(f"select * from {scratch}"), rows_of=None)
        counted_rows = _cube(cur, kept)
        totals = counted_rows.totals
        customers = int(totals["hits"].sum() + totals["misses"].sum())
        sample = ModelSample(model_rows, model.sample_groups(cur, kept, customers, model_rows))
        sizes = dict(zip(totals["segment"], (totals["hits"] + totals["misses"]).astype(int), strict=True))
        per_segment = model.sample_groups_per_segment(cur, kept, sizes, model_rows) if per_segment and len(sizes) > 1 else None
    finally:
        cur.execute(f"drop table if exists {scratch}")
    return replace(counted_rows, sample=sample, per_segment=per_segment)


def _cube(cur: duckdb.DuckDBPyConnection, found: Population) -> Cube:
    """The Cube of found's rows from one grouped query with a few grouping sets, each one hash pass keyed by the segment
    label and the outcome: with every flag together (their combinations are few), with every level column together (the
    product of a few levels each), and with each measure."""
    sets = [[d.column for d in found.flags], [lv.column for lv in found.levels]]
    sets = [columns for columns in sets if columns] + [[f"n_{column}"] for column, _name in found.measures]
    columns = [c for columns in sets for c in columns]
    keys = "segment_key, outcome"
    grouping = join([Sql(f"({keys})")] if not sets else [Sql(f"({keys}, {', '.join(cs)})") for cs in sets])
    picked = "".join(f", {c}" for c in columns) + "".join(f", grouping({cs[0]}) as set_{i}" for i, cs in enumerate(sets))
    query = sql(
        f"""
        select count(*) as n, sum(coalesce(cost, 0)) as cost, count(cost) as known, {keys}{picked}
        from ({{}}) r
        group by grouping sets ({{}})
        """,
        found.rows,
        grouping,
    )
    groups = cur.execute(*query).df()
    groups["hits"] = groups["n"].where(groups["outcome"].astype(bool), 0)
    groups["misses"] = groups["n"] - groups["hits"]
    groups["segment"] = groups["segment_key"].astype(object)
    counted = ["hits", "misses", "cost"]
    # each customer once: the first set (or the outcome alone) gives the totals
    first = groups[groups["set_0"] == 0] if sets else groups
    totals = first.groupby("segment", dropna=False, sort=False)[[*counted, "known"]].sum().reset_index()
    kept = []
    for i, set_columns in enumerate(sets):
        rows = groups.loc[groups[f"set_{i}"] == 0, ["segment", *set_columns, *counted]]
        kept.append((rows.reset_index(drop=True), tuple(set_columns)))
    return Cube(tuple(kept), totals)


def counted(cur: duckdb.DuckDBPyConnection, found: Population, model_rows: int = MODEL_ROWS) -> Counts:
    """The Counts of found's rows (its Cube summed over every segment), with the model's sample."""
    return cube(cur, found, model_rows).counts(found)


_KEPT: OrderedDict[tuple, Counts | Cube] = OrderedDict()
_KEPT_LOCK = threading.Lock()
KEPT = 4
"""Counts and cubes kept in the process (a few kB each; a few MB for a cube of a duration measure at 1,000,000
customers): the driver table and the tipping points of one view count once, and a segment filter sums a kept cube."""


def _kept(key: tuple, make: Callable[[], Counts | Cube] | None) -> Counts | Cube | None:
    """make()'s answer for key, kept for the last KEPT keys; without make, the kept answer or None."""
    with _KEPT_LOCK:
        if key in _KEPT:
            _KEPT.move_to_end(key)
            return _KEPT[key]
    if make is None:
        return None
    found = make()
    with _KEPT_LOCK:
        _KEPT[key] = found
        while len(_KEPT) > KEPT:
            _KEPT.popitem(last=False)
    return found


def counts(cur: duckdb.DuckDBPyConnection, version: Version, spec: DriverSpec) -> Counts:
    """The Counts of the spec's population, kept for the last KEPT specs. Over every segment: summed from its Cube, which
    is kept, so a segment filter of the same regions, months and outcome then sums that Cube and queries nothing but
    the population's facts. A segment filter with no such Cube kept (an outcome changed under a segment filter) counts
    its own customers only. A period that holds every date the drivers read counts as none (without_whole_period)."""
    path = cur.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()
    spec = without_whole_period(cur, version, spec)
    at = (path[0] if path else None, version.version_id, str(version.created_at))
    every = spec.in_every_segment()

    def summed() -> Counts:
        every_key = (*at, "cube", every)
        make = (
            None
            if spec.filters.segments
            else lambda: cube(cur, population(cur, version, every), spec.model_rows, per_segment=True)
        )
        kept_cube = _kept(every_key, make)
        found = population(cur, version, spec)
        return counted(cur, found, spec.model_rows) if kept_cube is None else kept_cube.counts(found, spec.filters.segments)

    return _kept((*at, "counts", spec), summed)


def clear_kept() -> None:
    """Forget the kept counts and dates (with the metric caches: after a publish, re-staging or a catalogue change)."""
    with _KEPT_LOCK:
        _KEPT.clear()
    clear_dates()
