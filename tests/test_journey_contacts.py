"""Contacts of several steps, waits and promises (issue 14 items 4 and 5), on tiny call logs worked out by hand."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from dashboard.__main__ import main
from dashboard.metrics.journey import contacts as journey_contacts
from dashboard.metrics.journey import service as journey_service
from dashboard.metrics.journey.contacts import WaitSpec
from dashboard.metrics.journey.lanes import JourneySpec
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


CALL_LOG = (
    "Call ID,Caller,Date,Reason,IVR start,IVR Time,Queue start,Queue Time,Abandoned,Agent start,Talk Time,Resolved\n"
    "A,C1,2024-01-01,billing,10:00:00,0:00:30,10:01:00,0:00:40,No,10:02:00,0:05:00,Yes\n"
    "B,C1,2024-01-03,billing,09:00:00,0:00:20,09:01:00,0:03:20,Yes,,,No\n"
    "C,C2,2024-01-02,billing,11:00:00,0:00:10,11:01:00,0,No,11:02:00,0:01:40,Yes\n"
)
STEPS_MAPPING = {
    "interactions": {
        "columns": {"customer_id": "Caller", "contact_id": "Call ID", "ts": "Date", "reason": "Reason", "resolved": "Resolved"},
        "steps": [
            {"channel": "ivr", "stage": "support", "time": "IVR start", "handle_s": "IVR Time"},
            {"channel": "phone", "stage": "support", "time": "Queue start", "wait_s": "Queue Time", "abandoned": "Abandoned"},
            {"channel": "phone", "stage": "support", "time": "Agent start", "handle_s": "Talk Time"},
        ],
    }
}


def _published_figures(db, dataset: str):
    found = Store(db)
    try:
        version = found.active_version(dataset)
        with found.cursor() as cur:
            m = journey_service.measures(cur, version, ALL).set_index("key")
            w = journey_contacts.waits(cur, version, WaitSpec()).set_index("key")
            steps = journey_contacts.steps(cur, version, ALL).iloc[0]
            rows = cur.execute(
                f"select contact_id, channel, strftime(ts, '%d %H:%M'), wait_s, handle_s, abandoned "
                f"from {version.table('interactions')} order by ts"
            ).fetchall()
        return version, m, w, steps, rows
    finally:
        found.close()


def test_a_call_log_goes_through_the_cli_one_row_to_several_steps(tmp_path, monkeypatch, capsys):
    """Each row of the call log is one call passing IVR, queue and agent (B hung up in the queue: no agent step), its
    times of day on the call's date, durations H:MM:SS. Published: 8 touchpoints in 3 contacts; FCR per contact 1 of 3
    (A is repeated by B, B unresolved); waits 40, 200, 0 s: median 40, P90 40 + 0.8 × 160 = 168, 1 of 3 over a minute;
    1 of 3 abandoned; handling 30, 300, 20, 10, 100 s: median 30. Next month the saved template does it in one step."""
    db = tmp_path / "calls.duckdb"
    monkeypatch.setenv("CXLENS_DB", str(db))
    log = tmp_path / "calls.csv"
    log.write_text(CALL_LOG)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(STEPS_MAPPING))
    saved = tmp_path / "saved.json"
    args = ["ingest", "--dataset", "calls", "--interactions", str(log), "--mapping", str(mapping)]
    code = main([*args, "--save-mapping", str(saved)])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "calls.csv (one row per step)" in out and "no value in column 'Step wait'" not in out
    assert json.loads(saved.read_text())["interactions"]["steps"] == STEPS_MAPPING["interactions"]["steps"]
    first, m, w, steps, rows = _published_figures(db, "calls")
    assert first.number == 1
    assert rows[:3] == [
        ("A", "ivr", "01 10:00", None, 30.0, None),
        ("A", "phone", "01 10:01", 40.0, None, False),
        ("A", "phone", "01 10:02", None, 300.0, None),
    ]
    assert len(rows) == 8 and [r[0] for r in rows].count("B") == 2  # B never reached an agent
    assert (steps["touchpoints"], steps["contacts"]) == (8, 3)
    assert (m.loc["fcr", "numerator"], m.loc["fcr", "denominator"]) == (1, 3)
    assert w.loc["wait_median", "value"] == pytest.approx(40)
    assert w.loc["wait_p90", "value"] == pytest.approx(168)
    assert (w.loc["waited_over", "numerator"], w.loc["waited_over", "denominator"]) == (1, 3)
    assert (w.loc["abandoned", "numerator"], w.loc["abandoned", "denominator"]) == (1, 3)
    assert w.loc["handle_median", "value"] == pytest.approx(30)

    again = tmp_path / "february.csv"
    again.write_text(CALL_LOG)
    assert main(["ingest", "--dataset", "calls", "--interactions", str(again)]) == 0, capsys.readouterr()
    second, m2, w2, steps2, _ = _published_figures(db, "calls")
    assert second.number == 2 and (steps2["touchpoints"], steps2["contacts"]) == (8, 3)
    assert m2.loc["fcr", "value"] == pytest.approx(1 / 3) and w2.loc["wait_p90", "value"] == pytest.approx(168)

    # the Data page's upload takes the same template through the same code: the file is read one row per step
    from dashboard.ingest.pipeline import IncomingFile, Upload

    found = Store(db)
    upload = Upload(found, tmp_path / "uploads")
    try:
        upload.add_files("interactions", [IncomingFile(again, again.name)])
        assert [s.name for s in upload.sources["interactions"]] == ["february.csv (one row per step)"]
        assert upload.check().ok
        assert upload.publish("calls").row_counts["interactions"] == 8
    finally:
        upload.close()
        found.close()


def test_steps_in_a_mapping_file_are_checked():
    from dashboard.ingest.errors import IngestError
    from dashboard.ingest.mapping import TableMapping

    with pytest.raises(IngestError, match="name the step's channel"):
        TableMapping.from_json("interactions", {"steps": [{"time": "IVR start"}]})
    with pytest.raises(IngestError, match="at least one column of its own"):
        TableMapping.from_json("interactions", {"steps": [{"channel": "ivr"}]})
    with pytest.raises(IngestError, match=r"steps .* are for interactions"):
        TableMapping.from_json("transactions", {"steps": [{"channel": "ivr", "time": "x"}]})
    mapping = TableMapping.from_json("interactions", STEPS_MAPPING["interactions"])
    assert mapping.to_json()["steps"] == STEPS_MAPPING["interactions"]["steps"]
    reading = mapping.reading_steps()
    assert reading.columns["channel"] == "Step channel" and reading.columns["contact_id"] == "Call ID"
    assert reading.times == {"ts": "Step time of day"}


def test_call_log_and_complaint_register_headers_are_recognised(store):
    """A contact-centre export's call id, queue and talk times and abandoned flag, a ticket's due date and a complaint
    register's "Timely response?" map to the contract when their values fit; a wait column of words does not."""
    from dashboard.ingest.mapping import suggest

    headers = ["Call ID", "Caller", "Date", "Queue Time", "Talk Time", "Abandoned", "Due Date", "Timely response?"]
    samples = {
        "Call ID": ["K-1", "K-2"],
        "Caller": ["C1", "C2"],
        "Date": ["2024-01-01 10:00", "2024-01-02 11:00"],
        "Queue Time": ["0:00:40", "0:03:20"],
        "Talk Time": ["300", "95"],
        "Abandoned": ["No", "Yes"],
        "Due Date": ["2024-01-05", "2024-01-06"],
        "Timely response?": ["Yes", "No"],
    }
    with store.cursor() as cur:
        columns = suggest("interactions", headers, samples, cur).columns
        worded = suggest("interactions", headers, {**samples, "Queue Time": ["long", "short"]}, cur).columns
    assert {k: columns.get(k) for k in ("contact_id", "wait_s", "handle_s", "abandoned", "due_ts", "on_time")} == {
        "contact_id": "Call ID",
        "wait_s": "Queue Time",
        "handle_s": "Talk Time",
        "abandoned": "Abandoned",
        "due_ts": "Due Date",
        "on_time": "Timely response?",
    }
    assert "wait_s" not in worded


@pytest.mark.parametrize("anonymous", [False, True])
def test_sql_agrees_with_the_pandas_reference_on_a_call_log(store, anonymous):
    from benchmarks.reference import journey as reference
    from dashboard.metrics.scope import Filters

    calls = call_log(anonymous=anonymous)
    tables = {
        "interactions": calls.assign(initiated_by="customer", resolved_ts=pd.NaT),
        "customers": pd.DataFrame({"customer_id": ["C1", "C2"], "segment": [None, None], "region": [None, None]}).assign(
            churned=None, churn_date=None
        ),
    }
    version = store.publish(f"reference_{anonymous}", {"interactions": calls})
    m = _measures(store, version)
    ref = reference.service(tables, Filters(), 7)
    assert (m.loc["fcr", "numerator"], m.loc["fcr", "denominator"]) == (ref["first_time"], ref["judged"])
    assert (m.loc["repeat_rate", "numerator"], m.loc["channel_switching", "numerator"]) == (ref["repeats"], ref["switches"])
    with store.cursor() as cur:
        w = journey_contacts.waits(cur, version, WaitSpec(over_s=30)).set_index("key")
    ref = reference.waits(tables, Filters(), 30)
    assert w.loc["wait_median", "value"] == pytest.approx(ref["wait_median"])
    assert w.loc["wait_p90", "value"] == pytest.approx(ref["wait_p90"])
    assert (w.loc["waited_over", "numerator"], w.loc["waited_over", "denominator"]) == (ref["waited_over"], ref["waited"])
    assert (w.loc["abandoned", "numerator"], w.loc["abandoned", "denominator"]) == (ref["abandoned"], ref["flagged"])
    assert w.loc["handle_median", "value"] == pytest.approx(ref["handle_median"])


def test_the_journey_page_shows_contacts_waits_and_promise_rules(app_tiny_db):
    """The call log of test_waits_handling_and_abandoned_by_hand on the page, C2's call a complaint resolved on 2 Jan
    and due on 3 Jan: judged by its own due date."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    calls = call_log(anonymous=True)
    calls.loc[calls["contact_id"] == "C", "stage"] = "complaint"
    calls["due_ts"] = pd.to_datetime(["2024-01-03"] * len(calls))
    calls["resolved_ts"] = pd.to_datetime(["2024-01-02 12:00" if c == "C" else None for c in calls["contact_id"]])
    found = Store(app_tiny_db)
    found.publish("calls", {"interactions": calls})
    found.close()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["ds"] = "calls"
    at.query_params["j_tab"] = "Service"
    at.switch_page("pages/1_Journey.py")
    at.run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["First-contact resolution"] == "33.3 %"
    assert (metrics["Median wait"], metrics["P90 wait"], metrics["Waited over 60 s"]) == ("65 s", "2.8 min", "50.0 %")
    assert (metrics["Abandoned"], metrics["Median handling"]) == ("50.0 %", "30 s")
    captions = " ".join(c.value for c in at.caption)
    assert "8 touchpoints of known customers make 3 contacts" in captions
    assert "**Within SLA** judged 1 by their own due date." in captions
    assert metrics["Within SLA"] == "100.0 %"
    at.number_input(key="w:j_wait_over").set_value(100).run()
    assert {m.label: m.value for m in at.metric}["Waited over 100 s"] == "25.0 %"
    assert at.query_params["j_wait_over"] == ["100"] or at.query_params["j_wait_over"] == "100"


def test_contacts_are_counted_once_per_call_in_the_journey_summary(store):
    """The call log's 8 touchpoints (every one customer-started) are 3 contacts on the Journey summary."""
    from dashboard.metrics.journey import lanes as journey

    version = store.publish("summary", {"interactions": call_log()})
    with store.cursor() as cur:
        summary = journey.summary(cur, version, ALL).iloc[0]
    assert (summary["touchpoints"], summary["contacts"]) == (8, 3)


def test_the_staged_definitions_say_what_one_contact_is(store):
    from dashboard import staged

    version = store.publish("said", {"interactions": call_log()})
    with store.cursor() as cur:
        found = staged.load_profile(cur, version)
        said = staged.sentences(cur, version)
    assert found.contact_steps and not found.due_dates
    assert said["repeat"].endswith("Touchpoints sharing a contact_id are one contact, counted once at its first step.")


def test_the_data_page_takes_steps_and_publishes_a_call_log(tmp_path, monkeypatch):
    """On the Data page: upload the call log, type its steps, publish: 8 touchpoints, the same code as the CLI."""
    from tests.conftest import _clear_streamlit_caches, data_page

    _clear_streamlit_caches()
    db = tmp_path / "cxlens.duckdb"
    monkeypatch.setenv("CXLENS_DB", str(db))
    monkeypatch.setenv("CXLENS_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("CXLENS_NO_SAMPLE", "1")
    at = data_page()
    at.file_uploader[2].set_value(("calls.csv", CALL_LOG.encode(), "text/csv")).run()
    assert not at.exception
    box = next(t for t in at.text_area if str(t.key).startswith("d_steps_interactions"))
    box.input("[{oops").run()
    assert "Expecting property name" in " ".join(e.value for e in at.error)
    box = next(t for t in at.text_area if str(t.key).startswith("d_steps_interactions"))
    box.input(json.dumps(STEPS_MAPPING["interactions"]["steps"])).run()
    assert not at.exception
    assert "Nothing blocks publishing" in " ".join(s.value for s in at.success)
    assert {m.label: m.value for m in at.metric}["To publish"] == "8"
    at.radio[0].set_value("New dataset").run()
    next(t for t in at.text_input if str(t.key).startswith("d_newname")).input("calls").run()
    next(b for b in at.button if b.label == "Publish").click().run()
    assert not at.exception
    found = Store(db)
    try:
        version = found.active_version("calls")
        with found.cursor() as cur:
            steps = journey_contacts.steps(cur, version, ALL).iloc[0]
        assert (steps["touchpoints"], steps["contacts"]) == (8, 3)
    finally:
        found.close()


def test_a_step_naming_a_missing_column_blocks_with_its_name(store, tmp_path):
    from dashboard.ingest.mapping import TableMapping
    from dashboard.ingest.pipeline import IncomingFile, Upload

    log = tmp_path / "calls.csv"
    log.write_text(CALL_LOG)
    upload = Upload(store, tmp_path / "uploads")
    try:
        upload.add_files("interactions", [IncomingFile(log, log.name)])
        wrong = {**STEPS_MAPPING["interactions"], "steps": [{"channel": "ivr", "time": "IVR begin"}]}
        upload.set_mapping("interactions", TableMapping.from_json("interactions", wrong))
        report = upload.check()
        assert not report.ok
        assert "step 1 reads 'IVR begin', which the file does not have" in " ".join(p.message for p in report.blocking)
        upload.set_mapping("interactions", TableMapping.from_json("interactions", STEPS_MAPPING["interactions"]))
        assert upload.check().ok  # put right, the same upload goes through
    finally:
        upload.close()


@pytest.mark.parametrize("kind", ["xlsx", "parquet"])
def test_a_call_log_as_excel_or_parquet_takes_the_same_steps(store, tmp_path, kind):
    """The CSV call log saved as a typed spreadsheet or Parquet file (dates as dates, times of day as times, durations
    as seconds): the same 8 touchpoints, 3 contacts and waits."""
    import io
    from datetime import time as clock

    from dashboard.ingest.mapping import TableMapping
    from dashboard.ingest.pipeline import IncomingFile, Upload

    frame = pd.read_csv(io.StringIO(CALL_LOG), dtype=str, keep_default_na=False)
    frame["Date"] = pd.to_datetime(frame["Date"])
    for column in ("IVR start", "Queue start", "Agent start"):
        frame[column] = [clock.fromisoformat(v) if v else None for v in frame[column]]
    for column in ("IVR Time", "Queue Time", "Talk Time"):
        frame[column] = [pd.to_timedelta(v).total_seconds() if ":" in v else (float(v) if v else None) for v in frame[column]]
    path = tmp_path / f"calls.{kind}"
    frame.to_excel(path, index=False) if kind == "xlsx" else frame.to_parquet(path, index=False)
    upload = Upload(store, tmp_path / "uploads")
    try:
        upload.add_files("interactions", [IncomingFile(path, path.name)])
        upload.set_mapping("interactions", TableMapping.from_json("interactions", STEPS_MAPPING["interactions"]))
        report = upload.check()
        assert report.ok, [p.message for p in report.blocking]
        version = upload.publish(f"calls_{kind}")
    finally:
        upload.close()
    with store.cursor() as cur:
        steps = journey_contacts.steps(cur, version, ALL).iloc[0]
        w = journey_contacts.waits(cur, version, WaitSpec()).set_index("key")
        first = cur.execute(f"select min(ts) from {version.table('interactions')}").fetchall()[0][0]
    assert (steps["touchpoints"], steps["contacts"]) == (8, 3)
    assert str(first) == "2024-01-01 10:00:00"
    assert (w.loc["wait_p90", "value"], w.loc["handle_median", "value"]) == (pytest.approx(168), pytest.approx(30))


def test_problems_in_a_call_log_name_the_row_of_the_file_as_uploaded(tmp_path):
    """B's call is row 3 of calls.csv (the header is row 1). Its date cannot be read, so both its steps (IVR, queue) are
    rejected; C's queue time (row 4) cannot be read as a duration. Rewritten one row per step, B's steps are rows 5 and 6
    and C's queue row 8 of the long file: the report and the rejected rows must say 3 and 4, the rows the analyst finds."""
    from dashboard.ingest.mapping import Mapping
    from dashboard.ingest.pipeline import IncomingFile, Upload

    log = tmp_path / "calls.csv"
    log.write_text(CALL_LOG.replace("B,C1,2024-01-03", "B,C1,2024-13-45").replace("11:01:00,0,No", "11:01:00,soon,No"))
    store = Store(tmp_path / "rows.duckdb")
    upload = Upload(store, tmp_path / "uploads")
    try:
        upload.mapping = Mapping.from_json(STEPS_MAPPING)
        upload.add_files("interactions", [IncomingFile(log, log.name)], mapping=upload.mapping.tables["interactions"])
        report = upload.check()
        examples = {p.code: [(e.file, e.row) for e in p.examples] for p in report.all_problems() if p.examples}
        bad_date = next(rows for code, rows in examples.items() if ("calls.csv (one row per step)", 3) in rows)
        assert set(bad_date) == {("calls.csv (one row per step)", 3)}
        assert any(rows == [("calls.csv (one row per step)", 4)] for rows in examples.values()), examples
        rejected = upload.rejected("interactions")
        assert sorted(rejected["row"].tolist()) == [3, 3]
    finally:
        upload.close()
        store.close()


ACCOUNT_CALLS = (
    "Call ID,Account,Date,Reason,IVR start,IVR Time,Queue start,Queue Time,Abandoned,Agent start,Talk Time,Resolved\n"
    "A,AC1,2024-01-01,billing,10:00:00,0:00:30,10:01:00,0:00:40,No,10:02:00,0:05:00,Yes\n"
    "B,AC1,2024-01-03,billing,09:00:00,0:00:20,09:01:00,0:03:20,Yes,,,No\n"
    "C,AC2,2024-01-02,billing,11:00:00,0:00:10,11:01:00,0,No,11:02:00,0:01:40,Yes\n"
    "D,AC9,2024-01-04,billing,12:00:00,0:00:10,12:01:00,0:00:05,No,12:02:00,0:01:00,Yes\n"
)
"""The call log of CALL_LOG with an account instead of the caller, and call D from account AC9, which accounts.csv lacks."""
ACCOUNTS = "Account No,Customer\nAC1,C1\nAC2,C2\nAC3,C3\n"


def test_a_call_log_whose_caller_comes_by_lookup_through_an_accounts_file(tmp_path, monkeypatch, capsys):
    """Steps and a lookup on one table: each call's customer comes from accounts.csv through its account. A, B, C
    publish as in the plain call log (8 touchpoints, 3 contacts, FCR 1 of 3, median wait 40 s); D's account AC9 is not
    in accounts.csv, so its three steps are rejected and the report names calls.csv row 5, D's own row."""
    db = tmp_path / "calls.duckdb"
    monkeypatch.setenv("CXLENS_DB", str(db))
    log, accounts = tmp_path / "calls.csv", tmp_path / "accounts.csv"
    log.write_text(ACCOUNT_CALLS)
    accounts.write_text(ACCOUNTS)
    section = dict(STEPS_MAPPING["interactions"])
    section["columns"] = {**section["columns"], "customer_id": "Customer"}
    section["join"] = {"key": "Account", "files": [{"key": "Account No", "how": "lookup"}]}
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"interactions": section}))
    out_dir = tmp_path / "out"
    args = ["ingest", "--dataset", "calls", "--interactions", str(log), str(accounts), "--mapping", str(mapping)]
    code = main([*args, "--rejected-dir", str(out_dir)])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    said = "3 rows have a Account that accounts.csv does not hold, so their looked-up columns are unknown"
    assert said in out and "(the steps of 1 row of calls.csv)" in out, out
    assert out.count("e.g. calls.csv (one row per step) row 5: 'AC9'") == 1, out  # D's steps: one row of the file
    _, m, w, steps, rows = _published_figures(db, "calls")
    assert (steps["touchpoints"], steps["contacts"]) == (8, 3)
    assert {r[0] for r in rows} == {"A", "B", "C"}
    assert (m.loc["fcr", "numerator"], m.loc["fcr", "denominator"]) == (1, 3)
    assert w.loc["wait_median", "value"] == pytest.approx(40)
    rejected = pd.read_csv(out_dir / "calls-interactions-rejected.csv")
    assert rejected[["file", "row"]].values.tolist() == [["calls.csv (one row per step)", 5]] * 3  # D's three steps
    unmatched = pd.read_csv(out_dir / "calls-interactions-unmatched.csv")  # each file's own row: D's call, AC3's account
    assert unmatched[["file", "row"]].values.tolist() == [["calls.csv", 5], ["accounts.csv", 4]]


def test_steps_and_a_lookup_set_in_either_order_on_the_data_page(tmp_path):
    """On the Data page the analyst may give the steps before the lookup or after it: either way the call log is joined
    to accounts.csv first and split into steps after, so A, B and C publish as 8 touchpoints and D (account AC9) is
    rejected; taking the steps away again reads one touchpoint per call (3 published)."""
    from dashboard.ingest.mapping import TableMapping
    from dashboard.ingest.pipeline import IncomingFile, Upload

    log, accounts = tmp_path / "calls.csv", tmp_path / "accounts.csv"
    log.write_text(ACCOUNT_CALLS)
    accounts.write_text(ACCOUNTS)
    section = dict(STEPS_MAPPING["interactions"])
    section["columns"] = {**section["columns"], "customer_id": "Customer"}
    section["join"] = {"key": "Account", "files": [{"key": "Account No", "how": "lookup"}]}
    full = TableMapping.from_json("interactions", section)
    store = Store(tmp_path / "order.duckdb")
    upload = Upload(store, tmp_path / "uploads")
    try:
        files = [IncomingFile(log, log.name), IncomingFile(accounts, accounts.name)]
        for first in (full.copy(join=None), full.copy(steps=[])):
            upload.add_files("interactions", files, mapping=first)
            upload.set_mapping("interactions", full)
            report = upload.check()
            table = report.tables["interactions"]
            assert report.ok and (table.published, table.rejected) == (8, 3), [p.message for p in report.all_problems()]
        no_steps = full.copy(steps=[], columns={**full.columns, "channel": "Reason"})
        upload.set_mapping("interactions", no_steps)
        table = upload.check().tables["interactions"]
        assert (table.published, table.rejected) == (3, 1)
    finally:
        upload.close()
        store.close()


def test_problems_in_an_excel_call_log_name_the_sheet_row(tmp_path):
    """The call log in a workbook whose table starts under a title (header on row 3): B's call is row 5 of the sheet,
    and its unreadable date is reported on row 5 for both its steps (the row Excel shows), not on a row of the steps."""
    from dashboard.ingest.mapping import Mapping
    from dashboard.ingest.pipeline import IncomingFile, Upload

    frame = pd.read_csv(io.StringIO(CALL_LOG.replace("B,C1,2024-01-03", "B,C1,not a date")), dtype=str)
    path = tmp_path / "calls.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame([["Call log export"]]).to_excel(writer, index=False, header=False)
        frame.to_excel(writer, index=False, startrow=2)
    store = Store(tmp_path / "xlsx.duckdb")
    upload = Upload(store, tmp_path / "uploads")
    try:
        upload.mapping = Mapping.from_json(STEPS_MAPPING)
        upload.add_files("interactions", [IncomingFile(path, path.name)], mapping=upload.mapping.tables["interactions"])
        report = upload.check()
        rows = {(e.file, e.row) for p in report.all_problems() for e in p.examples if "not a date" in e.value}
        assert rows == {("calls.xlsx (one row per step)", 5)}, [p.message for p in report.all_problems()]
        assert upload.rejected("interactions")["row"].tolist() == [5, 5]
    finally:
        upload.close()
        store.close()
