"""Real public data through the Defection view: telco churn by contract; Online Retail's own-baseline at-risk list.

The files go through the same ingest path as a user's upload (automatic mapping; the analyst picks Contract as
the telco segment) and are published as a dataset.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from dashboard import staged
from dashboard.metrics.defection import figures as f
from dashboard.metrics.defection import status as d
from dashboard.store import Store
from tests import defection_paths
from tests.ingest_helpers import run_upload

FIXTURES = Path(__file__).resolve().parent / "fixtures"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def telco(tmp_path_factory):
    folder = tmp_path_factory.mktemp("telco")
    store = Store(folder / "telco.duckdb")
    upload, _ = run_upload(store, folder, {"customers": [FIXTURES / "telco_customer_churn.csv"]})
    try:
        mapping = upload.mapping.tables["customers"]
        upload.set_mapping("customers", mapping.copy(columns={**mapping.columns, "segment": "Contract"}))
        assert upload.check().ok
        version = upload.publish("telco")
    finally:
        upload.close()
    yield store, version
    store.close()


def test_telco_churn_by_contract(telco):
    store, version = telco
    with store.cursor() as cur:
        available = d.availability(cur, version)
        definition = d.default_definition(available)
        assert definition.rules == ("contract",)  # no transactions, no complaints: the churned flag is the definition
        spec = d.DefectionSpec(definition=definition)
        rates = defection_paths.breakdown(cur, version, spec).set_index("value")
        kpis = defection_paths.kpis(cur, version, spec).set_index("key")["value"]
        fit = d.fit_summary(cur, version).iloc[0]
    # 1,869 of 7,043 churned; by contract 42.71 %, 11.27 %, 2.83 %
    assert kpis["defected"] == 1869 and round(kpis["defection_rate"] * 100, 2) == 26.54
    assert round(rates.loc["Month-to-month", "rate"] * 100, 2) == 42.71
    assert round(rates.loc["One year", "rate"] * 100, 2) == 11.27
    assert round(rates.loc["Two year", "rate"] * 100, 2) == 2.83
    assert rates.index.tolist() == ["Month-to-month", "Two year", "One year"]  # largest segment first
    assert fit["status"] == "no transactions"


@pytest.fixture(scope="module")
def retail(real_db_file):
    store = Store(real_db_file, read_only=True)  # the whole file published with the automatic mapping
    version = store.active_version("online_retail")
    # the raw lines again, for working out one customer's figures by hand
    raw = pd.read_parquet(FIXTURES / "online_retail.parquet")
    raw = raw[raw["CustomerID"].notna()]
    transactions = pd.DataFrame(
        {
            "customer_id": raw["CustomerID"].astype("int64").astype(str),  # 17850.0 -> "17850"
            "ts": raw["InvoiceDate"],
            "amount": raw["Quantity"] * raw["UnitPrice"],
        }
    )
    yield store, version, transactions
    store.close()


def test_online_retail_yields_an_at_risk_list_by_the_own_baseline_rule(retail):
    store, version, transactions = retail
    with store.cursor() as cur:
        available = d.availability(cur, version).set_index("key")["available"]
        definition = d.default_definition(d.availability(cur, version))
        assert definition.rules == ("lapse",)  # the staged definition; early warnings are the user's to add
        definition = replace(definition, drop=True)
        spec = d.DefectionSpec(definition=definition)
        follow = d.complaint_follow_up(cur, version, d.follow_up_spec(spec)).iloc[0]
        spec = d.DefectionSpec(definition=definition, complaint_chance=float(follow["chance_used"]))
        drops = d.at_risk_list(cur, version, d.ListSpec(spec, sort="drop", limit=None))
        fit = d.fit_summary(cur, version).iloc[0]
        customers = cur.execute(f"select count(*) from {version.table('df_customers')}").fetchall()[0][0]
    assert available["transactions"] and not available["contract"] and not available["complaints"]
    # 4,372 IDs have a transaction, but 38 never had a day whose amounts add up to more than zero (refunds only):
    # they never bought, so they are not customers (pandas over the raw lines: 4,334 IDs with a net-positive day)
    assert customers == 4334
    # a year of history shows BG/NBD no one dropping out (a/(a+b) ≈ 0): said so, and probability alive is not used
    assert fit["status"] == "no drop-out seen" and fit["as_of"] == pd.Timestamp("2011-12-09")
    assert "too short to tell who has left" in fit["problems"][0]
    assert definition.rules == ("lapse", "drop")
    dropped = drops[drops["rules"].str.contains("Own-baseline drop")]
    # staged definitions: defected = no purchase for 365 days (64 customers: last purchase day on or before 8 Dec 2010),
    # so those quiet for 90-365 days are still customers and the drop rule lists them too (was 112 with a 90-day lapse).
    # By hand (pandas over the raw lines: recent = purchase days after 9 Sep 2011, baseline = those before, over the
    # months since the first purchase, at least 3 months and 2 purchase days, recent/3 < 0.5 x baseline rate, not lapsed):
    # with each day's net amount in cents (a day of purchases and their refunds nets to 0, not a float remainder):
    # 629, 14776 among them, whose 32 lines of 18 Oct 2011 net to -1.2e-14 in floats and to $0.00 in cents, so 19 Oct
    # is their one purchase day of the recent 3 months (the pandas reference, rounding the same way, lists the same 629)
    assert len(dropped) == 629
    # the first customer in the list, worked out again from the raw lines: purchase days (net > 0) after 9 Sep 2011
    # (the recent 3 months) against the 12 months before, over the months since their first purchase
    customer = dropped.iloc[0]
    days = transactions[transactions["customer_id"] == customer["customer_id"]].assign(day=lambda t: t["ts"].dt.normalize())
    net = days.groupby("day")["amount"].sum()
    bought = net[net > 0].index
    as_of, recent_start = pd.Timestamp("2011-12-09"), pd.Timestamp("2011-09-09")
    recent = ((bought > recent_start) & (bought <= as_of)).sum()
    base = (bought <= recent_start).sum()
    months_seen = (recent_start - bought.min()).days / (365.25 / 12)
    assert customer["recent_rate"] == pytest.approx(recent / 3)
    assert customer["baseline_rate"] == pytest.approx(base / months_seen)
    assert recent / 3 < 0.5 * base / months_seen


def _page_spec(cur, version) -> tuple[d.DefectionSpec, object]:
    """The spec the page opens with: every rule the data support, the default 30 % margin, the years the data give."""
    definition = d.default_definition(d.availability(cur, version))
    lifetime = f.lifetime_from(d.timeline(cur, version, f.lifetime_spec(definition)))
    spec = d.DefectionSpec(definition=definition, valuation=d.Valuation(years=lifetime.years))
    follow = d.complaint_follow_up(cur, version, d.follow_up_spec(spec)).iloc[0]
    return replace(spec, complaint_chance=float(follow["chance_used"])), lifetime


def test_online_retail_revenue_at_risk_is_what_those_customers_could_still_spend(retail):
    store, version, transactions = retail
    with store.cursor() as cur:
        spec, lifetime = _page_spec(cur, version)
        summary = d.summary(cur, version, spec)
        at_risk = d.at_risk_list(cur, version, d.ListSpec(spec, limit=None))
        sql, params = d.scoped_sql(cur, version, spec)
        both = cur.execute(f"select count(*) from ({sql}) where status = 'at risk' and defected", params).fetchall()[0][0]
        lapse_days = staged.load(cur, version)[1].lapse_days
    # 64 customers lapsed (365 days without a purchase), each dated last purchase + 365 days, so none before 1 Dec 2011
    # (the first day of data + 365): the rate counts customer-time from then only, 34,166 customer-days to 9 Dec
    # (pandas: per customer from max(first purchase, 1 Dec 2011) to the lapse or 9 Dec). 64 / (34,166 / 365.25) = 68.4 %
    # a year, so 1 / 0.684 = 1.46 -> 1.5 expected years (counting the whole year of customer-time: 2.4 %, 10 years)
    assert lifetime.years == 1.5 and lifetime.from_data
    kpis = f.kpis_from(summary, spec).set_index("key")["value"]
    bound = f.risk_bound_from(summary).iloc[0]
    # staged: 64 lapsed (no purchase for 365 days), 1,384 at risk (no purchase for 90 days, not lapsed), by pandas over
    # the raw lines with the as-of day 9 Dec 2011 (were 1,448 and 112 with a 90-day lapse)
    assert both == 0 and kpis["defected"] == 64 and kpis["at_risk"] == 1384
    assert bound["revenue_at_risk"] <= bound["bound"]
    # a year of revenue (£8.1M, refunds netted) against £21.2M at risk once; now £1.12M for the 1,384 at risk, 13.8 %
    # of it, under its bound (£1.26M: P(leaving) x annual margin x 1.5 years, summed)
    revenue = float(transactions["amount"].sum())
    years = (transactions["ts"].max() - transactions["ts"].min()).days / 365.25
    assert kpis["revenue_at_risk"] < 0.15 * revenue / years
    # nobody on the "still customers, at risk" list has gone 90 days without a purchase
    # defected means more than the staged lapse window without a purchase: 365 days exactly is still a customer
    assert lapse_days == 365 and at_risk["days_since_purchase"].max() <= lapse_days
