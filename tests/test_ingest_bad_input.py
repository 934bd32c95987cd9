"""Bad input: every case gets a clear message naming file, column and row, and the published data stays as it was."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from dashboard.export import csv_bytes
from dashboard.ingest.errors import IngestError
from dashboard.ingest.sources import ReadOptions
from dashboard.store import Store
from tests.ingest_helpers import TRANSACTIONS_CSV, problems, publish, run_upload, table_rows, write


@pytest.fixture
def published(store: Store, tmp_path: Path):
    """A dataset "shop" already published from a good file (version 1), to show nothing touches it."""
    good = tmp_path / "good"
    good.mkdir()
    version, _ = publish(store, good, {"transactions": [write(good, "good.csv", TRANSACTIONS_CSV)]})
    return version


def _untouched(store: Store, version) -> None:
    active = store.active_version("shop")
    assert active.version_id == version.version_id
    assert [v.number for v in store.versions("shop")] == [1]
    assert sum(r[2] for r in table_rows(store, version, "transactions")) == pytest.approx(280.5)


def _blocked(store: Store, tmp_path: Path, files: dict, **kwargs) -> list[str]:
    upload, report = run_upload(store, tmp_path, files, **kwargs)
    try:
        assert not report.ok
        with pytest.raises(IngestError):
            upload.publish("shop")
        return [p.message for p in report.blocking]
    finally:
        upload.close()


def test_empty_file(store: Store, tmp_path: Path, published):
    messages = _blocked(store, tmp_path, {"transactions": [write(tmp_path, "march.csv", b"")]})
    assert messages == ["march.csv is empty (0 bytes): export the data again and upload the new file"]
    _untouched(store, published)


def test_file_of_blank_lines(store: Store, tmp_path: Path, published):
    messages = _blocked(store, tmp_path, {"transactions": [write(tmp_path, "march.csv", "\n\n  \n")]})
    assert messages == ["march.csv is empty (it holds no text): export the data again and upload the new file"]
    _untouched(store, published)


def test_header_only(store: Store, tmp_path: Path, published):
    messages = _blocked(store, tmp_path, {"transactions": [write(tmp_path, "march.csv", "customer_id,date,amount\n")]})
    assert "march.csv has a header row but no data rows" in messages
    _untouched(store, published)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (bytes(range(256)) * 40, "march.csv is not a text file (it holds binary data from byte 0)"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "march.csv is a PNG image, not a data file"),
        (b"\x1f\x8b\x08\x00" + bytes(100), "march.csv is a gzip-compressed file (decompress it first)"),
    ],
)
def test_binary_file_named_csv(store: Store, tmp_path: Path, published, content: bytes, expected: str):
    messages = _blocked(store, tmp_path, {"transactions": [write(tmp_path, "march.csv", content)]})
    assert len(messages) == 1 and messages[0].startswith(expected)
    _untouched(store, published)


def test_ragged_rows_are_rejected_with_their_rows(store: Store, tmp_path: Path, published):
    rows = ["customer_id,date,amount,channel"] + [f"C{i},2024-01-{i % 28 + 1:02d},10,web" for i in range(200)]
    rows[50] = "C50,2024-01-23,10"  # a field short (file row 51)
    rows[120] = "C120,2024-01-10,10,web,extra"  # a field too many (file row 121)
    rows[150] = "C150,2024-01-10,10,web,x,y,z"  # three too many: DuckDB cannot read the line at all (file row 151)
    path = write(tmp_path, "ragged.csv", "\n".join(rows) + "\n")
    upload, report = run_upload(store, tmp_path, {"transactions": [path]})
    try:
        found = problems(report, "transactions")
        assert found["short_row"].message.startswith("ragged.csv: 1 row has fewer fields than the header's 4")
        assert [e.row for e in found["short_row"].examples] == [51]
        assert "3 of 4 fields" in found["short_row"].examples[0].value
        assert [e.row for e in found["long_row"].examples] == [121]
        assert [e.row for e in found["unreadable_lines"].examples] == [151]
        table = report.tables["transactions"]
        assert (table.read, table.rejected, table.published) == (200, 3, 197)
        assert report.ok  # 3 rows in 200 is above the 1 % that blocks by default ...
    finally:
        upload.close()


def test_too_many_ragged_rows_block(store: Store, tmp_path: Path, published):
    rows = ["customer_id,date,amount"] + [f"C{i},2024-01-05,10" + (",x" if i % 10 == 0 else "") for i in range(100)]
    messages = _blocked(store, tmp_path, {"transactions": [write(tmp_path, "ragged.csv", "\n".join(rows))]})
    assert messages == ["ragged.csv: 10 rows have more fields than the header's 3 (10.0% of rows); they are left out"]
    _untouched(store, published)


def test_wrong_delimiter_is_named(store: Store, tmp_path: Path, published):
    path = write(tmp_path, "march.csv", TRANSACTIONS_CSV)
    messages = _blocked(store, tmp_path, {"transactions": [path]}, read={"transactions": ReadOptions(delimiter=";")})
    assert messages[0] == (
        "march.csv was read with semicolon (;) as delimiter but looks separated by comma (,): its header is one column, "
        "'customer_id,date,amount,channel'"
    )
    _untouched(store, published)


def test_large_file_with_one_bad_row_at_the_end(store: Store, tmp_path: Path, published):
    lines = ["customer_id,date,amount"] + [f"C{i % 997},2024-{i % 12 + 1:02d}-15,{i % 50}.25" for i in range(100_000)]
    lines.append("C9,2024-02-30,12.50")  # 30 February, on file row 100,002
    path = write(tmp_path, "big.csv", "\n".join(lines) + "\n")
    upload, report = run_upload(store, tmp_path, {"transactions": [path]})
    try:
        bad = problems(report, "transactions")["unreadable_required"]
        assert bad.message.startswith("big.csv: 1 value of column 'date' cannot be read as dates and times for ts, read as ISO")
        assert bad.examples[0].row == 100_002 and bad.examples[0].value == "'2024-02-30'"
        assert not bad.blocking
        version = upload.publish("shop")
    finally:
        upload.close()
    assert version.row_counts["transactions"] == 100_000
    assert store.active_version("shop").number == 2


def test_large_file_with_an_unclosed_quote_at_the_end(store: Store, tmp_path: Path, published):
    lines = ["customer_id,date,amount"] + [f"C{i},2024-01-15,1" for i in range(5000)]
    lines.append('C9,"2024-01-15,2')
    path = write(tmp_path, "big.csv", "\n".join(lines) + "\n")
    upload, report = run_upload(store, tmp_path, {"transactions": [path]})
    upload.close()
    found = problems(report, "transactions")["unreadable_lines"]
    assert found.examples[0].row == 5002
    assert report.tables["transactions"].published == 5000


def test_duplicate_column_names(store: Store, tmp_path: Path, published):
    content = "customer_id,date,amount,amount\nC1,2024-01-05,1,100\nC2,2024-01-06,2,200\n"
    upload, report = run_upload(store, tmp_path, {"transactions": [write(tmp_path, "dup.csv", content)]})
    try:
        assert upload.headers("transactions") == ["customer_id", "date", "amount", "amount (2)"]
        notes = [p.message for p in report.tables["transactions"].problems if p.code == "reading"]
        assert notes == ["the column name 'amount' appears more than once; column 4 is shown as 'amount (2)'"]
        mapping = upload.mapping.tables["transactions"].copy()
        mapping.columns["amount"] = "amount (2)"
        upload.set_mapping("transactions", mapping)
        upload.check()
        version = upload.publish("shop")
    finally:
        upload.close()
    assert sorted(r[2] for r in table_rows(store, version, "transactions")) == [100.0, 200.0]


def test_column_names_with_quotes_semicolons_and_sql(store: Store, tmp_path: Path, published):
    headers = ['cust "id"', "date; time", "amount'); drop table versions; --"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerow(["C1", "2024-01-05", "10"])
    writer.writerow(["C2", "2024-01-06", "20"])
    path = write(tmp_path, "odd.csv", buffer.getvalue())
    upload, _report = run_upload(store, tmp_path, {"transactions": [path]})
    try:
        assert upload.headers("transactions") == headers
        mapping = upload.mapping.tables["transactions"].copy(
            columns={"customer_id": headers[0], "ts": headers[1], "amount": headers[2]}
        )
        upload.set_mapping("transactions", mapping)
        assert upload.check().ok
        version = upload.publish("shop")
    finally:
        upload.close()
    assert [(r[0], r[2]) for r in table_rows(store, version, "transactions")] == [("C1", 10.0), ("C2", 20.0)]
    assert [v.number for v in store.versions("shop")] == [2, 1]  # the versions table is still there


def test_cells_starting_with_formula_characters_stay_text_and_are_neutralised_in_the_rejected_csv(
    store: Store, tmp_path: Path, published
):
    content = (
        "customer_id,date,amount,product\n"
        'C1,2024-01-05,10,"=HYPERLINK(""http://x.example"",""click"")"\n'
        "C2,2024-01-06,-20,+44 20 7946\n"
        "@C3,2024-01-07,5,-minus\n"
        ",2024-01-08,7,=1+1\n"
    )
    upload, _report = run_upload(store, tmp_path, {"transactions": [write(tmp_path, "formulas.csv", content)]})
    try:
        rejected = upload.rejected("transactions")
        assert rejected["product"].tolist() == ["=1+1"]
        text = csv_bytes(rejected).decode("utf-8-sig")
        assert "'=1+1" in text and ",=1+1" not in text
        version = upload.publish("shop")
    finally:
        upload.close()
    rows = table_rows(store, version, "transactions", "ts")
    assert [r[0] for r in rows] == ["C1", "C2", "@C3"]
    assert [r[2] for r in rows] == [10.0, -20.0, 5.0]
    assert [r[4] for r in rows] == ['=HYPERLINK("http://x.example","click")', "+44 20 7946", "-minus"]


def test_unknown_mapping_column_and_missing_required_column_are_named(store: Store, tmp_path: Path, published):
    from dashboard.ingest.mapping import TableMapping

    path = write(tmp_path, "march.csv", TRANSACTIONS_CSV)
    mapping = TableMapping("transactions", {"customer_id": "customer_id", "ts": "date", "amount": "Amount"})
    messages = _blocked(store, tmp_path, {"transactions": [path]}, mappings={"transactions": mapping})
    assert messages[0].startswith(
        "march.csv has no column 'Amount', which the mapping uses; its columns are 'customer_id', 'date'"
    )
    mapping = TableMapping("transactions", {"customer_id": "customer_id", "ts": "date"})
    messages = _blocked(store, tmp_path, {"transactions": [path]}, mappings={"transactions": mapping})
    assert messages == [
        "transactions: no column is mapped to amount (money; negative for refunds and cancellations), which CX Lens needs"
    ]
    _untouched(store, published)


def test_a_publish_that_fails_midway_leaves_the_active_version(store: Store, tmp_path: Path, published, monkeypatch):
    upload, _report = run_upload(store, tmp_path, {"transactions": [write(tmp_path, "march.csv", TRANSACTIONS_CSV * 1)]})
    from dashboard.metrics import prepared
    from dashboard.store import version as store_version

    def failing(cur, version):
        raise RuntimeError("disk full")

    # the prepare step every publish runs, failing after the tables are stored
    monkeypatch.setattr(store_version, "_PREPARE_STEP", [store_version.PrepareStep(failing, prepared.PREPARED_SCHEMA)])
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            upload.publish("shop")
    finally:
        upload.close()
    _untouched(store, published)


# -- values no page can show: checked before publish ----------------------------------------------


def _transactions(rows: list[tuple[str, str]]) -> str:
    """A transactions file: 400 good rows (C0..C399, 2024-01-05, 1.00 each), then rows of (date, amount)."""
    good = [f"C{i},2024-01-05,1.00,Web" for i in range(400)]
    bad = [f"X{i},{d},{a},Web" for i, (d, a) in enumerate(rows)]
    return "customer_id,date,amount,channel\n" + "\n".join(good + bad) + "\n"


def test_implausible_dates_are_rejected_with_their_rows(store: Store, tmp_path: Path, published):
    content = _transactions([("0224-03-15", "5.00"), ("0001-01-01", "5.00"), ("9999-12-31", "5.00")])
    version, report = publish(store, tmp_path, {"transactions": [write(tmp_path, "dates.csv", content)]}, dataset="dated")
    table = report.tables["transactions"]
    assert (table.read, table.published, table.rejected) == (403, 400, 3)
    problem = problems(report, "transactions")["implausible_date"]
    assert problem.severity == "warning" and problem.count == 3 and problem.rejects
    assert problem.message == (
        "dates.csv: 3 values of column 'date' for ts are dates and times outside 1900-01-01 to 2030-06-30 (e.g. 0224 for "
        "2024, 9999-12-31 for no date) (0.7% of rows); they are left out"
    )
    assert [e.describe() for e in problem.examples] == [
        "dates.csv row 402: '0224-03-15'",
        "dates.csv row 403: '0001-01-01'",
        "dates.csv row 404: '9999-12-31'",
    ]
    assert sum(r[2] for r in table_rows(store, version, "transactions")) == pytest.approx(400.0)
    upload, _ = run_upload(store, tmp_path, {"transactions": [write(tmp_path, "dates.csv", content)]})
    try:
        rejected = upload.rejected("transactions")
    finally:
        upload.close()
    assert rejected["problem"].tolist() == ["ts ('date') is a date outside 1900-01-01 to 2030-06-30"] * 3
    assert rejected["row"].tolist() == [402, 403, 404]
    _untouched(store, published)


def test_non_finite_and_absurd_amounts_are_rejected(store: Store, tmp_path: Path, published):
    content = _transactions([("2024-02-01", "NaN"), ("2024-02-01", "inf"), ("2024-02-01", "1e308"), ("2024-02-01", "-2e12")])
    version, report = publish(store, tmp_path, {"transactions": [write(tmp_path, "amounts.csv", content)]}, dataset="amounts")
    table = report.tables["transactions"]
    assert (table.read, table.published, table.rejected) == (404, 400, 4)
    problem = problems(report, "transactions")["implausible_number"]
    assert problem.count == 4 and "(NaN, infinity, or beyond ±1,000,000,000,000)" in problem.message
    assert [e.value for e in problem.examples] == ["'NaN'", "'inf'", "'1e308'", "'-2e12'"]
    with store.cursor() as cur:
        total = cur.execute(f"select sum(amount), count(*) from {version.table('transactions')}").fetchall()[0]
    assert total == (pytest.approx(400.0), 400)
    _untouched(store, published)


def test_a_column_of_placeholder_dates_blocks(store: Store, tmp_path: Path, published):
    content = "customer_id,date,amount\n" + "".join(f"C{i},0001-01-01,1.00\n" for i in range(10))
    messages = _blocked(store, tmp_path, {"transactions": [write(tmp_path, "placeholder.csv", content)]})
    assert any(m.startswith("placeholder.csv: 10 values of column 'date' for ts are dates and times outside") for m in messages)
    _untouched(store, published)


def test_implausible_optional_values_are_published_blank(store: Store, tmp_path: Path):
    """A sign-up date of 9999-12-31 and an acquisition cost of inf: the customer is kept, those two values blank."""
    content = (
        "customer_id,signup_date,acquisition_cost,referrals\n"
        "C1,2023-04-01,12.50,1\n"
        "C2,9999-12-31,inf,1e308\n"
        "C3,1899-12-31,-1e13,2\n"
    )
    version, report = publish(store, tmp_path, {"customers": [write(tmp_path, "crm.csv", content)]})
    found = problems(report, "customers")
    assert found["implausible_date"].count == 2 and found["implausible_date"].message.endswith("; published blank")
    assert found["implausible_number"].count == 2
    assert found["unreadable"].count == 1  # referrals 1e308 is no whole number
    assert report.tables["customers"].published == 3
    with store.cursor() as cur:
        rows = cur.execute(
            f"select customer_id, signup_date, acquisition_cost, referrals from {version.table('customers')} order by 1"
        ).fetchall()
    assert [(r[0], r[1] is None, r[2], r[3]) for r in rows] == [
        ("C1", False, 12.5, 1),
        ("C2", True, None, None),
        ("C3", True, None, 2),
    ]


def test_implausible_typed_values_from_parquet_are_rejected(store: Store, tmp_path: Path):
    """Parquet brings its own types: a NaN amount and a timestamp in year 1 are caught as in text files."""
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "typed.parquet"
    stamps = [dt.datetime(2024, 1, 5), dt.datetime(1, 1, 1), dt.datetime(2024, 1, 6)]
    pq.write_table(pa.table({"customer_id": ["C1", "C2", "C3"], "ts": stamps, "amount": [10.0, 5.0, float("nan")]}), path)
    upload, report = run_upload(store, tmp_path, {"transactions": [path]})
    try:
        table = report.tables["transactions"]
        assert (table.read, table.rejected) == (3, 2)
        found = problems(report, "transactions")
        assert found["implausible_date"].examples[0].row == 2 and found["implausible_number"].examples[0].row == 3
        assert found["implausible_date"].severity == "blocking"  # 1 of 3 rows is over the 1 % allowed
    finally:
        upload.close()
