"""Journey metrics on five tiny journeys worked out by hand (tests/journey_tiny.py explains each journey)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from dashboard.metrics import customers
from dashboard.metrics.journey import drill as journey_drill
from dashboard.metrics.journey import lanes as journey
from dashboard.metrics.journey import paths as journey_paths
from dashboard.metrics.journey import service as journey_service
from dashboard.metrics.journey.lanes import JourneySpec
from dashboard.metrics.journey.paths import PathSpec, VariantSpec, fold_paths
from dashboard.metrics.scope import Filters
from dashboard.store import Store
from tests.journey_tiny import journey_tables

ALL = JourneySpec(min_base=1)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("journey") / "tiny.duckdb")
    version = store.publish("journeys", journey_tables())
    yield store, version
    store.close()


def run(tiny, fn, spec):
    store, version = tiny
    with store.cursor() as cur:
        return fn(cur, version, spec)


def measure(tiny, spec: JourneySpec) -> dict:
    frame = run(tiny, journey_service.measures, spec)
    return {row.key: row for row in frame.itertuples(index=False)}


def test_steps_order_ties_by_file_row(tiny):
    store, version = tiny
    with store.cursor() as cur:
        rows = cur.execute(
            f"""select p.customer_id, t.step, s.label, c.label from {version.table("jr_touch")} t
                join {version.table("jr_people")} p using (cust_key)
                join {version.table("jr_labels")} s on s.kind = 'stage' and s.code = t.stage_code
                join {version.table("jr_labels")} c on c.kind = 'channel' and c.code = t.channel_code
                where p.customer_id in ('A', 'B') order by p.customer_id, t.step"""
        ).fetchall()
    # A's e-mail complaint and phone billing contact share 2024-01-04 10:00: the e-mail is earlier in the file.
    assert rows == [
        ("A", 1, "complaint", "phone"),
        ("A", 2, "complaint", "email"),
        ("A", 3, "billing", "phone"),
        ("A", 4, "complaint", "phone"),
        ("B", 1, "usage", "web"),
        ("B", 2, "usage", "app"),
        ("B", 3, "complaint", "phone"),
    ]


def test_stage_codes_follow_the_journey_order(tiny):
    labels = run(tiny, journey.labels, None)
    stages = labels.loc[labels["kind"] == "stage"].sort_values("code")["label"].tolist()
    assert stages == ["awareness", "usage", "billing", "complaint", "renewal", "exit"]


def test_first_contact_resolution_by_hand(tiny):
    m = measure(tiny, ALL)
    # contacts = customer-started with a reason: A's 4, B's 3, D's 3 (C's and X's are company-started) = 10
    # repeats within 7 days: a1 (a2 after 2 days), a2 (a3 after 0 days: the tie), b1 (b2 after 0 days), d1 (d2 after 2 days)
    # resolved at first contact: not repeated and resolved: a3, b2, b3, d2, d3 (a4 was never resolved) of 10 whose
    # resolution is known
    assert (m["fcr"].numerator, m["fcr"].denominator) == (5, 10)
    assert m["fcr"].value == pytest.approx(0.5)
    assert m["repeat_rate"].value == pytest.approx(0.4)
    # switches: a1 phone → a2 email, a2 email → a3 phone, b1 web → b2 app (d1 → d2 both chat)
    assert m["channel_switching"].value == pytest.approx(0.3)
    # 10 of 12 touchpoints started by the customer
    assert m["customer_started"].value == pytest.approx(10 / 12)


def test_a_one_day_window_still_catches_same_moment_repeats(tiny):
    m = measure(tiny, JourneySpec(repeat_days=1, min_base=1))
    # only the 0-day repeats (a2 → a3, b1 → b2) are within 1 day; the 2-day gaps are not
    assert m["repeat_rate"].numerator == 2
    m = measure(tiny, JourneySpec(repeat_days=60, min_base=1))
    # 60 days also catches a3 → a4 (47 days)
    assert m["repeat_rate"].numerator == 5


def test_complaints_resolution_and_sla_by_hand(tiny):
    m = measure(tiny, ALL)
    # complaints opening a case: a1, a4 (47 days after the last "Bill" contact), b3, d1; a2 and d2 are repeats
    assert m["complaints"].value == 4
    # resolution days: a1 1.0, b3 8.0, d1 2 h = 0.0833; a4 unresolved
    assert m["resolution_median"].value == pytest.approx(1.0)
    # p90 (linear): 1 + 0.8 × (8 − 1) = 6.6
    assert m["resolution_p90"].value == pytest.approx(6.6)
    # within 5 days: a1, d1 of 4 with a known outcome (a4 unresolved counts as outside)
    assert (m["within_sla"].numerator, m["within_sla"].denominator) == (2, 4)
    assert m["unresolved"].numerator == 1
    m = measure(tiny, JourneySpec(sla_days=8, min_base=1))
    assert m["within_sla"].numerator == 3


def test_complaint_churn_by_hand(tiny):
    groups = run(tiny, journey_service.complaint_churn, ALL).set_index("group")
    # B: resolved, no repeat → resolved at first contact; churned
    assert (groups.loc["fcr", "customers"], groups.loc["fcr", "churned"]) == (1, 1)
    # A (a1 repeated, a4 unresolved) and D (d1 repeated); D churned
    assert (groups.loc["not_fcr", "customers"], groups.loc["not_fcr", "churned"]) == (2, 1)
    assert groups.loc["not_fcr", "churn_rate"] == pytest.approx(0.5)
    # C and X: no complaint, nobody churned
    assert (groups.loc["none", "customers"], groups.loc["none", "churned"]) == (2, 0)


def test_stage_lanes_by_hand(tiny):
    lanes = run(tiny, journey.stage_lanes, ALL).set_index("stage")
    c = lanes.loc["complaint"]
    assert c["touchpoints"] == 6 and c["customers"] == 3
    # satisfaction 2, 1, 2, 3, 2 → 2.0; effort 4, 5, 4, 3, 4 → 4.0; cost 46 over 6 touchpoints
    assert c["satisfaction"] == pytest.approx(2.0)
    assert c["effort"] == pytest.approx(4.0)
    assert c["cost_per_contact"] == pytest.approx(46 / 6)
    # low satisfaction (≤ 2): 4 of 5 ratings; repeats: a1, a2, d1 of 6 contacts; SLA: a4 and b3 of 4 cases
    assert c["low_sat_share"] == pytest.approx(0.8)
    assert c["repeat_rate"] == pytest.approx(0.5)
    assert c["sla_breach_share"] == pytest.approx(0.5)
    assert (c["pain"], c["pain_value"]) == ("low_satisfaction", pytest.approx(0.8))
    # time to next stage: A's complaint visit (a1) to billing (a3) 2 days; D's complaint (d1) to exit 9 days
    assert c["days_to_next"] == pytest.approx(5.5)
    # B entered usage on 5 Jan 08:00 and complaint on 20 Jan 09:00
    assert lanes.loc["usage", "days_to_next"] == pytest.approx(15 + 1 / 24)
    assert lanes.loc["billing", "days_to_next"] == pytest.approx(47.0)
    assert pd.isna(lanes.loc["renewal", "days_to_next"])
    # one-touchpoint customers: C's renewal, X's advert
    assert lanes.loc["renewal", "customers"] == 1 and lanes.loc["awareness", "customers"] == 1
    assert pd.isna(lanes.loc["renewal", "pain"])


def test_min_base_hides_thin_rates(tiny):
    lanes = run(tiny, journey.stage_lanes, JourneySpec(min_base=6)).set_index("stage")
    # only 5 ratings in complaint: low satisfaction is not shown; 6 contacts: the repeat rate is
    assert pd.isna(lanes.loc["complaint", "low_sat_share"])
    assert lanes.loc["complaint", "pain"] == "repeat_contacts"


def test_distinct_customers_over_months(tiny):
    feb_mar = Filters(month_from=date(2024, 2, 1), month_to=date(2024, 3, 1))
    lanes = run(tiny, journey.stage_lanes, JourneySpec(feb_mar, min_base=1)).set_index("stage")
    # complaints in February (A) and March (D, twice); A also complained in January: counted once
    assert lanes.loc["complaint", "touchpoints"] == 3
    assert lanes.loc["complaint", "customers"] == 2
    cells = run(tiny, journey.cells, ALL)
    phone = cells[(cells["stage"] == "complaint") & (cells["channel"] == "phone")].iloc[0]
    assert (phone["touchpoints"], phone["customers"]) == (3, 2)  # a1, a4 (A) and b3 (B)


def test_segment_filter_and_not_set(tiny):
    home = run(tiny, journey.summary, JourneySpec(Filters(segments=("Home",)), min_base=1)).iloc[0]
    assert (home["touchpoints"], home["customers"]) == (7, 2)
    not_set = run(tiny, journey.summary, JourneySpec(Filters(segments=("(not set)",)), min_base=1)).iloc[0]
    assert (not_set["touchpoints"], not_set["customers"]) == (1, 1)


def links(frame: pd.DataFrame) -> set[tuple]:
    rows = frame[frame["kind"] == "link"]
    return {(int(r.step), r.source, r.target, int(r.customers)) for r in rows.itertuples(index=False)}


def nodes(frame: pd.DataFrame) -> set[tuple]:
    rows = frame[frame["kind"] == "node"]
    return {(int(r.step), r.source, int(r.customers)) for r in rows.itertuples(index=False)}


def test_sankey_by_stage_shows_loops(tiny):
    frame = run(tiny, journey_paths.sankey, PathSpec(steps=4, nodes="stage", top_links=10))
    # A: complaint, complaint, billing, complaint; B: usage, usage, complaint; C: renewal;
    # D: complaint, complaint, exit; X: awareness
    assert nodes(frame) == {
        (1, "awareness", 1),
        (1, "usage", 1),
        (1, "complaint", 2),
        (1, "renewal", 1),
        (2, "usage", 1),
        (2, "complaint", 2),
        (3, "billing", 1),
        (3, "complaint", 1),
        (3, "exit", 1),
        (4, "complaint", 1),
    }
    assert links(frame) == {
        (1, "usage", "usage", 1),
        (1, "complaint", "complaint", 2),
        (2, "usage", "complaint", 1),
        (2, "complaint", "billing", 1),
        (2, "complaint", "exit", 1),
        (3, "billing", "complaint", 1),
    }


def test_sankey_folds_all_but_the_top_link_into_other(tiny):
    frame = run(tiny, journey_paths.sankey, PathSpec(steps=3, nodes="stage", top_links=1))
    # step 1 keeps complaint (2 customers); usage, renewal, awareness become Other (3)
    # step 1→2: complaint→complaint (2) kept; Other→usage is folded into Other→Other (1)
    # step 2→3: three links of 1; the tie goes to the smaller codes: complaint→billing; the others go to Other
    assert links(frame) == {
        (1, "complaint", "complaint", 2),
        (1, "Other", "Other", 1),
        (2, "complaint", "billing", 1),
        (2, "complaint", "Other", 1),
        (2, "Other", "Other", 1),
    }
    # every customer is in one node per step reached: 5, then 3, then 3
    totals = frame[frame["kind"] == "node"].groupby("step")["customers"].sum().tolist()
    assert totals == [5, 3, 3]


def test_sankey_by_stage_and_channel(tiny):
    frame = run(tiny, journey_paths.sankey, PathSpec(steps=2, nodes="both", top_links=10))
    assert (1, "complaint · phone", "complaint · email", 1) in links(frame)
    assert (1, "usage · web", "usage · app", 1) in links(frame)


def test_paths_start_in_the_period_and_stop_at_its_end(tiny):
    feb_mar = Filters(month_from=date(2024, 2, 1), month_to=date(2024, 3, 1))
    frame = run(tiny, journey_paths.sankey, PathSpec(feb_mar, steps=3, top_links=10))
    # A's path starts at a4 (February); C's renewal; D's three touchpoints in March
    assert nodes(frame) == {(1, "complaint", 2), (1, "renewal", 1), (2, "complaint", 1), (3, "exit", 1)}
    january = Filters(month_to=date(2024, 1, 1))
    variants = run(tiny, journey_paths.variants, VariantSpec(january, steps=4, limit=10)).set_index("variant")
    # a4 is in February: A's path stops after 3 touchpoints; C and D have nothing in January
    assert set(variants.index) == {"complaint → complaint → billing", "usage → usage → complaint", "awareness"}
    assert variants.loc["complaint → complaint → billing", "median_days"] == pytest.approx(2.0)


def test_variants_by_hand(tiny):
    variants = run(tiny, journey_paths.variants, VariantSpec(steps=3, limit=10))
    # five customers, five different paths, one customer each: ordered by codes
    assert variants["variant"].tolist() == [
        "awareness",
        "usage → usage → complaint",
        "complaint → complaint → billing",
        "complaint → complaint → exit",
        "renewal",
    ]
    assert variants["share"].tolist() == pytest.approx([0.2] * 5)
    row = variants.set_index("variant").loc["usage → usage → complaint"]
    # B: 5 Jan 08:00 to 20 Jan 09:00; B churned
    assert row["median_days"] == pytest.approx(15 + 1 / 24)
    assert row["churn_rate"] == 1.0 and row["touchpoints"] == 3


def test_fold_paths_conserves_customers():
    rng = np.random.default_rng(3)
    codes = rng.integers(1, 6, size=(500, 5))
    ended = rng.integers(1, 6, size=500)
    for i, stop in enumerate(ended):
        codes[i, stop:] = 0
    node_frame, link_frame = fold_paths(codes, None, 3)
    weighted, _ = fold_paths(codes[:250], np.full(250, 2), 3)
    assert weighted.groupby("step")["customers"].sum().tolist() == [2 * (ended[:250] > k).sum() for k in range(5)]
    per_step = node_frame.groupby("step")["customers"].sum()
    assert per_step.tolist() == [(ended > k).sum() for k in range(5)]
    assert (link_frame.groupby("step").size() <= 3 + 4).all()  # top 3 kept, at most one "→ Other" per source


def test_drill_down_by_stage_channel_and_variant(tiny):
    people = run(tiny, journey_drill.customers_behind, journey_drill.DrillSpec(ALL.filters, "stage", "complaint"))
    assert people["customer_id"].tolist() == ["A", "D", "B"]  # 3, 2, 1 complaint touchpoints
    assert people["total"].iloc[0] == 3
    assert people["touchpoints"].tolist() == [3, 2, 1]
    chat = run(tiny, journey_drill.customers_behind, journey_drill.DrillSpec(ALL.filters, "channel", "chat"))
    assert chat["customer_id"].tolist() == ["D"]
    variants = run(tiny, journey_paths.variants, VariantSpec(steps=3, limit=10)).set_index("variant")
    key = variants.loc["complaint → complaint → exit", "codes"]
    drilled = run(tiny, journey_drill.customers_behind, journey_drill.DrillSpec(ALL.filters, "variant", key, 3, "stage"))
    assert drilled["customer_id"].tolist() == ["D"] and drilled["touchpoints"].tolist() == [3]
    options = run(tiny, journey_drill.options, ALL)
    assert options.loc[(options["kind"] == "channel") & (options["label"] == "phone"), "customers"].item() == 3


def test_timeline_orders_ties_by_file_row(tiny):
    events = run(tiny, customers.timeline, customers.TimelineSpec(("A",)))
    assert events["kind"].tolist() == ["touchpoint", "touchpoint", "touchpoint", "transaction", "transaction", "touchpoint"]
    assert events["channel"].tolist()[:3] == ["phone", "email", "phone"]
    assert events.loc[events["kind"] == "touchpoint", "step"].tolist() == [1, 2, 3, 4]
    with pytest.raises(ValueError):
        customers.TimelineSpec(()).validate()


def test_hotspots_name_the_worst_stages(tiny):
    spots = journey.hotspots(run(tiny, journey.stage_lanes, ALL), 1).set_index("key")
    assert spots.loc["satisfaction", "stage"] == "complaint"  # 2.0 against billing 3 and usage 4.5
    assert spots.loc["effort", "stage"] == "complaint"  # 4.0 against usage 1.5
    # repeats: usage 1 of 2 and complaint 3 of 6 tie at 50 %; the earlier stage in the journey is named
    assert (spots.loc["repeat_rate", "stage"], spots.loc["repeat_rate", "value"]) == ("usage", 0.5)
    assert spots.loc["sla_breach_share", "stage"] == "complaint"
    # each names the next worst too: satisfaction billing 3.0 after complaint 2.0; repeats complaint 50 % after usage
    assert (spots.loc["satisfaction", "runner_up"], spots.loc["satisfaction", "runner_up_value"]) == ("billing", 3.0)
    assert (spots.loc["effort", "runner_up"], spots.loc["effort", "runner_up_value"]) == ("usage", 1.5)
    assert (spots.loc["repeat_rate", "runner_up"], spots.loc["repeat_rate", "runner_up_value"]) == ("complaint", 0.5)


def test_specs_reject_out_of_range_values():
    for bad in (JourneySpec(repeat_days=0), JourneySpec(sla_days=91), JourneySpec(min_base=0)):
        with pytest.raises(ValueError):
            bad.validate()
    for bad in (PathSpec(steps=1), PathSpec(steps=11), PathSpec(nodes="reason"), PathSpec(top_links=0)):
        with pytest.raises(ValueError):
            bad.validate()
    with pytest.raises(ValueError):
        journey_drill.DrillSpec(kind="variant", value="1-2-3-4-5-6", steps=5).validate()


def test_a_dataset_without_touchpoints_or_optional_columns(tmp_path):
    store = Store(tmp_path / "bare.duckdb")
    tables = journey_tables()
    bare = store.publish("bare", {"customers": tables["customers"], "transactions": tables["transactions"]})
    with store.cursor() as cur:
        assert journey.stage_lanes(cur, bare, ALL).empty
        assert journey_paths.sankey(cur, bare, PathSpec()).empty
        assert journey_service.measures(cur, bare, ALL)["value"].isna().all()
    minimal = tables["interactions"][["customer_id", "ts", "channel"]]
    version = store.publish("minimal", {"customers": tables["customers"], "interactions": minimal})
    missing = [column for _, column in journey.missing_columns(version)]
    assert missing == ["stage", "satisfaction", "effort", "reason", "resolved_ts", "cost", "initiated_by"]
    with store.cursor() as cur:
        labels = journey.labels(cur, version, None)
        assert not journey.has_stages(labels)
        frame = journey_paths.sankey(cur, version, PathSpec(steps=2, nodes="channel"))
        assert (1, "phone", "email", 1) in links(frame)  # A: phone then e-mail
        m = journey_service.measures(cur, version, ALL).set_index("key")
        assert m.loc["fcr", "value"] is None or pd.isna(m.loc["fcr", "value"])
        assert not m.loc["fcr", "available"]
    store.close()
