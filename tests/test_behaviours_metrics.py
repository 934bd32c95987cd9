"""Behaviours figures on the hand-made dataset of tests/tiny_behaviours.py (working in the comments), the pandas
reference on the sample, and the builder the Defection view reads."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest
from scipy import stats

from benchmarks.reference import behaviours as reference
from dashboard.metrics.behaviours import adoption as bh
from dashboard.metrics.behaviours import flags
from dashboard.metrics.behaviours.catalogue import Behaviour, Catalogue, Measure, default_catalogue
from dashboard.metrics.scope import Filters
from dashboard.store import Store
from tests.tiny_behaviours import behaviour_tables

# Per customer, whole period (data end June 2024; A, C, E active; B left 15 Mar 2024; D churned, no date):
#   A: phones 10 Jan and 12 Feb within the 12 months to June -> no call-centre contact: no;
#      own contacts phone 2, web 1, app 2 -> 3/5 = 60 % self-service >= 50 % -> yes
#   B: window April 2023 to March 2024 holds no phone call (Jan 2023 is before, 20 Apr 2024 after) -> yes;
#      phone + web up to March 2024 -> 1/2 = 50 % -> yes
#   C: the company's call does not count; email only -> no call yes, self-service 0/1 -> no
#   D: no touchpoints -> no call yes, self-service no (no own contacts)
#   E: " IVR " read as ivr -> self-service 1/1 yes; no call yes
#            e_billing autopay no_call self  n
#   A           yes     yes     no     yes   3
#   B           no      yes     yes    yes   3
#   C           no      no      yes    no    1
#   D           no      no      yes    no    1
#   E           yes     (none)  yes    yes   3
DEFAULT = default_catalogue()


@pytest.fixture
def tiny(store: Store):
    version = store.publish("tiny behaviours", behaviour_tables())
    return store, version


def _summary(tiny, catalogue: Catalogue = DEFAULT, filters: Filters = Filters()) -> pd.DataFrame:
    store, version = tiny
    with store.cursor() as cur:
        return bh.summary(cur, version, bh.BehaviourSpec.of(catalogue, filters))


def _adoption(tiny, catalogue: Catalogue = DEFAULT, filters: Filters = Filters()) -> pd.DataFrame:
    return bh.adoption_table(_summary(tiny, catalogue, filters), catalogue, tiny[1]).set_index("key")


def test_customers_of_the_period_and_in_scope(tiny):
    total = _summary(tiny).query("dimension == 'all'").iloc[0]
    # the prospect P never counts; B and D defected; A, C, E are active at the end (the scope: the data carry churn dates)
    assert (total["customers"], total["defected"], total["in_scope"]) == (5, 2, 3)


def test_adoption_gap_and_potential_by_hand(tiny):
    table = _adoption(tiny)
    # adopters among the 3 active customers: e-billing A, E; autopay A; no call C, E; self-service A, E
    assert table.loc["e_billing", "current"] == pytest.approx(2 / 3)
    assert table.loc["autopay", "current"] == pytest.approx(1 / 3)
    assert table.loc["no_call_centre", "current"] == pytest.approx(2 / 3)
    assert table.loc["self_service", "current"] == pytest.approx(2 / 3)
    # potential = 3 customers x (best-in-class - adoption) x saving
    assert table.loc["e_billing", "gap"] == pytest.approx(0.84 - 2 / 3)
    assert table.loc["e_billing", "potential"] == pytest.approx(3 * (0.84 - 2 / 3) * 11)  # 5.72
    assert table.loc["autopay", "potential"] == pytest.approx(3 * (0.70 - 1 / 3) * 6)  # 6.60
    assert table.loc["no_call_centre", "potential"] == pytest.approx(3 * (0.75 - 2 / 3) * 20)  # 5.00
    assert table.loc["self_service", "potential"] == pytest.approx(3 * (0.85 - 2 / 3) * 8)  # 4.40
    # sorted by money; behaviours the data cannot measure last, in catalogue order
    assert list(table.index) == [
        "autopay",
        "e_billing",
        "no_call_centre",
        "self_service",
        "budget_billing",
        "load_control",
        "smart_meter",
        "efficient_equipment",
    ]
    assert table.loc["smart_meter", "status"] == "no data"
    assert pd.isna(table.loc["smart_meter", "current"])
    assert "no column b_smart_meter" in table.loc["smart_meter", "note"]
    assert not table.loc["e_billing", "assumption"] and table.loc["autopay", "assumption"]


def test_churn_and_satisfaction_with_and_without(tiny):
    churn = bh.churn_by_behaviour(_summary(tiny), DEFAULT).set_index("key")
    # over the 5 customers of the period; B and D defected
    assert churn.loc["e_billing", ["with", "churn_with", "without", "churn_without"]].tolist() == pytest.approx([2, 0, 3, 2 / 3])
    assert churn.loc["autopay", ["churn_with", "churn_without"]].tolist() == pytest.approx([1 / 2, 1 / 3])  # A,B | C,D,E
    assert churn.loc["no_call_centre", ["churn_with", "churn_without"]].tolist() == pytest.approx([2 / 4, 0])  # B,C,D,E | A
    assert churn.loc["self_service", ["churn_with", "churn_without"]].tolist() == pytest.approx([1 / 3, 1 / 2])  # A,B,E | C,D
    assert churn.loc["e_billing", "churn_gap"] == pytest.approx(2 / 3)
    assert churn.loc["e_billing", "share_with"] == pytest.approx(2 / 5)
    # satisfaction: e-billing A 5, E 3 -> 4; without B 4, C 2 (D has none) -> 3
    assert churn.loc["e_billing", ["satisfaction_with", "satisfaction_without"]].tolist() == pytest.approx([4, 3])


def test_groups_by_number_of_behaviours_with_confidence_interval(tiny):
    groups = bh.behaviour_count_groups(_summary(tiny)).set_index("behaviours")
    assert list(groups.index) == [1, 3]
    # one behaviour: C (satisfaction 2) and D (none, defected)
    one = groups.loc[1]
    assert (one["customers"], one["satisfaction_n"], one["mean_satisfaction"]) == (2, 1, 2.0)
    assert pd.isna(one["ci_low"]) and one["churn_rate"] == 0.5
    # three behaviours: A 5, B 4, E 3 -> mean 4, sd 1; 95 % interval 4 ± t(0.975, 2) / sqrt(3) = 4 ± 2.4841
    three = groups.loc[3]
    half = stats.t.ppf(0.975, 2) / math.sqrt(3)
    assert half == pytest.approx(2.484138, abs=1e-6)
    assert (three["customers"], three["mean_satisfaction"]) == (3, 4.0)
    assert (three["ci_low"], three["ci_high"]) == pytest.approx((4 - half, 4 + half))
    assert three["churn_rate"] == pytest.approx(1 / 3)  # B
    assert groups["small"].all()  # fewer than 30 customers each


def test_a_period_ending_in_march_moves_the_windows(tiny):
    # period January to March 2024: A's window ends in March: phones 10 Jan, 12 Feb -> no call no;
    # own contacts up to March: phone 2, web 1 -> 1/3 -> self-service no. E's IVR call (3 Mar) still counts.
    filters = Filters(month_from=date(2024, 1, 1), month_to=date(2024, 3, 1))
    table = _adoption(tiny, filters=filters)
    assert table.loc["self_service", "current"] == pytest.approx(1 / 3)  # E of A, C, E
    groups = bh.behaviour_count_groups(_summary(tiny, filters=filters)).set_index("behaviours")
    assert groups["customers"].to_dict() == {1: 2, 2: 1, 3: 2}  # C, D | A | B, E


def test_segment_filter_and_period_scope(tiny):
    business = _adoption(tiny, filters=Filters(segments=("Business",)))
    assert business.loc["e_billing", "customers_in_scope"] == 1  # C (D defected)
    assert business.loc["e_billing", "current"] == 0
    everyone = Catalogue(DEFAULT.behaviours, scope="period")
    assert _adoption(tiny, everyone).loc["e_billing", "current"] == pytest.approx(2 / 5)


def test_segments_and_regions_are_counted_with_not_set(tiny):
    summary = _summary(tiny)
    regions = summary.query("dimension == 'region'").set_index("value")["customers"].to_dict()
    assert regions == {"North": 2, "South": 2, "(not set)": 1}
    by = bh.adoption_by(summary, DEFAULT, "segment")
    home = by[(by["group"] == "Home") & (by["key"] == "e_billing")].iloc[0]
    assert (home["customers_in_scope"], home["adopters"]) == (2, 2)  # A, E active at home, both e-billing
    # potential, segment by segment (active customers: Home A, E; Business C):
    #   Business: e-billing 1 x 0.84 x 11 = 9.24, autopay 1 x 0.70 x 6 = 4.20, self-service 1 x 0.85 x 8 = 6.80 -> 20.24
    #   Home: autopay 2 x (0.70 - 1/2) x 6 = 2.40, no call 2 x (0.75 - 1/2) x 20 = 10.00 -> 12.40
    assert by["group"].iloc[0] == "Business"  # the segment with most money first
    totals = by.drop_duplicates("group").set_index("group")["group_potential"]
    assert totals.to_dict() == pytest.approx({"Business": 20.24, "Home": 12.40})
    with pytest.raises(ValueError):
        bh.adoption_by(summary, DEFAULT, "colour")


def _rule(column: str, operator: str, value: str = "") -> Catalogue:
    return Catalogue((Behaviour("rule", "Rule", Measure("rule", column=column, operator=operator, value=value)),))


@pytest.mark.parametrize(
    ("column", "operator", "value", "expected"),
    [
        ("referrals", ">=", "1", {"A", "C"}),
        ("referrals", "equals", "0", {"B", "E"}),
        ("satisfaction", ">", "3", {"A", "B"}),
        ("satisfaction", "is set", "", {"A", "B", "C", "E"}),
        ("segment", "equals", "home", {"A", "B", "E"}),
        ("segment", "not equals", "Home", {"C", "D"}),
        ("segment", "starts with", "BUS", {"C", "D"}),
        ("segment", "ends with", "ome", {"A", "B", "E"}),
        ("segment", "contains", "usi", {"C", "D"}),
        ("region", "one of", "north, South", {"A", "B", "C", "D"}),
        ("signup_date", ">=", "2023-01-01", {"C", "D", "E"}),
        ("signup_date", "<", "2022-01-01", {"B"}),
        ("b_autopay", "is true", "", {"A", "B"}),
        ("b_autopay", "is false", "", {"C", "D"}),  # E's blank counts as not showing it
    ],
)
def test_rules_on_customer_columns(tiny, column, operator, value, expected):
    store, version = tiny
    sql, params = bh.customer_behaviours_sql(version, _rule(column, operator, value))
    frame = store.query_df(sql, params)
    assert set(frame.loc[frame["b_rule"], "customer_id"]) == expected


def test_a_rule_needing_a_number_says_so(tiny):
    version = tiny[1]
    with pytest.raises(ValueError, match="needs a number"):
        bh.customer_behaviours_sql(version, _rule("referrals", ">=", "many"))


def test_customer_behaviours_sql_for_the_defection_view(tiny):
    store, version = tiny
    catalogue = bh.catalogue_for(store, version)  # the default until the dataset saves its own
    assert catalogue == DEFAULT and bh.flag_columns(version) == ("b_e_billing", "b_autopay")
    sql, params = bh.customer_behaviours_sql(version, catalogue, Filters())
    frame = store.query_df(sql, params)
    # the four measured behaviours, in catalogue order; the others have no column
    measured = ["b_no_call_centre", "b_self_service", "b_autopay", "b_e_billing"]
    assert list(frame.columns) == ["customer_id", "n_behaviours", *measured]
    assert frame["customer_id"].tolist() == ["A", "B", "C", "D", "E"]
    assert frame["n_behaviours"].tolist() == [3, 3, 1, 1, 3]
    assert frame["b_no_call_centre"].tolist() == [False, True, True, True, True]
    assert frame["b_self_service"].tolist() == [True, True, False, False, True]


def test_estimated_behaviours_have_an_adoption_but_no_column(tiny):
    estimate = Behaviour(
        "paperless_meter", "Reads its own meter", Measure("estimate"), saving=4.0, best_in_class=0.5, estimated_adoption=0.2
    )
    flag = Measure("flag", column="b_smart_meter")
    fallback = Behaviour("smart_meter", "Smart meter", flag, saving=12.0, best_in_class=0.8, estimated_adoption=0.3)
    catalogue = Catalogue((estimate, fallback))
    table = _adoption(tiny, catalogue)
    assert table.loc["paperless_meter", ["status", "current", "adopters"]].tolist() == ["estimate", 0.2, pytest.approx(0.6)]
    assert table.loc["paperless_meter", "potential"] == pytest.approx(3 * 0.3 * 4.0)
    assert table.loc["smart_meter", "status"] == "estimate"  # no b_smart_meter column: the estimate is used
    sql, params = bh.customer_behaviours_sql(tiny[1], catalogue)
    assert list(tiny[0].query_df(sql, params).columns) == ["customer_id", "n_behaviours"]


def test_a_dataset_without_touchpoints_or_satisfaction(store):
    tables = behaviour_tables()
    version = store.publish("flags only", {"customers": tables["customers"].drop(columns=["satisfaction"])})
    with store.cursor() as cur:
        summary = bh.summary(cur, version, bh.BehaviourSpec.of(DEFAULT))
    table = bh.adoption_table(summary, DEFAULT, version).set_index("key")
    assert table.loc["no_call_centre", "status"] == "no data"
    assert "no touchpoints" in table.loc["no_call_centre", "note"]
    # without transactions nobody is a prospect by activity; P is one by its stage
    assert table.loc["e_billing", "customers_in_scope"] == 3
    assert bh.behaviour_count_groups(summary)["mean_satisfaction"].isna().all()


def test_scope_follows_the_data_when_automatic(tiny, store):
    _, version = tiny
    assert flags.resolve_scope("auto", version) == "active"
    assert "active customers" in flags.scope_text("auto", version)
    snapshot = store.publish("snapshot", {"customers": behaviour_tables()["customers"].drop(columns=["churn_date"])})
    assert flags.resolve_scope("auto", snapshot) == "period"
    assert flags.resolve_scope("active", snapshot) == "active"


def test_the_pandas_reference_agrees_with_the_sql_on_the_sample(sample_tables, tmp_path):
    from dashboard import sample

    store = Store(tmp_path / "s.duckdb")
    version = sample.publish(store)
    cases = [Filters(), Filters(segments=("Commercial",), month_from=date(2024, 1, 1), month_to=date(2024, 12, 1))]
    for filters in cases:
        flags = reference.customer_flags(sample_tables, DEFAULT, filters)
        with store.cursor() as cur:
            summary = bh.summary(cur, version, bh.BehaviourSpec.of(DEFAULT, filters))
        table = bh.adoption_table(summary, DEFAULT, version).set_index("key")
        for key, share in reference.adoption(flags).items():
            assert reference.close(table.loc[key, "current"], share), key
        churn = bh.churn_by_behaviour(summary, DEFAULT).set_index("key")
        for key, (with_it, without) in reference.churn_with_without(flags).items():
            assert reference.close(churn.loc[key, "churn_with"], with_it), key
            assert reference.close(churn.loc[key, "churn_without"], without), key
        groups = bh.behaviour_count_groups(summary)
        ref_groups = reference.count_groups(flags)
        assert groups["customers"].tolist() == ref_groups["customers"].tolist()
        pairs = zip(groups["mean_satisfaction"], ref_groups["mean_satisfaction"], strict=True)
        assert all(reference.close(a, b) for a, b in pairs)
        sql, params = bh.customer_behaviours_sql(version, DEFAULT, filters)
        merged = store.query_df(sql, params).merge(flags, on="customer_id", suffixes=("", "_ref"))
        assert len(merged) == len(flags)
        assert (merged["n_behaviours"] == merged["n_behaviours_ref"]).all()
    # the sample's e-billing flag is 16 % of the customers active at the end
    with store.cursor() as cur:
        full = bh.adoption_table(bh.summary(cur, version, bh.BehaviourSpec.of(DEFAULT)), DEFAULT, version)
    assert round(full.set_index("key").loc["e_billing", "current"] * 100, 2) == 16.00
    store.close()


def test_the_steps_of_one_call_count_as_one_contact(store):
    """The tiny call log: C1 makes calls A (IVR, queue, agent) and B (IVR, queue), C2 call C (IVR, queue, agent). Per
    contact, on its first step's channel: C1 2 contacts, both on ivr; C2 1, on ivr. "At most 1 contact on ivr or
    phone": C1 no (2), C2 yes (1); "at least half on ivr": both yes (2/2, 1/1). Counted per step (no contact id) C2
    has 3 touchpoints on ivr or phone, and ivr is 2 of C1's 5 and 1 of C2's 3: both behaviours no for both."""
    from dashboard.metrics.behaviours.catalogue import NO_CONTACT, SELF_SERVICE
    from tests.journey_contacts_tiny import call_log

    calls = Measure(NO_CONTACT, channels=("ivr", "phone"), max_contacts=1)
    ivr = Measure(SELF_SERVICE, channels=("ivr",), min_share=0.5)
    catalogue = Catalogue((Behaviour("few_calls", "Few calls", calls), Behaviour("ivr", "IVR first", ivr)))
    customers = pd.DataFrame({"customer_id": ["C1", "C2"]})
    for name, log, few, first in (
        ("per contact", call_log(), [False, True], [True, True]),
        ("per step", call_log().drop(columns=["contact_id"]), [False, False], [False, False]),
    ):
        version = store.publish(name, {"customers": customers, "interactions": log})
        sql, params = bh.customer_behaviours_sql(version, catalogue)
        frame = store.query_df(sql, params).set_index("customer_id").loc[["C1", "C2"]]
        assert frame["b_few_calls"].tolist() == few, name
        assert frame["b_ivr"].tolist() == first, name
