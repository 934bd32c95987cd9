"""Funnel metrics on the hand-made dataset (tests/funnel_tiny.py): every answer worked out by hand in the comments."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pandas as pd
import pytest

from dashboard import export
from dashboard.metrics import economics
from dashboard.metrics.funnel import counts as funnel
from dashboard.metrics.funnel import movement, stage_sql, stages
from dashboard.metrics.funnel.stages import DEFAULT_MODEL, StageModel, StageRules
from dashboard.metrics.scope import Filters
from dashboard.store import Store
from tests.funnel_tiny import DEC, JAN, funnel_tables


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("fn") / "fn.duckdb")
    version = store.publish("fn", funnel_tables())
    yield store, version
    store.close()


def _stages_on(tiny, day, model: StageModel = DEFAULT_MODEL) -> dict[str, str]:
    store, version = tiny
    sql, params = stage_sql.customer_stage_sql(version, model, day)
    with store.cursor() as cur:
        return dict(cur.execute(f"select customer_id, stage from ({sql}) order by 1", params).fetchall())


def _run(tiny, fn, spec):
    store, version = tiny
    with store.cursor() as cur:
        return fn(cur, version, spec)


def _stage_economics(tiny, spec):
    """The Funnel page's economics table, worked as the page works it (ui/views/funnel.py render_economics)."""
    return economics.stage_table(_run(tiny, economics.window_economics, spec), spec, tiny[1])


def _five_checks(tiny, spec):
    """The Funnel page's five checks, worked as the page works them (ui/views/funnel.py render_checks)."""
    return economics.checks_table(_run(tiny, economics.window_economics, spec), tiny[1])


def test_stages_at_the_end_of_january(tiny):
    # P, N, Q and M had not signed up yet. U and G have one purchase and are newer than 90 days; X signed up in
    # June 2023 (before the transactions begin), so by tenure (over 90 days) is repeat; D and C are customers for
    # years (loyal by tenure); A is loyal and has referred two customers: advocate.
    assert _stages_on(tiny, JAN) == {
        "A": "advocate",
        "C": "loyal",
        "D": "loyal",
        "G": "first purchase",
        "U": "first purchase",
        "X": "repeat",
    }


def test_stages_at_the_end_of_may_inside_a_purchase_gap(tiny):
    # G bought on Jan 5 and next on Jun 20: on May 31 that is 147 days without a purchase (> 90): at risk, read from
    # the gap between two purchases, not from the last purchase of all. U has five purchases (repeat). X leaves on
    # Jun 15, so is still repeat. P signed up in March without buying: prospect.
    assert _stages_on(tiny, date(2024, 5, 31)) == {
        "A": "advocate",
        "C": "loyal",
        "D": "loyal",
        "G": "at risk",
        "P": "prospect",
        "U": "repeat",
        "X": "repeat",
    }


def test_stages_at_the_end_of_the_data(tiny):
    # U: 12 purchases by Dec 1: loyal (up two stages from first purchase). D: last purchase Aug 10, 143 days: at risk.
    # X: churned on Jun 15: defected. C: two complaints in December: at risk. N: two purchases: repeat.
    # M: one purchase on Aug 5, 148 days ago: at risk (repeat by tenure, but at risk comes first). P, Q: prospects.
    expected = {
        "A": "advocate",
        "C": "at risk",
        "D": "at risk",
        "G": "repeat",
        "M": "at risk",
        "N": "repeat",
        "P": "prospect",
        "Q": "prospect",
        "U": "loyal",
        "X": "defected",
    }
    assert _stages_on(tiny, DEC) == expected
    assert _stages_on(tiny, None) == expected  # the last day of the data is Dec 31 (U's web visit)
    assert _stages_on(tiny, date(2030, 1, 1)) == expected  # dates after the data are read as its last day


def test_stage_counts_and_conversion(tiny):
    counts = _run(tiny, funnel.stage_counts, funnel.StageSpec(DEFAULT_MODEL)).set_index("role")
    assert counts["customers"].to_dict() == {
        "prospect": 2,
        "first_purchase": 0,
        "repeat": 2,
        "loyal": 1,
        "advocate": 1,
        "at_risk": 3,
        "defected": 1,
    }
    # Reached by Dec 31: everyone was a prospect (10); 8 have bought; the same 8 reached repeat (M by tenure on
    # Nov 3, X by tenure in 2023); loyal: U (12th purchase), D, A, C (tenure); advocate: A.
    assert counts.loc[["prospect", "first_purchase", "repeat", "loyal", "advocate"], "reached"].tolist() == [10, 8, 8, 4, 1]
    assert counts.loc["loyal", "of_first"] == pytest.approx(0.4)
    assert counts.loc["loyal", "of_previous"] == pytest.approx(0.5)
    assert counts.loc["advocate", "of_previous"] == pytest.approx(0.25)
    assert counts.loc["repeat", "of_previous"] == pytest.approx(1.0)
    assert counts.loc["at_risk", "share"] == pytest.approx(0.3)
    assert pd.isna(counts.loc["at_risk", "reached"])


def test_filters_and_months_narrow_the_counts(tiny):
    # Business customers (X, A, C, M) at the end of January 2024: X repeat, A advocate, C loyal; M not yet known.
    spec = funnel.StageSpec(DEFAULT_MODEL, Filters(segments=("Business",), month_to=date(2024, 1, 1)))
    counts = _run(tiny, funnel.stage_counts, spec).set_index("role")
    assert counts.attrs["known"] == 3
    assert counts["customers"][counts["customers"] > 0].to_dict() == {"repeat": 1, "loyal": 1, "advocate": 1}


def test_transition_matrix_between_january_and_december(tiny):
    matrix = _run(tiny, movement.transition_matrix, movement.MoveSpec(DEFAULT_MODEL, Filters(), JAN, DEC))
    cells = {(r.from_stage, r.to_stage): (r.customers, r.direction) for r in matrix.itertuples()}
    assert cells == {
        ("first purchase", "loyal"): (1, "moved up"),  # U: up two stages
        ("first purchase", "repeat"): (1, "moved up"),  # G
        ("repeat", "defected"): (1, "moved down"),  # X
        ("loyal", "at risk"): (2, "moved down"),  # D, C
        ("advocate", "advocate"): (1, "stayed"),  # A
        ("not yet known", "prospect"): (2, "new"),  # P, Q
        ("not yet known", "repeat"): (1, "new"),  # N
        ("not yet known", "at risk"): (1, "new"),  # M
    }
    summary = movement.movement_summary(matrix).set_index("role")
    assert summary.loc["first_purchase", ["customers", "moved up", "stayed", "moved down"]].tolist() == [2, 2, 0, 0]
    assert summary.loc["loyal", "down_share"] == pytest.approx(1.0)
    assert summary.loc["advocate", "same_share"] == pytest.approx(1.0)
    assert matrix.attrs["day_from"] == JAN and matrix.attrs["day_to"] == DEC


def test_cell_and_stage_drill_downs(tiny):
    move = movement.MoveSpec(DEFAULT_MODEL, Filters(), JAN, DEC)
    cell = _run(tiny, movement.cell_customers, movement.CellSpec(move, "loyal", "at_risk"))
    assert cell["customer_id"].tolist() == ["C", "D"]
    assert cell["stage_before"].tolist() == ["loyal", "loyal"] and cell["stage_after"].tolist() == ["at risk", "at risk"]
    new = _run(tiny, movement.cell_customers, movement.CellSpec(move, "new", "prospect"))
    assert new["customer_id"].tolist() == ["P", "Q"]
    at_risk = _run(tiny, funnel.stage_customers, funnel.DrillSpec(DEFAULT_MODEL, Filters(), "at_risk"))
    # purchases by Dec 31 and days since the last one: C 12 (Dec 20: 11 days), D 8 (Aug 10: 143), M 1 (Aug 5: 148)
    assert at_risk[["customer_id", "purchases", "days_since_purchase"]].values.tolist() == [
        ["C", 12, 11],
        ["D", 8, 143],
        ["M", 1, 148],
    ]
    first = _run(tiny, funnel.stage_customers, funnel.DrillSpec(DEFAULT_MODEL, Filters(), "at_risk", limit=1))
    assert first["customer_id"].tolist() == ["C"]


def test_time_in_stage(tiny):
    frame = _run(tiny, movement.time_in_stage, movement.TimeSpec(DEFAULT_MODEL)).set_index("role")
    # prospect: G 3 days (Jan 2 to Jan 5), M 4 (Aug 1 to 5), N 5 (Nov 15 to 20); U signed up and bought the same day.
    assert frame.loc["prospect", ["median_days", "spells"]].tolist() == [4, 3]
    # first purchase to repeat: N 30 (Nov 20 to Dec 20), U 31 (Jan 1 to Feb 1), G 90 and M 90 (by tenure)
    assert frame.loc["first_purchase", ["median_days", "spells"]].tolist() == [60.5, 4]
    # repeat to loyal: U, Feb 1 to Dec 1 = 304 days; the others reached repeat before the data began
    assert frame.loc["repeat", ["median_days", "spells"]].tolist() == [304, 1]
    # at risk: G from Apr 5 (91 days after Jan 5) until buying again on Jun 20 = 76 days; D, C and M are still at risk
    assert frame.loc["at_risk", ["median_days", "spells"]].tolist() == [76, 1]
    assert frame.loc["loyal", "spells"] == 0 and pd.isna(frame.loc["loyal", "median_days"])
    assert frame.loc["defected", "spells"] == 0


def test_sales_funnel_with_a_30_day_window(tiny):
    # Leads who signed up inside the data: U, G (Jan), P (Mar), Q, M (Aug), N (Nov); all windows closed by Dec 31.
    # Ordered: U (same day), G (3 days), M (4), N (5): 4 of 6, all within 30 days.
    steps = _run(tiny, funnel.sales_funnel, funnel.SalesSpec(Filters(), 30))
    assert steps["customers"].tolist() == [6, 4, 4]
    assert steps.attrs["conversion"] == pytest.approx(4 / 6)
    assert steps.attrs["median_days"] == pytest.approx(3.5)
    assert steps.attrs["open_leads"] == 0


def test_sales_funnel_leaves_open_windows_out(tiny):
    # With 60 days, N (Nov 15) is still inside its window on Dec 31: 5 leads, 3 ordered (U, G, M)
    steps = _run(tiny, funnel.sales_funnel, funnel.SalesSpec(Filters(), 60))
    assert steps["customers"].tolist() == [5, 3, 3]
    assert (steps.attrs["open_leads"], steps.attrs["open_ordered"]) == (1, 1)
    monthly = _run(tiny, funnel.sales_by_month, funnel.SalesSpec(Filters(), 60)).set_index("month")
    assert monthly.loc[pd.Timestamp("2024-08-01"), ["leads", "closed", "within"]].tolist() == [2, 2, 1]
    assert monthly.loc[pd.Timestamp("2024-08-01"), "conversion"] == pytest.approx(0.5)
    assert pd.isna(monthly.loc[pd.Timestamp("2024-11-01"), "conversion"])


def test_cohorts_reaching_first_purchase(tiny):
    frame = _run(tiny, funnel.cohorts, funnel.CohortSpec(DEFAULT_MODEL, Filters(), "first_purchase"))
    share = {(c.strftime("%Y-%m"), m): s for c, m, s in zip(frame["cohort"], frame["months"], frame["share"], strict=True)}
    assert share[("2024-01", 0)] == 1.0  # U and G bought in January
    assert share[("2024-03", 9)] == 0.0  # P never bought
    assert share[("2024-08", 4)] == 0.5  # M bought, Q did not; August to December is month 4
    assert ("2024-08", 5) not in share  # not observed yet
    assert share[("2024-11", 1)] == 1.0
    assert len(frame) == 12 + 10 + 5 + 2


def test_breakdown_keeps_the_top_values_and_sums_the_rest(tiny):
    frame = _run(tiny, funnel.breakdown, funnel.BreakdownSpec(DEFAULT_MODEL, Filters(), "region", top=1))
    # North has 6 customers (U, X, P, C, N, M), South 4 (D, A, G, Q): with top 1, South becomes Other
    assert list(dict.fromkeys(frame["value"])) == ["North", "Other"]
    other = frame[frame["value"] == "Other"].set_index("role")["customers"].to_dict()
    assert other == {"prospect": 1, "repeat": 1, "advocate": 1, "at_risk": 1}
    north = frame[frame["value"] == "North"].set_index("role")
    assert north.loc["at_risk", "share"] == pytest.approx(2 / 6)


def test_stage_economics_over_three_months(tiny):
    spec = economics.EconomicsSpec(DEFAULT_MODEL, Filters(), window_months=3)
    frame = _stage_economics(tiny, spec).set_index("role")
    assert frame.attrs["window"] == "Oct 2024 to Dec 2024"
    # Stages on Sep 30: prospect P, Q; first purchase M; repeat U, G; loyal D, C; advocate A; defected X.
    assert frame["customers"].to_dict() == {
        "prospect": 2,
        "first_purchase": 1,
        "repeat": 2,
        "loyal": 2,
        "advocate": 1,
        "at_risk": 0,
        "defected": 1,
    }
    repeat = frame.loc["repeat"]
    # U and G spent 3 x $100 each; costs: 6 purchases at $1 + U's web visit $0.20 = $6.20 for two
    assert repeat["spend_per_customer"] == pytest.approx(300)
    assert repeat["direct_cost"] == pytest.approx(3.1)
    assert repeat["margin"] == pytest.approx(300 * 0.3 - 3.1)
    assert repeat["marketing_cost"] == pytest.approx(95)  # (100 + 90) / 2
    assert repeat["roi"] == pytest.approx((86.9 - 95) / 95)
    assert repeat["retention"] == pytest.approx(1.0)
    loyal = frame.loc["loyal"]
    # D bought nothing after August, C $300; costs: C's 3 purchases + 2 complaints at $10
    assert loyal["spend_per_customer"] == pytest.approx(150)
    assert loyal["direct_cost"] == pytest.approx(23 / 2)
    advocate = frame.loc["advocate"]
    # A: 3 purchases at $1 and a phone call without a cost, priced at the $13.50 default
    assert advocate["direct_cost"] == pytest.approx(16.5)
    assert advocate["referral_rate"] == pytest.approx(1.0)
    assert pd.isna(frame.loc["prospect", "retention"]) and pd.isna(frame.loc["defected", "retention"])
    assert frame.loc["first_purchase", "retention"] == pytest.approx(1.0)  # M is at risk, not defected
    assert pd.isna(frame.loc["at_risk", "spend_per_customer"])
    cheaper = replace(spec, channel_costs=economics.channel_cost_items({"phone": 3.5}), gross_margin=0.5)
    advocate = _stage_economics(tiny, cheaper).set_index("role").loc["advocate"]
    assert advocate["direct_cost"] == pytest.approx(6.5)
    assert advocate["margin"] == pytest.approx(150 - 6.5)


def test_five_checks_against_the_previous_three_months(tiny):
    checks = _five_checks(tiny, economics.EconomicsSpec(DEFAULT_MODEL, Filters(), 3)).set_index("key")
    assert checks.attrs["previous_window"] == "Jul 2024 to Sep 2024" and checks.attrs["has_previous"]
    # Customers on Jun 30: U, D, A, G, C (X had left); on Sep 30 also M. Nobody defected in either window.
    assert checks.loc["retention", ["current", "previous"]].tolist() == [1.0, 1.0]
    assert checks.loc["retention", "better"] is None
    # Spend: Jul to Sep U 300, D 200, A 300, G 300, C 300 = 1,400 / 5; Oct to Dec 1,200 / 6 (D and M bought nothing)
    assert checks.loc["spend", ["current", "previous"]].tolist() == pytest.approx([200, 280])
    assert checks.loc["spend", "better"] is False
    # Referrals: A of the 6 customers on Sep 30, A of the 7 on Dec 31 (N joined)
    assert checks.loc["referrals", ["current", "previous"]].tolist() == pytest.approx([1 / 7, 1 / 6])
    # Marketing: Jul to Sep leads Q ($30) and M ($60) for one new customer (M); Oct to Dec N ($150) for N
    assert checks.loc["marketing", ["current", "previous"]].tolist() == pytest.approx([150, 90])
    assert checks.loc["marketing", "better"] is False
    # Direct cost: 14 purchases at $1 / 5; 12 purchases + complaints $20 + A's call $13.50 + U's visit $0.20, / 6
    assert checks.loc["direct", ["current", "previous"]].tolist() == pytest.approx([45.7 / 6, 2.8])
    assert checks.loc["direct", "better"] is False


def test_checks_without_an_earlier_window(tiny):
    checks = _five_checks(tiny, economics.EconomicsSpec(DEFAULT_MODEL, Filters(), 12))
    assert not checks.attrs["has_previous"]
    assert checks["previous"].isna().all() and checks["better"].isna().all()


def test_edited_rules_change_the_stages(tiny):
    # Repeat needs 2 purchases AND 90 days: on Dec 31 N (two purchases, 41 days) is back to first purchase.
    # Loyal needs 6 purchases only (tenure off): G (8 purchases) becomes loyal; D, who is at risk, stays at risk.
    rules = replace(StageRules(), repeat_join="and", loyal_purchases=6, loyal_tenure_days=0)
    model = replace(DEFAULT_MODEL, rules=rules)
    found = _stages_on(tiny, DEC, model)
    assert found["N"] == "first purchase"
    assert found["G"] == "loyal"
    # at risk only after 364 days without a purchase (the window cannot be switched off: it is the staged one) and
    # no complaint rule, and advocates need only repeat; on Dec 30, since on the last day of the data (the staged as-of
    # day) the off-ramps are the staged answer, whatever an unsaved model says
    quiet = replace(DEFAULT_MODEL, rules=replace(StageRules(), at_risk_days=364, at_risk_complaints=0, advocate_from="repeat"))
    found = _stages_on(tiny, DEC - timedelta(days=1), quiet)
    assert found["D"] == "loyal" and found["C"] == "loyal" and found["M"] == "repeat"
    # defected after 120 days without a purchase: D (143 days) and M (148) lapse
    lapsed = replace(DEFAULT_MODEL, rules=replace(StageRules(), defected_days=120))
    found = _stages_on(tiny, DEC - timedelta(days=1), lapsed)
    assert (found["D"], found["M"], found["C"]) == ("defected", "defected", "at risk")


def test_renamed_and_reordered_stages(tiny):
    names = dict(stages.DEFAULT_ORDER) | {"loyal": "Regular", "advocate": "Fan"}
    order = ["prospect", "first_purchase", "repeat", "advocate", "loyal", "at_risk", "defected"]
    model = replace(DEFAULT_MODEL, stages=tuple((role, names[role]) for role in order))
    found = _stages_on(tiny, DEC, model)
    # With Fan below Regular, A (who meets both rules) is in the higher stage: Regular
    assert found["A"] == "Regular" and found["U"] == "Regular"
    counts = _run(tiny, funnel.stage_counts, funnel.StageSpec(model))
    assert counts["stage"].tolist() == ["prospect", "first purchase", "repeat", "Fan", "Regular", "at risk", "defected"]
    # moving from Regular down to Fan would now count as down
    assert movement.direction(model, "loyal", "advocate") == "moved down"


def test_model_validation():
    with pytest.raises(ValueError, match="prospect comes first"):
        replace(DEFAULT_MODEL, stages=tuple(reversed(stages.DEFAULT_ORDER))).validate()
    with pytest.raises(ValueError, match="differ"):
        replace(DEFAULT_MODEL, stages=(("prospect", "Lead"), ("first_purchase", "lead"), *stages.DEFAULT_ORDER[2:])).validate()
    with pytest.raises(ValueError, match="at risk days must be a whole number from 14"):
        StageRules(at_risk_days=5).validate()
    with pytest.raises(ValueError, match="at risk days must be a whole number from 14"):
        StageRules(at_risk_days=0).validate()  # the staged window: never off
    with pytest.raises(ValueError, match="longer to count as defected"):
        StageRules(at_risk_days=200, defected_days=100).validate()
    with pytest.raises(ValueError, match="whole number"):
        StageRules(repeat_purchases=-1).validate()
    assert (
        replace(DEFAULT_MODEL, stages=(("prospect", "  Lead "), *stages.DEFAULT_ORDER[1:])).validate().name("prospect") == "Lead"
    )


def test_model_is_saved_per_dataset(store: Store):
    model = replace(DEFAULT_MODEL, rules=replace(StageRules(), loyal_purchases=6), source="rules")
    stages.save_model(store, "one", model)
    assert stages.load_model(store, "one") == model.validate()
    assert stages.load_model(store, "two") == DEFAULT_MODEL
    store.set_setting("one", stages.SETTING_RULES, {"repeat_purchases": "many"})
    assert stages.load_model(store, "one") == DEFAULT_MODEL  # an unreadable saved model falls back to the default
    stages.reset_model(store, "one")
    assert stages.load_model(store, "one") == DEFAULT_MODEL


def test_rules_in_words(tiny):
    _, version = tiny
    words = {role: text for role, _, text in stages.describe_rules(DEFAULT_MODEL, version)}
    assert words["repeat"] == "At least 2 purchases or a customer for at least 90 days."
    assert words["loyal"] == "At least 12 purchases or a customer for at least 730 days (2 years)."
    assert words["advocate"] == "Has referred at least 1 customer and meets the rule of loyal."
    assert words["at_risk"] == "No purchase for more than 90 days or at least 2 complaints within 90 days."
    assert words["defected"] == "A churn flag or churn date or no purchase for more than 365 days (1 year)."


def test_a_stage_column_is_used_on_the_last_day(store: Store):
    tables = funnel_tables()
    tables["customers"]["stage"] = ["Member", "Lapsing", None, "Lead", "Champion", "VIP", "loyal", None, "lead", "new"]
    version = store.publish("with stages", tables)
    model = DEFAULT_MODEL
    with store.cursor() as cur:
        sql, params = stage_sql.customer_stage_sql(version, model)
        found = dict(cur.execute(f"select * from ({sql})", params).fetchall())
        # labels by synonym: Member/loyal -> loyal, Lapsing -> at risk, Lead -> prospect, Champion -> advocate,
        # new -> first purchase; blanks (X, N) and the unknown VIP (G) by the rules; but at risk and defected are the
        # staged answer that every page reads: C ("loyal", two complaints in December) and M ("new", no purchase since
        # Aug 5) are at risk
        assert found == {
            "U": "loyal",
            "D": "at risk",
            "X": "defected",
            "P": "prospect",
            "A": "advocate",
            "G": "repeat",
            "C": "at risk",
            "N": "repeat",
            "Q": "prospect",
            "M": "at risk",
        }
        unmatched = funnel.unmatched_labels(cur, version, funnel.StageSpec(model))
        assert unmatched.values.tolist() == [["VIP", 1]]
        # renaming loyal to VIP makes the label match
        vip = replace(model, stages=tuple((r, "VIP" if r == "loyal" else n) for r, n in model.stages))
        sql, params = stage_sql.customer_stage_sql(version, vip)
        assert dict(cur.execute(f"select * from ({sql})", params).fetchall())["G"] == "VIP"
        # an earlier date comes from the rules
        sql, params = stage_sql.customer_stage_sql(version, model, JAN)
        assert dict(cur.execute(f"select * from ({sql})", params).fetchall())["C"] == "loyal"
        # source "rules" ignores the column
        sql, params = stage_sql.customer_stage_sql(version, replace(model, source="rules"))
        assert dict(cur.execute(f"select * from ({sql})", params).fetchall())["M"] == "at risk"
        counts = funnel.stage_counts(cur, version, funnel.StageSpec(model)).set_index("role")
        # from the column, reached = the current stage or higher; at risk and defected have reached first purchase
        assert counts.loc["first_purchase", "reached"] == 8
        # U and A (C, labelled loyal, is at risk now: the column carries no history, so only first purchase is known)
        assert counts.loc["loyal", "reached"] == 2


def test_customers_without_transactions_are_staged_by_tenure(store: Store):
    tables = funnel_tables()
    version = store.publish("no tx", {"customers": tables["customers"]})
    with store.cursor() as cur:
        sql, params = stage_sql.customer_stage_sql(version, DEFAULT_MODEL)
        found = dict(cur.execute(f"select * from ({sql})", params).fetchall())
    # Without transactions or touchpoints the data ends on the last signup (N, 2024-11-15). Everyone is a customer
    # from signup: X churned; D, C loyal and A advocate by tenure; G, P, Q repeat after 90 days; N is new.
    assert found == {
        "U": "repeat",
        "D": "loyal",
        "X": "defected",
        "P": "repeat",
        "A": "advocate",
        "G": "repeat",
        "C": "loyal",
        "N": "first purchase",
        "Q": "repeat",
        "M": "repeat",
    }
    words = {role: text for role, _, text in stages.describe_rules(DEFAULT_MODEL, version)}
    assert "no transactions" in words["repeat"]


def test_drill_down_exports_are_formula_safe(store: Store):
    tables = funnel_tables()
    for name in ("customers", "transactions", "interactions"):
        tables[name]["customer_id"] = tables[name]["customer_id"].replace({"C": "=HYPERLINK(1)"})
    tables["customers"]["segment"] = tables["customers"]["segment"].replace({"Business": "+Business"})
    version = store.publish("unsafe", tables)
    with store.cursor() as cur:
        frame = funnel.stage_customers(cur, version, funnel.DrillSpec(DEFAULT_MODEL, Filters(), "at_risk", limit=None))
    text = export.csv_bytes(frame).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text and "'+Business" in text
    assert "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text


def test_time_in_stage_with_lapsing_and_winning_back(tiny):
    model = replace(DEFAULT_MODEL, rules=replace(StageRules(), defected_days=120))
    frame = _run(tiny, movement.time_in_stage, movement.TimeSpec(model)).set_index("role")
    # Defected after 120 days without a purchase. G (Jan 5, then Jun 20): at risk from Apr 5 until lapsing on May 5
    # (30 days), defected until buying again on Jun 20 (46 days). D (last Aug 10) and M (Aug 5) are at risk for 30
    # days, then lapse for good; C is still at risk from her complaints.
    assert frame.loc["at_risk", ["median_days", "spells"]].tolist() == [30, 3]
    assert frame.loc["defected", ["median_days", "spells"]].tolist() == [46, 1]
    assert _stages_on(tiny, date(2024, 5, 31), model)["G"] == "defected"


def test_at_risk_spells_merge_complaint_and_recency_periods(store: Store):
    # K buys on the 15th of every month of 2024 and complains on Mar 1, Mar 20 and Jun 1. L buys on Jan 10, then
    # from May 20 monthly, and complains on Mar 25. Both signed up in 2020 (loyal by tenure throughout).
    customers = pd.DataFrame({"customer_id": ["K", "L"], "signup_date": [date(2020, 1, 1)] * 2})
    days = [("K", pd.Timestamp(2024, m, 15)) for m in range(1, 13)] + [("L", pd.Timestamp(2024, 1, 10))]
    days += [("L", pd.Timestamp(2024, m, 20)) for m in range(5, 13)]
    transactions = pd.DataFrame(days, columns=["customer_id", "ts"]).assign(amount=50.0)
    interactions = pd.DataFrame(
        {
            "customer_id": ["K", "K", "K", "L"],
            "ts": pd.to_datetime(["2024-03-01", "2024-03-20", "2024-06-01", "2024-03-25"]),
            "channel": "phone",
            "stage": "complaint",
        }
    )
    version = store.publish("spells", {"customers": customers, "transactions": transactions, "interactions": interactions})

    def at_risk(**rules) -> list:
        model = replace(DEFAULT_MODEL, rules=replace(StageRules(), **rules))
        with store.cursor() as cur:
            frame = movement.time_in_stage(cur, version, movement.TimeSpec(model)).set_index("role")
        return frame.loc["at_risk", ["median_days", "spells"]].tolist()

    # Two complaints within 30 days: only K's Mar 1 and Mar 20 qualify, at risk from Mar 20 to Mar 31 (11 days).
    # L's gap (Jan 10 to May 20, 131 days) makes L at risk from Apr 10 until buying on May 20 (40 days).
    assert at_risk(at_risk_complaints=2, at_risk_complaint_days=30) == [25.5, 2]
    # One complaint is enough: K from Mar 1 to Apr 19 (two windows merged, 49 days) and Jun 1 to Jul 1 (30 days);
    # L's complaint window (Mar 25 to Apr 24) runs into the gap: at risk from Mar 25 to May 20 (56 days)
    assert at_risk(at_risk_complaints=1, at_risk_complaint_days=30) == [49, 3]


def test_customer_stage_sql_is_a_two_column_select_other_views_can_join(tiny):
    store, version = tiny
    sql, params = stage_sql.customer_stage_sql(version, stages.load_model(store, "fn"), DEC)
    with store.cursor() as cur:
        result = cur.execute(
            f"""
            with st as ({sql})
            select st.stage, count(*) as n, sum(c.acquisition_cost) as cost
            from st join {version.table("customers")} c using (customer_id)
            group by st.stage order by st.stage
            """,
            params,
        ).fetchall()
        columns = [d[0] for d in cur.execute(f"select * from ({sql}) limit 0", params).description]
    assert columns == ["customer_id", "stage"]
    assert result == [
        ("advocate", 1, 250.0),
        ("at risk", 3, 340.0),  # D 80 + C 200 + M 60
        ("defected", 1, 300.0),
        ("loyal", 1, 100.0),
        ("prospect", 2, 50.0),
        ("repeat", 2, 240.0),  # G 90 + N 150
    ]


def test_a_call_of_several_steps_without_a_cost_is_priced_once(tmp_path):
    """Three calls passing IVR, queue and agent (8 touchpoints, none with a cost): the channel defaults price 3
    contacts, each at its first step's channel (IVR), not 8 touchpoints."""
    from dashboard.metrics import economics
    from dashboard.store import Store
    from tests.journey_contacts_tiny import call_log

    customers = pd.DataFrame({"customer_id": ["C1", "C2"], "signup_date": pd.to_datetime(["2023-06-01", "2023-06-01"])})
    store = Store(tmp_path / "calls.duckdb")
    version = store.publish("calls", {"customers": customers, "interactions": call_log()})
    with store.cursor() as cur:
        costless = economics.costless_touchpoints(cur, version)
    store.close()
    assert dict(zip(costless["channel"], costless["touchpoints"], strict=True)) == {"ivr": 3}
