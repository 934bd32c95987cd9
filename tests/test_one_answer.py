"""One answer per figure, whichever page reads it: the as-of day, at risk and defected with a stage column, money sums
that cancel out, the Funnel's cohorts beside its funnel, and Defection's breakdowns where the data cannot tell who left.
Every dataset is tiny and its answer worked out by hand in its docstring."""

from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard import staged
from dashboard.metrics.defection import figures as defection_figures
from dashboard.metrics.defection import status as defection
from dashboard.metrics.funnel import counts as funnel
from dashboard.metrics.funnel import stages
from dashboard.metrics.scope import Filters
from dashboard.store import Store
from tests import defection_paths


def _defection_spec(cur, version) -> defection.DefectionSpec:
    return defection.DefectionSpec(definition=defection.default_definition(defection.availability(cur, version)))


def with_a_late_touchpoint() -> dict[str, pd.DataFrame]:
    """A buys on 1 Jan 2023 and 1 Jan 2024 (the last transaction); B calls on 31 Mar 2024, the last day of any data.

    The staged as-of day is 31 Mar 2024 (the last day of any data): every page assesses status on it.
    """
    tx = pd.DataFrame({"customer_id": ["A", "A"], "ts": pd.to_datetime(["2023-01-01", "2024-01-01"]), "amount": [20.0, 20.0]})
    ix = pd.DataFrame({"customer_id": ["B"], "ts": pd.to_datetime(["2024-03-31 10:00"]), "channel": ["phone"]})
    return {"transactions": tx, "interactions": ix}


def test_every_page_assesses_status_on_the_staged_as_of_day(store: Store):
    version = store.publish("late", with_a_late_touchpoint())
    with store.cursor() as cur:
        as_of = staged.load_profile(cur, version).as_of
        assert as_of == date(2024, 3, 31)
        # Defection used the last transaction (1 Jan 2024) and so said A had bought 0 days before "now"
        assert defection.as_of_day(cur, version) == as_of
        assert defection.fit_summary(cur, version).iloc[0]["as_of"] == pd.Timestamp(as_of)
        assert stages.span(cur, version).data_end == as_of


def stage_column_data() -> dict[str, pd.DataFrame]:
    """Five customers with a stage column and monthly purchases from Jan to Jun 2024 (too short to tell a lapse).

    S1 "loyal", S2 "Lapsing" (a synonym of at risk), S3 "churned" (a synonym of defected), S4 "repeat", S5 "at risk".
    The column says who left: defected = {S3}; at risk = {S2, S5}; five customers, churn 1/5.
    """
    labels = {"S1": "loyal", "S2": "Lapsing", "S3": "churned", "S4": "repeat", "S5": "at risk"}
    customers = pd.DataFrame({"customer_id": list(labels), "stage": list(labels.values())})
    rows = [(c, pd.Timestamp(2024, m, 5), 30.0) for c in labels for m in range(1, 7)]
    tx = pd.DataFrame(rows, columns=["customer_id", "ts", "amount"])
    return {"customers": customers, "transactions": tx}


def test_with_a_stage_column_funnel_and_defection_count_the_same_customers(store: Store):
    version = store.publish("staged", stage_column_data())
    model = stages.load_model(store, "staged")
    with store.cursor() as cur:
        assert staged.load_profile(cur, version).tells_defection  # the column says who left
        rows = cur.execute(
            f"select customer_id, defected, at_risk, defected_how from {version.table('stg_customers')} order by 1"
        ).fetchall()
        counts = funnel.stage_counts(cur, version, funnel.StageSpec(model, Filters())).set_index("role")["customers"]
        tiles = defection_paths.kpis(cur, version, _defection_spec(cur, version)).set_index("key")["value"]
    assert [r[0] for r in rows if r[1]] == ["S3"] and rows[2][3] == "stage column"
    assert [r[0] for r in rows if r[2]] == ["S2", "S5"]
    assert (counts["defected"], counts["at_risk"]) == (1, 2)
    assert (tiles["defected"], tiles["at_risk"], tiles["defection_rate"]) == (1, 2, 1 / 5)


def test_the_funnel_shows_no_at_risk_where_the_data_cannot_tell_it(store: Store):
    """Two buyers over three months (a 365-day lapse cannot be seen): staged at risk is unknown; the Funnel used to put
    Q (no purchase from 1 Jan to 1 Apr: 91 days, over its own 90-day rule) at risk anyway. Now no page counts anyone at
    risk or defected, and both buyers sit on the ladder."""
    rows = [("P", "2024-01-01", 10.0), ("P", "2024-04-01", 10.0), ("Q", "2024-01-01", 10.0)]
    tx = pd.DataFrame(rows, columns=["customer_id", "ts", "amount"]).assign(ts=lambda f: pd.to_datetime(f["ts"]))
    version = store.publish("short", {"transactions": tx})
    model = stages.load_model(store, "short")
    with store.cursor() as cur:
        assert not staged.load_profile(cur, version).tells_defection
        counts = funnel.stage_counts(cur, version, funnel.StageSpec(model, Filters())).set_index("role")["customers"]
    assert (counts["at_risk"], counts["defected"]) == (0, 0)
    assert counts.drop(["prospect", "at_risk", "defected"]).sum() == 2


def test_a_day_whose_amounts_cancel_out_is_not_a_purchase(store: Store):
    """R buys 0.1 and 0.2 and returns 0.3 on one day: 0.1 + 0.2 − 0.3 is 5.6e-17 in floating point, which read as a
    purchase; rounded to cents it is 0, so R never bought (a prospect), and T's 9.5 − 9.5 likewise. U bought 0.01."""
    rows = [
        ("R", "2024-01-05 10:00", 0.1),
        ("R", "2024-01-05 11:00", 0.2),
        ("R", "2024-01-05 12:00", -0.3),
        ("T", "2024-01-06 10:00", 9.5),
        ("T", "2024-01-06 11:00", -9.5),
        ("U", "2024-01-07 10:00", 0.01),
    ]
    tx = pd.DataFrame(rows, columns=["customer_id", "ts", "amount"]).assign(ts=lambda f: pd.to_datetime(f["ts"]))
    assert 0.1 + 0.2 - 0.3 > 0  # the float remainder the rounding removes
    version = store.publish("cents", {"transactions": tx})
    with store.cursor() as cur:
        found = dict(cur.execute(f"select customer_id, purchases from {version.table('stg_customers')} order by 1").fetchall())
        reached = dict(cur.execute(f"select customer_id, n_purchases from {version.table('fn_customers')} order by 1").fetchall())
        buyers = cur.execute(f"select count(*) filter (where purchase_days > 0) from {version.table('df_customers')}").fetchall()[
            0
        ][0]
    assert found == {"R": 0, "T": 0, "U": 1}
    assert reached == {"R": 0, "T": 0, "U": 1}
    assert buyers == 1


def test_cohorts_never_contradict_a_funnel_read_from_the_stage_column(store: Store):
    """Four leads who signed up in Feb 2024 (touchpoints run Jan to Jun) and no purchases; the stage column says one is
    a first purchase and three are prospects: the funnel says 1 of 4 (25 %) reached first purchase. The rules would date
    every signup as a first purchase (100 %), so cohorts say they cannot be followed rather than contradict it."""
    customers = pd.DataFrame(
        {
            "customer_id": ["L1", "L2", "L3", "L4"],
            "signup_date": pd.to_datetime(["2024-02-01", "2024-02-10", "2024-02-15", "2024-02-20"]),
            "stage": ["first purchase", "prospect", "prospect", "lead"],
        }
    )
    ix = pd.DataFrame(
        {
            "customer_id": ["L1", "L2"],
            "ts": pd.to_datetime(["2024-01-03 09:00", "2024-06-28 09:00"]),
            "channel": ["web", "phone"],
        }
    )
    version = store.publish("leads", {"customers": customers, "interactions": ix})
    model = stages.load_model(store, "leads")
    with store.cursor() as cur:
        counts = funnel.stage_counts(cur, version, funnel.StageSpec(model, Filters())).set_index("role")
        by_column = funnel.cohorts(cur, version, funnel.CohortSpec(model, Filters()))
        by_rules = funnel.cohorts(cur, version, funnel.CohortSpec(stages.replace(model, source="rules"), Filters()))
    assert counts.loc["first_purchase", "of_first"] == 1 / 4
    assert by_column.empty
    # with the rules as the source, the funnel and the cohorts read the same reach dates
    assert by_rules.groupby("cohort")["share"].last().tolist() == [1.0]


def test_defection_breakdowns_say_who_left_cannot_be_told_instead_of_zero(store: Store):
    """Three months of purchases with a segment: a 365-day lapse cannot be seen, so who left is unknown. The breakdown,
    complaint handling, value lost and retention have no rows (the page says so in one line) instead of 0 % defected."""
    customers = pd.DataFrame({"customer_id": ["A", "B"], "segment": ["Home", "Business"]})
    rows = [(c, pd.Timestamp(2024, m, 1), 50.0) for c in ("A", "B") for m in (1, 2, 3)]
    tx = pd.DataFrame(rows, columns=["customer_id", "ts", "amount"])
    version = store.publish("short", {"customers": customers, "transactions": tx})
    with store.cursor() as cur:
        spec = _defection_spec(cur, version)
        assert not staged.load_profile(cur, version).tells_defection
        summary = defection.summary(cur, version, spec)
        groups = defection_paths.breakdown(cur, version, spec)
        lost = defection_paths.value_by_reason(cur, version, spec)
        handling = defection_paths.defection_by_handling(cur, version, spec)
    # the same frames where the data tells who left carry the 0 % rows the page used to show
    assert (defection_figures.breakdown_from(summary, spec)["rate"] == 0).all()
    assert groups.empty and handling.empty and (lost["kind"] != "lost").all()
