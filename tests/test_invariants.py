"""The invariant battery: every page, on every data shape in tests/shapes.py, under AppTest.

Each shape is published once (one database, one dataset per shape); each page is run once per view (every tab of the
Funnel and of Defection's breakdown, every Story step) and what it shows is kept, so the tests below only read it:
- no exception on any page;
- no "nan", "None", "NaT", "inf" or "-inf" anywhere on screen (markdown, captions, metrics, tables, chart text);
- no figure for what the data lacks (a tile whose help says "Not in this dataset" shows "—"), and no dash standing for
  a missing value inside a sentence ("Status on —");
- every share shown as a percentage lies within 0 to 100 %;
- no empty chart without a note on it saying why;
- at-risk and defected are never the same customer (by the Defection metrics);
- a figure shown on several pages (customers, churn rate, at-risk count, revenue) is the same on all of them.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import staged
from dashboard.metrics.defection import status as defection
from dashboard.metrics.funnel import stage_sql, stages
from dashboard.metrics.journey import service as journey_service
from dashboard.metrics.journey.lanes import JourneySpec
from dashboard.metrics.money import MAX_YEARS
from dashboard.store import Store
from dashboard.ui.views.behaviours import TABS as BEHAVIOURS_TABS
from dashboard.ui.views.defection import TABS as DEFECTION_TABS
from dashboard.ui.views.journey.controls import TABS as JOURNEY_TABS
from tests import defection_paths, shapes
from tests.conftest import PAGE_PATHS, open_page
from tests.figures_by_page import shared_figures

pytestmark = pytest.mark.slow

VIEWS: dict[str, list[dict[str, str]]] = {
    "Overview": [{}],
    "Journey": [{"j_tab": tab} for tab in JOURNEY_TABS],
    "Funnel": [
        {"f_tab": tab, "f_list": "true", "f_breakdown": "true", "f_cohorts": "true"}
        for tab in ("Funnel", "Sales funnel", "Movement", "Economics", "Stage rules")
    ],
    "Behaviours": [{"b_tab": tab, "b_edit": "true"} for tab in BEHAVIOURS_TABS],  # the catalogue editor open too
    "What-if": [{}],
    "Defection": [{"d_by": by} for by in ("By segment", "By relationship stage", "By perfect-customer behaviours")]
    + [{"d_tab": tab} for tab in DEFECTION_TABS[1:]],  # the breakdowns are in the first tab
    "Drivers": [{"dr_outcome": outcome, "dr_or": "true"} for outcome in ("defection", "low satisfaction", "conversion")],
    "Story": [{"s_step": str(n)} for n in range(1, 8)],
    "Data": [{}],
}
"""The query parameters of each run of a page: one per tab or step, so every section is drawn once."""

MISSING = re.compile(r"(?<![\w.])(nan|NaN|None|NaT|-?inf|-?Infinity)(?![\w])")
"""A missing or infinite value printed as text."""
DASH_IN_PROSE = re.compile(r"\b(?:on|of|at|since|from|to|is|was|by|in|with|between|for)\s+—(?=[,.;:)]|\s|$)")
"""A dash standing for a missing value inside a sentence ("Status on —, the last day"): say what is missing instead."""
PERCENT = re.compile(r"(?<![\w+−-])(\d[\d,]*(?:\.\d+)?|\.\d+)\s?%")
"""A percentage without a sign (a share; signed figures are changes)."""


@dataclass
class Shown:
    """What one run of a page put on screen."""

    where: str
    exceptions: list[str] = field(default_factory=list)
    texts: list[tuple[str, str]] = field(default_factory=list)
    metrics: list[tuple[str, str]] = field(default_factory=list)
    tables: list[pd.DataFrame] = field(default_factory=list)
    placeholders: list[str] = field(default_factory=list)
    charts: list[dict] = field(default_factory=list)


def _chart_strings(spec: object, path: str = "") -> list[tuple[str, str]]:
    """Every string in a plotly figure's JSON (titles, labels, annotations, hover text), with where it sits."""
    if isinstance(spec, dict):
        return [s for key, value in spec.items() if key != "template" for s in _chart_strings(value, f"{path}.{key}")]
    if isinstance(spec, list):
        return [s for value in spec for s in _chart_strings(value, path)]
    return [(path, spec)] if isinstance(spec, str) else []


def _numbers(value: object) -> list[float]:
    """The numbers of a plotly data array: a JSON list, or a typed array ({"dtype", "bdata"} in base64)."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"])).astype(float).tolist()
    if isinstance(value, list):
        return [float(v) for v in value if isinstance(v, int | float) and not isinstance(v, bool)]
    return []


def _chart_infinities(spec: object) -> int:
    if isinstance(spec, dict):
        if "bdata" in spec:
            return sum(math.isinf(v) for v in _numbers(spec))
        return sum(_chart_infinities(v) for k, v in spec.items() if k != "template")
    if isinstance(spec, list):
        return sum(_chart_infinities(v) for v in spec)
    return int(isinstance(spec, float) and math.isinf(spec))


def _draws_something(spec: dict) -> bool:
    """Whether any trace of the figure has a point, bar, slice or ribbon to draw."""
    for trace in spec.get("data", []):
        if trace.get("type") == "sankey":
            arrays = [trace.get("link", {}).get("value")]
        else:
            arrays = [trace.get(k) for k in ("x", "y", "z", "values", "r", "measure")]
        for array in arrays:
            if isinstance(array, list) and any(v is not None for v in array):
                return True
            if any(not math.isnan(v) for v in _numbers(array)):
                return True
    return False


def _collect(at: AppTest, where: str) -> Shown:
    shown = Shown(where, exceptions=[e.value for e in at.exception])
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info", "warning", "error", "success"):
        shown.texts += [(kind, str(e.value)) for e in getattr(at, kind)]
    for m in at.metric:
        shown.metrics.append((m.label, m.value))
        shown.texts += [("metric label", m.label), ("metric", m.value), ("metric help", m.help or "")]
    for e in at.expander:
        shown.texts.append(("expander", e.label))
    for kind in ("dataframe", "table"):
        for e in getattr(at, kind):
            shown.tables.append(e.value)
            shown.placeholders.append(getattr(e.proto, "placeholder", ""))
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        shown.charts.append(spec)
        shown.texts += [(f"chart{path}", text) for path, text in _chart_strings(spec)]
    return shown


def render(dataset: str, page: str, params: dict[str, str]) -> Shown:
    """Run the page on dataset with the given query parameters and keep what it shows."""
    at = open_page(page, {"ds": dataset, **params}, timeout=180)
    return _collect(at, f"{page} {params or ''}".strip())


# -- the battery's fixtures: one database, each (shape, page) run once ---------------------------------------------


@pytest.fixture(scope="module")
def battery_db(real_db_file: Path, tmp_path_factory: pytest.TempPathFactory):
    """Every shape published into one database (the real files' from the session's real_db_file), made the app's
    database for this module."""
    folder = tmp_path_factory.mktemp("shapes")
    shutil.copy(real_db_file, folder / "cxlens.duckdb")
    path = shapes.publish_all(folder / "cxlens.duckdb", folder, [name for name in shapes.SHAPES if name not in shapes.REAL])
    shutil.copy(path, folder / "metrics.duckdb")  # for the metric checks: the app's connection has its own settings
    saved = {k: os.environ.get(k) for k in ("CXLENS_DB", "CXLENS_UPLOAD_DIR", "CXLENS_NO_SAMPLE")}
    os.environ.update(CXLENS_DB=str(path), CXLENS_UPLOAD_DIR=str(folder / "uploads"), CXLENS_NO_SAMPLE="1")
    st.cache_data.clear()
    st.cache_resource.clear()
    yield path
    st.cache_data.clear()
    st.cache_resource.clear()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


_SHOWN: dict[tuple[str, str], list[Shown]] = {}


@pytest.fixture(scope="module")
def shown(battery_db):
    """(shape, page) -> what each run of that page showed, computed on first use."""

    def get(shape: str, page: str) -> list[Shown]:
        if (shape, page) not in _SHOWN:
            _SHOWN[(shape, page)] = [render(shape, page, params) for params in VIEWS[page]]
        return _SHOWN[(shape, page)]

    yield get
    _SHOWN.clear()


# -- per page ---------------------------------------------------------------------------------------------------


def _missing_texts(runs: list[Shown]) -> list[str]:
    found = []
    for run in runs:
        for kind, text in run.texts:
            if MISSING.search(text):
                found.append(f"{run.where} · {kind}: {text[:160]!r}")
        for table, placeholder in zip(run.tables, run.placeholders, strict=True):
            if not placeholder and table.isna().to_numpy().any():
                found.append(f"{run.where} · table with {list(table.columns)[:4]}: missing cells print None")
            for column in table.columns:
                if MISSING.search(str(column)):
                    found.append(f"{run.where} · table header {column!r}")
                values = table[column]
                if values.dtype == object or pd.api.types.is_string_dtype(values):
                    bad = [v for v in values.dropna().astype(str) if MISSING.fullmatch(v.strip())]
                    found += [f"{run.where} · table {column!r}: {v!r}" for v in bad[:3]]
                elif pd.api.types.is_float_dtype(values) and values.map(lambda v: math.isinf(v)).any():
                    found.append(f"{run.where} · table {column!r}: inf")
        found += [f"{run.where} · chart: inf in the data" for chart in run.charts if _chart_infinities(chart)]
    return found


def _empty_charts_without_reason(runs: list[Shown]) -> list[str]:
    """Charts with nothing to draw and no note on them saying why."""
    found = []
    for run in runs:
        for chart in run.charts:
            notes = [a.get("text") for a in chart.get("layout", {}).get("annotations", []) if a.get("text")]
            title = chart.get("layout", {}).get("title", {}).get("text", "")
            if not _draws_something(chart) and not notes:
                found.append(f"{run.where} · empty chart {title!r}")
    return found


def _unknowns_shown_as_figures(runs: list[Shown]) -> list[str]:
    """Tiles whose help says the data lacks what they need but that still show a figure, and dashes inside prose."""
    found = []
    for run in runs:
        for i, (kind, text) in enumerate(run.texts):
            unavailable = "Not in this dataset" in text or "Not available for this dataset" in text
            if kind == "metric help" and unavailable and run.texts[i - 1][1] != "—":
                found.append(f"{run.where} · {run.texts[i - 2][1]} = {run.texts[i - 1][1]} (not in this dataset)")
            if kind not in ("metric", "metric label") and not kind.startswith("chart") and DASH_IN_PROSE.search(text):
                found.append(f"{run.where} · {kind}: {text[:160]!r}")
    return found


def _shares_out_of_range(runs: list[Shown]) -> list[str]:
    found = []
    for run in runs:
        for kind, text in run.texts:
            if kind.startswith("chart") and not kind.endswith(("text", "texttemplate", ".title.text")):
                continue  # hover templates and axis formats hold placeholders, not figures
            for match in PERCENT.finditer(text):
                value = float(match.group(1).replace(",", ""))
                if value > 100:
                    found.append(f"{run.where} · {kind}: {match.group(0)} in {text[:120]!r}")
    return found


@pytest.mark.parametrize("page", list(PAGE_PATHS))
@pytest.mark.parametrize("shape", list(shapes.SHAPES))
def test_page_shows_every_figure_or_says_why(shown, shape: str, page: str):
    runs = shown(shape, page)
    assert not [(r.where, e) for r in runs for e in r.exceptions], "a page raised"
    assert not _missing_texts(runs), "a missing or infinite value is printed"
    assert not _unknowns_shown_as_figures(runs), "an unknown shown as a figure, or a dash for a missing value in a sentence"
    assert not _shares_out_of_range(runs), "a share outside 0-100 %"
    assert not _empty_charts_without_reason(runs), "an empty chart that does not say why"


# -- per shape: definitions that must agree ---------------------------------------------------------------------


def _defected_and_at_risk(path: Path, shape: str) -> tuple[int, int, int]:
    """Customers defected, at risk, and both, by the Defection metrics with the definition the dataset starts with."""
    store = Store(path.parent / "metrics.duckdb", read_only=True)
    try:
        version = store.active_version(shape)
        with store.cursor() as cur:
            spec = defection.DefectionSpec(definition=defection.default_definition(defection.availability(cur, version)))
            sql, params = defection.status_sql(cur, version, spec.validate())
            row = cur.execute(
                f"""
                select count(*) filter (where defected), count(*) filter (where status = 'at risk'),
                       count(*) filter (where defected and status = 'at risk')
                from ({sql})
                """,
                params,
            ).fetchall()[0]
    finally:
        store.close()
    return tuple(int(x) for x in row)


@pytest.mark.parametrize("shape", list(shapes.SHAPES))
def test_at_risk_and_defected_are_never_the_same_customer(battery_db, shape: str):
    defected, at_risk, both = _defected_and_at_risk(battery_db, shape)
    assert both == 0, f"{both} customers both defected ({defected}) and at risk ({at_risk})"


@pytest.mark.parametrize("shape", list(shapes.SHAPES))
def test_at_risk_and_defected_are_disjoint_in_the_staged_table_and_the_funnel(battery_db, shape: str):
    """stg_customers never marks one customer both; the Funnel's at-risk and defected customers on the as-of day are
    exactly the staged ones (so the Funnel's stages are disjoint by the same answer)."""
    store = Store(battery_db.parent / "metrics.duckdb", read_only=True)
    try:
        version = store.active_version(shape)
        model = stages.load_model(store, shape)
        with store.cursor() as cur:
            both, risky, lost = cur.execute(
                f"""
                select count(*) filter (where at_risk and defected),
                       list(customer_id order by customer_id) filter (where at_risk),
                       list(customer_id order by customer_id) filter (where defected)
                from {version.table("stg_customers")}
                """
            ).fetchall()[0]
            sql, params = stage_sql.customer_stage_sql(version, model)
            by_stage = cur.execute(
                f"""
                select list(customer_id order by customer_id) filter (where stage = ?),
                       list(customer_id order by customer_id) filter (where stage = ?)
                from ({sql})
                """,
                [model.name("at_risk"), model.name("defected"), *params],
            ).fetchall()[0]
    finally:
        store.close()
    assert both == 0
    assert (by_stage[0] or [], by_stage[1] or []) == (risky or [], lost or [])


@pytest.mark.parametrize("shape", list(shapes.SHAPES))
def test_revenue_at_risk_is_within_its_stated_bound(battery_db, shape: str):
    """Per customer at risk, 0 ≤ revenue at risk ≤ P(defect) × annual margin × min(expected years, MAX_YEARS), worked
    out here from the customer's annual spend, the margin and the years (the bound the Money basis line states); the
    tile's total is within the stated total bound; nobody else carries revenue at risk."""
    store = Store(battery_db.parent / "metrics.duckdb", read_only=True)
    try:
        version = store.active_version(shape)
        with store.cursor() as cur:
            spec = defection.DefectionSpec(definition=defection.default_definition(defection.availability(cur, version)))
            spec = spec.validate()
            sql, params = defection.status_sql(cur, version, spec)
            rows = cur.execute(f"select status, p_defect, annual_spend, revenue_at_risk from ({sql})", params).df()
            tiles = defection_paths.kpis(cur, version, spec).set_index("key")["value"]
            stated = defection_paths.risk_bound(cur, version, spec).iloc[0]
    finally:
        store.close()
    v = spec.valuation
    at_risk = rows[rows["status"] == "at risk"]
    years = min(v.expected_years, MAX_YEARS)
    bound = at_risk["p_defect"] * (at_risk["annual_spend"].fillna(0) * v.margin * years).clip(lower=0)
    assert ((at_risk["p_defect"] >= 0) & (at_risk["p_defect"] <= 1)).all()
    assert (at_risk["revenue_at_risk"].fillna(0) >= 0).all()
    assert (at_risk["revenue_at_risk"].fillna(0) <= bound + 1e-6).all(), "a customer's revenue at risk above its bound"
    assert rows.loc[rows["status"] != "at risk", "revenue_at_risk"].isna().all()
    if tiles["revenue_at_risk"] is not None and not pd.isna(tiles["revenue_at_risk"]):
        assert tiles["revenue_at_risk"] <= stated["bound"] + 1e-6 <= bound.sum() + 2e-6


SHARED_FIGURES = {
    "customers": {("Overview", "Customers"), ("Story", "Customers")},
    "churn rate": {("Overview", "Churn rate"), ("Story", "Churn rate"), ("Defection", "Defection rate")},
    "at risk": {("Defection", "At risk now"), ("Story", "At risk now")},
    "revenue": {("Overview", "Revenue"), ("Story", "Revenue")},
}
"""Figure -> (page, metric label) where it is shown; all must read the same."""


@pytest.mark.parametrize("figure", list(SHARED_FIGURES))
@pytest.mark.parametrize("shape", list(shapes.SHAPES))
def test_a_figure_shown_on_several_pages_is_the_same_on_all(shown, shape: str, figure: str):
    values: dict[str, set[str]] = {}
    for page, label in SHARED_FIGURES[figure]:
        for run in shown(shape, page):
            for shown_label, value in run.metrics:
                if shown_label == label:
                    values.setdefault(value, set()).add(run.where)
    assert len(values) <= 1, f"{figure}: {values}"


def _known(value: object) -> bool:
    return value is not None and not pd.isna(value)


@pytest.mark.parametrize("shape", list(shapes.SHAPES))
def test_customers_defected_at_risk_and_churn_are_one_number_on_every_page(battery_db, shape: str):
    """By the metric functions the pages call (Overview tiles, the Behaviours summary, the Defection tiles, the Funnel's
    stage counts; Story shows the Overview and Defection tiles): customers, defected, at risk and churn are one number
    each, the staged one. Where the data cannot tell who left, Overview and Defection show no churn, defected or at risk
    figure and nobody sits in the Funnel's off-ramps."""
    store = Store(battery_db.parent / "metrics.duckdb", read_only=True)
    try:
        figures = shared_figures(store, shape)
        with store.cursor() as cur:
            profile = staged.load_profile(cur, store.active_version(shape))
    finally:
        store.close()
    base, over, beh, lost, fun = (figures[k] for k in ("staged", "overview", "behaviours", "defection", "funnel"))
    assert base["customers"] == over["customers"] == beh["customers"]
    if profile.has_dates:  # without any date nobody is known on a day, and the Funnel says so instead of counting
        assert fun["customers"] == base["customers"]
    if profile.tells_defection:
        assert base["defected"] == over["defected"] == beh["defected"] == lost["defected"] == fun["defected"]
        assert base["at_risk"] == lost["at_risk"] == fun["at_risk"]
        assert over["churn"] == pytest.approx(beh["churn"]) == pytest.approx(lost["churn"])
    else:
        assert not any(_known(v) for v in (over["churn"], lost["defected"], lost["at_risk"], lost["churn"]))
        assert base["defected"] == base["at_risk"] == fun["defected"] == fun["at_risk"] == 0


CHURN_TRACES = {"Churn rate", "With it", "Without it"}


def _tells_defection(battery_db: Path, shape: str) -> bool:
    """The staged profile's word on whether shape's data can tell who left (churn labels, or purchases over a span
    longer than the lapse window)."""
    store = Store(battery_db.parent / "metrics.duckdb", read_only=True)
    try:
        with store.cursor() as cur:
            return staged.load_profile(cur, store.active_version(shape)).tells_defection
    finally:
        store.close()


@pytest.mark.parametrize("shape", [name for name in shapes.SHAPES if not shapes.says_who_left(name)])
def test_a_churn_figure_only_where_the_staged_profile_tells_who_left(battery_db, shown, shape: str):
    """Data without churn labels: where the staged profile says defection cannot be told, no page shows a churn figure;
    where a purchase lapse over enough history tells it (cdnow, online_retail), the Overview shows the churn rate."""
    found = []
    for page in ("Overview", "Journey", "Behaviours", "Story"):
        for run in shown(shape, page):
            tiles = [(label, value) for label, value in run.metrics if label == "Churn rate" and value != "—"]
            found += [f"{run.where} · tile {label} = {value}" for label, value in tiles]
            for chart in run.charts:
                names = {t.get("name") for t in chart.get("data", []) if _draws_something({"data": [t]})}
                found += [f"{run.where} · chart trace {n!r}" for n in names & CHURN_TRACES]
            found += [f"{run.where} · table column {c!r}" for t in run.tables for c in t.columns if "churn" in str(c).lower()]
    if _tells_defection(battery_db, shape):
        overview = [value for run in shown(shape, "Overview") for label, value in run.metrics if label == "Churn rate"]
        assert overview and all(v != "—" for v in overview), "the lapse tells who left, yet the Overview shows no churn"
    else:
        assert not found, "a churn figure on data that does not say who left"


@pytest.mark.parametrize("shape", [name for name in shapes.SHAPES if shapes.has_column(name, "interactions", "resolved")])
def test_first_contact_resolution_leaves_out_contacts_marked_unresolved(battery_db, shape: str):
    """A contact the data marks unresolved was not resolved at first contact: FCR ≤ contacts − those (a contact of
    several steps sharing a contact_id counts once)."""
    store = Store(battery_db.parent / "metrics.duckdb", read_only=True)
    try:
        version = store.active_version(shape)
        with store.cursor() as cur:
            fcr = journey_service.measures(cur, version, JourneySpec()).set_index("key").loc["fcr"]
            contact = "coalesce(contact_id, cast(rowid as varchar))" if version.has("interactions", "contact_id") else "rowid"
            unresolved = cur.execute(
                f"""
                select count(distinct {contact}) from {version.table("interactions")}
                where resolved = false and reason is not null and coalesce(initiated_by, 'customer') = 'customer'
                """
            ).fetchall()[0][0]
    finally:
        store.close()
    assert fcr["numerator"] <= fcr["denominator"] - unresolved, (
        f"first-contact resolution {fcr['numerator']} of {fcr['denominator']} beside {unresolved} contacts marked unresolved"
    )
