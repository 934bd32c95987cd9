"""Exports neutralise spreadsheet formulas in CSV and Excel."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd

from dashboard.escape import spreadsheet_text as neutralise
from dashboard.export import csv_bytes, excel_bytes, safe_frame

DANGEROUS = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", '=HYPERLINK("http://x","y")', "plain", "\tx"]


def test_neutralise_prefixes_only_formula_starts():
    assert [neutralise(v) for v in DANGEROUS] == [
        "'=1+1",
        "'+SUM(A1)",
        "'-2+3",
        "'@cmd",
        '\'=HYPERLINK("http://x","y")',
        "plain",
        "'\tx",
    ]
    assert neutralise(-5) == -5


def test_csv_keeps_numbers_and_neutralises_text():
    frame = pd.DataFrame({"name": DANGEROUS, "amount": [-1.5] * len(DANGEROUS)})
    text = csv_bytes(frame).decode("utf-8-sig")
    back = pd.read_csv(io.StringIO(text))
    assert back["amount"].tolist() == [-1.5] * len(DANGEROUS)
    assert not any(str(v).startswith(("=", "+", "-", "@")) for v in back["name"])


def test_excel_has_no_live_formulas():
    frame = pd.DataFrame({"=bad column": DANGEROUS, "when": pd.Timestamp("2024-01-01")})
    book = openpyxl.load_workbook(io.BytesIO(excel_bytes({"scenario: 1/2": frame})))
    sheet = book.worksheets[0]
    assert sheet.title == "scenario 12"
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", f"{cell.coordinate} holds a formula"
    assert sheet["A1"].value == "'=bad column"


def test_safe_frame_does_not_touch_the_original():
    frame = pd.DataFrame({"x": ["=1"]})
    safe_frame(frame)
    assert frame["x"][0] == "=1"
