"""Named parameters for the staging SQL: values travel by name, so no list must be kept in step with the text."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_NAME = re.compile(r"\$([a-z_][a-z0-9_]*)")


def bind(sql: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The values sql names as $name (DuckDB refuses unused ones); KeyError naming a $name without a value."""
    used = set(_NAME.findall(sql))
    missing = used - set(values)
    if missing:
        raise KeyError(f"no value for {', '.join(sorted(missing))}")
    return {name: values[name] for name in used}


FILE_ORDER = "rowid"
"""A touchpoint's position in the published file (DuckDB's rowid), which breaks ties between contacts at one moment;
the one DuckDB-only feature of the staging SQL: another engine gives the column its own way."""
