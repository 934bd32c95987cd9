"""Helpers of the staging SQL: the one DuckDB-only column it reads, known days and times, a day's money in cents.

Values enter the staging SQL as everywhere else, through the Sql block of dashboard/sql.py (`sql`, `lit`)."""

from __future__ import annotations

FILE_ORDER = "rowid"
"""A touchpoint's position in the published file (DuckDB's rowid), which breaks ties between contacts at one moment;
the one DuckDB-only feature of the staging SQL: another engine gives the column its own way."""


KNOWN_DAYS = ("0001-01-01", "9989-12-31")
"""First and last day a stored date or time counts as known in the staged tables; outside them it is NULL (unknown). Ingest
refuses such dates, but a value stored straight into a version must not make staging or a page fail: DuckDB keeps
timestamps to year 294247, where adding a window overflows, and Python dates end in 9999 (ten years of headroom for the
longest window, so the last purchase plus the lapse window is still a date a page can read)."""


def known_day(expr: str) -> str:
    """SQL of the date of expr (a date or timestamp), NULL when it lies outside KNOWN_DAYS."""
    first, last = KNOWN_DAYS
    return f"case when cast({expr} as date) between date '{first}' and date '{last}' then cast({expr} as date) end"


def known_time(expr: str) -> str:
    """SQL of expr (a timestamp), NULL when its day lies outside KNOWN_DAYS."""
    first, last = KNOWN_DAYS
    return f"case when cast({expr} as date) between date '{first}' and date '{last}' then {expr} end"


CENTS = 2
"""Decimals a day's money is rounded to before its sign is read: 9.5 + (−9.5) in floating point can leave −1.8e-15,
whose sign would decide purchase or refund."""


def day_total(expr: str = "amount") -> str:
    """SQL of the sum of expr over a group (a customer's day), rounded to cents, so a zero or sign test reads money."""
    return f"round(sum({expr}), {CENTS})"
