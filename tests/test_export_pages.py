"""Every page's table exports, built from a dataset whose text looks like spreadsheet formulas, open in Excel as text:
no cell holds a live formula and no text cell starts with =, +, - or @."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from dashboard import export
from dashboard.store import Store
from dashboard.ui import widgets
from tests.conftest import PAGE_PATHS, open_page, use_copy
from tests.tiny import tiny_tables

PAGES = [label for label in PAGE_PATHS if label not in ("Overview", "Story", "Data")]
"""Pages with table exports (the Overview and the Data page export none)."""

QUERY = {
    "Funnel": {"f_list": "true", "f_stage": "defected", "f_breakdown": "true", "f_cohorts": "true"},
    "Defection": {"d_tab": "Who to call", "d_show": "all"},
    "Journey": {"j_tab": "Paths"},
    "Behaviours": {"b_tab": "By segment or region"},
}
"""Choices that put customers of the tiny dataset into the page's customer list, or open the tab whose tables hold the
dataset's text (segments, regions, channels)."""

HOSTILE = {"Home": "=1+1", "North": "@SUM(A1)", "Price": '=HYPERLINK("http://x","y")'}


@pytest.fixture(scope="module")
def hostile_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny dataset with a segment, a region and a churn reason written as formulas."""
    tables = tiny_tables()
    customers = tables["customers"]
    for column in ("segment", "region", "churn_reason"):
        customers[column] = customers[column].replace(HOSTILE)
    path = tmp_path_factory.mktemp("hostile") / "hostile.duckdb"
    store = Store(path)
    store.publish("hostile", tables)
    store.close()
    return path


def _exported_tables(label: str, query: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, pd.DataFrame]]:
    """The frames the page hands to its download buttons (deferred ones built as a click would build them)."""
    tables: list[tuple[str, pd.DataFrame]] = []
    original = widgets.download_buttons

    def record(frame, filename, **kwargs):
        tables.append((filename, frame() if callable(frame) else frame))
        return original(frame, filename, **kwargs)

    monkeypatch.setattr(widgets, "download_buttons", record)
    at = open_page(label, query)
    assert not at.exception, at.exception
    return tables


def _cells(book: openpyxl.Workbook):
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            yield from row


@pytest.mark.parametrize("label", list(PAGES))
def test_every_page_table_opens_in_excel_without_formulas(
    label: str, hostile_db_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    use_copy(hostile_db_file, tmp_path, monkeypatch)
    tables = _exported_tables(label, QUERY.get(label, {}), monkeypatch)
    assert tables, f"{label} offers no table to download"
    texts = []
    for filename, frame in tables:
        book = openpyxl.load_workbook(io.BytesIO(export.excel_bytes({filename[:31]: frame})))
        for cell in _cells(book):
            assert cell.data_type != "f", f"{label} · {filename} {cell.coordinate} holds a formula: {cell.value!r}"
            if isinstance(cell.value, str):
                texts.append(cell.value)
                assert not cell.value.startswith(("=", "+", "-", "@")), f"{label} · {filename} {cell.coordinate}: {cell.value!r}"
    if label != "What-if":  # the What-if tables hold behaviours and figures, no segment or reason
        assert any(t.startswith(("'=", "'@")) for t in texts), f"{label}: no exported table shows the dataset's text"


def test_no_download_file_is_built_until_its_button_is_clicked(
    hostile_db_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    use_copy(hostile_db_file, tmp_path, monkeypatch)
    built: list[str] = []
    monkeypatch.setattr(export, "csv_bytes", lambda frame: built.append("csv") or b"")
    monkeypatch.setattr(export, "excel_bytes", lambda sheets: built.append("xlsx") or b"")
    at = open_page("Journey", {"j_tab": "Paths"})
    assert not at.exception, at.exception
    assert len(at.get("download_button")) >= 4  # variants and customers, CSV and Excel each
    assert built == []  # a rerun builds no file: each is made when its button is clicked
