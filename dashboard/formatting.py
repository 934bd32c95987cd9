"""How numbers, money and percentages are written on screen and in exports."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pandas as pd

HUGE = 1e15
"""From here on a number is written in scientific notation (1.00e+308), not as hundreds of digits."""


def as_date(value: object) -> date | None:
    """value (a date, datetime, timestamp or ISO text) as a date; None when missing or beyond Python's dates (DuckDB
    holds years up to 294247, pandas' timestamps only 1677 to 2262)."""
    if value is None:
        return None
    try:
        if isinstance(value, date):  # pandas' microsecond timestamps are dates too, up to year 294247
            return date(value.year, value.month, value.day)
        stamp = pd.Timestamp(value)
        return None if pd.isna(stamp) else date(stamp.year, stamp.month, stamp.day)
    except (ValueError, TypeError, OverflowError, NotImplementedError):
        return None


def shown(value: object) -> bool:
    """Whether value is a finite number that can be written (None, NaN, inf, NaT, pd.NA and text are not)."""
    if value is None or isinstance(value, str):
        return False
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError, OverflowError):
        return False


MARKUP_CHARACTERS = frozenset("\\`*_{}[]()<>#!|~:&^=\"'")
"""Characters a currency symbol may not hold: it is written unescaped into st.metric values, which Streamlit reads as
Markdown ($ stays allowed: one money figure alone is not maths)."""


@dataclass(frozen=True)
class NumberFormat:
    """Currency symbol, thousands and decimal separators, chosen per dataset."""

    currency: str = "$"
    thousands: str = ","
    decimal: str = "."

    def validate(self) -> NumberFormat:
        """Self when the separators differ and are short; ValueError otherwise."""
        if self.thousands == self.decimal:
            raise ValueError("the thousands and decimal separators must differ")
        if len(self.currency) > 4 or len(self.thousands) > 1 or len(self.decimal) != 1:
            raise ValueError("currency up to 4 characters; separators one character")
        if any(ch in MARKUP_CHARACTERS for ch in self.currency):
            raise ValueError(f"the currency symbol cannot hold any of {' '.join(sorted(MARKUP_CHARACTERS))}")
        return self

    def number(self, value: float | None, decimals: int = 0) -> str:
        """value with thousands separators and fixed decimals; an em dash for missing or not finite (NaN, inf, NaT)."""
        if not shown(value):
            return "—"
        if abs(value) >= HUGE:
            return f"{value:.2e}".replace(".", self.decimal)
        text = f"{value:,.{decimals}f}"
        return text.replace(",", "\0").replace(".", self.decimal).replace("\0", self.thousands)

    def money(self, value: float | None, decimals: int | None = None) -> str:
        """value as currency; large values shortened to K, M, B with two significant decimals; a dash if not finite."""
        if not shown(value):
            return "—"
        sign = "-" if value < 0 else ""
        size = abs(value)
        if size >= HUGE:
            return f"{sign}{self.currency}{self.number(size)}"
        if decimals is None:
            # cuts sit just below the next unit so that 999,999 reads $1.00M, not $1,000.00K
            for cut, unit, suffix in ((999_995_000, 1e9, "B"), (999_995, 1e6, "M"), (1e4, 1e3, "K")):
                if size >= cut:
                    return f"{sign}{self.currency}{self.number(size / unit, 2)}{suffix}"
            decimals = 0 if size >= 100 else 2
        return f"{sign}{self.currency}{self.number(size, decimals)}"

    def pct(self, share: float | None, decimals: int = 1) -> str:
        """A share (0.2654) as a percentage (26.5 %); a dash if missing or not finite."""
        if not shown(share):
            return "—"
        return f"{self.number(share * 100, decimals)} %"

    def value(self, value: float | None, kind: str) -> str:
        """value written according to its kind: count, money, pct, number or score."""
        if kind == "count":
            return self.number(value, 0)
        if kind == "money":
            return self.money(value)
        if kind == "pct":
            return self.pct(value, 2)
        if kind == "score":
            return self.number(value, 2)
        return self.number(value, 2)


def day(value: object) -> str:
    """A date as "15 Mar 2024" (four-digit year); an em dash when missing or beyond what Python's dates hold."""
    found = as_date(value)
    return "—" if found is None else f"{found.day:02d} {found:%b} {found.year:04d}"


def month(value: object) -> str:
    """A month as "Mar 2024" (four-digit year); an em dash when missing or beyond what Python's dates hold."""
    found = as_date(value)
    return "—" if found is None else f"{found:%b} {found.year:04d}"
