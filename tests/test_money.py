"""Money you can defend: the one margin per dataset, the expected lifetime from the data and the bound on revenue at
risk, with answers worked out by hand on the tiny defection dataset (tests/tiny_defection.py).

Tiny, as of 31 Dec 2024: customer-days observed from 1 Jan 2024 (or joining) to the defection or the as-of day are
A 365, B 191 (to 10 Jul), C 348 (lapsed 14 Dec), D 365, E 213 (from 1 Jun), F 48 (1 Feb to 20 Mar), G 365: 1,895
days = 5.188 customer-years with 3 dated defections, so 0.578 a year and 1 ÷ 0.578 = 1.73 expected years (1.7).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from dashboard.metrics import economics, money
from dashboard.metrics.defection import clv
from dashboard.metrics.defection import figures as f
from dashboard.metrics.defection import status as d
from dashboard.store import Store
from tests import defection_paths
from tests.tiny_defection import publish_tiny, shop_tables

SPEND_D, SPEND_E = 1350 * 365 / 319, 560 * 365 / 187  # annual spend of D and E (see test_defection_metrics)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("money") / "money.duckdb")
    publish_tiny(store)  # saved definitions: a 90-day lapse, so C lapsed on 14 Dec
    store.publish("shop", shop_tables())
    yield store
    store.close()


# -- one margin per dataset ------------------------------------------------------------------


def test_the_margin_is_one_saved_setting_with_a_stated_default(store):
    margin = money.load_margin(store, "tiny")
    assert (margin.share, margin.saved) == (0.30, False)
    assert margin.describe() == "30 % margin (default 30 %, not yet set for this dataset)"
    money.save_margin(store, "tiny", 0.42)
    assert money.load_margin(store, "tiny") == money.Margin(0.42, True)
    assert money.load_margin(store, "tiny").source() == "saved for this dataset"
    assert economics.load_gross_margin(store, "tiny") == 0.42  # the Funnel reads the same setting
    assert money.load_margin(store, "shop") == money.Margin()  # per dataset
    with pytest.raises(ValueError):
        money.save_margin(store, "tiny", 1.5)
    assert money.load_margin(store, "tiny").share == 0.42  # a refused value changes nothing
    money.reset_margin(store, "tiny")
    assert money.load_margin(store, "tiny") == money.Margin()


def test_a_margin_saved_by_the_funnel_before_it_was_shared_still_counts(store):
    store.set_setting("shop", "funnel.gross_margin", 0.25)
    assert money.load_margin(store, "shop") == money.Margin(0.25, True)
    store.set_setting("shop", "funnel.gross_margin", "nonsense")
    assert money.load_margin(store, "shop") == money.Margin()  # unreadable: the default, said so
    money.save_margin(store, "shop", 0.5)
    assert store.get_setting("shop", "funnel.gross_margin") is None and money.load_margin(store, "shop").share == 0.5
    money.reset_margin(store, "shop")


# -- expected lifetime from the data ----------------------------------------------------------


def test_expected_lifetime_is_one_over_the_annual_defection_rate_capped():
    assert money.expected_lifetime(0.5) == money.Lifetime(
        2.0, 2.0, 0.5, "measured: customers defect at 50.0 % a year, so 1 ÷ 0.500 = 2.0 years"
    )
    slow = money.expected_lifetime(0.04)  # 25 years measured: more than anyone can defend
    assert slow.years == 10.0 and slow.measured == 25.0 and slow.source.endswith("capped at 10")
    assert money.expected_lifetime(30.0).years == money.MIN_YEARS  # 0.03 years, kept above zero
    for nothing in (None, 0.0, float("nan")):
        unknown = money.expected_lifetime(nothing)
        assert unknown.years == 5.0 and not unknown.from_data
        assert unknown.source.startswith("assumption: 5 years, because the data show no dated defection")


def test_the_tiny_data_measure_1_7_years(store):
    version = store.active_version("tiny")
    with store.cursor() as cur:
        timeline = d.timeline(cur, version, f.lifetime_spec(d.Definition(alive=False)))
    assert timeline["exposure_days"].sum() == 1895 and timeline.loc[timeline["event"], "n"].sum() == 3
    lifetime = f.lifetime_from(timeline)
    assert lifetime.years == 1.7 and lifetime.measured == pytest.approx(1895 / 365.25 / 3)


def test_without_dated_defections_the_lifetime_is_the_stated_default(store):
    version = store.active_version("tiny")
    with store.cursor() as cur:  # only the complaint rule: nothing dates a defection
        timeline = d.timeline(cur, version, f.lifetime_spec(d.Definition(contract=False, lapse=False, alive=False)))
    assert f.lifetime_from(timeline).years == money.DEFAULT_YEARS


# -- at risk and defected, and the bound on revenue at risk ------------------------------------


def _spec(version, **valuation) -> d.DefectionSpec:
    return d.DefectionSpec(definition=d.Definition(alive=False), valuation=d.Valuation(**valuation))


def _statuses(cur, version, spec):
    sql, params = d.scoped_sql(cur, version, spec)
    return cur.execute(f"select * from ({sql}) order by customer_id", params).df().set_index("customer_id")


def test_revenue_at_risk_by_hand_and_within_its_bound(store):
    version = store.active_version("tiny")
    spec = _spec(version, years=1.7)  # the years the data measure, 30 % margin, 10 % discount
    with store.cursor() as cur:
        rows = _statuses(cur, version, spec)
        bound = f.risk_bound_from(d.summary(cur, version, spec)).iloc[0]
    # D (own-baseline drop) and E (unresolved complaint) are at risk, each certain to leave (no fit, too few
    # complainers followed for a year): 30 % × annual spend × (1 − 1.1^−1.7) / 0.1, where the annuity is 1.49582
    assert rows.index[rows["status"] == "at risk"].tolist() == ["D", "E"]
    assert clv.annuity_factor(1.7, 0.1) == pytest.approx(1.49582, abs=1e-5)
    assert bound["revenue_at_risk"] == pytest.approx((SPEND_D + SPEND_E) * 0.3 * 1.49582, rel=1e-5)  # 1,183.67
    # the bound: what they could still bring in, 30 % × annual spend × 1.7 years, undiscounted
    assert bound["bound"] == pytest.approx((SPEND_D + SPEND_E) * 0.3 * 1.7)  # 1,345.22
    assert bound["revenue_at_risk"] <= bound["bound"]
    # C, 107 days without a purchase, has left: never "still a customer, at risk", and carries no revenue at risk
    assert rows.loc["C", "status"] == "left" and rows.loc["C", "defected"]
    assert not ((rows["status"] == "at risk") & rows["defected"]).any()
    assert rows["revenue_at_risk"].isna().sum() == 5 and rows.loc[["D", "E"], "revenue_at_risk"].notna().all()


def test_probabilistic_revenue_at_risk_is_capped_by_the_bound(store):
    version = store.active_version("shop")
    with store.cursor() as cur:
        assert d.fit_summary(cur, version).iloc[0]["status"] == "fitted"
        spec = replace(_spec(version, method="bgnbd", horizon_years=10, discount_pct=0.0), definition=d.Definition())
        rows = _statuses(cur, version, spec)
    risk = rows[rows["status"] == "at risk"]
    assert len(risk) > 0 and not (risk["defected"]).any()
    # each customer: P(defect) × annual spend × 30 % × 10 years at most, whatever the model expects them to buy
    assert (risk["revenue_at_risk"] <= risk["risk_bound"] + 1e-9).all()
    assert risk["risk_bound"].to_numpy() == pytest.approx((risk["p_defect"] * risk["annual_spend"] * 0.3 * 10).to_numpy())
    uncapped = risk["p_defect"] * risk["value_if_retained"]
    assert risk["revenue_at_risk"].to_numpy() == pytest.approx(uncapped.clip(upper=risk["risk_bound"]).to_numpy())


def test_expected_years_above_the_cap_are_refused():
    with pytest.raises(ValueError, match="at most 10"):
        d.Valuation(years=12).validate()


def _dropping_shop() -> dict:
    """40 customers buying on the 15th of every month from January 2023 who bought once in October to December 2023
    (a drop, judged a year before the as-of day, 31 Dec 2024): L00–L09 never again (they lapse on 13 Feb 2024), K00–K29
    bought monthly through 2024 again, K28 and K29 stopping after August and buying once more on 15 Nov 2024."""
    import pandas as pd

    rows = []
    for i in range(40):
        customer = f"L{i:02d}" if i < 10 else f"K{i - 10:02d}"
        days = [f"2023-{m:02d}-15" for m in range(1, 10)] + ["2023-11-15"]
        if customer.startswith("K"):
            months = range(1, 9) if customer in ("K28", "K29") else range(1, 13)
            days += [f"2024-{m:02d}-15" for m in months] + (["2024-11-15"] if customer in ("K28", "K29") else [])
        rows += [(customer, pd.Timestamp(day) + pd.Timedelta(hours=9), 100.0) for day in days]
    rows.append(("K00", pd.Timestamp("2024-12-31 09:00"), 100.0))  # the last day in the data
    transactions = pd.DataFrame(rows, columns=["customer_id", "ts", "amount"])
    customers = pd.DataFrame({"customer_id": sorted(transactions["customer_id"].unique())})
    return {"customers": customers, "transactions": transactions}


def test_a_drop_without_a_fit_counts_the_share_that_left_after_a_drop_a_year_earlier(tmp_path):
    store = Store(tmp_path / "drop.duckdb")
    version = store.publish("drop", _dropping_shop())
    spec = d.DefectionSpec(definition=d.Definition(alive=False, complaint=False), valuation=d.Valuation(years=1.0))
    with store.cursor() as cur:
        assert d.fit_summary(cur, version).iloc[0]["status"] == "not enough data"  # 40 repeat buyers: no BG/NBD
        follow = d.drop_follow_up(cur, version, d.drop_follow_up_spec(spec)).iloc[0]
        rows = _statuses(cur, version, spec)
    # as of 31 Dec 2023: 1 purchase in Oct–Dec against 9 over 15 Jan – 30 Sep (8.48 months): below half for all 40;
    # 10 of them (L00–L09) lapsed within the year (15 Nov 2023 + 90 days = 13 Feb 2024)
    assert (follow["flagged"], follow["left_within_year"], follow["chance_used"]) == (40, 10, 0.25)
    assert "10 of 40 customers whose purchases had dropped a year ago left" in follow["basis"]
    # now: K28 and K29 dropped (1 purchase in Oct–Dec 2024 against 8 + 1 before) and are 25 % likely to leave, not 100 %
    risk = rows[rows["status"] == "at risk"]
    assert risk.index.tolist() == ["K28", "K29"] and (risk["p_defect"] == 0.25).all()
    assert (rows.loc[[f"L{i:02d}" for i in range(10)], "status"] == "left").all()
    store.close()


def test_the_drop_chance_agrees_with_the_pandas_reference(tmp_path):
    from benchmarks.reference import defection as reference

    tables = _dropping_shop()
    tables["customers"] = tables["customers"].assign(segment="Shop", region="North", churned=False, churn_date=None)
    store = Store(tmp_path / "drop.duckdb")
    version = store.publish("drop", tables)
    spec = d.DefectionSpec(definition=d.Definition(alive=False, complaint=False))
    with store.cursor() as cur:
        chance = d.drop_follow_up(cur, version, d.drop_follow_up_spec(spec)).iloc[0]["chance_used"]
    store.close()
    assert chance == reference.drop_chance(tables, spec) == 0.25


def test_at_risk_is_unknown_not_zero_where_the_data_cannot_tell_who_left():
    """Two weeks of purchases cannot show a lapse: with only the default rules on, at risk and revenue at risk are
    unknown (shown as "—"), never 0; switching on an early-warning rule makes them judged again."""
    summary = pd.DataFrame(
        {
            "n": [3], "in_period": [True], "defected_in_period": [False], "current": [True], "expected_n": [3],
            "expected_sum": [300.0], "status": ["active"], "revenue_at_risk": [0.0], "value_sum": [0.0],
        }
    )  # fmt: skip
    spec = d.DefectionSpec(definition=d.Definition(drop=False, alive=False, complaint=False))
    unknown = f.kpis_from(summary, spec, tells_defection=False).set_index("key")
    assert pd.isna(unknown.loc["at_risk", "value"]) and not unknown.loc["at_risk", "available"]
    assert pd.isna(unknown.loc["revenue_at_risk", "value"]) and pd.isna(unknown.loc["defected", "value"])
    judged = f.kpis_from(summary, replace(spec, definition=d.Definition(drop=True)), tells_defection=False).set_index("key")
    assert judged.loc["at_risk", "value"] == 0 and judged.loc["revenue_at_risk", "value"] == 0


def test_a_customer_whose_refunds_outweigh_their_purchases_has_nothing_at_risk(tmp_path):
    """Refunded $20, bought $9.50 the next day, then complained and was never answered: at risk, but with a net spend
    of −$10.50 there is no revenue to lose; the figure is $0, not a negative amount (seen: −$63.17)."""
    customers = pd.DataFrame(
        {"customer_id": ["C0"], "segment": ["Home"], "region": ["North"], "signup_date": [pd.Timestamp("2024-01-01")],
         "churned": [False], "churn_date": [None]}
    )  # fmt: skip
    transactions = pd.DataFrame(
        {"customer_id": ["C0", "C0"], "ts": pd.to_datetime(["2024-01-01", "2024-01-02"]), "amount": [-20.0, 9.5]}
    )
    interactions = pd.DataFrame(
        {"customer_id": ["C0"], "ts": pd.to_datetime(["2024-04-02"]), "channel": ["phone"], "stage": ["complaint"],
         "resolved": [False]}
    )  # fmt: skip
    store = Store(tmp_path / "refunds.duckdb")
    version = store.publish("refunds", {"customers": customers, "transactions": transactions, "interactions": interactions})
    spec = d.DefectionSpec(definition=d.Definition(lapse=False, alive=False), valuation=d.Valuation(method="simple"))
    with store.cursor() as cur:
        rows = _statuses(cur, version, spec)
        kpis = defection_paths.kpis(cur, version, spec).set_index("key")
    store.close()
    assert rows.loc["C0", "status"] == "at risk" and rows.loc["C0", "annual_spend"] < 0
    assert rows.loc["C0", "revenue_at_risk"] == 0 and rows.loc["C0", "risk_bound"] == 0
    assert kpis.loc["revenue_at_risk", "value"] == 0
