"""The one SQL building block: text and the values of its ? placeholders travel together, so no code orders parameters.

Compose with `sql(template, *parts, **named)` (parts fill `{}` in order, named parts fill `{name}` wherever they
appear), `+`, `join` and `with_ctes`; a value enters only through `lit`, an identifier only through `ident`. A block
unpacks as `text, params = block`, so `cur.execute(*block)` runs it. The DuckDB-only features the queries use
(`group by all`, list functions, `exclude`, list indexing) are written once, below, so another engine has one place to
change. This module imports nothing from dashboard: every layer may use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

_IDENT = re.compile(r"[a-z_][a-z0-9_]*")
_HOLE = re.compile(r"\{([a-z_][a-z0-9_]*)?\}")


@dataclass(frozen=True)
class Sql:
    """A fragment of SQL text and the values of its ? placeholders, in the order they appear."""

    text: str
    params: tuple = ()

    def __post_init__(self) -> None:
        """Params stored as a tuple whatever sequence was given."""
        if not isinstance(self.params, tuple):
            object.__setattr__(self, "params", tuple(self.params))

    def __str__(self) -> str:
        return self.text

    def __format__(self, spec: str) -> str:
        """The text in an f-string, only when there are no parameters (they would be lost): compose with sql()."""
        if self.params:
            raise TypeError("an Sql with parameters cannot go into an f-string; compose it with sql()")
        return format(self.text, spec)

    def __iter__(self) -> Iterator[Any]:
        """Text then a list of parameters, so `text, params = block` and `cur.execute(*block)` work."""
        yield self.text
        yield list(self.params)

    def __add__(self, other: Sql | str) -> Sql:
        """This fragment followed by other (text joined as is, parameters in order)."""
        other = as_sql(other)
        return Sql(self.text + other.text, self.params + other.params)

    def __radd__(self, other: str) -> Sql:
        """Fixed text followed by this fragment."""
        return as_sql(other) + self


def as_sql(part: Sql | str) -> Sql:
    """part as an Sql (fixed text has no parameters); TypeError for anything else (a bare (text, params) pair)."""
    if isinstance(part, Sql):
        return part
    if isinstance(part, str):
        return Sql(part)
    raise TypeError(f"an SQL part must be Sql or str, not {type(part).__name__}")


def lit(value: object) -> Sql:
    """A value as a parameter (never pasted into the text)."""
    return Sql("?", (value,))


def sql(template: str, *parts: Sql | str, **named: Sql | str) -> Sql:
    """Fill each {} of template with the next part and each {name} with named[name]; parameters follow the text order."""
    pieces = _HOLE.split(template)
    text, values, position = [pieces[0]], [], 0
    for name, after in zip(pieces[1::2], pieces[2::2], strict=True):
        if name is None:
            if position >= len(parts):
                raise ValueError(f"template has more {{}} placeholders than its {len(parts)} parts")
            part, position = parts[position], position + 1
        elif name in named:
            part = named[name]
        else:
            raise ValueError(f"no part named {name!r}")
        fragment = as_sql(part)
        text += [fragment.text, after]
        values += fragment.params
    if position != len(parts):
        raise ValueError(f"template has {position} placeholders for {len(parts)} parts")
    return Sql("".join(text), tuple(values))


def join(parts: Iterable[Sql | str], separator: str = ", ") -> Sql:
    """Parts joined by separator, parameters kept in order."""
    fragments = [as_sql(p) for p in parts]
    return Sql(separator.join(p.text for p in fragments), tuple(v for p in fragments for v in p.params))


def with_ctes(ctes: Mapping[str, Sql | str], final: Sql | str) -> Sql:
    """`with name as (block), ... final`: named blocks in the given order, each carrying its own parameters."""
    return sql("with {} {}", join([sql(f"{ident(name)} as ({{}})", block) for name, block in ctes.items()]), final)


def ident(name: str) -> str:
    """A generated identifier (lowercase letters, digits, underscores) quoted for SQL; ValueError for anything else."""
    if not _IDENT.fullmatch(name):
        raise ValueError(f"bad identifier {name!r}")
    return f'"{name}"'


def row_of(*values: object) -> Sql:
    """A parenthesised row of values, each a parameter: `(?, ?, ...)` (for insert ... values)."""
    return sql("({})", join([lit(v) for v in values]))


def where_all(conditions: Iterable[Sql | str]) -> Sql:
    """Conditions joined by `and` (`true` when there are none)."""
    conditions = list(conditions)
    return join(conditions, " and ") if conditions else Sql("true")


def in_list(expr: Sql | str, values: Iterable[object]) -> Sql:
    """`expr in (?, ?, ...)` with each value a parameter (`false` for no values)."""
    values = list(values)
    if not values:
        return Sql("false")
    return sql("{} in ({})", expr, join([lit(v) for v in values]))


# DuckDB-only features, each in one place -------------------------------------------------------------------------


def group_by_all() -> Sql:
    """`group by all` (DuckDB: group by every selected column that is not an aggregate)."""
    return Sql("group by all")


def select_except(columns: Iterable[str], source: str = "") -> Sql:
    """`*` without the named columns (DuckDB's `* exclude (...)`); source qualifies the star (e.g. "c")."""
    star = f"{source}.*" if source else "*"
    return Sql(f"{star} exclude ({', '.join(columns)})")


def list_contains(items: Sql | str, item: Sql | str) -> Sql:
    """Whether the list items holds item."""
    return sql("list_contains({}, {})", items, item)


def list_filter(items: Sql | str, var: str, condition: Sql | str) -> Sql:
    """The elements x of items (named var in condition) for which condition holds, in order."""
    if not _IDENT.fullmatch(var):
        raise ValueError(f"bad lambda variable {var!r}")
    return sql(f"list_filter({{}}, lambda {var}: {{}})", items, condition)


def list_count(items: Sql | str, var: str, condition: Sql | str) -> Sql:
    """How many elements of items satisfy condition (var names the element in it)."""
    return sql("len({})", list_filter(items, var, condition))


def list_max(items: Sql | str) -> Sql:
    """The largest element of a list (null for an empty one)."""
    return sql("list_max({})", items)


def list_item(items: Sql | str, index: Sql | str) -> Sql:
    """The index-th element of a list, counting from 1 (null past its end)."""
    return sql("{}[{}]", items, index)


def list_transform(items: Sql | str, var: str, expr: Sql | str) -> Sql:
    """The list of expr for each element of items (named var in expr), in order."""
    if not _IDENT.fullmatch(var):
        raise ValueError(f"bad lambda variable {var!r}")
    return sql(f"list_transform({{}}, lambda {var}: {{}})", items, expr)


def struct_of(**fields: Sql | str) -> Sql:
    """A struct value with the named fields (DuckDB's {'name': value, ...}); read a field as value.name."""
    for name in fields:
        if not _IDENT.fullmatch(name):
            raise ValueError(f"bad field name {name!r}")
    return Sql("{") + join([sql(f"'{name}': {{}}", value) for name, value in fields.items()]) + Sql("}")


def unnest(items: Sql | str) -> Sql:
    """One row per element of a list."""
    return sql("unnest({})", items)


def days_between(start: Sql | str, end: Sql | str) -> Sql:
    """Whole days from the date start to the date end (end − start; for dates, calendar and elapsed days agree)."""
    return sql("date_diff('day', {}, {})", start, end)


def month_boundaries(start: Sql | str, end: Sql | str) -> Sql:
    """Calendar months from start's month to end's month (0 within one month; DuckDB's datediff('month') on the month
    starts)."""
    return sql("datediff('month', date_trunc('month', {}), {})", start, end)


def list_position(items: Sql | str, item: Sql | str) -> Sql:
    """The 1-based position of item in the list items (null when absent)."""
    return sql("list_position({}, {})", items, item)
