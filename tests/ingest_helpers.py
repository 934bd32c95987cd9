"""Helpers for the ingest tests: write small files in every format, run an upload end to end."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from dashboard.ingest.mapping import TableMapping
from dashboard.ingest.pipeline import IncomingFile, Upload
from dashboard.ingest.report import Report
from dashboard.ingest.sources import ReadOptions
from dashboard.store import Store, Version

TODAY = date(2025, 6, 30)

TRANSACTIONS_CSV = (
    "customer_id,date,amount,channel\n"
    "C1,2024-01-05,100.00,Web\n"
    "C1,2024-02-05,120.50,web\n"
    "C2,2024-01-20,80.00,Store\n"
    "C3,2024-03-02,-20.00,Call Centre\n"
)
"""Four transactions of three customers: 280.50 in all; C3's is a refund."""


def write(folder: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    """Write content to folder/name (text in the given encoding) and return the path."""
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def run_upload(
    store: Store,
    folder: Path,
    files: dict[str, list[Path]],
    *,
    mappings: dict[str, TableMapping] | None = None,
    read: dict[str, ReadOptions] | None = None,
) -> tuple[Upload, Report]:
    """An Upload of files per table (mapping given or automatic), checked; the caller closes it."""
    upload = Upload(store, folder / "work", today=TODAY)
    for table, paths in files.items():
        upload.add_files(
            table,
            [IncomingFile(p, p.name) for p in paths],
            (read or {}).get(table),
            mapping=(mappings or {}).get(table),
        )
    return upload, upload.check()


def publish(store: Store, folder: Path, files: dict[str, list[Path]], dataset: str = "shop", **kwargs) -> tuple[Version, Report]:
    """Upload, check and publish files as dataset; fails the test when the report blocks."""
    upload, report = run_upload(store, folder, files, **kwargs)
    try:
        assert report.ok, [p.message for p in report.blocking]
        return upload.publish(dataset), report
    finally:
        upload.close()


def problems(report: Report, table: str | None = None) -> dict[str, object]:
    """Problem code -> problem, for one table (or upload-wide when table is None)."""
    found = report.tables[table].problems if table else report.all_problems()
    return {p.code: p for p in found}


def table_rows(store: Store, version: Version, table: str, order: str = "1") -> list[tuple]:
    """Every row of a published table, sorted."""
    with store.cursor() as cur:
        return cur.execute(f"select * from {version.table(table)} order by {order}").fetchall()
