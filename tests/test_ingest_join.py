"""Several files of one table: joined on a key the analyst picks, or looked up through a key (issue 14, item 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from dashboard.ingest.errors import IngestError
from dashboard.ingest.joinspec import JoinFile, JoinSpec
from dashboard.ingest.mapping import Mapping, TableMapping
from dashboard.ingest.report import BLOCKING, WARNING
from tests.ingest_helpers import problems, publish, run_upload, table_rows, write

STATUS = "customerID,Contract,Churn\nC1,Month-to-month,Yes\nC2,One year,No\nC3,Two year,No\nC4,Month-to-month,No\n"
"""Four customers' status; C4 has no services row."""
SERVICES = "CustID,PaperlessBilling,Contract\nC1,Yes,x\nC2,No,y\nC3,Yes,z\nC9,Yes,w\n"
"""Services of C1-C3 and of C9, whom the status sheet lacks; its own Contract column clashes with the status one."""


def _customers_mapping(**join) -> TableMapping:
    return TableMapping(
        "customers",
        columns={"customer_id": "customerID", "segment": "Contract", "churned": "Churn", "b_e_billing": "PaperlessBilling"},
        join=JoinSpec("customerID", (JoinFile("CustID"),), **join),
    )


def test_customers_split_over_three_files_are_joined_on_the_key(store, tmp_path: Path) -> None:
    status = write(tmp_path, "status.csv", STATUS)
    services = write(tmp_path, "services.csv", SERVICES)
    demo = tmp_path / "demographics.parquet"
    pd.DataFrame({"customerID": ["C3", "C1", "C2"], "State": ["NY", "CA", "TX"]}).to_parquet(demo)
    mapping = _customers_mapping().copy(columns={**_customers_mapping().columns, "region": "State"})
    version, report = publish(store, tmp_path, {"customers": [status, services, demo]}, mappings={"customers": mapping})
    rows = table_rows(store, version, "customers", "customer_id")
    got = {r[0]: r for r in rows}
    assert sorted(got) == ["C1", "C2", "C3", "C4"]  # C9 is only in services: reported, not published
    with store.cursor() as cur:
        frame = cur.execute(
            f"select customer_id, segment, region, churned, b_e_billing from {version.table('customers')} order by 1"
        ).fetchall()
    assert frame == [
        ("C1", "Month-to-month", "CA", True, True),
        ("C2", "One year", "TX", False, False),
        ("C3", "Two year", "NY", False, True),
        ("C4", "Month-to-month", None, False, None),
    ]
    notes = [p.message for p in report.tables["customers"].problems if p.code == "join_match"]
    assert notes[0] == (
        "services.csv joined to status.csv on customerID = CustID: 3 rows of 4 of status.csv matched (75.0%); "
        "1 only in status.csv; 1 only in services.csv"
    )
    assert "3 rows of 4 of status.csv matched (75.0%); 1 only in status.csv; 0 only in demographics.parquet" in notes[1]
    assert report.ok


def test_a_clashing_column_of_a_joined_file_is_renamed_by_its_position(store, tmp_path: Path) -> None:
    upload, _ = run_upload(
        store,
        tmp_path,
        {"customers": [write(tmp_path, "status.csv", STATUS), write(tmp_path, "services.csv", SERVICES)]},
        mappings={"customers": _customers_mapping()},
    )
    try:
        assert upload.headers("customers") == ["customerID", "Contract", "Churn", "PaperlessBilling", "Contract (2)"]
    finally:
        upload.close()


def test_unmatched_rows_of_both_files_are_reported_and_downloadable(store, tmp_path: Path) -> None:
    upload, report = run_upload(
        store,
        tmp_path,
        {"customers": [write(tmp_path, "status.csv", STATUS), write(tmp_path, "services.csv", SERVICES)]},
        mappings={"customers": _customers_mapping()},
    )
    try:
        warning = problems(report, "customers")["join_unmatched"]
        assert warning.severity == WARNING
        assert warning.count == 2
        assert [(e.file, e.row) for e in warning.examples] == [("status.csv", 5), ("services.csv", 5)]
        frame = upload.unmatched("customers")
        assert frame[["file", "row"]].values.tolist() == [["status.csv", 5], ["services.csv", 5]]
        assert (
            frame.loc[0, "problem"] == "no row of services.csv has CustID 'C4'; published with the columns of services.csv blank"
        )
        assert frame.loc[1, "problem"] == "status.csv has no row with customerID 'C9'; not published"
        assert frame.loc[1, "PaperlessBilling"] == "Yes"
    finally:
        upload.close()


def test_a_repeated_key_in_a_joined_file_blocks_naming_file_column_and_rows(store, tmp_path: Path) -> None:
    services = write(tmp_path, "services.csv", SERVICES + "C2,Yes,again\n")
    upload, report = run_upload(
        store,
        tmp_path,
        {"customers": [write(tmp_path, "status.csv", STATUS), services]},
        mappings={"customers": _customers_mapping()},
    )
    try:
        repeated = problems(report, "customers")["join_repeated_keys"]
        assert repeated.severity == BLOCKING
        assert repeated.column == "CustID"
        assert "services.csv: 1 row repeats a CustID already on an earlier row (e.g. 'C2' on rows 3, 6)" in repeated.message
        assert not report.ok
    finally:
        upload.close()


def test_first_row_per_key_is_used_when_the_analyst_says_so(store, tmp_path: Path) -> None:
    services = write(tmp_path, "services.csv", SERVICES + "C2,Yes,again\n")
    mapping = _customers_mapping(duplicates="first")
    version, report = publish(
        store, tmp_path, {"customers": [write(tmp_path, "status.csv", STATUS), services]}, mappings={"customers": mapping}
    )
    assert problems(report, "customers")["join_repeated_keys"].severity == WARNING
    with store.cursor() as cur:
        c2 = cur.execute(f"select b_e_billing from {version.table('customers')} where customer_id = 'C2'").fetchall()
    assert c2 == [(False,)]  # the first C2 row of services.csv says No


def test_a_missing_key_column_blocks_naming_the_file_and_column(store, tmp_path: Path) -> None:
    mapping = _customers_mapping().copy(join=JoinSpec("customerID", (JoinFile("Customer"),)))
    upload, report = run_upload(
        store,
        tmp_path,
        {"customers": [write(tmp_path, "status.csv", STATUS), write(tmp_path, "services.csv", SERVICES)]},
        mappings={"customers": mapping},
    )
    try:
        bad = problems(report, "customers")["bad_join"]
        assert bad.severity == BLOCKING
        assert bad.message.startswith("services.csv has no column 'Customer' (its key for the join)")
    finally:
        upload.close()


def test_sheets_of_one_workbook_are_joined(store, tmp_path: Path) -> None:
    book = tmp_path / "customers.xlsx"
    with pd.ExcelWriter(book) as writer:
        pd.DataFrame({"customerID": ["C1", "C2"], "Churn": ["Yes", "No"]}).to_excel(writer, sheet_name="Status", index=False)
        pd.DataFrame({"Customer ID": ["C2", "C1"], "Contract": ["One year", "Monthly"]}).to_excel(
            writer, sheet_name="Services", index=False
        )
    mapping = TableMapping(
        "customers",
        columns={"customer_id": "customerID", "churned": "Churn", "segment": "Contract"},
        join=JoinSpec("customerID", (JoinFile("Customer ID"),), sheets=("Status", "Services")),
    )
    version, report = publish(store, tmp_path, {"customers": [book]}, mappings={"customers": mapping})
    with store.cursor() as cur:
        rows = cur.execute(f"select customer_id, churned, segment from {version.table('customers')} order by 1").fetchall()
    assert rows == [("C1", True, "Monthly"), ("C2", False, "One year")]
    note = problems(report, "customers")["join_match"].message
    assert note.startswith("customers.xlsx, sheet 'Services' joined to customers.xlsx, sheet 'Status'")
    assert "2 rows of 2" in note


PAYMENTS = "PaymentID,OrderID,Paid\nP1,O1,10.00\nP2,O2,20.00\nP3,O9,30.00\nP4,O1,5.00\n"
"""Four payments: P3's order O9 is not in the orders file."""
ORDERS = "Order ID,Customer,Order date\nO1,C1,2024-01-05\nO2,C2,2024-02-10\nO3,C3,2024-03-01\n"


def _payments_mapping() -> TableMapping:
    return TableMapping(
        "transactions",
        columns={"transaction_id": "PaymentID", "amount": "Paid", "customer_id": "Customer", "ts": "Order date"},
        join=JoinSpec("OrderID", (JoinFile("Order ID", how="lookup"),)),
    )


def test_payments_take_customer_and_date_from_orders_and_unmatched_are_rejected(store, tmp_path: Path) -> None:
    payments, orders = write(tmp_path, "payments.csv", PAYMENTS), write(tmp_path, "orders.csv", ORDERS)
    upload, report = run_upload(
        store, tmp_path, {"transactions": [payments, orders]}, mappings={"transactions": _payments_mapping()}
    )
    try:
        table = report.tables["transactions"]
        assert (table.read, table.published, table.rejected) == (4, 3, 1)  # nothing dropped silently
        lost = problems(report, "transactions")["lookup_unmatched"]
        assert lost.message.startswith("payments.csv: 1 row has a OrderID that orders.csv does not hold")
        assert [(e.file, e.row, e.value) for e in lost.examples] == [("payments.csv", 4, "'O9'")]
        rejected = upload.rejected("transactions")
        assert rejected[["file", "row", "problem"]].values.tolist() == [
            ["payments.csv", 4, "no row of orders.csv has this row's OrderID"]
        ]
        assert lost.severity == WARNING  # like rows without a customer ID: left out and listed, the rest is published
        assert report.ok
    finally:
        upload.close()


def test_lookup_publishes_the_matched_payments(store, tmp_path: Path) -> None:
    payments = write(tmp_path, "payments.csv", PAYMENTS.replace("P3,O9", "P3,O3"))
    version, report = publish(
        store,
        tmp_path,
        {"transactions": [payments, write(tmp_path, "orders.csv", ORDERS)]},
        mappings={"transactions": _payments_mapping()},
    )
    with store.cursor() as cur:
        rows = cur.execute(
            f"select transaction_id, customer_id, cast(ts as date)::varchar, amount from {version.table('transactions')} "
            "order by 1"
        ).fetchall()
    assert rows == [
        ("P1", "C1", "2024-01-05", 10.0),
        ("P2", "C2", "2024-02-10", 20.0),
        ("P3", "C3", "2024-03-01", 30.0),
        ("P4", "C1", "2024-01-05", 5.0),
    ]
    assert problems(report, "transactions")["join_match"].message == (
        "orders.csv looked up in payments.csv on OrderID = Order ID: 4 rows of 4 of payments.csv matched (100.0%); "
        "0 only in payments.csv; 0 only in orders.csv"
    )


def test_join_settings_round_trip_through_the_mapping_json() -> None:
    mapping = Mapping({"transactions": _payments_mapping()})
    again = Mapping.from_json(mapping.to_json())
    assert again.tables["transactions"].join == JoinSpec("OrderID", (JoinFile("Order ID", how="lookup"),))
    assert mapping.to_json()["transactions"]["join"] == {
        "key": "OrderID",
        "files": [{"key": "Order ID", "how": "lookup"}],
        "duplicates": "block",
    }


@pytest.mark.parametrize(
    ("join", "says"),
    [
        ({"key": "id", "file": []}, "unknown keys ['file']"),
        ({"files": []}, "key must be the first file's key column"),
        ({"key": "id", "files": [{"key": "x", "how": "merge"}]}, "how 'merge'; use join or lookup"),
        ({"key": "id", "files": [{"key": "x", "by": "y"}]}, "file 2 has unknown keys ['by']"),
        ({"key": "id", "duplicates": "last"}, "duplicates 'last' must be block or first"),
        ({"key": "id", "sheets": ["One"]}, "a join needs two or more"),
        ({"key": "", "files": []}, "name the first file's key column"),
        ("id", "join must be an object"),
    ],
)
def test_the_mapping_json_join_is_validated_strictly(join, says: str) -> None:
    with pytest.raises(IngestError, match=None) as caught:
        Mapping.from_json({"customers": {"columns": {"customer_id": "id"}, "join": join}})
    assert says in str(caught.value)


def test_the_command_line_joins_and_looks_up_from_one_mapping_file(tmp_path: Path, monkeypatch, capsys) -> None:
    from dashboard.__main__ import main
    from dashboard.store import Store

    db = tmp_path / "cli.duckdb"
    monkeypatch.setenv("CXLENS_DB", str(db))
    status, services = write(tmp_path, "status.csv", STATUS), write(tmp_path, "services.csv", SERVICES)
    payments = write(tmp_path, "payments.csv", PAYMENTS.replace("P3,O9", "P3,O3"))
    orders = write(tmp_path, "orders.csv", ORDERS)
    mapping = Mapping({"customers": _customers_mapping(), "transactions": _payments_mapping()}).to_json()
    path = write(tmp_path, "mapping.json", json.dumps(mapping))
    args = ["ingest", "--dataset", "shop", "--mapping", str(path), "--rejected-dir", str(tmp_path / "out")]
    code = main([*args, "--customers", str(status), str(services), "--transactions", str(payments), str(orders)])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "3 rows of 4 of status.csv matched (75.0%); 1 only in status.csv; 1 only in services.csv" in out
    assert "4 rows of 4 of payments.csv matched (100.0%)" in out
    unmatched = pd.read_csv(tmp_path / "out" / "shop-customers-unmatched.csv")
    assert unmatched[["file", "row"]].values.tolist() == [["status.csv", 5], ["services.csv", 5]]
    store = Store(db)
    try:
        version = store.active_version("shop")
        with store.cursor() as cur:
            paid = cur.execute(
                f"select customer_id, sum(amount) from {version.table('transactions')} group by 1 order by 1"
            ).fetchall()
            e_billing = cur.execute(f"select count(*) from {version.table('customers')} where b_e_billing").fetchall()
    finally:
        store.close()
    assert paid == [("C1", 15.0), ("C2", 20.0), ("C3", 30.0)]
    assert e_billing == [(2,)]  # C1 and C3 (C9 is only in services.csv)


def test_next_months_files_go_through_with_the_saved_template(store, tmp_path: Path) -> None:
    status, services = write(tmp_path, "status.csv", STATUS), write(tmp_path, "services.csv", SERVICES)
    publish(store, tmp_path, {"customers": [status, services]}, mappings={"customers": _customers_mapping()})
    later = tmp_path / "later"
    later.mkdir()
    march = write(later, "status-march.csv", STATUS + "C5,One year,No\n")
    march_services = write(later, "services-march.csv", SERVICES + "C5,Yes,v\n")
    upload, report = run_upload(store, later, {"customers": [march, march_services]})  # no mapping given
    try:
        assert upload.mapping.tables["customers"].join == JoinSpec("customerID", (JoinFile("CustID"),))
        assert upload.mapping.tables["customers"].columns["b_e_billing"] == "PaperlessBilling"
        assert "4 rows of 5 of status-march.csv matched (80.0%)" in problems(report, "customers")["join_match"].message
        assert report.ok
    finally:
        upload.close()


def test_an_order_on_two_rows_of_the_lookup_file_blocks(store, tmp_path: Path) -> None:
    orders = write(tmp_path, "orders.csv", ORDERS + "O1,C7,2024-04-01\n")
    payments = write(tmp_path, "payments.csv", PAYMENTS.replace("P3,O9", "P3,O3"))
    upload, report = run_upload(
        store, tmp_path, {"transactions": [payments, orders]}, mappings={"transactions": _payments_mapping()}
    )
    try:
        repeated = problems(report, "transactions")["join_repeated_keys"]
        assert repeated.severity == BLOCKING
        assert "orders.csv: 1 row repeats a Order ID already on an earlier row (e.g. 'O1' on rows 2, 5)" in repeated.message
    finally:
        upload.close()


def test_a_rule_that_reads_no_value_blocks_naming_file_and_rule(store, tmp_path: Path) -> None:
    from dashboard.ingest.rules import Rule

    customers = write(tmp_path, "c.csv", "customer_id,Tenure,Paper\nA,long,maybe\nB,short,perhaps\nC,,\n")
    mapping = TableMapping(
        "customers",
        columns={"customer_id": "customer_id", "b_e_billing": "Paper"},
        rules=[Rule("signup_date", "months_before", "Tenure", "2024-12-31")],
    )
    upload, report = run_upload(store, tmp_path, {"customers": [customers]}, mappings={"customers": mapping})
    try:
        blocking = [p for p in report.blocking if p.code == "unreadable"]
        assert sorted(p.column for p in blocking) == ["", "Paper"]  # the rule is named in the message, with its column
        messages = " | ".join(p.message for p in blocking)
        assert "c.csv: not one of the 2 values of rule" in messages
        assert "c.csv: not one of the 2 values of column 'Paper' can be read as yes/no values for b_e_billing" in messages
        assert not report.ok
    finally:
        upload.close()


def test_an_optional_column_with_some_readable_values_still_only_warns(store, tmp_path: Path) -> None:
    customers = write(tmp_path, "c.csv", "customer_id,Paper\nA,Yes\nB,perhaps\n")
    mapping = TableMapping("customers", columns={"customer_id": "customer_id", "b_e_billing": "Paper"})
    upload, report = run_upload(store, tmp_path, {"customers": [customers]}, mappings={"customers": mapping})
    try:
        assert problems(report, "customers")["unreadable"].severity == WARNING
        assert report.ok
    finally:
        upload.close()


def test_two_excel_workbooks_are_joined_with_their_own_row_numbers(store, tmp_path: Path) -> None:
    status, services = tmp_path / "status.xlsx", tmp_path / "services.xlsx"
    pd.DataFrame({"customerID": ["1", "2", "3"], "Churn": ["Yes", "No", "No"]}).to_excel(status, index=False)
    pd.DataFrame({"CustID": [2, 4], "PaperlessBilling": ["Yes", "No"]}).to_excel(services, index=False)  # numbers: 2 = "2"
    mapping = TableMapping(
        "customers",
        columns={"customer_id": "customerID", "churned": "Churn", "b_e_billing": "PaperlessBilling"},
        join=JoinSpec("customerID", (JoinFile("CustID"),)),
    )
    upload, report = run_upload(store, tmp_path, {"customers": [status, services]}, mappings={"customers": mapping})
    try:
        frame = upload.unmatched("customers")
        assert frame[["file", "row"]].values.tolist() == [["status.xlsx", 2], ["status.xlsx", 4], ["services.xlsx", 3]]
        assert "1 row of 3 of status.xlsx matched (33.3%)" in problems(report, "customers")["join_match"].message
    finally:
        upload.close()


def test_the_command_line_refuses_a_bad_join_naming_it(tmp_path: Path, monkeypatch, capsys) -> None:
    from dashboard.__main__ import main

    monkeypatch.setenv("CXLENS_DB", str(tmp_path / "cli.duckdb"))
    status, services = write(tmp_path, "status.csv", STATUS), write(tmp_path, "services.csv", SERVICES)
    bad = {
        "customers": {
            "columns": {"customer_id": "customerID"},
            "join": {"key": "customerID", "files": [{"key": "CustID", "how": "merge"}]},
        }
    }
    path = write(tmp_path, "mapping.json", json.dumps(bad))
    code = main(["ingest", "--dataset", "shop", "--mapping", str(path), "--customers", str(status), str(services)])
    _, err = capsys.readouterr()
    assert code == 2
    assert "mapping.json: customers: join: file 2 has how 'merge'; use join or lookup" in err


def test_next_months_files_in_another_order_still_find_the_template(store, tmp_path: Path) -> None:
    status, services = write(tmp_path, "status.csv", STATUS), write(tmp_path, "services.csv", SERVICES)
    publish(store, tmp_path, {"customers": [status, services]}, mappings={"customers": _customers_mapping()})
    later = tmp_path / "later"
    later.mkdir()
    march_services, march = write(later, "services-march.csv", SERVICES), write(later, "status-march.csv", STATUS)
    upload, report = run_upload(store, later, {"customers": [march_services, march]})  # services picked first this time
    try:
        assert [s.name for s in upload.sources["customers"]] == ["status-march.csv", "services-march.csv"]
        assert upload.mapping.tables["customers"].join == JoinSpec("customerID", (JoinFile("CustID"),))
        assert "3 rows of 4 of status-march.csv matched (75.0%)" in problems(report, "customers")["join_match"].message
    finally:
        upload.close()


def test_a_file_matched_on_another_column_of_the_first_file(store, tmp_path: Path) -> None:
    payments = write(tmp_path, "payments.csv", "PaymentID,OrderID,Paid,Branch\nP1,O1,10,B1\nP2,O2,20,B2\nP3,O3,30,B1\n")
    branches = write(tmp_path, "branches.csv", "Code,Region\nB1,North\nB2,South\n")
    mapping = TableMapping(
        "transactions",
        columns={
            "transaction_id": "PaymentID",
            "amount": "Paid",
            "customer_id": "Customer",
            "ts": "Order date",
            "channel": "Region",
        },
        join=JoinSpec("OrderID", (JoinFile("Order ID", how="lookup"), JoinFile("Code", on="Branch"))),
    )
    version, report = publish(
        store,
        tmp_path,
        {"transactions": [payments, write(tmp_path, "orders.csv", ORDERS), branches]},
        mappings={"transactions": mapping},
    )
    with store.cursor() as cur:
        rows = cur.execute(
            f"select transaction_id, customer_id, channel from {version.table('transactions')} order by 1"
        ).fetchall()
    assert rows == [("P1", "C1", "North"), ("P2", "C2", "South"), ("P3", "C3", "North")]
    notes = [p.message for p in report.tables["transactions"].problems if p.code == "join_match"]
    assert notes[1].startswith(
        "branches.csv joined to payments.csv on Branch = Code: 3 rows of 3 of payments.csv matched (100.0%)"
    )


def test_a_bad_value_looked_up_from_another_file_names_that_file_and_its_own_row(store, tmp_path: Path) -> None:
    """The order dates come from orders.csv: O2's date (orders.csv row 3) is 0224-02-10, a mistyped 2024. Payment P2
    (payments.csv row 3) takes it, so it is rejected, and the example names orders.csv row 3, the cell to correct; a bad
    amount of the payments file itself (P4's 'lots', payments.csv row 5) still names payments.csv."""
    payments = write(tmp_path, "payments.csv", PAYMENTS.replace("P3,O9", "P3,O3").replace("P4,O1,5.00", "P4,O1,lots"))
    orders = write(tmp_path, "orders.csv", ORDERS.replace("O2,C2,2024-02-10", "O2,C2,0224-02-10"))
    upload, report = run_upload(
        store, tmp_path, {"transactions": [payments, orders]}, mappings={"transactions": _payments_mapping()}
    )
    try:
        found = problems(report, "transactions")
        assert [(e.file, e.row, e.value) for e in found["implausible_date"].examples] == [("orders.csv", 3, "'0224-02-10'")]
        unreadable = [p for p in report.tables["transactions"].problems if p.column == "Paid"]
        assert [(e.file, e.row) for p in unreadable for e in p.examples] == [("payments.csv", 5)]
    finally:
        upload.close()


def test_a_rejected_row_whose_bad_value_came_from_another_file_is_downloaded_as_that_files_row(store, tmp_path: Path) -> None:
    """Order O2's date (orders.csv row 4: the orders are not in payment order) is 0224-02-10, so payment P2
    (payments.csv row 3) is rejected: the rejected-rows download names orders.csv row 4, the row to correct, as the
    report's example does; P4's own bad amount (payments.csv row 5) and P3's missing order (row 4) name payments.csv."""
    payments = write(tmp_path, "payments.csv", PAYMENTS.replace("P4,O1,5.00", "P4,O1,lots"))
    orders = write(tmp_path, "orders.csv", "Order ID,Customer,Order date\nO1,C1,2024-01-05\nO3,C3,2024-03-01\nO2,C2,0224-02-10\n")
    upload, report = run_upload(
        store, tmp_path, {"transactions": [payments, orders]}, mappings={"transactions": _payments_mapping()}
    )
    try:
        example = problems(report, "transactions")["implausible_date"].examples[0]
        assert (example.file, example.row) == ("orders.csv", 4)
        rejected = upload.rejected("transactions")
        named = rejected[["file", "row", "PaymentID"]].values.tolist()
        assert sorted(named) == [["orders.csv", 4, "P2"], ["payments.csv", 4, "P3"], ["payments.csv", 5, "P4"]]
    finally:
        upload.close()
