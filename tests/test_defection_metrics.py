"""Defection figures on the tiny hand-made dataset (tests/tiny_defection.py), every answer worked out by hand.

As of 31 Dec 2024 (the last purchase, A's). Windows: recent = after 30 Sep 2024; baseline = the 12 months
before, after 30 Sep 2023. A month in the baseline is 365.25 / 12 = 30.4375 days. Lifetime value (simple, the default
30 % margin, the default 5 years at 10 %): annual spend × 0.3 × (1 − 1.1^−5) / 0.1 = annual spend × 0.3 × 3.7907868.
Lapsed customers have left: C (no purchase for 107 days) is defected, never at risk.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from dashboard import export
from dashboard.metrics.defection import figures as f
from dashboard.metrics.defection import status as d
from dashboard.metrics.scope import NOT_SET, Filters
from dashboard.sql import Sql
from dashboard.store import Store
from tests import defection_paths
from tests.tiny_defection import defection_tables, publish_tiny

ANNUITY = 0.3 * 3.7907868
# annual spend: a full year of spend up to the last purchase, or scaled up to a year from the days since joining
SPEND = {
    "A": 1200.0,  # 12 × 100 between 1 Jan and 31 Dec
    "B": 300 * 365 / 166,  # 6 × 50 over 1 Jan – 15 Jun (166 days) = 659.64
    "C": 1800 * 365 / 258,  # 9 × 200 over 1 Jan – 15 Sep (258 days) = 2,546.51
    "D": 1350 * 365 / 319,  # 9 × 150 over 1 Jan – 15 Nov (319 days) = 1,544.67
    "E": 560 * 365 / 187,  # 7 × 80 over 1 Jun – 5 Dec (187 days) = 1,093.05
    "F": 300 * 365 / 91,  # one purchase 9 days after joining: at least 91 days count = 1,203.30
    "G": 6000.0,  # 12 × 500, joined 2023
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Store, object]:
    store = Store(tmp_path_factory.mktemp("defection") / "tiny.duckdb")
    version = publish_tiny(store)
    yield store, version
    store.close()


@pytest.fixture
def cur(tiny):
    store, _ = tiny
    with store.cursor() as cursor:
        yield cursor


@pytest.fixture
def version(tiny):
    return tiny[1]


def spec_for(version, **definition) -> d.DefectionSpec:
    return d.DefectionSpec(
        definition=d.Definition(**{"alive": False, **definition}),
        stage_source=d.fallback_stage_source(version),
        behaviour_source=d.fallback_behaviour_source(version),
    )


def status(cur, version, spec) -> pd.DataFrame:
    sql, params = d.scoped_sql(cur, version, spec, groups=True)
    return cur.execute(f"select * from ({sql}) order by customer_id", params).df().set_index("customer_id")


# -- prepared tables -------------------------------------------------------------------------


def test_prepared_customers_hold_the_purchase_summary(cur, version):
    rows = cur.execute(f"select * from {version.table('df_customers')} order by customer_id").df().set_index("customer_id")
    assert list(rows.index) == ["A", "B", "C", "D", "E", "F", "G"]  # P, the prospect, is not a customer
    assert rows.loc["A", "purchase_days"] == 12 and rows.loc["F", "purchase_days"] == 1
    assert rows.loc["G", "start_date"] == pd.Timestamp("2023-06-01")  # joined before its first purchase
    assert rows.loc["D", "last_purchase"] == pd.Timestamp("2024-11-15")
    for customer, spend in SPEND.items():
        assert rows.loc[customer, "annual_spend"] == pytest.approx(spend), customer
    # mean spend of the purchases after the first: D 8 × 150 / 8; F has none
    assert rows.loc["D", "repeat_spend"] == 150.0 and pd.isna(rows.loc["F", "repeat_spend"])
    # purchases in the last 3 months (after 30 Sep): A Oct 15, Nov 15, Dec 31; D Nov 15; C none
    assert [list(rows.loc[c, "purchases_back"])[2] for c in "ACD"] == [3, 0, 1]
    # behaviours: A and G have autopay and e-billing, D autopay only
    assert rows["behaviours"].to_dict() == {"A": 2, "B": 0, "C": 0, "D": 1, "E": 0, "F": 0, "G": 2}


def test_too_little_data_gives_a_warning_not_a_fit(cur, version):
    fit = d.fit_summary(cur, version).iloc[0]
    assert fit["status"] == "not enough data"
    assert fit["as_of"] == pd.Timestamp("2024-12-31") and fit["history_start"] == pd.Timestamp("2024-01-01")
    # six customers bought more than once (all but F); 52 weeks of history is enough, 6 repeat buyers are not
    assert fit["repeat_buyers"] == 6 and fit["problems"] == [
        "only 6 customers bought more than once; the models need at least 100 repeat buyers"
    ]
    available = d.availability(cur, version).set_index("key")["available"]
    assert not available["bgnbd"] and available["complaints"] and available["stages"]
    # churn labels and purchases: both staged reasons for defecting count; the early warnings are the user's to add
    assert d.default_definition(d.availability(cur, version)) == d.Definition(drop=False, alive=False, complaint=False)


def test_complaints_are_prepared_with_resolution_and_repeats(cur, version):
    rows = cur.execute(f"select customer_id, resolution_days, unresolved, repeated from {version.table('df_complaints')}").df()
    # G's usage touchpoint is not a complaint; A's first complaint is repeated by the second, 10 days later (< 14)
    assert sorted(rows["customer_id"]) == ["A", "A", "E", "F", "G"]
    assert rows["repeated"].sum() == 1 and rows["unresolved"].sum() == 1  # A's first; E's
    assert rows.loc[rows["customer_id"] == "F", "resolution_days"].iloc[0] == pytest.approx(10.0)


# -- the rules ---------------------------------------------------------------------------------


def test_each_rule_fires_for_the_customers_worked_out_by_hand(cur, version):
    rows = status(cur, version, spec_for(version))
    fired = {c: [rule for rule, _ in d.RULES if rows.loc[c, f"fired_{rule}"]] for c in rows.index}
    assert fired == {
        "A": [],  # 3 purchases in 3 months (1.0/month) against 9 over 8.51 months (1.06/month): not below half
        "B": ["contract", "drop"],  # left 10 Jul (staged: by its churn date); none recently
        "C": ["lapse", "drop"],  # 107 days since 15 Sep > 90: defected by lapse; 0 recently against 1.06/month
        "D": ["drop"],  # 1 purchase in 3 months (0.33/month) < 50 % × 8 / 8.51 (0.94/month); 46 days: not at risk
        "E": ["complaint"],  # unresolved complaint on 1 Dec, within 90 days; 3 recent against 4 over 3.84 months
        "F": ["contract"],  # left 20 Mar; one baseline purchase is too few to judge a drop
        "G": [],
    }
    # a lapsed customer is not still a customer: C has left, and no one is both left and at risk
    assert rows["status"].to_dict() == {
        "A": "active",
        "B": "left",
        "C": "left",
        "D": "at risk",
        "E": "at risk",
        "F": "left",
        "G": "active",
    }
    assert not rows["fired_risk"].any()  # nobody 60 days without a purchase but not 90; no two recent complaints
    assert rows.loc["D", "recent_rate"] == pytest.approx(1 / 3)
    assert rows.loc["D", "baseline_rate"] == pytest.approx(8 / (259 / 30.4375))  # 15 Jan – 30 Sep = 259 days
    # defection dates: the churn date, or the last purchase + 90 days (C: 15 Sep + 90 = 14 Dec), the earlier
    assert rows["defect_date"].dropna().to_dict() == {
        "B": pd.Timestamp("2024-07-10"),
        "C": pd.Timestamp("2024-12-14"),
        "F": pd.Timestamp("2024-03-20"),
    }


def test_rule_parameters_move_the_verdicts(cur, version):
    # the lapse switched off: C, who defected by lapse only, is active again; B and F still left by their churn dates
    rows = status(cur, version, spec_for(version, lapse=False))
    assert rows.loc["C", "status"] == "at risk"  # still an own-baseline drop
    assert rows.loc[["B", "F"], "status"].tolist() == ["left", "left"]
    # a drop below 30 % of the baseline: D's 0.33 is above 0.3 × 0.94 = 0.28, so D is no longer flagged
    assert not status(cur, version, spec_for(version, drop_pct=30))["fired_drop"]["D"]
    # a 2-day complaint window misses E's complaint of 1 Dec
    assert not status(cur, version, spec_for(version, complaint_days=2))["fired_complaint"].any()
    # rules switched off fire for nobody
    rows = status(cur, version, spec_for(version, contract=False, lapse=False, drop=False, complaint=False))
    assert (rows["status"] == "active").all()


def test_definition_validates_stores_and_describes_itself():
    definition = d.Definition(complaint_days=60, drop_pct=40.0)
    assert d.Definition.from_setting(definition.to_setting()) == definition
    # an old saved definition with its own lapse days: the lapse window now lives in the staged definitions
    assert d.Definition.from_setting({"lapse_days": "45", "complaint_days": "30"}).complaint_days == 30
    assert d.Definition.from_setting({"recent_months": 30}) == d.Definition()  # 30 + 12 > 36 months: invalid
    assert d.Definition.from_setting(None, d.Definition(alive=False)) == d.Definition(alive=False)
    with pytest.raises(ValueError, match="730"):
        d.Definition(complaint_days=0).validate()
    assert "no purchase for longer than the dataset's lapse window" in definition.describe()
    assert "below 40 %" in definition.describe()
    none = d.Definition(False, False, drop=False, alive=False, complaint=False)
    assert none.describe() == "at risk as staged (see the definitions above)"
    assert d.Valuation.from_setting({"method": "nonsense"}) == d.Valuation()


# -- headline figures --------------------------------------------------------------------------


def test_headline_figures(cur, version):
    kpis = defection_paths.kpis(cur, version, spec_for(version)).set_index("key")["value"]
    assert kpis["defection_rate"] == pytest.approx(3 / 7)  # B, C, F of the 7 customers
    assert kpis["defected"] == 3 and kpis["at_risk"] == 2  # D, E (C has lapsed: defected, not at risk)
    # revenue at risk: D, E, each with P(defect) 1 (no BG/NBD fit; too few complainers to observe the rate)
    assert kpis["revenue_at_risk"] == pytest.approx((SPEND["D"] + SPEND["E"]) * ANNUITY, rel=1e-6)
    # value lost with B, C and F, who left
    assert kpis["value_lost"] == pytest.approx((SPEND["B"] + SPEND["C"] + SPEND["F"]) * ANNUITY, rel=1e-6)
    # lifetime value per current customer: A, D, E, G (C has lapsed)
    mean_spend = (SPEND["A"] + SPEND["D"] + SPEND["E"] + SPEND["G"]) / 4
    assert kpis["lifetime_value"] == pytest.approx(mean_spend * ANNUITY, rel=1e-6)
    ltv = f.lifetime_value(cur, version, spec_for(version)).iloc[0]
    assert ltv["customers"] == 4 and ltv["undiscounted"] == pytest.approx(mean_spend * 0.3 * 5)


def test_lifetime_value_of_a_segment_is_its_current_customers_mean_whatever_the_months(cur, version):
    business = replace(spec_for(version), filters=Filters(segments=("Business",), month_from=date(2024, 7, 1)))
    ltv = f.lifetime_value(cur, version, business).iloc[0]
    mean_spend = (SPEND["D"] + SPEND["G"]) / 2  # Business: C, D, G; C has lapsed
    assert ltv["customers"] == 2 and ltv["discounted"] == pytest.approx(mean_spend * ANNUITY, rel=1e-6)
    # read from the every-segment summary (cached for every segment and month); the same as the segment's own summary
    direct = f.lifetime_value_from(d.summary(cur, version, business), business.valuation).iloc[0]
    assert ltv["customers"] == direct["customers"] and ltv["discounted"] == pytest.approx(direct["discounted"], rel=1e-12)
    assert f.value_spec(business).filters == Filters(), "one summary serves every segment and period"


def test_lifetime_value_in_reads_a_blank_segment_as_not_set():
    summary = pd.DataFrame(
        {
            "segment": [None, "Business", None],
            "current": [True, True, False],
            **{"expected_n": [2, 1, 5], "expected_sum": [300.0, 900.0, 5000.0], "undiscounted_sum": [400.0, 1000.0, 6000.0]},
            **{"spend_sum": [200.0, 300.0, 700.0], "alive_sum": [0.0, 0.0, 0.0], "alive_n": [0, 0, 0]},
        }
    )
    row = f.lifetime_value_in(summary, d.Valuation(), (NOT_SET,)).iloc[0]
    assert row["customers"] == 2 and row["discounted"] == 150.0 and row["annual_spend"] == 100.0
    assert f.lifetime_value_in(summary, d.Valuation()).iloc[0]["discounted"] == 400.0  # (300 + 900) / 3


def test_the_months_filter_counts_defections_in_the_period(cur, version):
    # March to June 2024: all 7 were customers at some time then (F left on 20 Mar, inside the period)
    spec = replace(spec_for(version), filters=Filters(month_from=date(2024, 3, 1), month_to=date(2024, 6, 1)))
    kpis = defection_paths.kpis(cur, version, spec).set_index("key")["value"]
    assert kpis["defected"] == 1  # F on 20 Mar
    assert kpis["defection_rate"] == pytest.approx(1 / 7)
    # from July: F left before, so 6 customers; B (Jul) and C (Dec) defected
    spec = replace(spec_for(version), filters=Filters(month_from=date(2024, 7, 1)))
    kpis = defection_paths.kpis(cur, version, spec).set_index("key")["value"]
    assert kpis["defection_rate"] == pytest.approx(2 / 6)
    assert kpis["value_lost"] == pytest.approx((SPEND["B"] + SPEND["C"]) * ANNUITY, rel=1e-6)


def test_segment_filter(cur, version):
    spec = replace(spec_for(version), filters=Filters(segments=("Business",)))
    kpis = defection_paths.kpis(cur, version, spec).set_index("key")["value"]
    assert kpis["defection_rate"] == pytest.approx(1 / 3) and kpis["at_risk"] == 1  # C of C, D, G; at risk D


def test_monthly_rates(cur, version):
    monthly = defection_paths.rates_by_month(cur, version, spec_for(version)).set_index("month")
    # customers at the start of a month: joined by its end, not defected before it (G joined in 2023)
    # Jan: A B C D G = 5; Feb: + F = 6; Mar: 6, F leaves; Apr–May: 5; Jun: + E = 6; Jul: 6, B leaves; Aug–Dec: 5
    assert monthly["customers"].tolist() == [5, 6, 6, 5, 5, 6, 6, 5, 5, 5, 5, 5]
    assert monthly["defected"].tolist() == [0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1]
    assert monthly.loc[date(2024, 3, 1), "rate"] == pytest.approx(1 / 6)
    assert monthly.loc[date(2024, 12, 1), "rate"] == pytest.approx(1 / 5)


def test_breakdowns_by_segment_stage_and_behaviours(cur, version):
    rows = defection_paths.breakdown(cur, version, spec_for(version))
    by = {(r.dimension, r.value): r for r in rows.itertuples()}
    home, business = by[("segment", "Home")], by[("segment", "Business")]
    assert (home.customers, home.defected, home.at_risk, home.customers_now) == (4, 2, 1, 2)  # A B E F; B F; E; A E
    # C D G; C lapsed; D at risk; D and G are still customers
    assert (business.customers, business.defected, business.at_risk, business.customers_now) == (3, 1, 1, 2)
    assert business.at_risk_share == pytest.approx(1 / 2)
    assert home.value_lost == pytest.approx((SPEND["B"] + SPEND["F"]) * ANNUITY, rel=1e-6)
    assert business.revenue_at_risk == pytest.approx(SPEND["D"] * ANNUITY, rel=1e-6)
    # stages in relationship order; the two "defected" customers both left
    stages = rows[rows["dimension"] == "stage"]
    assert stages["value"].tolist() == ["first purchase", "repeat", "loyal", "advocate", "defected"]
    assert by[("stage", "defected")].rate == 1.0
    # behaviours: none (B C E F) 3 of 4 defected; one (D) 0 of 1; two (A G) 0 of 2
    behaviours = rows[rows["dimension"] == "behaviours"].set_index("value")
    assert behaviours["rate"].to_dict() == {"0": 0.75, "1": 0.0, "2": 0.0}


def test_an_injected_stage_source_replaces_the_fallback(cur, version):
    # what the Funnel view will inject: any per-customer (customer_id, stage) select with parameters
    stage = d.SubQuery(
        Sql(
            f"select customer_id, case when customer_id in (?, ?) then 'loyal' else 'repeat' end as stage "
            f"from {version.table('df_customers')}",
            ("A", "G"),
        )
    )
    spec = replace(spec_for(version), stage_source=stage)
    rows = defection_paths.breakdown(cur, version, spec)
    stages = rows[rows["dimension"] == "stage"].set_index("value")
    assert stages["customers"].to_dict() == {"repeat": 5, "loyal": 2}
    assert stages.loc["repeat", "defected"] == 3
    # without sources the stage and behaviour breakdowns are left out
    bare = defection_paths.breakdown(cur, version, replace(spec, stage_source=None, behaviour_source=None))
    assert set(bare["dimension"]) == {"segment"}


# -- why ----------------------------------------------------------------------------------------


def test_reasons_pareto(cur, version):
    reasons = defection_paths.reasons(cur, version, spec_for(version))
    # 1 each, by name; C lapsed without a reason
    assert reasons["reason"].tolist() == ["(no reason given)", "-Price rise", "Poor complaint handling"]
    assert reasons["cumulative_share"].tolist() == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert reasons["value_lost"].sum() == pytest.approx((SPEND["B"] + SPEND["C"] + SPEND["F"]) * ANNUITY, rel=1e-6)


def test_value_by_reason_separates_lost_from_at_risk(cur, version):
    rows = defection_paths.value_by_reason(cur, version, spec_for(version)).set_index(["kind", "reason"])["value"]
    assert rows[("lost", "Poor complaint handling")] == pytest.approx(SPEND["F"] * ANNUITY, rel=1e-6)
    # main reason of an at-risk customer: the complaint first, then no purchase, drop, low probability alive
    assert rows[("lost", "(no reason given)")] == pytest.approx(SPEND["C"] * ANNUITY, rel=1e-6)
    assert rows[("at risk", "Own-baseline drop")] == pytest.approx(SPEND["D"] * ANNUITY, rel=1e-6)
    assert rows[("at risk", "Badly handled complaint")] == pytest.approx(SPEND["E"] * ANNUITY, rel=1e-6)


def test_complaints_and_the_silent_multiplier(cur, version):
    row = defection_paths.complaints(cur, version, spec_for(version), 26).iloc[0]
    # 5 complaint touchpoints by A (2), E, F, G: 4 complainers × 26 = 104 silent, more than the 7 customers: silent
    # customers are customers, so at most the 7 - 4 = 3 who did not complain
    assert (row["complaints"], row["complainers"], row["silent"], row["capped"]) == (5, 4, 3.0, True)
    assert row["silent_uncapped"] == 104.0
    row = defection_paths.complaints(cur, version, spec_for(version), 0.5).iloc[0]
    assert row["silent"] == 2.0 and not row["capped"]


def test_defection_by_complaint_handling(cur, version):
    rows = defection_paths.defection_by_handling(cur, version, spec_for(version)).set_index("handling")
    # E unresolved (stayed), F slow (left), A repeated (stayed), G first contact (stayed); B C D never complained
    assert rows["customers"].tolist() == [1, 1, 1, 1, 3]
    assert rows["rate"].tolist() == [0.0, 1.0, 0.0, 0.0, pytest.approx(2 / 3)]


def test_complaint_follow_up_needs_enough_complainers(cur, version):
    follow = d.complaint_follow_up(cur, version, d.follow_up_spec(spec_for(version))).iloc[0]
    # no complaint is a year older than 31 Dec 2024, so nobody can be followed for a year: 100 % is assumed
    assert follow["complainers"] == 0 and follow["chance_used"] == 1.0
    assert "assumed lost" in follow["basis"]


# -- retention ----------------------------------------------------------------------------------


def test_retention_curve_by_kaplan_meier(cur, version):
    timeline = d.timeline(cur, version, spec_for(version))
    curve = f.retention_from(timeline, "year", min_observed=1)
    # 2024 cohort A B C D E F (G joined before the data): months to defection or to 31 Dec
    # F 1 (left), B 6 (left), E 6 (still here), C 11 (lapsed), A 11, D 11 (still here)
    # S = 1 until F's month; then 5/6; after month 6: 5/6 × (1 − 1/5) = 2/3
    assert curve["cohort"].unique().tolist() == ["2024"]
    assert curve["retained"].round(4).tolist() == [1, 1] + [0.8333] * 5 + [0.6667] * 5
    assert curve["observed"].tolist() == [6, 6] + [5] * 5 + [3] * 5
    assert f.retention_from(timeline, "year").empty  # fewer than 10 customers: too few to draw
    quarters = f.retention_from(timeline, "quarter", min_observed=1)
    assert quarters["cohort"].unique().tolist() == ["2024 Q1", "2024 Q2"]  # E joined in June
    implied = f.implied_years_from(timeline).iloc[0]
    assert implied["annual_rate"] == pytest.approx(3 / (timeline["exposure_days"].sum() / 365.25))


def test_early_warning_rules_leave_the_timeline_as_it_was(cur, version):
    """Only the dated rules (contract ended, lapse) date a defection: switching an early-warning rule or moving its
    parameters asks for the same timeline (the page reads it from the cache), and what the timeline reads of each
    customer (defected, its date, undated) is the same under either definition."""
    plain = spec_for(version, drop=False, complaint=False)
    warned = spec_for(version, drop=True, drop_pct=30, recent_months=2, alive=True, alive_pct=80, complaint=True, sla_days=1)
    assert d.timeline_spec(plain) == d.timeline_spec(warned)
    assert d.timeline_spec(plain) != d.timeline_spec(spec_for(version, lapse=False))
    read = ["defected", "defect_date", "undated", "start_date"]
    plain_rows, warned_rows = status(cur, version, plain), status(cur, version, warned)
    assert plain_rows[read].equals(warned_rows[read])
    assert (warned_rows["status"] == "at risk").sum() > (plain_rows["status"] == "at risk").sum()  # the rules did fire


# -- the at-risk list -----------------------------------------------------------------------------


def test_at_risk_list_sorted_and_complete(cur, version):
    rows = d.at_risk_list(cur, version, d.ListSpec(spec_for(version)))
    assert rows["customer_id"].tolist() == ["D", "E"]  # revenue at risk, highest first
    assert rows["rules"].tolist() == ["Own-baseline drop", "Badly handled complaint"]
    assert rows["matches"].tolist() == [2, 2]
    assert rows.loc[0, "days_since_purchase"] == 46  # 15 Nov to 31 Dec
    by_last = d.at_risk_list(cur, version, d.ListSpec(spec_for(version), sort="last_purchase"))
    assert by_last["customer_id"].tolist() == ["D", "E"]
    left = d.at_risk_list(cur, version, d.ListSpec(spec_for(version), show="left", sort="lifetime_value"))
    assert left["customer_id"].tolist() == ["C", "F", "B"]  # C's value (2,547/yr), F's (1,203/yr), B's (660/yr)
    everyone = d.at_risk_list(cur, version, d.ListSpec(spec_for(version), show="all", limit=2))
    assert len(everyone) == 2 and everyone["matches"].iloc[0] == 5
    with pytest.raises(ValueError):
        d.ListSpec(sort="nonsense").validate()


def test_the_list_exports_as_formula_safe_csv(cur, version):
    from dashboard.ui.views.defection import export_frame

    rows = d.at_risk_list(cur, version, d.ListSpec(spec_for(version), show="left", limit=None))
    text = export.csv_bytes(export_frame(rows)).decode("utf-8-sig")
    frame = pd.read_csv(io.StringIO(text))
    # B's churn reason "-Price rise" would run as a formula in a spreadsheet: it is written with an apostrophe
    assert frame.loc[frame["customer_id"] == "B", "churn_reason"].iloc[0] == "'-Price rise"
    assert "rules_fired" in frame.columns and "revenue_at_risk" in frame.columns


def test_bgnbd_valuation_is_empty_without_a_fit(cur, version):
    spec = replace(spec_for(version), valuation=d.Valuation(method="bgnbd"))
    kpis = defection_paths.kpis(cur, version, spec).set_index("key")
    assert not kpis.loc["lifetime_value", "available"] and pd.isna(kpis.loc["lifetime_value", "value"])


def test_no_transactions_no_purchase_rules(tmp_path: Path):
    tables = defection_tables()
    store = Store(tmp_path / "t.duckdb")
    version = store.publish("customers only", {"customers": tables["customers"]})
    with store.cursor() as cur:
        available = d.availability(cur, version).set_index("key")["available"]
        assert available["contract"] and not available["transactions"] and not available["complaints"]
        spec = d.DefectionSpec(definition=d.default_definition(d.availability(cur, version)))
        kpis = defection_paths.kpis(cur, version, spec).set_index("key")["value"]
        # all 8 rows are customers without transactions (P is a prospect by stage): B and F churned of 7
        assert kpis["defection_rate"] == pytest.approx(2 / 7)
        # dated leavers only: F in March, B in July; the months run from the first signup to the last churn date
        monthly = defection_paths.rates_by_month(cur, version, spec).set_index("month")
        assert monthly["defected"].sum() == 2 and monthly.loc[date(2024, 7, 1), "defected"] == 1
    store.close()


def test_complaint_handling_in_a_period_counts_that_periods_complaints(cur, version):
    # March to June: F's slow complaint (Mar), A's repeated one (Apr), G's quick one (May); E's (Dec) is outside
    spec = replace(spec_for(version), filters=Filters(month_from=date(2024, 3, 1), month_to=date(2024, 6, 1)))
    rows = defection_paths.defection_by_handling(cur, version, spec).set_index("handling")
    assert rows["customers"].to_dict() == {
        "Resolved slowly": 1,
        "Repeated contact": 1,
        "Resolved at first contact": 1,
        "No complaint": 4,
    }
    assert rows.loc["Resolved slowly", "rate"] == 1.0 and rows.loc["No complaint", "rate"] == 0.0  # F left 20 Mar


def test_complaint_handling_in_a_period_and_a_region_counts_only_that_regions_customers(cur, version):
    # North, March to June: A's repeated complaint (Apr) and G's quick one (May); C and E had none; F's slow one is
    # South's, so the complaints classed are only those of the customers in scope, and none of theirs is lost
    spec = replace(spec_for(version), filters=Filters(regions=("North",), month_from=date(2024, 3, 1), month_to=date(2024, 6, 1)))
    rows = defection_paths.defection_by_handling(cur, version, spec).set_index("handling")
    assert rows["customers"].to_dict() == {"Repeated contact": 1, "Resolved at first contact": 1, "No complaint": 2}
