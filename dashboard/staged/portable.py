"""Portable preparation SQL: the traps two engines compute differently, and the translation of DuckDB's SQL to Spark's.

The preparation SQL is written in DuckDB's dialect; sqlglot parses it once per query text (cached) and writes Spark SQL.
Values travel as DuckDB's positional parameters (`?`, as the Sql block of dashboard/sql.py writes them) and are
inlined into the Spark text as typed literals built by sqlglot (quoted and escaped by it), never pasted as text.

Traps (TRAPS) are rejected by `traps`, which a test runs over every preparation query: each names the portable way.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

TRAPS = {
    "date_diff": "date_diff/datediff over times counts calendar boundaries in DuckDB and elapsed time in Spark: "
    "compare elapsed time (b > a + interval N day) or take days between dates with staged.sql.days_between",
    "unordered list": "list()/string_agg without order by comes out in any order on a cluster: add order by",
    "ordered list": "list(x order by y) becomes Spark's collect_list, which drops the order: sort the list after it "
    "(list_sort) or keep the step on DuckDB",
    "random": "random()/uuid() differ per engine and per run",
    "approximate": "approx_* and reservoir_quantile differ per engine",
    "integer division": "// is integer division in DuckDB only: use floor(a / b)",
    "strftime": "strftime/strptime patterns differ per engine: use date_trunc or cast",
    "enum": "a cast to ENUM is DuckDB's type only (Spark cannot parse it; Parquet gives back text): keep the step on DuckDB",
}
"""Constructs DuckDB and Spark compute differently with no error raised, and what to write instead."""


def _name(node: exp.Expression) -> str:
    """Lower-case function name of node (its SQL name for anonymous functions)."""
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return node.sql_name().lower() if isinstance(node, exp.Func) else ""


def _is_date_cast(node: exp.Expression) -> bool:
    """Whether node is an explicit cast to date (days between two dates agree on both engines)."""
    return isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.DATE)


def traps(query: str) -> list[str]:
    """The TRAPS keys query falls into (empty when portable); sqlglot.ParseError when DuckDB's dialect cannot parse it."""
    found: list[str] = []
    tree = _parse(query)
    for node in tree.walk():
        if isinstance(node, exp.DateDiff | exp.TimestampDiff | exp.DatetimeDiff):
            both_dates = _is_date_cast(node.this) and _is_date_cast(node.expression)
            if not (both_dates and node.text("unit").lower() in ("", "day")):
                found.append("date_diff")
        elif isinstance(node, exp.ArrayAgg | exp.GroupConcat):
            ordered = isinstance(node.this, exp.Order)
            found.append("ordered list" if ordered else "unordered list")
        elif isinstance(node, exp.Rand | exp.Uuid) or _name(node) in ("random", "uuid", "gen_random_uuid"):
            found.append("random")
        elif _name(node).startswith("approx") or _name(node) == "reservoir_quantile" or isinstance(node, exp.ApproxDistinct):
            found.append("approximate")
        elif isinstance(node, exp.IntDiv):
            found.append("integer division")
        elif isinstance(node, exp.TimeToStr | exp.StrToTime):
            found.append("strftime")
        elif isinstance(node, exp.DataType) and node.this == exp.DataType.Type.ENUM:
            found.append("enum")
    return sorted(set(found))


def _numbered(query: str) -> str:
    """query with each positional `?` renamed `$p0`, `$p1`, ... in the order they appear (found by the tokenizer, so a
    `?` inside a string literal stays)."""
    tokens = sqlglot.tokenize(query, read="duckdb")
    out, last, n = [], 0, 0
    for token in tokens:
        if token.token_type == TokenType.PLACEHOLDER and token.text == "?":
            out.append(query[last : token.start])
            out.append(f"$p{n}")
            last, n = token.end + 1, n + 1
    out.append(query[last:])
    return "".join(out)


@functools.lru_cache(maxsize=512)
def _parse(query: str) -> exp.Expression:
    """The parsed query (DuckDB dialect), positional parameters numbered; parsed once per query text."""
    return sqlglot.parse_one(_numbered(query), read="duckdb")


def literal(value: Any) -> exp.Expression:
    """value as a typed SQL literal (strings quoted and escaped by sqlglot); TypeError for a type it cannot carry."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError(f"no portable literal for {value!r}")
        return exp.cast(exp.Literal.number(repr(value)), "double")
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "timestamp")
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), "date")
    if isinstance(value, list | tuple):
        return exp.Array(expressions=[literal(v) for v in value])
    raise TypeError(f"no portable literal for {type(value).__name__}")


def _values(params: Sequence[Any] | None) -> dict[str, Any]:
    """The positional parameters by the names _numbered gives their places: p0, p1, ..."""
    return {f"p{i}": v for i, v in enumerate(params or ())}


def _unix_seconds(node: exp.Expression) -> exp.Expression:
    """Spark SQL of the seconds since 1970 of timestamp node, with its fraction (unix_timestamp drops it)."""
    micros = exp.Anonymous(this="unix_micros", expressions=[exp.cast(node, "timestamp")])
    return exp.Paren(this=exp.Div(this=micros, expression=exp.Literal.number("1000000.0")))


def _inline(node: exp.Expression, values: Mapping[str, Any]) -> exp.Expression:
    """node with a parameter replaced by its value as a typed literal."""
    if isinstance(node, exp.Placeholder) and node.this is not None:
        name = str(node.this)
        if name not in values:
            raise KeyError(f"no value for parameter {name}")
        return literal(values[name])
    return node


def _to_spark(node: exp.Expression) -> exp.Expression:
    """node rewritten for Spark: epoch() with its fraction (of a time, or of the time elapsed between two),
    list_position as array_position."""
    if isinstance(node, exp.TimeToUnix):
        inner = node.this.unnest() if isinstance(node.this, exp.Paren) else node.this
        if isinstance(inner, exp.Sub):  # epoch(b - a): the seconds elapsed between two times
            return exp.Paren(this=exp.Sub(this=_unix_seconds(inner.this), expression=_unix_seconds(inner.expression)))
        return _unix_seconds(node.this)
    if isinstance(node, exp.Anonymous | exp.IsInf) and _name(node) == "isfinite" and len(node.expressions) == 1:
        # DuckDB's isfinite: neither NaN nor infinite (NULL stays NULL)
        value = node.expressions[0]
        finite = exp.LT(this=exp.Abs(this=value.copy()), expression=exp.cast(exp.Literal.string("Infinity"), "double"))
        return exp.Paren(this=exp.And(this=exp.Not(this=exp.Anonymous(this="isnan", expressions=[value])), expression=finite))
    if isinstance(node, exp.Anonymous) and str(node.this).lower() in ("list_position", "list_indexof", "array_position"):
        # both count from 1; DuckDB gives NULL where Spark gives 0 for a value not in the list
        found = exp.Anonymous(this="array_position", expressions=node.expressions)
        return exp.Nullif(this=found, expression=exp.Literal.number(0))
    return node


def to_spark(query: str, params: Sequence[Any] | None = None, tables: Mapping[str, str] | None = None) -> str:
    """Spark SQL of a DuckDB query: its parameters inlined as typed literals, and each table named in tables (by its
    DuckDB name, e.g. '"v3"."customers"') renamed to the Spark view given there."""
    values = _values(params)
    tree = _parse(query).copy()
    tree = tree.transform(lambda n: _inline(n, values)).transform(_to_spark)
    if tables:
        for table in tree.find_all(exp.Table):
            key = duckdb_name(table)
            if key in tables:
                table.set("this", exp.to_identifier(tables[key]))
                table.set("db", None)
                table.set("catalog", None)
    return tree.sql(dialect="spark")


def duckdb_name(table: exp.Table) -> str:
    """The quoted DuckDB name of a table reference ('"v3"."customers"', or '"_df_models"' without a schema)."""
    parts = [p for p in (table.catalog, table.db, table.name) if p]
    return ".".join(f'"{p}"' for p in parts)


def tables_read(query: str) -> list[str]:
    """The quoted DuckDB names of the tables and views query reads (its CTEs left out), sorted."""
    tree = _parse(query)
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return sorted({duckdb_name(t) for t in tree.find_all(exp.Table) if t.db or t.name not in ctes})
