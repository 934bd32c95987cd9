"""The Funnel's SQL agrees with the plain pandas reference (benchmarks/reference/funnel.py) on the bundled sample."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from benchmarks.reference import funnel as reference
from dashboard.metrics import economics
from dashboard.metrics.funnel import counts as funnel
from dashboard.metrics.funnel import movement, stage_sql
from dashboard.metrics.funnel.stages import DEFAULT_MODEL, StageRules
from dashboard.metrics.scope import Filters
from dashboard.store import Store

MODELS = {
    "default": DEFAULT_MODEL,
    # purchases only, joined by and; at risk after 20 days without a bill (most customers, between two bills),
    # defected after 45: exercises the gaps between purchases on every date
    "strict": replace(
        DEFAULT_MODEL,
        rules=replace(
            StageRules(),
            repeat_join="and",
            loyal_purchases=6,
            loyal_tenure_days=0,
            at_risk_days=20,
            defected_days=45,
            at_risk_complaints=1,
            at_risk_complaint_days=30,
            advocate_from="repeat",
        ),
    ),
}
MODELS["long"] = replace(  # a threshold above the 24 purchase days kept as columns reads the list
    DEFAULT_MODEL, rules=replace(StageRules(), repeat_purchases=3, repeat_tenure_days=0, loyal_purchases=30, loyal_tenure_days=0)
)
DATES = [None, date(2023, 3, 31), date(2024, 6, 30), date(2025, 2, 28)]


@pytest.fixture(scope="module")
def sample(sample_db_file):
    store = Store(sample_db_file, read_only=True)
    yield store, store.active_version("sample")
    store.close()


@pytest.fixture(scope="module")
def prep(sample_tables):
    return reference.prepare(sample_tables)


def _sql_stages(sample, model, day) -> dict[str, str]:
    store, version = sample
    sql, params = stage_sql.customer_stage_sql(version, replace(model, source="rules"), day)
    with store.cursor() as cur:
        return dict(cur.execute(f"select * from ({sql})", params).fetchall())


@pytest.mark.parametrize("model_name", list(MODELS))
@pytest.mark.parametrize("day", DATES, ids=[str(d) for d in DATES])
def test_every_customers_stage_agrees(sample, prep, model_name, day):
    model = MODELS[model_name]
    found = _sql_stages(sample, model, day)
    expected = reference.stages_on(prep, model, day)
    names = dict(model.stages)
    assert found == {cid: names[role] for cid, role in zip(expected["customer_id"], expected["role"], strict=True)}


@pytest.mark.parametrize("model_name", list(MODELS))
def test_stage_counts_and_reached_agree(sample, prep, model_name):
    store, version = sample
    model = MODELS[model_name]
    filters = Filters(segments=("Commercial", "Small business"), month_to=date(2025, 6, 1))
    with store.cursor() as cur:
        counts = funnel.stage_counts(cur, version, funnel.StageSpec(model, filters)).set_index("role")
    day = date(2025, 6, 30)
    assert counts["customers"].to_dict() == reference.stage_counts(prep, model, day, filters)
    assert counts["reached"].dropna().astype(int).to_dict() == reference.reached(prep, model, day, filters)


@pytest.mark.parametrize("model_name", list(MODELS))
def test_transition_matrix_agrees(sample, prep, model_name):
    store, version = sample
    model = MODELS[model_name]
    first, second = date(2023, 12, 31), date(2025, 9, 30)
    with store.cursor() as cur:
        matrix = movement.transition_matrix(cur, version, movement.MoveSpec(model, Filters(), first, second))
    expected = reference.transition_matrix(prep, model, first, second)
    got = {(r.from_role, r.to_role): r.customers for r in matrix.itertuples()}
    assert got == {(r.from_role, r.to_role): r.customers for r in expected.itertuples()}
    assert sum(got.values()) == len(reference.stages_on(prep, model, second)) > 19_000
    with store.cursor() as cur:
        cell = movement.cell_customers(
            cur, version, movement.CellSpec(movement.MoveSpec(model, Filters(), first, second), "loyal", "defected", None)
        )
    before = reference.stages_on(prep, model, first).set_index("customer_id")["role"]
    after = reference.stages_on(prep, model, second).set_index("customer_id")["role"]
    both = pd.DataFrame({"a": before, "b": after}).dropna()
    assert cell["customer_id"].tolist() == sorted(both[(both["a"] == "loyal") & (both["b"] == "defected")].index)


def test_breakdown_and_drill_agree(sample, prep):
    store, version = sample
    with store.cursor() as cur:
        frame = funnel.breakdown(cur, version, funnel.BreakdownSpec(DEFAULT_MODEL, Filters(), "region", top=3))
        drill = funnel.stage_customers(cur, version, funnel.DrillSpec(DEFAULT_MODEL, Filters(), "at_risk", limit=None))
    expected = reference.breakdown(prep, DEFAULT_MODEL, None, "region", top=3)
    assert {(v, r): n for v, r, n in zip(frame["value"], frame["role"], frame["customers"], strict=True)} == {
        (v, r): n for v, r, n in zip(expected["value"], expected["role"], expected["customers"], strict=True)
    }
    assert drill["customer_id"].tolist() == reference.stage_customers(prep, DEFAULT_MODEL, None, "at_risk", None)


def test_cohorts_and_sales_funnel_agree(sample, prep):
    store, version = sample
    with store.cursor() as cur:
        frame = funnel.cohorts(cur, version, funnel.CohortSpec(DEFAULT_MODEL, Filters(), "repeat"))
        steps = funnel.sales_funnel(cur, version, funnel.SalesSpec(Filters(), 30))
    expected = reference.cohorts(prep, DEFAULT_MODEL, None, "repeat")
    merged = frame.merge(expected, on=["cohort", "months"], suffixes=("", "_ref"), how="outer")
    assert len(merged) == len(frame) == len(expected)
    assert merged["share"].tolist() == pytest.approx(merged["share_ref"].tolist())
    assert tuple(steps["customers"]) == reference.sales_funnel(prep, 30)


def test_economics_agrees(sample, prep):
    store, version = sample
    spec = economics.EconomicsSpec(DEFAULT_MODEL, Filters(), 12)
    with store.cursor() as cur:
        frame = economics.stage_table(economics.window_economics(cur, version, spec), spec, version).set_index("role")
    expected = reference.economics(prep, DEFAULT_MODEL, date(2025, 1, 1), date(2025, 12, 31))
    assert frame["customers"].tolist() == expected["customers"].astype(int).tolist()
    shown = frame["customers"] > 0
    assert (frame.loc[shown, "spend_per_customer"] * frame.loc[shown, "customers"]).tolist() == pytest.approx(
        expected.loc[shown[shown].index, "spend"].tolist()
    )
    assert (frame.loc[shown, "direct_cost"] * frame.loc[shown, "customers"]).tolist() == pytest.approx(
        expected.loc[shown[shown].index, "cost"].tolist()
    )
