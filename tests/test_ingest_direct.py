"""The command line's one-transaction publish gives exactly what the Data page's check-then-publish gives."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from dashboard.ingest.mapping import TableMapping
from dashboard.ingest.pipeline import IncomingFile, Upload
from dashboard.ingest.rules import Rule
from dashboard.ingest.upload_publish import Blocked
from dashboard.store import Store
from tests.ingest_helpers import TODAY, TRANSACTIONS_CSV, write

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _upload(store: Store, folder: Path, files: dict, mappings: dict | None = None) -> Upload:
    upload = Upload(store, folder / "work", today=TODAY)
    for table, paths in files.items():
        upload.add_files(table, [IncomingFile(p, p.name) for p in paths], mapping=(mappings or {}).get(table))
    return upload


def _contents(store: Store, version) -> dict:
    out = {}
    with store.cursor() as cur:
        for table in ("customers", "transactions", "interactions"):
            out[table] = sorted(cur.execute(f"select * from {version.table(table)}").fetchall(), key=repr)
    return out


def _both_ways(store: Store, folder: Path, files: dict, mappings: dict | None = None):
    checked = _upload(store, folder, files, mappings)
    report = checked.check()
    assert report.ok, [p.message for p in report.blocking]
    by_page = checked.publish("page")
    checked.close()
    direct = _upload(store, folder, files, mappings)
    by_cli = direct.publish_direct("cli")
    direct_report = direct.report
    direct.close()
    assert by_cli.row_counts == by_page.row_counts
    assert by_cli.columns == by_page.columns
    assert [(f["name"], f["rows"], f["sha256"]) for f in by_cli.source_files] == [
        (f["name"], f["rows"], f["sha256"]) for f in by_page.source_files
    ]
    assert _contents(store, by_cli) == _contents(store, by_page)
    summary = {t: (r.read, r.rejected, r.added, sorted(p.code for p in r.problems)) for t, r in report.tables.items()}
    assert {
        t: (r.read, r.rejected, r.added, sorted(p.code for p in r.problems)) for t, r in direct_report.tables.items()
    } == summary
    return by_cli, summary


def test_telco(store: Store, tmp_path: Path):
    version, summary = _both_ways(store, tmp_path, {"customers": [FIXTURES / "telco_customer_churn.csv"]})
    assert version.row_counts["customers"] == 7043
    assert summary["customers"][:2] == (7043, 0)


def test_online_retail_with_rejected_rows_and_built_customers(store: Store, tmp_path: Path):
    version, summary = _both_ways(store, tmp_path, {"transactions": [FIXTURES / "online_retail.parquet"]})
    assert version.row_counts == {"customers": 4372, "transactions": 406_829, "interactions": 0}
    assert summary["transactions"][:2] == (541_909, 135_080)


def test_several_files_labels_rules_duplicates_and_added_customers(store: Store, tmp_path: Path):
    customers = write(tmp_path, "c.csv", "id,Plan,Stage\nC1,Gold,Lead\nC2,Silver,Loyal customer\nC1,Gold,Lead\n")
    jan = write(tmp_path, "jan.csv", TRANSACTIONS_CSV)
    feb = write(tmp_path, "feb.csv", "amount,customer_id,date,channel\n5,C9,2024-02-01,Kiosk\n6,,2024-02-02,web\n")
    mappings = {
        "customers": TableMapping(
            "customers", {"customer_id": "id", "stage": "Stage"}, [Rule("b_gold", "equals", "Plan", "gold")]
        )
    }
    version, summary = _both_ways(store, tmp_path, {"customers": [customers], "transactions": [jan, feb]}, mappings)
    assert summary["customers"] == (3, 1, 2, ["added_customers", "duplicate_ids"])
    assert summary["transactions"][:2] == (6, 1)
    with store.cursor() as cur:
        stages = cur.execute(f"select customer_id, stage, b_gold from {version.table('customers')} order by 1").fetchall()
        channels = cur.execute(f"select distinct channel from {version.table('transactions')} order by 1").fetchall()
    assert stages == [("C1", "prospect", True), ("C2", "loyal", False), ("C3", None, None), ("C9", None, None)]
    assert channels == [("Kiosk",), ("phone",), ("store",), ("web",)]


def test_excel_rows(store: Store, tmp_path: Path):
    book = openpyxl.Workbook()
    book.active.append(["customer_id", "ts", "amount"])
    for i in range(20):
        book.active.append([f"C{i}", f"2024-01-{i + 1:02d}", i])
    book.active.append([None, "2024-02-01", 5])
    path = tmp_path / "x.xlsx"
    book.save(path)
    _version, summary = _both_ways(store, tmp_path, {"transactions": [path]})
    assert summary["transactions"][:2] == (21, 1)


def test_blocking_problems_roll_everything_back(store: Store, tmp_path: Path):
    good = _upload(store, tmp_path, {"transactions": [write(tmp_path, "tx.csv", TRANSACTIONS_CSV)]})
    first = good.publish_direct("shop")
    good.close()
    bad = write(tmp_path, "bad.csv", "customer_id,date,amount\nC1,03/04/2024,1\n")
    upload = _upload(store, tmp_path, {"transactions": [bad]})
    seen = []
    with pytest.raises(Blocked) as info:
        upload.publish_direct("shop", on_report=lambda report, cur: seen.append(report.ok))
    upload.close()
    assert seen == [False] and info.value.report.blocking[0].code == "ambiguous_dates"
    assert store.active_version("shop").version_id == first.version_id
    assert [v.number for v in store.versions("shop")] == [1]
    with store.cursor() as cur:
        schemas = {r[0] for r in cur.execute("select schema_name from information_schema.schemata").fetchall()}
    assert f"v{first.version_id + 1}" not in schemas


def test_check_only_publishes_nothing(store: Store, tmp_path: Path):
    upload = _upload(store, tmp_path, {"transactions": [write(tmp_path, "tx.csv", TRANSACTIONS_CSV)]})
    assert upload.publish_direct("shop", check_only=True) is None
    assert upload.report.ok and upload.report.tables["transactions"].read == 4
    upload.close()
    assert store.dataset_names() == []
