"""The Defection page's figures worked out the way the page works them out (dashboard/ui/views/defection/ and
defection_controls.view): one summary per spec and one timeline per timeline_spec(spec), each figure derived from them
by its `*_from` function with the staged profile's tells_defection. The library keeps no per-figure query wrappers, so
a test through these runs the path the app runs."""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard import staged
from dashboard.metrics.defection import figures
from dashboard.metrics.defection import status as defection
from dashboard.metrics.defection.status import DefectionSpec
from dashboard.store import Version


def _tells(cur: duckdb.DuckDBPyConnection, version: Version) -> bool:
    return staged.load_profile(cur, version).tells_defection


def kpis(cur: duckdb.DuckDBPyConnection, version: Version, spec: DefectionSpec) -> pd.DataFrame:
    """The headline tiles (view: _headline)."""
    return figures.kpis_from(defection.summary(cur, version, spec), spec, tells_defection=_tells(cur, version))


def breakdown(cur: duckdb.DuckDBPyConnection, version: Version, spec: DefectionSpec) -> pd.DataFrame:
    """By segment, stage and behaviours (view: the breakdown tabs and value by segment)."""
    return figures.breakdown_from(defection.summary(cur, version, spec), spec, tells_defection=_tells(cur, version))


def risk_bound(cur: duckdb.DuckDBPyConnection, version: Version, spec: DefectionSpec) -> pd.DataFrame:
    """Revenue at risk and its bound (view: the at-risk tile)."""
    return figures.risk_bound_from(defection.summary(cur, version, spec))


def reasons(cur: duckdb.DuckDBPyConnection, version: Version, spec: DefectionSpec) -> pd.DataFrame:
    """The reasons Pareto (view: reasons section and the story)."""
    return figures.reasons_from(defection.summary(cur, version, spec))


def value_by_reason(cur: duckdb.DuckDBPyConnection, version: Version, spec: DefectionSpec) -> pd.DataFrame:
    """Value lost and at risk by reason (view: value section)."""
    return figures.value_by_reason_from(defection.summary(cur, version, spec), tells_defection=_tells(cur, version))


def defection_by_handling(cur: duckdb.DuckDBPyConnection, version: Version, spec: DefectionSpec) -> pd.DataFrame:
    """Defection by complaint handling (view: complaints section)."""
    return figures.handling_from(defection.summary(cur, version, spec), tells_defection=_tells(cur, version))


def rates_by_month(cur: duckdb.DuckDBPyConnection, version: Version, spec: DefectionSpec) -> pd.DataFrame:
    """Monthly rates from the timeline of timeline_spec(spec), as the view reads it (view: monthly section)."""
    timeline = defection.timeline(cur, version, defection.timeline_spec(spec))
    fit = defection.fit_summary(cur, version).iloc[0]
    return figures.rates_by_month_from(timeline, fit["history_start"], fit["as_of"], spec.filters)


def complaints(cur: duckdb.DuckDBPyConnection, version: Version, spec: DefectionSpec, silent: float) -> pd.DataFrame:
    """Complainers and the silent customers behind them (view: complaints section; the widget bounds silent 0-1,000)."""
    counts = defection.complaint_counts(cur, version, spec.filters)
    return figures.complaints_from(counts, defection.summary(cur, version, spec), float(silent))
