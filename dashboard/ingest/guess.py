"""What a sample of a text column's values says about how they are written: its date order (or the orders it cannot
tell apart), its decimal and thousands separators, whether it holds numbers or yes/no values."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from dashboard.ingest.formats import (
    DATE_FORMATS,
    DATE_ORDERS,
    FALSE_WORDS,
    GUESSED_ORDERS,
    TRUE_WORDS,
    DateStyle,
    NumberStyle,
    date_text,
)
from dashboard.sql import Sql, join, lit, sql, unnest


@dataclass(frozen=True)
class DateGuess:
    """What a sample of a column's values says about its dates: the style chosen, or the orders it cannot tell apart."""

    style: DateStyle | None
    ambiguous: tuple[str, ...] = ()
    parsed_share: float = 0.0
    example: str = ""


def guess_dates(cur: duckdb.DuckDBPyConnection, values: Sequence[str]) -> DateGuess:
    """The date order that reads the most of values; day-first against month-first reading them differently is ambiguous."""
    values = [v.strip() for v in values if v is not None and v.strip()]
    if not values:
        return DateGuess(None)
    counts: dict[str, int] = {}
    used: dict[str, list[str]] = {}
    # ISO only with a four-digit year first: DuckDB casts 22-04-15 to the year 22
    iso = Sql("select count(try_cast(v as timestamp)) filter (where regexp_matches(v, '^\\d{4}')) from ") + sql(
        "{} t(v)", unnest(lit(values))
    )
    row = cur.execute(*iso).fetchall()[0]
    if row[0] == len(values):
        return DateGuess(DateStyle("iso"), (), 1.0)  # every value is ISO 8601: nothing else to try
    counts["iso"] = row[0]
    used["iso"] = []
    for order in GUESSED_ORDERS:
        if order == "iso":
            continue
        formats = DATE_FORMATS[order]
        text = date_text(order, "v")
        counts_sql = join([sql("count(try_strptime({}, {}))", text, lit(f)) for f in formats])
        query = sql(
            "select {}, count(try_strptime({}, {})) from {} t(v)", counts_sql, text, lit(list(formats)), unnest(lit(values))
        )
        per_format = cur.execute(*query).fetchall()[0]
        counts[order] = per_format[-1]
        used[order] = [f for f, n in zip(formats, per_format[:-1], strict=True) if n > 0]  # in order: "%y" before "%Y"
    best = max(counts.values())
    if best == 0:
        return DateGuess(None, (), 0.0)
    winners = [order for order, n in counts.items() if n == best]
    share = best / len(values)
    if "iso" in winners:
        return DateGuess(DateStyle("iso"), (), share)
    if "day-first" in winners and "month-first" in winners:
        # both orders read the sample alike: the rest of the file may still tell them apart (the caller checks it)
        query = sql(
            "select v from {values} t(v)"
            " where try_strptime(v, {day_first}) is distinct from try_strptime(v, {month_first}) limit 1",
            values=unnest(lit(values)),
            day_first=lit(used["day-first"]),
            month_first=lit(used["month-first"]),
        )
        differs = cur.execute(*query).fetchall()
        return DateGuess(None, ("day-first", "month-first"), share, differs[0][0] if differs else values[0])
    if "yy-mm-dd" in winners and "year-first" in winners:
        winners.remove("year-first")  # a four-digit year pattern reading 99/12/01 as the year 99
    others = [o for o in ("day-first", "month-first") if o in winners]
    if "yy-mm-dd" in winners and others:
        return _year_last_or_first(cur, values, others[0], used, share)
    order = winners[0]
    return DateGuess(DateStyle(order, tuple(used[order])), (), share)


def _year_last_or_first(
    cur: duckdb.DuckDBPyConnection, values: list[str], other: str, used: dict[str, list[str]], share: float
) -> DateGuess:
    """dd-mm-yy (or mm-dd-yy) against yy-mm-dd: the reading with at most half the other's distinct years, else asked."""
    query = sql(
        "select count(distinct year(try_strptime(v, {other}))), count(distinct year(try_strptime(v, {yy}))),"
        " min(v) filter (where try_strptime(v, {other}) is distinct from try_strptime(v, {yy})) from {values} t(v)",
        other=lit(used[other]),
        yy=lit(used["yy-mm-dd"]),
        values=unnest(lit(values)),
    )
    row = cur.execute(*query).fetchall()[0]
    last, first, example = row
    if last * 2 <= first:
        return DateGuess(DateStyle(other, tuple(used[other])), (), share)
    if first * 2 <= last:
        return DateGuess(DateStyle("yy-mm-dd", tuple(used["yy-mm-dd"])), (), share)
    return DateGuess(None, (other, "yy-mm-dd"), share, example or values[0])


def style_for(order: str, cur: duckdb.DuckDBPyConnection | None = None, values: Sequence[str] = ()) -> DateStyle:
    """The DateStyle for an order the user chose; formats narrowed to those that read values, when given."""
    if order not in DATE_ORDERS:
        raise ValueError(f"unknown date order {order!r}; choose one of {', '.join(DATE_ORDERS)}")
    formats = DATE_FORMATS[order]
    if cur is not None and formats and values:
        clean = [v.strip() for v in values if v and v.strip()]
        if clean:
            text = date_text(order, "v")
            counts_sql = join([sql("count(try_strptime({}, {}))", text, lit(f)) for f in formats])
            query = sql("select {} from {} t(v)", counts_sql, unnest(lit(clean)))
            counts = cur.execute(*query).fetchall()[0]
            narrowed = tuple(f for f, n in zip(formats, counts, strict=True) if n > 0)
            formats = narrowed or formats
    return DateStyle(order, formats)


_DOT_DECIMAL = re.compile(r"^[+-]?\d*\.\d+$")
_COMMA_DECIMAL = re.compile(r"^[+-]?\d*,\d+$")
_COMMA_GROUPS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_DOT_GROUPS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")
_SPACE_GROUPS = re.compile(r"^[+-]?\d{1,3}([ \u00a0\u202f]\d{3})+(,\d+|\.\d+)?$")
_APOSTROPHE_GROUPS = re.compile(r"^[+-]?\d{1,3}('\d{3})+(\.\d+)?$")
_AMBIGUOUS_GROUP = re.compile(r"^[+-]?\d{1,3}[.,]\d{3}$")
_CURRENCY = re.compile(r"[$€£¥₹]")
_DURATION_TEXT = re.compile(r"^\d+:[0-5]\d(:[0-5]\d)?$")


@dataclass(frozen=True)
class NumberGuess:
    """What sample values say about how numbers are written: the style, or an example that could be read two ways."""

    style: NumberStyle
    ambiguous_example: str = ""


def guess_numbers(values: Sequence[str]) -> NumberGuess:
    """The decimal and thousands separators that read values; "1,234" alone (1234 or 1.234?) is ambiguous."""
    dot = comma = comma_groups = dot_groups = space_groups = apostrophe_groups = 0
    ambiguous = ""
    for raw in values:
        if raw is None:
            continue
        text = _CURRENCY.sub("", raw).strip()
        if not text:
            continue
        if _AMBIGUOUS_GROUP.match(text):
            ambiguous = ambiguous or raw
            continue
        if _DOT_DECIMAL.match(text):
            dot += 1
        elif _COMMA_DECIMAL.match(text):
            comma += 1
        elif _COMMA_GROUPS.match(text):
            comma_groups += 1
        elif _DOT_GROUPS.match(text):
            dot_groups += 1
        elif _SPACE_GROUPS.match(text):
            space_groups += 1
        elif _APOSTROPHE_GROUPS.match(text):
            apostrophe_groups += 1
    if comma + dot_groups > dot + comma_groups:
        thousands = "." if dot_groups else (" " if space_groups else "")
        return NumberGuess(NumberStyle(",", thousands))
    if dot + comma_groups + apostrophe_groups > 0 or not ambiguous:
        thousands = "," if comma_groups else ("'" if apostrophe_groups else (" " if space_groups else ""))
        return NumberGuess(NumberStyle(".", thousands))
    return NumberGuess(NumberStyle(".", ""), ambiguous)


def looks_numeric(values: Sequence[str], style: NumberStyle, least: int = 5) -> bool:
    """Whether nearly all (95 %) of the non-blank values read as numbers in style, and there are at least least."""
    clean = [v for v in values if v is not None and v.strip()]
    if len(clean) < least:
        return False
    ok = 0
    for value in clean:
        text = _CURRENCY.sub("", value).strip()
        if style.thousands:
            text = text.replace(style.thousands, "")
        if style.decimal == ",":
            text = text.replace(",", ".")
        try:
            float(text)
            ok += 1
        except ValueError:
            ok += bool(_DURATION_TEXT.match(value.strip()))
    return ok >= 0.95 * len(clean)


def looks_boolean(values: Sequence[str]) -> bool:
    """Whether every non-blank value is a yes/no word (and there are some)."""
    clean = {v.strip().lower() for v in values if v is not None and v.strip()}
    return bool(clean) and clean <= set(TRUE_WORDS) | set(FALSE_WORDS)
