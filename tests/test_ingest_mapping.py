"""Mapping: synonyms, derived rules, labels, formats asked when ambiguous, templates, customers built or added."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from dashboard import contract
from dashboard.ingest import formats, templates
from dashboard.ingest.errors import IngestError
from dashboard.ingest.guess import guess_dates, guess_numbers
from dashboard.ingest.mapping import Mapping, TableMapping, fingerprint
from dashboard.ingest.rules import Rule
from dashboard.store import Store
from tests.ingest_helpers import TRANSACTIONS_CSV, problems, publish, run_upload, table_rows, write

INTERACTIONS_CSV = (
    "Account No,Contact Date,Medium,Journey Stage,Direction,Resolved?,CSAT\n"
    "A1,03/04/2024 09:00,Call Centre,Billing,Inbound,Y,4\n"
    "A1,15/04/2024 10:30,Web Chat,Complaint,inbound,N,2\n"
    "A2,20/04/2024 12:00,Kiosk,Support,Outbound,yes,\n"
)
"""Three touchpoints; dates day first (15/04 can only be day first); Kiosk is no channel CX Lens knows."""


def test_yes_no_words_agree_with_the_contract():
    for word in formats.TRUE_WORDS:
        assert contract.parse_bool(word) is True
    for word in formats.FALSE_WORDS:
        assert contract.parse_bool(word) is False


def test_headers_map_by_synonyms_and_labels_by_vocabulary(store: Store, tmp_path: Path):
    version, report = publish(store, tmp_path, {"interactions": [write(tmp_path, "contacts.csv", INTERACTIONS_CSV)]})
    rows = table_rows(store, version, "interactions", "ts")
    # customer_id, ts, channel, stage, reason, initiated_by, resolved, resolved_ts, satisfaction, effort, cost
    assert [r[:4] for r in rows] == [
        ("A1", datetime(2024, 4, 3, 9, 0), "phone", "billing"),
        ("A1", datetime(2024, 4, 15, 10, 30), "chat", "complaint"),
        ("A2", datetime(2024, 4, 20, 12, 0), "Kiosk", "support"),  # an unknown label is kept as it is ...
    ]
    assert [(r[5], r[6], r[8]) for r in rows] == [("customer", True, 4.0), ("customer", False, 2.0), ("company", True, None)]
    unknown = problems(report, "interactions")["unmapped_labels"]  # ... and reported
    assert unknown.message.startswith(
        "interactions: 1 label of 'Medium' is not among the channels CX Lens knows: 'Kiosk' (1 row)"
    )
    assert problems(report, "interactions")["blank_number"].count == 1  # the blank CSAT
    assert store.get_setting("shop", "satisfaction_scale") == "CSAT 1-5"


def test_labels_chosen_by_the_analyst_win(store: Store, tmp_path: Path):
    upload, report = run_upload(store, tmp_path, {"interactions": [write(tmp_path, "contacts.csv", INTERACTIONS_CSV)]})
    try:
        assert upload.labels("interactions", "channel") == [("Call Centre", 1), ("Kiosk", 1), ("Web Chat", 1)]
        mapping = upload.mapping.tables["interactions"].copy()
        mapping.labels["channel"] = {"Kiosk": "store", "Web Chat": ""}  # "" keeps the file's own label
        upload.set_mapping("interactions", mapping)
        report = upload.check()
        assert "unmapped_labels" in problems(report, "interactions")  # Web Chat kept on purpose is still reported
        version = upload.publish("shop")
    finally:
        upload.close()
    assert [r[2] for r in table_rows(store, version, "interactions", "ts")] == ["phone", "Web Chat", "store"]


def test_ambiguous_dates_are_asked_never_guessed(store: Store, tmp_path: Path):
    content = "customer_id,date,amount\nC1,03/04/2024,1\nC2,05/06/2024,2\nC3,01/02/2024,3\n"
    upload, report = run_upload(store, tmp_path, {"transactions": [write(tmp_path, "tx.csv", content)]})
    try:
        [blocking] = report.blocking
        assert blocking.code == "ambiguous_dates"
        assert blocking.message.startswith("transactions: dates in 'date' like '")
        assert "could be day first or month first" in blocking.message
        mapping = upload.mapping.tables["transactions"].copy()
        mapping.dates["date"] = "month-first"
        upload.set_mapping("transactions", mapping)
        assert upload.check().ok
        version = upload.publish("shop")
    finally:
        upload.close()
    assert [r[1].date() for r in table_rows(store, version, "transactions", "ts")] == [
        date(2024, 1, 2),
        date(2024, 3, 4),
        date(2024, 5, 6),
    ]


def test_ambiguity_in_the_first_rows_is_settled_by_the_whole_file(store: Store, tmp_path: Path):
    rows = [f"C{i},0{i % 9 + 1}/0{i % 9 + 1}/2024,1" for i in range(25_000)]  # day = month: either order reads them alike
    rows += [f"C{i},0{i % 9 + 1}/1{i % 3}/2024,1" for i in range(30)]  # then 03/11/2024, 04/12/2024 ... are still ambiguous
    rows.append("C9,12/31/2024,1")  # only month first reads this one, far beyond the sample
    content = "customer_id,date,amount\n" + "\n".join(rows) + "\n"
    upload, report = run_upload(store, tmp_path, {"transactions": [write(tmp_path, "tx.csv", content)]})
    try:
        assert report.ok
        assert upload.plans["transactions"].dates["date"].order == "month-first"
    finally:
        upload.close()


def test_ambiguous_thousands_are_asked(store: Store, tmp_path: Path):
    content = 'customer_id,date,amount\nC1,2024-01-01,"1,250"\nC2,2024-01-02,"2,500"\n'
    upload, report = run_upload(store, tmp_path, {"transactions": [write(tmp_path, "tx.csv", content)]})
    try:
        assert [p.code for p in report.blocking] == ["ambiguous_numbers"]
        upload.set_mapping("transactions", upload.mapping.tables["transactions"].copy(decimal=",", thousands=""))
        assert upload.check().ok
        version = upload.publish("shop")
    finally:
        upload.close()
    assert sorted(r[2] for r in table_rows(store, version, "transactions")) == [1.25, 2.5]


def test_guessers_on_their_own(store: Store):
    with store.cursor() as cur:
        assert guess_dates(cur, ["2024-01-31", "2024-02-01 10:00:00"]).style.order == "iso"
        assert guess_dates(cur, ["31/01/2024", "01/02/2024"]).style.order == "day-first"
        assert guess_dates(cur, ["1/31/2024 8:26", "12/1/2010 8:26"]).style.order == "month-first"
        assert guess_dates(cur, ["19970101", "19980630"]).style.order == "compact"
        assert guess_dates(cur, ["01/02/2024"]).ambiguous == ("day-first", "month-first")
        assert guess_dates(cur, ["hello"]).style is None
    assert guess_numbers(["1.234,56", "12,5"]).style == formats.NumberStyle(",", ".")
    assert guess_numbers(["1,234.56", "12.5"]).style == formats.NumberStyle(".", ",")
    assert guess_numbers(["1 234,56", "7,5"]).style == formats.NumberStyle(",", " ")
    assert guess_numbers(["1,234"]).ambiguous_example == "1,234"
    assert guess_numbers(["12", "13"]).style == formats.NumberStyle(".", "")


def test_rules_build_flags_amounts_dates_and_constants(store: Store, tmp_path: Path):
    customers = (
        "id,Paper,PayMethod,Months,Plan,Score\n"
        "A,Yes,Bank transfer (automatic),12,Gold,4\n"
        "B,No,Mailed check,0,Silver,9\n"
        "C,Yes,Credit card (AUTOMATIC),x,Gold,\n"
    )
    orders = "id,when,Quantity,UnitPrice\nA,2024-01-01,2,1.5\nB,2024-01-02,-1,4\nD,2024-01-03,3,2\n"
    rules = [
        Rule("b_e_billing", "equals", "Paper", "yes"),
        Rule("b_autopay", "ends_with", "PayMethod", "(automatic)"),
        Rule("signup_date", "months_before", "Months", "2024-12-31"),
        Rule("b_gold", "one_of", "Plan", "gold, platinum"),
        Rule("b_promoter", "at_least", "Score", "9"),
        Rule("region", "constant", value="North"),
    ]
    mappings = {
        "customers": TableMapping("customers", {"customer_id": "id"}, rules),
        "transactions": TableMapping(
            "transactions",
            {"customer_id": "id", "ts": "when"},
            [Rule("amount", "product", "Quantity", other="UnitPrice"), Rule("channel", "constant", value="web")],
        ),
    }
    files = {"customers": [write(tmp_path, "c.csv", customers)], "transactions": [write(tmp_path, "t.csv", orders)]}
    upload, report = run_upload(store, tmp_path, files, mappings=mappings)
    try:
        bad = problems(report, "customers")["unreadable"]
        assert bad.message.startswith(
            "c.csv: 1 value of rule signup_date = 2024-12-31 minus Months months cannot be read as dates"
        )
        assert bad.examples[0].row == 4 and bad.examples[0].value == "'x'"
        added = problems(report, "customers")["added_customers"]
        assert added.count == 1 and added.examples[0].value == "'D'"
        version = upload.publish("shop")
    finally:
        upload.close()
    cols = version.columns["customers"]
    rows = {r[0]: dict(zip(cols, r[: len(cols)], strict=False)) for r in _customers(store, version, cols)}
    assert rows["A"] == {
        "customer_id": "A",
        "region": "North",
        "signup_date": date(2023, 12, 31),
        "b_autopay": True,
        "b_e_billing": True,
        "b_gold": True,
        "b_promoter": False,
    }
    assert (rows["B"]["signup_date"], rows["B"]["b_promoter"], rows["B"]["b_autopay"]) == (date(2024, 12, 31), True, False)
    assert (rows["C"]["signup_date"], rows["C"]["b_autopay"], rows["C"]["b_promoter"]) == (None, True, None)
    assert rows["D"] == {"customer_id": "D"} | {k: None for k in cols if k != "customer_id"}  # added from the orders
    tx = table_rows(store, version, "transactions", "ts")
    assert [(r[0], r[2], r[5]) for r in tx] == [("A", 3.0, "web"), ("B", -4.0, "web"), ("D", 6.0, "web")]


def _customers(store: Store, version, cols) -> list[tuple]:
    with store.cursor() as cur:
        return cur.execute(f"select {', '.join(cols)} from {version.table('customers')}").fetchall()


def test_duplicate_customer_ids_keep_the_first_row_and_reject_the_rest(store: Store, tmp_path: Path):
    content = "customer_id,segment\nA,Home\nB,Home\nA,Business\nA,Other\n"
    upload, report = run_upload(store, tmp_path, {"customers": [write(tmp_path, "c.csv", content)]})
    try:
        dup = problems(report, "customers")["duplicate_ids"]
        assert dup.message.startswith("customers: 1 customer ID appears more than once (2 extra rows)")
        assert [(e.row, e.value) for e in dup.examples] == [(4, "'A'"), (5, "'A'")]
        table = report.tables["customers"]
        assert (table.read, table.published, table.rejected) == (4, 2, 2)
        rejected = upload.rejected("customers")
        assert rejected["row"].tolist() == [4, 5]
        version = upload.publish("shop")
    finally:
        upload.close()
    assert [(r[0], r[1]) for r in table_rows(store, version, "customers")] == [("A", "Home"), ("B", "Home")]


def test_rule_and_mapping_validation_name_the_problem():
    with pytest.raises(IngestError, match="'is at least \\(number\\)' gives yes/no, but segment is text"):
        Rule("segment", "at_least", "x", "3").validate("customers")
    with pytest.raises(IngestError, match="the reference date 'June' must be written as YYYY-MM-DD"):
        Rule("signup_date", "months_before", "tenure", "June").validate("customers")
    with pytest.raises(IngestError, match="transactions has no column 'colour'"):
        TableMapping("transactions", {"colour": "c"}).validate()
    with pytest.raises(IngestError, match="behaviour 'b_E-Bill'"):
        TableMapping("customers", {"b_E-Bill": "c"}).validate()
    with pytest.raises(IngestError, match="unknown keys \\['colums'\\]"):
        Mapping.from_json({"transactions": {"colums": {}}})


def test_mapping_json_round_trip():
    mapping = Mapping(
        {
            "customers": TableMapping(
                "customers",
                {"customer_id": "customerID"},
                [Rule("b_autopay", "ends_with", "PaymentMethod", "(automatic)")],
                {"stage": {"Lead": "prospect"}},
                {"Joined": "day-first"},
                ",",
                ".",
            )
        },
        "NPS 0-10",
    )
    again = Mapping.from_json(json.loads(mapping.dumps()))
    assert again.dumps() == mapping.dumps()


def test_templates_are_applied_to_the_same_header_and_saved_at_publish(store: Store, tmp_path: Path):
    path = write(tmp_path, "march.csv", TRANSACTIONS_CSV)
    mapping = TableMapping("transactions", {"customer_id": "customer_id", "ts": "date", "amount": "amount"})
    mapping.labels["channel"] = {}
    publish(
        store,
        tmp_path,
        {"transactions": [path]},
        mappings={"transactions": mapping.copy(columns={**mapping.columns, "product": "channel"})},
    )
    saved = templates.all_templates(store)
    assert [(t.table, t.name, t.headers) for t in saved] == [
        ("transactions", "transactions of shop", ("customer_id", "date", "amount", "channel"))
    ]
    # next month: same header in another case and order? No: same header, another file; the template is applied
    april = write(tmp_path, "april.csv", TRANSACTIONS_CSV.replace("C1", "C7"))
    upload, _ = run_upload(store, tmp_path, {"transactions": [april]})
    upload.close()
    assert upload.mapping.tables["transactions"].columns["product"] == "channel"
    assert upload.mapping_notes["transactions"][0].startswith("mapping template 'transactions of shop' applied")
    # another header: no template, the automatic mapping (channel is a channel again)
    other = write(tmp_path, "other.csv", TRANSACTIONS_CSV.replace("amount", "total"))
    upload, _ = run_upload(store, tmp_path, {"transactions": [other]})
    upload.close()
    assert upload.mapping.tables["transactions"].columns.get("channel") == "channel"
    assert fingerprint(["A", " b "]) == fingerprint(["a", "B"]) != fingerprint(["B", "A"])
    templates.delete(store, saved[0].key)
    assert templates.all_templates(store) == []
    assert store.dataset_names() == ["shop"]  # templates are not a dataset


def test_transactions_only_upload_builds_customers_and_overview_counts_them(store: Store, tmp_path: Path):
    version, report = publish(store, tmp_path, {"transactions": [write(tmp_path, "tx.csv", TRANSACTIONS_CSV)]})
    assert problems(report, "customers")["built_customers"].count == 3
    assert [r[0] for r in table_rows(store, version, "customers")] == ["C1", "C2", "C3"]
    from dashboard.metrics import overview
    from dashboard.metrics.scope import Filters

    with store.cursor() as cur:
        kpis = overview.kpis(cur, version, Filters()).set_index("key")["value"]
    # three IDs are built, but C3's one transaction is a refund (-20.00): it never had a day whose amounts add up to more
    # than zero, so the staged definition makes it a prospect, not a customer: C1 and C2 count, 2. Money is money: the
    # revenue is every transaction, 100.00 + 120.50 + 80.00 - 20.00 = 280.50
    assert kpis["customers"] == 2 and kpis["revenue"] == pytest.approx(280.5)
