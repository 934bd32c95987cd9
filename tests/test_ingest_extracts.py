"""Extracts as systems export them: two-digit years, month names, a date and a time column, durations (issue 14)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from dashboard import contract
from dashboard.ingest import formats
from dashboard.ingest.guess import guess_dates, looks_numeric
from dashboard.ingest.mapping import Mapping, TableMapping, merge_template
from dashboard.store import Store
from tests.ingest_helpers import problems, publish, run_upload, table_rows, write


def _read(values: list[str], style: formats.DateStyle) -> list[datetime | None]:
    con = duckdb.connect()
    value = formats.timestamp_value("x", formats.TEXT, style).value
    return [r[0] for r in con.execute(f"select {value.text} from (select unnest(?) x)", [*value.params, values]).fetchall()]


def test_two_digit_years_follow_the_stated_pivot_not_the_year_22():
    con = duckdb.connect()
    # a few months of data: read day first, the years are 2015 and 2016; read year first they would be 2022, 2013, ...
    sample = ["22-04-15", "13-05-16", "01-12-15", "05-06-15", "30-09-16"]
    guess = guess_dates(con, sample)
    assert guess.style is not None and guess.style.order == "day-first"
    assert _read(["22-04-15", "13-05-16", "01-12-99", "31-01-68", "31-01-69"], guess.style) == [
        datetime(2015, 4, 22),
        datetime(2016, 5, 13),
        datetime(1999, 12, 1),
        datetime(2068, 1, 31),  # 00-68 → 2000s
        datetime(1969, 1, 31),  # 69-99 → 1900s
    ]
    month_first = guess_dates(con, ["04/22/15", "05/13/16"])
    assert month_first.style is not None and month_first.style.order == "month-first"
    assert _read(["04/22/15", "05/13/2016"], month_first.style) == [datetime(2015, 4, 22), datetime(2016, 5, 13)]
    # the same values year first: the years are few that way round
    year_first = guess_dates(con, ["15-04-22", "16-05-13", "15-12-01", "15-06-05", "16-09-30"])
    assert year_first.style is not None and year_first.style.order == "yy-mm-dd"
    assert _read(["15-04-22", "99-12-01"], year_first.style) == [datetime(2015, 4, 22), datetime(1999, 12, 1)]
    # nothing tells dd-mm-yy from yy-mm-dd: asked
    assert guess_dates(con, ["22-04-15", "13-05-16"]).ambiguous == ("day-first", "yy-mm-dd")


def test_day_and_month_first_two_digit_years_that_cannot_be_told_apart_are_asked(store: Store, tmp_path: Path):
    path = write(tmp_path, "tx.csv", "customer_id,date,amount\nC1,01-02-15,10\nC2,03-04-15,20\n")
    upload, report = run_upload(store, tmp_path, {"transactions": [path]})
    upload.close()
    assert "ambiguous_dates" in problems(report, "transactions")
    path = write(tmp_path, "tx2.csv", "customer_id,date,amount\nC1,22-04-15,10\nC2,13-05-16,20\n")
    upload, report = run_upload(store, tmp_path, {"transactions": [path]})
    upload.close()
    problem = problems(report, "transactions")["ambiguous_dates"]
    assert "day first (31/12/2024) or two-digit year first (24-12-31)" in problem.message


def test_month_names_in_seven_languages():
    values = ["22-Apr-15", "3 mars 2021", "15. Okt 2022", "4 de marzo de 2020", "April 22, 2015", "1 mei 2019", "7 dez 2018",
              "12 giugno 2017", "22 Apr 2015 14:30"]  # fmt: skip
    guess = guess_dates(duckdb.connect(), values)
    assert guess.style is not None and guess.style.order == "month-name"
    assert _read(values, guess.style) == [
        datetime(2015, 4, 22),
        datetime(2021, 3, 3),
        datetime(2022, 10, 15),
        datetime(2020, 3, 4),
        datetime(2015, 4, 22),
        datetime(2019, 5, 1),
        datetime(2018, 12, 7),
        datetime(2017, 6, 12),
        datetime(2015, 4, 22, 14, 30),
    ]
    assert _read(["Smarch 3 2020"], guess.style) == [None]


def test_durations_are_seconds():
    con = duckdb.connect()
    value = formats.number_value("x", formats.TEXT).value
    rows = con.execute(f"select {value.text} from (select unnest(?) x)", [*value.params, ["1:02:03", "02:30", "45", "1:75"]])
    assert [r[0] for r in rows.fetchall()] == [3723.0, 150.0, 45.0, None]
    assert looks_numeric(["0:45", "1:02:03", "12:00", "3:10", "0:05"], formats.NumberStyle())


CALLS = (
    "Caller;Call date;Call time;Received via;Handling\n"
    "C1;22-Apr-15;09:15;Phone;4:05\n"
    "C1;23-Apr-15;2:30 PM;Web form;1:00:00\n"
    "C2;3-May-15;;Postal mail;30\n"
)


def _calls_mapping() -> TableMapping:
    return TableMapping(
        "interactions",
        columns={"customer_id": "Caller", "ts": "Call date", "channel": "Received via", "cost": "Handling"},
        times={"ts": "Call time"},
    )


def test_a_date_column_and_a_time_column_make_one_timestamp(store: Store, tmp_path: Path):
    path = write(tmp_path, "calls.csv", CALLS)
    version, _ = publish(store, tmp_path, {"interactions": [path]}, mappings={"interactions": _calls_mapping()})
    rows = table_rows(store, version, "interactions", "ts")
    names = contract.INTERACTIONS.names
    got = [(r[names.index("ts")], r[names.index("cost")]) for r in rows]
    # a blank time keeps the day at 00:00; durations (M:SS, H:MM:SS, plain seconds) are seconds
    assert got == [(datetime(2015, 4, 22, 9, 15), 245.0), (datetime(2015, 4, 23, 14, 30), 3600.0), (datetime(2015, 5, 3), 30.0)]


def test_a_date_and_time_from_excel_and_parquet(store: Store, tmp_path: Path):
    frame = pd.DataFrame(
        {
            "Caller": ["C1", "C2"],
            "Call date": ["15. Okt 2022", "3 mars 2021"],
            "Call time": ["08:00:30", "17:45"],
            "Received via": ["Phone", "Fax"],
        }
    )
    mapping = TableMapping(
        "interactions", columns={"customer_id": "Caller", "ts": "Call date", "channel": "Received via"}, times={"ts": "Call time"}
    )
    frame.to_excel(tmp_path / "calls.xlsx", index=False)
    frame.to_parquet(tmp_path / "calls.parquet")
    for name in ("calls.xlsx", "calls.parquet"):
        version, _ = publish(store, tmp_path, {"interactions": [tmp_path / name]}, mappings={"interactions": mapping})
        ts = sorted(r[contract.INTERACTIONS.names.index("ts")] for r in table_rows(store, version, "interactions"))
        assert ts == [datetime(2021, 3, 3, 17, 45), datetime(2022, 10, 15, 8, 0, 30)], name


def test_time_columns_live_in_the_mapping_file_and_templates():
    mapping = Mapping.from_json({"interactions": {**_calls_mapping().to_json(), "dates": {"Call date": "month-name"}}})
    table = mapping.tables["interactions"]
    assert table.times == {"ts": "Call time"} and table.dates == {"Call date": "month-name"}
    assert Mapping.from_json(mapping.to_json()).tables["interactions"].times == {"ts": "Call time"}
    kept, _ = merge_template(table, ["Caller", "Call date", "Call time", "Received via", "Handling"])
    assert kept.times == {"ts": "Call time"}
    dropped, _ = merge_template(table, ["Caller", "Call date", "Received via", "Handling"])
    assert dropped.times == {}


# -- identifiers: anonymous IDs -----------------------------------------------------------------

SALES = "customer_id,date,amount\nC1,2024-01-05,100\n0,2024-01-06,40\nC2,2024-01-07,60\nunknown,2024-01-08,25\n,2024-01-09,5\n"
"""Two customers (160 between them) and three anonymous sales (0, unknown, a blank ID: 70)."""

CONTACTS = "customer_id,date,channel\nC1,2024-02-01,Phone\n0,2024-02-02,Phone\nANONYMOUS,2024-02-03,Email\nC2,2024-02-04,Email\n"


def test_anonymous_ids_are_proposed_counted_and_no_customers(store: Store, tmp_path: Path):
    from dashboard.metrics import overview
    from dashboard.metrics.journey import lanes as journey
    from dashboard.metrics.scope import Filters

    sales, contacts = write(tmp_path, "sales.csv", SALES), write(tmp_path, "contacts.csv", CONTACTS)
    upload, report = run_upload(store, tmp_path, {"transactions": [sales], "interactions": [contacts]})
    try:
        # proposed because the sample holds "0" and "unknown"; a blank ID is one of them
        assert "0" in upload.mapping.tables["transactions"].anonymous and "" in upload.mapping.tables["transactions"].anonymous
        assert report.ok, [p.message for p in report.blocking]
        assert problems(report, "transactions")["anonymous_id"].count == 3
        assert "not as customers" in problems(report, "transactions")["anonymous_id"].message
        assert problems(report, "interactions")["anonymous_id"].count == 2
        version = upload.publish("shop")
    finally:
        upload.close()
    assert sorted(r[0] for r in table_rows(store, version, "customers")) == ["C1", "C2"]
    tx = table_rows(store, version, "transactions", "ts")
    assert [r[0] for r in tx] == ["C1", None, "C2", None, None]  # stored as customer_id null
    with store.cursor() as cur:
        kpis = overview.kpis(cur, version, Filters())
        summary = journey.summary(cur, version, journey.JourneySpec())
    k = dict(zip(kpis["key"], kpis["value"], strict=True))
    assert k["customers"] == 2  # not 4: the anonymous rows are nobody
    assert k["revenue"] == 230.0  # 160 from customers + 70 anonymous still counts in totals
    assert k["revenue_per_customer"] == 80.0  # 160 ÷ 2: per customer is what customers did
    assert k["contacts_per_customer"] == 1.0  # C1's and C2's contacts ÷ 2; the two anonymous ones are nobody's
    assert int(summary["customers"][0]) == 2
    assert int(summary["touchpoints"][0]) == 4  # the two anonymous contacts count in the touchpoint totals
    with store.cursor() as cur:
        mix = journey.channel_mix(cur, version, journey.JourneySpec())
    # phone: C1 and the caller "0"; email: "ANONYMOUS" and C2
    assert dict(zip(mix["channel"], mix["touchpoints"], strict=True)) == {"phone": 2.0, "email": 2.0}


def test_anonymous_ids_live_in_the_mapping_file():
    data = {"interactions": {"columns": {"customer_id": "Caller"}, "anonymous": ["0", "", "walk-in"]}}
    mapping = Mapping.from_json(data)
    assert mapping.tables["interactions"].anonymous == ["0", "", "walk-in"]
    assert mapping.to_json()["interactions"]["anonymous"] == ["0", "", "walk-in"]


def test_an_id_from_the_row_number_or_from_two_columns(store: Store, tmp_path: Path):
    from dashboard.ingest.rules import Rule

    campaign = write(tmp_path, "campaign.csv", "Name,Signed up\nAda,2024-01-02\nBen,2024-01-03\nAda,2024-01-04\n")
    rows_as_ids = TableMapping("customers", {"signup_date": "Signed up"}, [Rule("customer_id", "row_number")])
    version, _ = publish(store, tmp_path, {"customers": [campaign]}, mappings={"customers": rows_as_ids})
    assert [r[0] for r in table_rows(store, version, "customers", "customer_id")] == ["1", "2", "3"]

    orders = write(tmp_path, "orders.xlsx", b"")
    pd.DataFrame({"Store": ["S1", "S1", "S2"], "Till": [7, 8, 7], "When": ["2024-01-05"] * 3, "Total": [10, 20, 30]}).to_excel(
        orders, index=False
    )
    combined = TableMapping(
        "transactions", {"ts": "When", "amount": "Total"}, [Rule("customer_id", "combine", "Store", other="Till")]
    )
    version, _ = publish(store, tmp_path, {"transactions": [orders]}, mappings={"transactions": combined}, dataset="tills")
    assert sorted(r[0] for r in table_rows(store, version, "transactions")) == ["S1 | 7", "S1 | 8", "S2 | 7"]
    data = Mapping.from_json({"transactions": combined.to_json()}).tables["transactions"]
    assert data.rules == combined.rules


# -- contract: the company's own lifetime value and a churn category ------------------------------

TELCO = (
    "Customer ID,Churn,Churn Category,Churn Reason,CLTV,Contract\n"
    "A,No,,,4000,Month-to-month\nB,Yes,Competitor,Better offer,2500,One year\nC,No,,,6000,Two year\nD,No,,,,Two year\n"
)
"""Three current customers (A 4,000 and C 6,000 with a value, D without) and B, who left for a competitor."""


def test_lifetime_value_and_churn_category_are_recognised_and_shown_for_current_customers(store: Store, tmp_path: Path):
    from dashboard.metrics.defection import figures as defection_figures
    from dashboard.metrics.scope import Filters

    path = write(tmp_path, "telco.csv", TELCO)
    upload, report = run_upload(store, tmp_path, {"customers": [path]})
    try:
        assert report.ok, [p.message for p in report.blocking]
        columns = upload.mapping.tables["customers"].columns
        assert columns["lifetime_value"] == "CLTV" and columns["churn_category"] == "Churn Category"
        assert columns["churn_reason"] == "Churn Reason"
        version = upload.publish("telco")
    finally:
        upload.close()
    with store.cursor() as cur:
        own = defection_figures.company_lifetime_value(cur, version, Filters())
    assert own.to_dict("records") == [{"customers": 2, "mean": 5000.0, "total": 10000.0}]


# -- recognition: one export per family ----------------------------------------------------------


def _suggested(table: str, rows: list[dict]) -> TableMapping:
    from dashboard.ingest.mapping import suggest

    headers = list(rows[0])
    samples = {h: [str(r[h]) for r in rows if r[h] != ""] for h in headers}
    return suggest(table, headers, samples, duckdb.connect())


def _labels(vocabulary: contract.Vocabulary, labels: list[str]) -> dict[str, str | None]:
    return {label: vocabulary.map_label(label) for label in labels}


def test_complaint_register_cfpb():
    rows = [
        {"Date received": "2023-05-01", "Product": "Mortgage", "Issue": "Trouble during payment process", "State": "CA",
         "Submitted via": "Web", "Company response to consumer": "Closed with explanation", "Timely response?": "Yes",
         "Complaint ID": "6931"},
        {"Date received": "2023-05-02", "Product": "Credit card", "Issue": "Fees or interest", "State": "TX",
         "Submitted via": "Referral", "Company response to consumer": "In progress", "Timely response?": "No",
         "Complaint ID": "6932"},
    ]  # fmt: skip
    mapping = _suggested("interactions", rows)
    assert mapping.columns["ts"] == "Date received"
    assert mapping.columns["channel"] == "Submitted via"
    assert mapping.columns["reason"] == "Issue"
    assert "resolved" not in mapping.columns  # "Closed with explanation" is no yes/no
    assert _labels(contract.CHANNELS, ["Web", "Referral", "Phone", "Postal mail", "Fax", "Email", "Web Referral"]) == {
        "Web": "web",
        "Referral": "other",
        "Phone": "phone",
        "Postal mail": "mail",
        "Fax": "mail",
        "Email": "email",
        "Web Referral": "web",
    }
    assert _suggested("customers", [{"Customer ID": "1", "State": "CA"}]).columns["region"] == "State"


def test_e_commerce_orders_olist():
    payments = [
        {"order_id": "e481f5", "payment_sequential": "1", "payment_type": "credit_card", "payment_value": "99.33",
         "customer_unique_id": "861eff", "order_purchase_timestamp": "2017-10-02 10:56:33"},
    ]  # fmt: skip
    mapping = _suggested("transactions", payments)
    assert mapping.columns == {
        "customer_id": "customer_unique_id",
        "ts": "order_purchase_timestamp",
        "amount": "payment_value",
        "transaction_id": "order_id",
    }
    customers = [{"customer_unique_id": "861eff", "customer_zip_code_prefix": "14409", "customer_state": "SP"}]
    assert _suggested("customers", customers).columns == {"customer_id": "customer_unique_id", "region": "customer_state"}


def test_crm_account_export():
    rows = [
        {"Account ID": "001A", "Industry": "Retail", "Billing State/Province": "NY", "Created Date": "2021-03-04",
         "Lifecycle Stage": "Lead", "CLTV": "5400"},
        {"Account ID": "001B", "Industry": "Energy", "Billing State/Province": "WA", "Created Date": "2020-01-09",
         "Lifecycle Stage": "Customer", "CLTV": "1200"},
    ]  # fmt: skip
    assert _suggested("customers", rows).columns == {
        "customer_id": "Account ID",
        "segment": "Industry",
        "region": "Billing State/Province",
        "signup_date": "Created Date",
        "stage": "Lifecycle Stage",
        "lifetime_value": "CLTV",
    }


def test_billing_export():
    rows = [{"Account Number": "77-1", "Bill Date": "2024-01-31", "Invoice Amount": "84.20", "Invoice No": "B-100"}]
    assert _suggested("transactions", rows).columns == {
        "customer_id": "Account Number",
        "ts": "Bill Date",
        "amount": "Invoice Amount",
        "transaction_id": "Invoice No",
    }


def test_ticketing_export_status_is_no_relationship_stage():
    rows = [
        {"Requester ID": "u1", "Created at": "2024-02-01 09:00", "Channel": "Web form", "Status": "Open", "Solved at": "",
         "Satisfaction Score": "4"},
        {"Requester ID": "u2", "Created at": "2024-02-01 10:00", "Channel": "Email", "Status": "Solved",
         "Solved at": "2024-02-02 10:00", "Satisfaction Score": "5"},
        {"Requester ID": "u3", "Created at": "2024-02-02 11:00", "Channel": "Phone", "Status": "Closed",
         "Solved at": "2024-02-03 10:00", "Satisfaction Score": "2"},
        {"Requester ID": "u4", "Created at": "2024-02-02 12:00", "Channel": "Chat", "Status": "New", "Solved at": "",
         "Satisfaction Score": "3"},
    ]  # fmt: skip
    tickets = _suggested("interactions", rows)
    assert tickets.columns["customer_id"] == "Requester ID" and tickets.columns["resolved_ts"] == "Solved at"
    assert tickets.columns["channel"] == "Channel" and tickets.columns["satisfaction"] == "Satisfaction Score"
    # a customers file with a ticket-like status: Open/Closed/Solved/New is not a relationship stage
    statuses = [{"Customer ID": f"c{i}", "Status": s} for i, s in enumerate(["Open", "Closed", "Solved", "New"])]
    assert "stage" not in _suggested("customers", statuses).columns
    stages = [{"Customer ID": f"c{i}", "Status": s} for i, s in enumerate(["Lead", "Loyal", "Churned", "Gold"])]
    assert _suggested("customers", stages).columns["stage"] == "Status"
    # a text column is not a number field
    assert "satisfaction" not in _suggested("customers", [{"Customer ID": f"c{i}", "Rating": "good"} for i in range(6)]).columns
    assert "satisfaction" not in _suggested("customers", [{"Customer ID": "c1", "Rating": "good"}]).columns


def test_contact_centre_log():
    rows = [
        {"Caller ID": "0", "Call Date": "22-Apr-15", "Call Start Time": "09:12:00", "Received via": "Customer care call",
         "Call Direction": "Inbound", "Reason for call": "Billing"},
        {"Caller ID": "4411", "Call Date": "23-Apr-15", "Call Start Time": "10:40:00", "Received via": "Postal mail",
         "Call Direction": "Outbound", "Reason for call": "Move"},
    ]  # fmt: skip
    mapping = _suggested("interactions", rows)
    assert mapping.columns == {
        "customer_id": "Caller ID",
        "ts": "Call Date",
        "channel": "Received via",
        "reason": "Reason for call",
        "initiated_by": "Call Direction",
    }
    assert mapping.times == {"ts": "Call Start Time"}  # the day from one column, the time of day from the other
    assert mapping.anonymous and "0" in mapping.anonymous
    assert contract.CHANNELS.map_label("Customer care call") == "phone"


# -- the mapping file and templates: next month's extract in one step -------------------------------

MONTH_MAPPING = {
    "interactions": {
        "columns": {"customer_id": "Caller ID", "ts": "Call Date", "channel": "Received via", "cost": "Handling"},
        "times": {"ts": "Call Start Time"},
        "dates": {"Call Date": "month-name"},
        "anonymous": ["0", "", "unknown"],
        "labels": {"channel": {"Customer care call": "phone"}},
    }
}
"""The README's example mapping (interactions part)."""


def _month(folder: Path, name: str, rows: list[str]) -> Path:
    return write(folder, name, "Caller ID,Call Date,Call Start Time,Received via,Handling\n" + "\n".join(rows) + "\n")


def test_next_months_extract_goes_through_in_one_step_with_the_mapping_file(tmp_path: Path, monkeypatch):
    import json

    from dashboard.__main__ import main

    monkeypatch.setenv("CXLENS_DB", str(tmp_path / "cli.duckdb"))
    mapping_file = write(tmp_path, "calls.json", json.dumps(MONTH_MAPPING))
    april = _month(tmp_path, "april.csv", ["C1,22-Apr-15,09:15,Customer care call,4:05", "0,23-Apr-15,10:00,Fax,1:00"])
    may = _month(tmp_path, "may.csv", ["C2,3 mai 2015,2:30 PM,Email,30", "unknown,4 mai 2015,11:00,Web form,0:10"])
    for path in (april, may):
        assert main(["ingest", "--dataset", "calls", "--interactions", str(path), "--mapping", str(mapping_file)]) == 0
    store = Store(tmp_path / "cli.duckdb")
    try:
        version = store.active_version("calls")
        rows = table_rows(store, version, "interactions", "ts")
        customers = table_rows(store, version, "customers")
    finally:
        store.close()
    names = contract.INTERACTIONS.names
    got = [tuple(r[names.index(c)] for c in ("customer_id", "ts", "channel", "cost")) for r in rows]
    assert got == [
        ("C2", datetime(2015, 5, 3, 14, 30), "email", 30.0),
        (None, datetime(2015, 5, 4, 11, 0), "web", 10.0),
    ]
    assert [r[0] for r in customers] == ["C2"]


def test_a_saved_template_keeps_times_and_anonymous_ids(store: Store, tmp_path: Path):
    from dashboard.ingest import templates

    mapping = Mapping.from_json(MONTH_MAPPING).tables["interactions"]
    headers = ["Caller ID", "Call Date", "Call Start Time", "Received via", "Handling"]
    templates.save(store, "interactions", headers, mapping, "calls")
    from dashboard.ingest.mapping import fingerprint

    found = templates.find(store, "interactions", fingerprint(headers))
    assert found is not None
    assert found.mapping.times == {"ts": "Call Start Time"} and found.mapping.anonymous == ["0", "", "unknown"]


def test_excel_time_cells_are_times_of_day_and_durations(store: Store, tmp_path: Path):
    import datetime as dt

    frame = pd.DataFrame(
        {
            "Caller": ["C1", "C2"],
            "Call date": [dt.date(2024, 3, 1), dt.date(2024, 3, 2)],
            "Call time": [dt.time(9, 15), dt.time(16, 40, 5)],
            "Received via": ["Phone", "Email"],
            "Handling": [dt.time(0, 4, 5), dt.time(1, 0, 0)],
        }
    )
    frame.to_excel(tmp_path / "calls.xlsx", index=False)
    version, _ = publish(
        store, tmp_path, {"interactions": [tmp_path / "calls.xlsx"]}, mappings={"interactions": _calls_mapping()}
    )
    names = contract.INTERACTIONS.names
    got = sorted((r[names.index("ts")], r[names.index("cost")]) for r in table_rows(store, version, "interactions"))
    assert got == [(datetime(2024, 3, 1, 9, 15), 245.0), (datetime(2024, 3, 2, 16, 40, 5), 3600.0)]


def test_a_date_column_misread_as_year_0022_blocks_naming_file_column_and_rows(store: Store, tmp_path: Path):
    """dd-mm-yy dates read with a four-digit year first (the mapping says year-first): 22-04-15 is 15 Apr 0022, 13-05-16
    16 May 0013, 01-12-15 15 Dec 0001. Every call date of the required ts is outside the plausible window, so the report
    blocks, naming the file, the column and rows 2-4, and says what to do; publishing refuses and nothing is published.
    Read day first, as the guess reads it, the same file publishes 2015 and 2016."""
    import pytest

    from dashboard.ingest.errors import IngestError

    content = "customer_id,Date,channel\nC1,22-04-15,phone\nC2,13-05-16,email\nC3,01-12-15,web\n"
    path = write(tmp_path, "calls.csv", content)
    columns = {"customer_id": "customer_id", "ts": "Date", "channel": "channel"}
    misread = TableMapping("interactions", columns=columns, dates={"Date": "year-first"})
    upload, report = run_upload(store, tmp_path, {"interactions": [path]}, mappings={"interactions": misread})
    try:
        assert not report.ok
        problem = problems(report, "interactions")["implausible_date"]
        assert problem.blocking and problem.count == 3
        assert problem.message.startswith("calls.csv: 3 values of column 'Date' for ts are dates and times outside 1900-01-01")
        assert [e.describe() for e in problem.examples] == [
            "calls.csv row 2: '22-04-15'",
            "calls.csv row 3: '13-05-16'",
            "calls.csv row 4: '01-12-15'",
        ]
        assert "check the date format chosen for this column" in problem.action
        with pytest.raises(IngestError):
            upload.publish("calls")
    finally:
        upload.close()
    assert store.active_version("calls") is None
    day_first = TableMapping("interactions", columns=columns, dates={"Date": "day-first"})
    version, _ = publish(store, tmp_path, {"interactions": [path]}, mappings={"interactions": day_first}, dataset="calls")
    years = sorted(r[0] for r in store.query_df(f"select year(ts) from {version.table('interactions')}").itertuples(index=False))
    assert years == [2015, 2015, 2016]
