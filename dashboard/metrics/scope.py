"""The filters every page shares (segment, region, months) and the SQL conditions they stand for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dashboard.formatting import as_date  # noqa: F401  (kept here too: filters and metrics read dates with it)
from dashboard.sql import Sql, in_list, join, lit, sql

NOT_SET = "(not set)"
"""Label for a blank segment or region, so it can be filtered like any other value."""


def month_start(value: date) -> date:
    """The first day of value's month."""
    return date(value.year, value.month, 1)


def next_month(value: date) -> date:
    """The first day of the month after value's month."""
    return date(value.year + value.month // 12, value.month % 12 + 1, 1)


@dataclass(frozen=True)
class Filters:
    """Segments and regions in scope (empty = all) and an inclusive range of months (None = unbounded)."""

    segments: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    month_from: date | None = None
    month_to: date | None = None

    def validate(self) -> Filters:
        """Self with months moved to the first of the month; ValueError when the range is reversed."""
        lo = month_start(self.month_from) if self.month_from else None
        hi = month_start(self.month_to) if self.month_to else None
        if lo and hi and lo > hi:
            raise ValueError(f"the period starts ({lo:%b %Y}) after it ends ({hi:%b %Y})")
        return Filters(tuple(sorted(set(self.segments))), tuple(sorted(set(self.regions))), lo, hi)

    @property
    def period_end(self) -> date | None:
        """First day after the last month in range (exclusive bound), or None."""
        return next_month(self.month_to) if self.month_to else None

    def dimension_sql(self, segment_col: str = "segment", region_col: str = "region") -> Sql:
        """SQL condition (with params) keeping rows whose segment and region are in scope; blanks match NOT_SET."""
        parts = [Sql("true")]
        for values, col in ((self.segments, segment_col), (self.regions, region_col)):
            if values:
                parts.append(in_list(sql(f"coalesce({col}, {{}})", lit(NOT_SET)), values))
        return join(parts, " and ")

    def period_sql(self, ts_col: str) -> Sql:
        """SQL condition (with params) keeping rows whose timestamp falls in the months in range."""
        parts = [Sql("true")]
        if self.month_from:
            parts.append(sql(f"{ts_col} >= {{}}", lit(self.month_from)))
        if self.month_to:
            parts.append(sql(f"{ts_col} < {{}}", lit(self.period_end)))
        return join(parts, " and ")

    def describe(self) -> str:
        """The filters in words, for captions and exports."""
        bits = []
        if self.segments:
            bits.append("segment " + ", ".join(self.segments))
        if self.regions:
            bits.append("region " + ", ".join(self.regions))
        if self.month_from or self.month_to:
            lo = f"{self.month_from:%b %Y}" if self.month_from else "start"
            hi = f"{self.month_to:%b %Y}" if self.month_to else "end"
            bits.append(f"{lo} to {hi}")
        return "; ".join(bits) if bits else "all customers, all months"
