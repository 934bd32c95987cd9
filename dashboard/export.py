"""Formula-safe exports: CSV and Excel files whose text cells cannot run as spreadsheet formulas."""

from __future__ import annotations

import io
from collections.abc import Mapping

import pandas as pd

from dashboard.escape import spreadsheet_text as neutralise


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of frame with every text cell and column name neutralised (numbers, dates and booleans kept)."""
    out = frame.copy()
    out.columns = [neutralise(str(c)) for c in out.columns]
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series):
            out[col] = series.map(neutralise, na_action="ignore")
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """frame as UTF-8 CSV (with BOM, so Excel reads accents), formula-safe, without the index."""
    return safe_frame(frame).to_csv(index=False).encode("utf-8-sig")


def excel_bytes(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """One worksheet per frame in an .xlsx file, formula-safe: text is never written as a formula or link."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(
        buffer,
        engine="xlsxwriter",
        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}},
    ) as writer:
        for name, frame in sheets.items():
            sheet = "".join(ch for ch in str(name) if ch not in "[]:*?/\\")[:31] or "Sheet"
            safe = safe_frame(frame)
            for col in safe.columns:
                if isinstance(safe[col].dtype, pd.DatetimeTZDtype):
                    safe[col] = safe[col].dt.tz_localize(None)
            safe.to_excel(writer, sheet_name=sheet, index=False)
    return buffer.getvalue()
