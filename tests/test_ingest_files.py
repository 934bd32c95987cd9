"""Reading files: formats, encodings, delimiters, headers, Excel sheets, formulas and merged cells."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from dashboard.ingest import encoding as enc
from dashboard.ingest import sniff
from dashboard.ingest.errors import IngestError
from dashboard.ingest.sources import ReadOptions
from dashboard.ingest.validate import Options
from dashboard.store import Store
from tests.ingest_helpers import TRANSACTIONS_CSV, problems, publish, run_upload, table_rows, write

ACCENTED = "customer_id,date,amount,channel\nCé1,2024-01-05,10.50,Web\nCö2,2024-01-06,20.00,Web\nC€3,2024-01-07,30.00,Web\n"


@pytest.mark.parametrize(
    ("encoding", "prefix", "label"),
    [
        ("utf-8", b"", "UTF-8"),
        ("utf-8", b"\xef\xbb\xbf", "UTF-8 with byte-order mark"),
        ("utf-16-le", b"\xff\xfe", "UTF-16 little-endian"),
        ("utf-16-be", b"\xfe\xff", "UTF-16 big-endian"),
        ("utf-16-le", b"", "UTF-16 little-endian"),
        ("utf-16-be", b"", "UTF-16 big-endian"),
        ("cp1252", b"", "Windows-1252"),
    ],
)
def test_every_encoding_reads_the_same_identifiers(store: Store, tmp_path: Path, encoding: str, prefix: bytes, label: str):
    path = write(tmp_path, "tx.csv", prefix + ACCENTED.encode(encoding))
    version, report = publish(store, tmp_path, {"transactions": [path]})
    assert report.tables["transactions"].files[0].details.startswith(label)
    ids = [r[0] for r in table_rows(store, version, "transactions", "ts")]
    assert ids == ["Cé1", "Cö2", "C€3"]  # € only exists in Windows-1252, not in Latin-1
    assert sum(r[2] for r in table_rows(store, version, "transactions")) == pytest.approx(60.5)


def test_latin1_file_with_bytes_windows_1252_lacks_is_read_as_latin1(store: Store, tmp_path: Path):
    content = "customer_id,date,amount\nCé1,2024-01-05,1\n".encode("latin-1") + b"C\x81,2024-01-06,2\n"
    version, report = publish(store, tmp_path, {"transactions": [write(tmp_path, "tx.csv", content)]})
    assert "Latin-1" in report.tables["transactions"].files[0].details
    assert [r[0] for r in table_rows(store, version, "transactions", "ts")] == ["Cé1", "C\x81"]


def test_cp1252_bytes_after_a_long_ascii_start_are_found_and_decoded(store: Store, tmp_path: Path):
    # the first 64 KB are plain ASCII, so the file looks like UTF-8 until DuckDB meets 'é' near the end
    rows = "".join(f"C{i},2024-01-05,1\n" for i in range(8000))
    content = ("customer_id,date,amount\n" + rows).encode("ascii") + "Café,2024-01-06,2\n".encode("cp1252")
    version, report = publish(store, tmp_path, {"transactions": [write(tmp_path, "tx.csv", content)]})
    assert report.tables["transactions"].read == 8001
    assert "Café" in {r[0] for r in table_rows(store, version, "transactions")}
    notes = [p.message for p in report.tables["transactions"].problems if p.code == "reading"]
    assert any("Windows-1252" in n and "line 8,002" in n for n in notes), notes


def test_detect_encoding_names_what_it_found():
    assert enc.detect(b"a,b\n1,2\n", "f.csv").name == "utf-8"
    assert enc.detect("a,é\n".encode("cp1252"), "f.csv").name == "cp1252"
    assert enc.detect("a,b\n".encode("utf-16-le"), "f.csv").name == "utf-16-le"
    with pytest.raises(IngestError, match=r"f\.csv is not a text file"):
        enc.detect(b"\x00\x01\x02\x03\x00\x00\x07\x00\x10\x00\x00\x01", "f.csv")


@pytest.mark.parametrize(
    ("delimiter", "name"),
    [(",", "tx.csv"), (";", "tx.csv"), ("\t", "tx.tsv"), ("|", "tx.psv")],
)
def test_delimiter_is_detected(store: Store, tmp_path: Path, delimiter: str, name: str):
    path = write(tmp_path, name, TRANSACTIONS_CSV.replace(",", delimiter))
    version, _ = publish(store, tmp_path, {"transactions": [path]})
    assert version.row_counts["transactions"] == 4
    assert sum(r[2] for r in table_rows(store, version, "transactions")) == pytest.approx(280.5)


def test_semicolon_file_with_decimal_commas(store: Store, tmp_path: Path):
    content = "customer_id;date;amount\nC1;2024-01-05;1.234,50\nC2;2024-01-06;12,5\nC3;2024-01-07;-3,25\n"
    version, _ = publish(store, tmp_path, {"transactions": [write(tmp_path, "eu.csv", content)]})
    assert sorted(r[2] for r in table_rows(store, version, "transactions")) == [-3.25, 12.5, 1234.5]


def test_thousands_separators_and_currency_signs(store: Store, tmp_path: Path):
    content = 'customer_id,date,amount\nC1,2024-01-05,"1,234.50"\nC2,2024-01-06,$12.00\nC3,2024-01-07,"€ 2,000"\n'
    version, _ = publish(store, tmp_path, {"transactions": [write(tmp_path, "us.csv", content)]})
    assert sorted(r[2] for r in table_rows(store, version, "transactions")) == [12.0, 1234.5, 2000.0]


def test_whitespace_aligned_file_with_compact_dates(store: Store, tmp_path: Path):
    content = " customer_id  date number_of_cds  dollar_value\r\n 00001 19970101  1   11.77\r\n 00002 19970112  5   77.00\r\n"
    version, report = publish(store, tmp_path, {"transactions": [write(tmp_path, "cdnow.txt", content)]})
    assert "spaces" in report.tables["transactions"].files[0].details
    rows = table_rows(store, version, "transactions", "ts")
    assert [(r[0], r[1], r[2]) for r in rows] == [("00001", datetime(1997, 1, 1), 11.77), ("00002", datetime(1997, 1, 12), 77.0)]


def test_sniffer_prefers_the_delimiter_that_splits_the_header_like_the_rows():
    assert sniff.sniff_delimiter("a;b;c\n1,5;2;3\n4;5,5;6\n") == ";"
    assert sniff.sniff_delimiter("name\nJohn Smith\nAnn Lee\n") == ","  # one column, not "spaces"
    assert sniff.sniff_delimiter("a|b\n1|2\n") == "|"


def test_excel_with_title_rows_formulas_merged_cells_and_several_sheets(store: Store, tmp_path: Path):
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Read me"
    notes["A1"] = "Extract of 30 June; orders are on the next sheet"
    orders = book.create_sheet("Orders")
    orders["A1"] = "Orders extract"
    orders.append([])
    orders.append(["Customer ID", "Order date", "Qty", "Unit price", "Total"])
    orders.append([17850.0, datetime(2024, 3, 1, 10, 0), 2, 1.5, 3.0])
    orders.append(["C2", datetime(2024, 3, 2), 3, 2.0, "=C5*D5"])  # a formula written without a saved value
    orders.append(["C3", "2024-03-03", 1, 0.1, 0.1])
    orders.append([None, "2024-03-04", 1, 5.0, 5.0])
    orders.merge_cells("A6:A7")  # C3 spans two rows: both are C3's
    path = tmp_path / "orders.xlsx"
    book.save(path)
    upload, report = run_upload(store, tmp_path, {"transactions": [path]})
    try:
        found = problems(report, "transactions")
        messages = " | ".join(p.message for p in report.tables["transactions"].problems)
        assert "2 sheets; reading 'Orders'" in messages
        assert "the header is row 3" in messages
        assert "merged cell ranges (A6:A7)" in messages
        assert "1 formula cells have no saved value (E5)" in messages
        # the formula reads as blank: its row lacks an amount (row 5, Excel's numbering); one row in four blocks by default
        assert found["blank_required"].examples[0].row == 5
        assert found["blank_required"].blocking
        upload.check(Options(max_bad_share=0.5))
        version = upload.publish("shop")
    finally:
        upload.close()
    rows = table_rows(store, version, "transactions", "ts")
    assert [(r[0], r[2]) for r in rows] == [("17850", 3.0), ("C3", 0.1), ("C3", 5.0)]


def test_excel_sheet_can_be_chosen_and_a_missing_one_is_named(store: Store, tmp_path: Path):
    book = openpyxl.Workbook()
    book.active.title = "2023"
    book["2023"].append(["customer_id", "ts", "amount"])
    book["2023"].append(["A", "2023-05-01", 1])
    book.create_sheet("2024").append(["customer_id", "ts", "amount"])
    book["2024"].append(["B", "2024-05-01", 2])
    book["2024"].append(["C", "2024-05-02", 3])
    path = tmp_path / "years.xlsx"
    book.save(path)
    version, _ = publish(store, tmp_path, {"transactions": [path]}, read={"transactions": ReadOptions(sheet="2024")})
    assert [r[0] for r in table_rows(store, version, "transactions", "ts")] == ["B", "C"]
    upload, report = run_upload(store, tmp_path, {"transactions": [path]}, read={"transactions": ReadOptions(sheet="2025")})
    upload.close()
    assert "years.xlsx has no sheet called '2025'; its sheets are: 2023, 2024" in report.blocking[0].message


def test_parquet_with_float_identifiers_and_json_lines(store: Store, tmp_path: Path):
    frame = pd.DataFrame(
        {"CustomerID": [17850.0, 13047.0, None], "InvoiceDate": pd.to_datetime(["2011-01-01"] * 3), "Total": [1.0, 2.0, 3.0]}
    )
    frame.to_parquet(tmp_path / "tx.parquet")
    lines = [{"customer": "C9", "timestamp": "2024-02-01T10:00:00", "channel": "phone", "topic": {"a": 1}}]
    (tmp_path / "events.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    version, report = publish(
        store, tmp_path, {"transactions": [tmp_path / "tx.parquet"], "interactions": [tmp_path / "events.jsonl"]}
    )
    assert [r[0] for r in table_rows(store, version, "transactions")] == ["13047", "17850"]
    assert problems(report, "transactions")["blank_id"].count == 1
    assert table_rows(store, version, "interactions")[0][:3] == ("C9", datetime(2024, 2, 1, 10, 0), "phone")


def test_csv_named_file_that_is_really_excel_is_read_as_excel(store: Store, tmp_path: Path):
    book = openpyxl.Workbook()
    book.active.append(["customer_id", "ts", "amount"])
    book.active.append(["A", "2024-01-01", 5])
    path = tmp_path / "export.csv"
    book.save(path)
    version, report = publish(store, tmp_path, {"transactions": [path]})
    assert version.row_counts["transactions"] == 1
    assert any("is a Excel workbook file despite its name" in p.message for p in report.tables["transactions"].problems)


def test_several_files_of_one_table_are_appended_with_their_own_row_numbers(store: Store, tmp_path: Path):
    jan = write(tmp_path, "jan.csv", "customer_id,date,amount\nA,2024-01-01,1\n,2024-01-02,2\n")
    feb = write(tmp_path, "feb.csv", "amount,customer_id,date\n3,B,2024-02-01\n4,,2024-02-02\n5,C,2024-02-03\n")
    upload, report = run_upload(store, tmp_path, {"transactions": [jan, feb]})
    try:
        table = report.tables["transactions"]
        assert (table.read, table.rejected, table.published) == (5, 2, 3)
        examples = problems(report, "transactions")
        assert [(e.file, e.row) for p in table.problems if p.code == "blank_id" for e in p.examples] == [
            ("jan.csv", 3),
            ("feb.csv", 3),
        ]
        assert examples["blank_id"].rejects
        version = upload.publish("shop")
    finally:
        upload.close()
    assert sum(r[2] for r in table_rows(store, version, "transactions")) == 9
    assert [f["name"] for f in version.source_files] == ["jan.csv", "feb.csv"]
    assert [f["rows"] for f in version.source_files] == [2, 3]
    assert all(len(f["sha256"]) == 64 for f in version.source_files)


def test_the_upload_digest_is_whole_when_the_file_is_removed_while_it_is_hashed(tmp_path: Path):
    """The recorded SHA-256 of an upload is the file's, even if the upload is cleaned up before the hash finishes."""
    import hashlib

    from dashboard.ingest.sources import _Digest

    path = tmp_path / "upload.csv"
    payload = b"customer_id,amount\n" + b"c1,10\n" * 200_000
    path.write_bytes(payload)
    digest = _Digest(path)
    path.unlink()
    assert digest.value() == hashlib.sha256(payload).hexdigest()
