"""The Defection SQL agrees with the plain pandas reference (benchmarks/reference/defection.py) on the bundled sample."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks.reference import defection as reference
from dashboard.metrics.defection import clv
from dashboard.metrics.defection import figures as f
from dashboard.metrics.defection import status as d
from dashboard.metrics.scope import Filters
from dashboard.store import Store
from tests import defection_paths

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="module")
def cdnow_histories() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The CDNOW sample's (x, t_x, T) in weeks (the BG/NBD paper's data)."""
    frame = pd.read_csv(FIXTURES / "cdnow_customers_summary.csv")
    return tuple(frame[c].to_numpy(float) for c in ("frequency", "recency", "T"))


SPECS = {
    "every rule": d.DefectionSpec(),
    "2024, Commercial, 40 %": d.DefectionSpec(
        filters=Filters(segments=("Commercial",), month_from=date(2024, 1, 1), month_to=date(2024, 12, 1)),
        definition=d.Definition(drop_pct=40.0, recent_months=2, baseline_months=6, alive_pct=99.0),
    ),
    "complaints only, 30-day window, 3-day target, margin 25 %": d.DefectionSpec(
        definition=d.Definition(contract=False, lapse=False, drop=False, alive=False, complaint_days=30, sla_days=3),
        valuation=d.Valuation(margin_pct=25.0, years=5.0, discount_pct=0.0),
    ),
}


@pytest.fixture(scope="module")
def sample_store(sample_db_file):
    store = Store(sample_db_file, read_only=True)
    yield store
    store.close()


@pytest.mark.parametrize("name", SPECS)
def test_headline_figures_agree_with_pandas(sample_store, sample_tables, name):
    spec = SPECS[name]
    version = sample_store.active_version("sample")
    with sample_store.cursor() as cur:
        got = defection_paths.kpis(cur, version, spec).set_index("key")["value"].to_dict()
        by_segment = defection_paths.breakdown(cur, version, spec)
        bound = f.risk_bound_from(d.summary(cur, version, spec)).iloc[0]
    expected = reference.kpis(sample_tables, spec)
    assert bound["bound"] == pytest.approx(reference.revenue_at_risk_bound(sample_tables, spec), rel=1e-9)
    assert bound["revenue_at_risk"] <= bound["bound"] * (1 + 1e-12)
    for key, value in expected.items():
        if value is None:
            assert got[key] is None or got[key] != got[key], key  # missing on both sides
        else:
            assert got[key] == pytest.approx(value, rel=1e-9), key
    segments = by_segment[by_segment["dimension"] == "segment"].set_index("value")["rate"]
    if expected["defected"] is not None:
        for segment, rate in reference.defection_by_segment(sample_tables, spec).items():
            assert segments[segment] == pytest.approx(rate, rel=1e-9), segment


def test_sample_tells_the_complaint_story(sample_store, sample_tables):
    version = sample_store.active_version("sample")
    spec = d.DefectionSpec()
    with sample_store.cursor() as cur:
        follow = d.complaint_follow_up(cur, version, d.follow_up_spec(spec)).iloc[0]
        reasons = defection_paths.reasons(cur, version, spec)
        handling = defection_paths.defection_by_handling(cur, version, spec).set_index("handling")["rate"]
        by_behaviours = d.DefectionSpec(behaviour_source=d.fallback_behaviour_source(version))
        behaviours = defection_paths.breakdown(cur, version, by_behaviours).set_index(["dimension", "value"])["rate"]
    assert follow["chance_used"] == pytest.approx(reference.complaint_chance(sample_tables, spec), rel=1e-12)
    # the sample's story: poor complaint handling is the commonest reason; slow or unresolved complaints drive defection
    assert reasons.iloc[0]["reason"] == "Poor complaint handling"
    assert handling["Unresolved"] > handling["Resolved slowly"] > handling["Resolved at first contact"]
    assert behaviours[("behaviours", "0")] > behaviours[("behaviours", "3")]


def test_bgnbd_fit_at_publish_agrees_with_a_pandas_rebuild(sample_store, sample_tables):
    version = sample_store.active_version("sample")
    with sample_store.cursor() as cur:
        fit = d.fit_summary(cur, version).iloc[0]
    model = reference.fit(sample_tables)
    assert fit["status"] == "fitted" and fit["buyers"] == model.customers
    # the likelihood written out in the reference, at the app's parameters, is the app's likelihood
    at_app = (fit["r"], fit["alpha"], fit["a"], fit["b"])
    x, t_x, T = reference.buyer_histories(sample_tables)
    assert reference.bgnbd_log_likelihood(np.array(at_app), x, t_x, T) == pytest.approx(fit["log_likelihood"], rel=1e-12)
    # the sample's buyers all buy at nearly one rate, so the likelihood rises as r and α grow together without end: the
    # app stops at its search bound, the reference goes further (r ≈ 7e7). Both find the same purchase rate r/α, the
    # same dropout a, b, and the app's maximum is within 1e-5 of the likelihood's (a gain of about 5 in 1.28M)
    assert model.log_likelihood >= fit["log_likelihood"]
    assert model.log_likelihood == pytest.approx(fit["log_likelihood"], rel=1e-5)
    assert fit["r"] / fit["alpha"] == pytest.approx(model.r / model.alpha, rel=1e-4)
    assert (fit["a"], fit["b"]) == pytest.approx((model.a, model.b), rel=5e-3)


def test_bgnbd_fit_agrees_with_an_independent_fit_where_the_optimum_is_inside(cdnow_histories):
    """CDNOW (2,357 customers): the optimum is a point, so the two fits that share nothing meet there."""
    app = clv.fit_bgnbd(*cdnow_histories)
    independent = reference.fit_histories(*cdnow_histories)
    assert independent.log_likelihood == pytest.approx(app.log_likelihood, rel=1e-9)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(independent, name) == pytest.approx(getattr(app, name), rel=1e-4), name


def test_sample_revenue_at_risk_stays_within_what_at_risk_customers_could_spend(sample_store, sample_tables):
    version = sample_store.active_version("sample")
    with sample_store.cursor() as cur:
        definition = d.default_definition(d.availability(cur, version))
        lifetime = f.lifetime_from(d.timeline(cur, version, f.lifetime_spec(definition)))
        spec = d.DefectionSpec(definition=definition, valuation=d.Valuation(years=lifetime.years))
        # the chances after a complaint and a drop left unset: observed a year on, as the page's are
        summary = d.summary(cur, version, spec)
    assert lifetime.years == 9.9 and lifetime.from_data  # 10.1 % of customers defect a year
    kpis = f.kpis_from(summary, spec).set_index("key")["value"]
    bound = f.risk_bound_from(summary).iloc[0]
    assert bound["revenue_at_risk"] <= bound["bound"]
    assert bound["bound"] == pytest.approx(reference.revenue_at_risk_bound(sample_tables, spec), rel=1e-9)
    transactions = sample_tables["transactions"]
    years = (transactions["ts"].max() - transactions["ts"].min()).days / 365.25
    assert kpis["revenue_at_risk"] < 0.1 * transactions["amount"].sum() / years  # a year's revenue is $59.3M
    # a current customer at 30 % margin over the measured 9.9 years: $7,499 (at 100 % over ten years it read $25,147)
    assert round(kpis["lifetime_value"]) == 7499


def test_drop_chance_agrees_with_pandas_on_the_sample(sample_store, sample_tables):
    version = sample_store.active_version("sample")
    # monthly bills rarely halve (nobody is flagged at 50 %); below 90 % of their own rate, 208 customers a year before
    # the as-of day (the last day of any data, 31 Dec 2025; the last bill's day gave 253)
    spec = d.DefectionSpec(definition=d.Definition(drop_pct=90.0))
    with sample_store.cursor() as cur:
        follow = d.drop_follow_up(cur, version, d.drop_follow_up_spec(spec)).iloc[0]
        segment = replace(spec, filters=Filters(segments=("Commercial",)))
        commercial = d.drop_follow_up(cur, version, d.drop_follow_up_spec(segment)).iloc[0]
    assert (follow["flagged"], follow["left_within_year"]) == (208, 24)
    assert follow["chance_used"] == pytest.approx(reference.drop_chance(sample_tables, spec), rel=1e-12)
    assert commercial["chance_used"] == pytest.approx(reference.drop_chance(sample_tables, segment), rel=1e-12)
