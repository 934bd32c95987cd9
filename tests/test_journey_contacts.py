"""Contacts of several steps, waits and promises (issue 14 items 4 and 5), on tiny call logs worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.metrics import journey_contacts, journey_service
from dashboard.metrics.journey import JourneySpec
from dashboard.metrics.journey_contacts import WaitSpec
from dashboard.store import Store
from tests.journey_contacts_tiny import call_log, promises

ALL = JourneySpec(min_base=1)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    found = Store(tmp_path_factory.mktemp("calls") / "calls.duckdb")
    yield found
    found.close()


def _measures(store, version, spec=ALL) -> pd.DataFrame:
    with store.cursor() as cur:
        return journey_service.measures(cur, version, spec).set_index("key")


def test_the_steps_of_one_call_are_one_contact(store):
    """C1 calls about billing on 1 Jan (A: IVR, queue, agent; resolved) and again on 3 Jan (B: IVR, queue; abandoned,
    unresolved); C2 calls once (C: IVR, queue, agent; resolved). Per contact: A is repeated by B within 7 days, so of the
    three contacts only C is resolved at first contact (1/3); one repeat in three; both of C1's calls start at the IVR,
    so nobody switched channel. Read step by step (no contact_id) the same log gives 1 of 8 (12.5 %), every step but
    the last of each caller a repeat, and a switch from IVR to phone."""
    with_ids = store.publish("calls", {"interactions": call_log()})
    m = _measures(store, with_ids)
    assert (m.loc["fcr", "numerator"], m.loc["fcr", "denominator"]) == (1, 3)
    assert (m.loc["repeat_rate", "numerator"], m.loc["repeat_rate", "denominator"]) == (1, 3)
    assert m.loc["channel_switching", "value"] == 0
    with store.cursor() as cur:
        steps = journey_contacts.steps(cur, with_ids, ALL).iloc[0]
    assert (steps["touchpoints"], steps["contacts"]) == (8, 3)

    per_step = store.publish("calls_per_step", {"interactions": call_log().drop(columns=["contact_id"])})
    m = _measures(store, per_step)
    assert (m.loc["fcr", "numerator"], m.loc["fcr", "denominator"]) == (1, 8)
    assert (m.loc["repeat_rate", "numerator"], m.loc["repeat_rate", "denominator"]) == (6, 8)
    assert m.loc["channel_switching", "numerator"] > 0


def test_waits_handling_and_abandoned_by_hand(store):
    """Waits 40 (A), 200 (B), 0 (C) and 90 (an anonymous caller): median 65 s; P90 = 90 + 0.7 × (200 − 90) = 167 s;
    2 of 4 waited over a minute; B and the anonymous caller abandoned: 2 of the 4 queue steps with a flag; handling
    30, 300, 20, 10, 100: median 30 s."""
    version = store.publish("waits", {"interactions": call_log(anonymous=True)})
    with store.cursor() as cur:
        w = journey_contacts.waits(cur, version, WaitSpec()).set_index("key")
        longer = journey_contacts.waits(cur, version, WaitSpec(over_s=100)).set_index("key")
    assert w.loc["wait_median", "value"] == pytest.approx(65)
    assert w.loc["wait_p90", "value"] == pytest.approx(167)
    assert (w.loc["waited_over", "numerator"], w.loc["waited_over", "denominator"]) == (2, 4)
    assert w.loc["waited_over", "label"] == "Waited over 60 s"
    assert (w.loc["abandoned", "numerator"], w.loc["abandoned", "denominator"]) == (2, 4)
    assert w.loc["handle_median", "value"] == pytest.approx(30)
    assert longer.loc["waited_over", "value"] == pytest.approx(0.25)  # only B's 200 s


def test_waits_say_what_is_missing(store):
    version = store.publish("no_waits", {"interactions": call_log().drop(columns=["wait_s", "abandoned"])})
    with store.cursor() as cur:
        w = journey_contacts.waits(cur, version, WaitSpec()).set_index("key")
    assert not w.loc["wait_median", "available"] and pd.isna(w.loc["wait_median", "value"])
    assert not w.loc["abandoned", "available"] and w.loc["abandoned", "needs"] == "abandoned"
    assert w.loc["handle_median", "available"] and w.loc["handle_median", "value"] == pytest.approx(30)
    with pytest.raises(ValueError):
        WaitSpec(over_s=0).validate()


def test_within_sla_follows_each_cases_own_promise(store):
    """Five complaints on 1 Jan, SLA 5 days: K1 resolved 4 Jan, due 3 Jan (late); K2 resolved 10 Jan, due 12 Jan (kept,
    though 9 days); K3 resolved 3 Jan but its on-time flag says no; K4 resolved 3 Jan without a promise (2 days: within
    the fixed 5); K5 never resolved, due 5 Jan. Within SLA: K2 and K4, 2 of 5; 3 judged by due date, 1 by the flag, 1 by
    the fixed days."""
    version = store.publish("promises", promises())
    m = _measures(store, version, JourneySpec(sla_days=5, min_base=1))
    assert (m.loc["within_sla", "numerator"], m.loc["within_sla", "denominator"]) == (2, 5)
    with store.cursor() as cur:
        rules = journey_contacts.sla_rules(cur, version, JourneySpec(sla_days=5, min_base=1)).set_index("rule")["cases"]
        broke = dict(cur.execute(f"select customer_id, broke_promise from {version.table('df_complaints')}").fetchall())
    assert rules.to_dict() == {"on-time flag": 1, "due date": 3, "days": 1}
    # Defection's badly handled complaint reads the same promise: K2 kept it (9 days), K3 broke it (2 days)
    assert broke == {"K1": True, "K2": False, "K3": True, "K4": None, "K5": True}
