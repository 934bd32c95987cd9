"""A small builder for SQL fragments that carry their own parameters, so composed queries keep values out of the text."""

from __future__ import annotations

import re
from dataclasses import dataclass

_STAGE_NAME = re.compile(r"[a-z_][a-z0-9_]*")


@dataclass(frozen=True)
class Sql:
    """A fragment of SQL text and the values of its ? placeholders, in the order they appear."""

    text: str
    params: tuple = ()

    def __str__(self) -> str:
        return self.text


def lit(value: object) -> Sql:
    """A value as a parameter (never pasted into the text)."""
    return Sql("?", (value,))


def sql(template: str, *parts: Sql | str) -> Sql:
    """Fill each {} of template with the next part, in order; parameters follow the text order."""
    pieces = template.split("{}")
    if len(pieces) != len(parts) + 1:
        raise ValueError(f"template has {len(pieces) - 1} placeholders for {len(parts)} parts")
    text, params = [pieces[0]], []
    for part, after in zip(parts, pieces[1:], strict=True):
        fragment = part if isinstance(part, Sql) else Sql(part)
        text.append(fragment.text)
        text.append(after)
        params.extend(fragment.params)
    return Sql("".join(text), tuple(params))


def join(parts: list[Sql], separator: str = ", ") -> Sql:
    """Parts joined by separator, parameters kept in order."""
    return Sql(separator.join(p.text for p in parts), tuple(v for p in parts for v in p.params))


def ident(name: str) -> str:
    """A generated identifier (lowercase letters, digits, underscores) quoted for SQL; ValueError for anything else."""
    if not _STAGE_NAME.fullmatch(name):
        raise ValueError(f"bad identifier {name!r}")
    return f'"{name}"'
