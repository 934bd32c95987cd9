"""The staged definitions (dashboard/staged): the data profile, stg_customers and stg_contacts on tiny datasets whose
answers are worked out by hand, and re-staging with a changed definition."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from benchmarks.reference import staged as staged_reference
from dashboard import staged
from dashboard.metrics import overview
from dashboard.metrics.scope import Filters
from dashboard.staged.definitions import SETTING, Definitions
from dashboard.staged.profile import CONTACTS_ONLY, CONTRACT, LEADS_TO_DEALS, REPEAT_PURCHASE
from dashboard.store import Store
from tests.tiny import tiny_tables


def _rows(store: Store, version, table: str, key: str = "customer_id") -> pd.DataFrame:
    with store.cursor() as cur:
        frame = cur.execute(f"select * from {version.table(table)}").df()
    return frame.set_index(key) if key else frame


def _profile(store: Store, version) -> staged.DataProfile:
    with store.cursor() as cur:
        return staged.load_profile(cur, version)


def _reference_at_risk(tables: dict[str, pd.DataFrame]) -> dict[str, bool]:
    """At risk per customer by the pandas reference the AppTests use (benchmarks/reference/staged.py)."""
    frame, _ = staged_reference.customers(tables)
    return dict(zip(frame["customer_id"], staged_reference.at_risk(tables).astype(bool), strict=True))


def transactions_only() -> dict[str, pd.DataFrame]:
    """Five buyers' transactions, no customers table, no touchpoints; the last day of the data is 30 Jun 2024.

    X bought 1 Jan and 1 Jun 2023; Y on 1 Mar 2024; Z on 30 Jun 2024; W only got a refund; V bought and returned
    the same thing on one day (net 0: not a purchase).
    """
    rows = [
        ("X", "2023-01-01 10:00", 40.0),
        ("X", "2023-06-01 10:00", 60.0),
        ("Y", "2024-03-01 10:00", 25.0),
        ("Z", "2024-06-30 10:00", 10.0),
        ("W", "2024-01-01 10:00", -10.0),
        ("V", "2024-02-01 10:00", 50.0),
        ("V", "2024-02-01 11:00", -50.0),
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "ts", "amount"])
    frame["ts"] = pd.to_datetime(frame["ts"])
    return {"transactions": frame}


def contacts_only() -> dict[str, pd.DataFrame]:
    """Touchpoints only, with reasons and a resolved flag.

    K: bill (1 Jan 10:00, resolved), bill again 4 days later (resolved), outage (20 Jan, unresolved).
    L: bill (1 Jan), bill again 8 days later: not within 7 days. M: two bill contacts exactly 7 days apart.
    N: a company-started reminder about the bill, then a bill contact the next day: the reminder is not a contact.
    """
    rows = [
        ("K", "2024-01-01 10:00", "phone", "bill", True, "customer"),
        ("K", "2024-01-05 09:00", "phone", "bill", True, "customer"),
        ("K", "2024-01-20 10:00", "web", "outage", False, "customer"),
        ("L", "2024-01-01 10:00", "phone", "bill", True, "customer"),
        ("L", "2024-01-09 10:00", "email", "bill", True, "customer"),
        ("M", "2024-02-01 00:00", "phone", "bill", True, "customer"),
        ("M", "2024-02-08 00:00", "phone", "bill", True, "customer"),
        ("N", "2024-03-01 09:00", "email", "bill", True, "company"),
        ("N", "2024-03-02 09:00", "phone", "bill", True, "customer"),
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "ts", "channel", "reason", "resolved", "initiated_by"])
    frame["ts"] = pd.to_datetime(frame["ts"])
    return {"interactions": frame}


def test_tiny_contract_data_is_staged_by_hand(store):
    version = store.publish("tiny", tiny_tables())
    found = _profile(store, version)
    # churn flags and dates: contract data; the last day of the data is D's churn date, 30 Mar 2024
    assert found.kind == CONTRACT and found.churn_labels and found.has_purchases and found.as_of == date(2024, 3, 30)
    assert (found.people, found.buyers, found.repeat_buyers) == (5, 4, 3)  # A, B, C bought twice; D once; P never
    rows = _rows(store, version, "stg_customers")
    # A: 10 Jan (100) and 10 Feb (120) are purchases; the refund of 10 Mar (-20) is not, but counts in revenue
    assert rows.loc["A", ["purchases", "revenue"]].tolist() == [2, 200.0]
    assert rows.loc["A", "last_purchase"] == pd.Timestamp("2024-02-10")
    assert rows["is_prospect"].to_dict() == {"A": False, "B": False, "C": False, "D": False, "P": True}
    assert rows["defected"].to_dict() == {"A": False, "B": True, "C": False, "D": True, "P": False}
    assert rows.loc["B", "defected_since"] == pd.Timestamp("2024-02-10") and rows.loc["B", "defected_how"] == "churn date"
    # B made two complaints within 90 days, but has defected: never both defected and at risk; A's last purchase was
    # 49 days before 30 Mar, inside the 90 days
    assert rows["at_risk"].to_dict() == {"A": False, "B": False, "C": False, "D": False, "P": False}
    assert _reference_at_risk(tiny_tables()) == rows["at_risk"].to_dict()  # the pandas reference agrees


def test_transactions_only_defect_by_lapse_and_are_at_risk_by_recency(store):
    version = store.publish("shop", transactions_only())
    found = _profile(store, version)
    # no labels, purchases with one repeat buyer (X): repeat purchase; 2 of 5 never bought, under half
    assert found.kind == REPEAT_PURCHASE and not found.churn_labels and found.as_of == date(2024, 6, 30)
    assert (found.people, found.buyers, found.repeat_buyers) == (5, 3, 1)
    rows = _rows(store, version, "stg_customers")
    assert rows["is_prospect"].to_dict() == {"V": True, "W": True, "X": False, "Y": False, "Z": False}
    # X: last purchase 1 Jun 2023; 30 Jun 2024 is more than 365 days later (the lapse ended 31 May 2024)
    assert rows.loc["X", ["defected", "defected_how"]].tolist() == [True, "no purchase for 365 days"]
    assert rows.loc["X", "defected_since"] == pd.Timestamp("2024-05-31")
    assert not rows.loc["X", "at_risk"]  # a lapsed customer is not still a customer
    # Y: 1 Mar + 90 days = 30 May, before 30 Jun: at risk; Z bought on the last day
    assert rows.loc["Y", ["defected", "at_risk", "at_risk_why"]].tolist() == [False, True, "no purchase for 90 days"]
    assert rows.loc["Z", ["defected", "at_risk"]].tolist() == [False, False]
    assert _reference_at_risk(transactions_only()) == {"V": False, "W": False, "X": False, "Y": True, "Z": False}
    said = staged.describe(found, staged.definitions.defaults_for(found))
    assert said["defected"] == "Defected means: no purchase for more than 365 days before 2024-06-30."
    assert said["repeat"].startswith("No touchpoints in this data")


def test_contacts_only_data_knows_repeats_but_not_defection(store):
    version = store.publish("centre", contacts_only())
    found = _profile(store, version)
    assert found.kind == CONTACTS_ONLY and not found.tells_defection
    people = _rows(store, version, "stg_customers")
    # nobody can be told a prospect, defected or at risk: unknown, never a False that reads as "no"
    assert people[["is_prospect", "defected", "at_risk"]].isna().all().all()
    assert people["counts_as_customer"].all()
    contacts = _rows(store, version, "stg_contacts", key="").sort_values(["customer_id", "ts"])
    by_row = {(r.customer_id, r.ts.strftime("%m-%d")): r for r in contacts.itertuples()}
    assert bool(by_row[("K", "01-01")].repeat) and not bool(by_row[("K", "01-05")].repeat)  # 4 days: repeated
    assert not bool(by_row[("L", "01-01")].repeat)  # 8 days later is outside the 7-day window
    assert bool(by_row[("M", "02-01")].repeat)  # exactly 7 days later still repeats
    assert pd.isna(by_row[("N", "03-01")].repeat) and not bool(by_row[("N", "03-02")].repeat)  # a reminder is no contact
    # resolved at first contact: resolved and not repeated; K's outage was never resolved
    fcr = {key: r.resolved_at_first_contact for key, r in by_row.items()}
    assert [bool(fcr[k]) for k in (("K", "01-01"), ("K", "01-05"), ("K", "01-20"), ("L", "01-01"))] == [
        False,
        True,
        False,
        True,
    ]
    said = staged.describe(found, staged.definitions.defaults_for(found))
    assert said["defected"].startswith("Defection cannot be told from this data: map a churned or churn_date column")
    with store.cursor() as cur:
        kpis = overview.kpis(cur, version, Filters()).set_index("key")
    assert not kpis.loc["churn_rate", "available"] and pd.isna(kpis.loc["churn_rate", "value"])  # never a 0 for unknown


def test_a_lead_list_with_a_few_first_orders_is_leads_to_deals(store):
    leads = pd.DataFrame({"customer_id": [f"L{i}" for i in range(1, 6)], "signup_date": [date(2024, 1, i) for i in range(1, 6)]})
    deals = pd.DataFrame({"customer_id": ["L1"], "ts": pd.to_datetime(["2024-03-01"]), "amount": [5000.0]})
    version = store.publish("pipeline", {"customers": leads, "transactions": deals})
    found = _profile(store, version)
    assert found.kind == LEADS_TO_DEALS  # 4 of 5 never bought; no buyer bought twice
    assert staged.definitions.defaults_for(found) == Definitions(lapse_days=730, at_risk_days=365)
    rows = _rows(store, version, "stg_customers")
    assert rows["is_prospect"].sum() == 4 and not rows.loc["L1", "is_prospect"]


def test_changing_a_saved_definition_restages_every_prepared_table(store):
    version = store.publish("shop", transactions_only())
    with store.cursor() as cur:
        before = overview.kpis(cur, version, Filters()).set_index("key")["value"]
    assert before["churn_rate"] == pytest.approx(1 / 3)  # X of X, Y, Z
    # 100 days lapse, 30 at risk: Y (1 Mar + 100 days = 9 Jun) has now defected too
    assert staged.restage(store, "shop", Definitions(lapse_days=100, at_risk_days=30)) == [version.version_id]
    assert store.get_setting("shop", SETTING)["lapse_days"] == 100
    rows = _rows(store, version, "stg_customers")
    assert rows.loc["Y", ["defected", "defected_since"]].tolist() == [True, pd.Timestamp("2024-06-09")]
    with store.cursor() as cur:
        after = overview.kpis(cur, version, Filters()).set_index("key")["value"]
    assert after["churn_rate"] == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="longer to count as defected"):
        Definitions(lapse_days=30, at_risk_days=60).validate()


def test_a_new_version_is_staged_with_the_saved_definition(store):
    store.set_setting("shop", SETTING, {"lapse_days": 100, "at_risk_days": 30})
    version = store.publish("shop", transactions_only())
    assert _rows(store, version, "stg_customers").loc["Y", "defected"]
    assert staged.current(store, "shop") == Definitions(lapse_days=100, at_risk_days=30)


def test_profile_round_trips_through_json():
    found = staged.DataProfile(
        has_purchases=True, people=3, kind=REPEAT_PURCHASE, as_of=date(2024, 1, 31), first_day=date(2023, 12, 1)
    )
    assert staged.DataProfile.from_json(found.to_json()) == found


def _stages_now(store: Store, version) -> dict[str, str]:
    from dashboard.metrics.funnel import stage_sql, stages

    sql, params = stage_sql.customer_stage_sql(version, stages.DEFAULT_MODEL)
    with store.cursor() as cur:
        return dict(cur.execute(f"select * from ({sql})", params).fetchall())


def long_standing_buyers(churn_flags: bool) -> dict[str, pd.DataFrame]:
    """S and T joined in 2022, before the bills begin (10 Jan 2023); S bought once (1 Jun 2024), T twice (10 Jan 2023,
    10 Jun 2024, the last day); U joined 1 May 2024 and bought the next day; R never bought."""
    customers = pd.DataFrame(
        {
            "customer_id": ["R", "S", "T", "U"],
            "signup_date": [date(2022, 1, 1), date(2022, 1, 1), date(2022, 1, 1), date(2024, 5, 1)],
        }
    )
    if churn_flags:
        customers["churned"] = False
    bills = pd.DataFrame(
        {
            "customer_id": ["T", "S", "U", "T"],
            "ts": pd.to_datetime(["2023-01-10", "2024-06-01", "2024-05-02", "2024-06-10"]),
            "amount": [30.0, 30.0, 30.0, 30.0],
        }
    )
    return {"customers": customers, "transactions": bills}


def test_stage_rules_follow_the_kind_of_business(store):
    # purchase histories (no churn labels): a one-off buyer is no repeat customer however long ago they joined
    shop = store.publish("shop", long_standing_buyers(churn_flags=False))
    assert _profile(store, shop).kind == REPEAT_PURCHASE
    assert _stages_now(store, shop) == {"R": "prospect", "S": "first purchase", "T": "repeat", "U": "first purchase"}
    # a contract: two and a half years as a customer make S and T loyal (730 days of tenure), U is new
    contract = store.publish("utility", long_standing_buyers(churn_flags=True))
    assert _profile(store, contract).kind == CONTRACT
    assert _stages_now(store, contract) == {"R": "prospect", "S": "loyal", "T": "loyal", "U": "first purchase"}


def test_a_short_purchase_history_cannot_show_a_lapse(store):
    # two months of orders (10 Jan to 1 Mar 2025, 50 days) cannot show a year without a purchase: churn is unknown
    orders = pd.DataFrame(
        {
            "customer_id": ["W1", "W1", "W2"],
            "ts": pd.to_datetime(["2025-01-10", "2025-02-10", "2025-03-01"]),
            "amount": [120.0, 60.0, 240.0],
        }
    )
    version = store.publish("web", {"transactions": orders})
    found = _profile(store, version)
    assert found.purchase_span_days == 50 and not found.tells_defection
    rows = _rows(store, version, "stg_customers")
    assert rows["defected"].isna().all() and rows["at_risk"].isna().all()
    with store.cursor() as cur:
        kpis = overview.kpis(cur, version, Filters()).set_index("key")
        said = staged.sentences(cur, version)
    assert pd.isna(kpis.loc["churn_rate", "value"])  # "—", not 0.00 %
    assert said["defected"].startswith("Defection cannot be told yet: the purchases span 50 days, less than the 365 days")
