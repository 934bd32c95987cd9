"""Mapping templates: a table's mapping saved under its header's fingerprint and applied when the same header comes again.

Templates belong to no dataset (next month's extract may become a new dataset): they are stored as
settings of the reserved dataset name "" (no dataset can be called that), keyed
``ingest.template.<table>.<fingerprint>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from dashboard.ingest.errors import IngestError
from dashboard.ingest.mapping import TableMapping, fingerprint
from dashboard.store import Store

SCOPE = ""
"""The settings' dataset name under which templates are kept (no real dataset can have an empty name)."""
PREFIX = "ingest.template."


@dataclass(frozen=True)
class Template:
    """A saved mapping: which table, its name, the header it was made for, when, and from which dataset."""

    table: str
    key: str
    name: str
    headers: tuple[str, ...]
    mapping: TableMapping
    saved_at: datetime
    dataset: str = ""


def _key(table: str, headers: Sequence[str]) -> str:
    return f"{PREFIX}{table}.{fingerprint(headers)}"


def save(store: Store, table: str, headers: Sequence[str], mapping: TableMapping, dataset: str = "", name: str = "") -> Template:
    """Save mapping as the template for files of table with these headers (replacing an earlier one)."""
    now = datetime.now().replace(microsecond=0)
    shown = name or (f"{table} of {dataset}" if dataset else table)
    value = {
        "table": table,
        "name": shown,
        "headers": list(headers),
        "mapping": mapping.to_json(),
        "saved_at": now.isoformat(),
        "dataset": dataset,
    }
    key = _key(table, headers)
    store.set_setting(SCOPE, key, value)
    return Template(table, key, shown, tuple(headers), mapping, now, dataset)


def _from_value(key: str, value: dict) -> Template | None:
    try:
        table = value["table"]
        return Template(
            table,
            key,
            value.get("name", table),
            tuple(value.get("headers", ())),
            TableMapping.from_json(table, value["mapping"]),
            datetime.fromisoformat(value["saved_at"]),
            value.get("dataset", ""),
        )
    except (KeyError, TypeError, ValueError, IngestError):
        return None  # a template written by another version of CX Lens that this one cannot read


def find(store: Store, table: str, header_fingerprint: str) -> Template | None:
    """The template saved for table and this header fingerprint, or None."""
    key = f"{PREFIX}{table}.{header_fingerprint}"
    value = store.get_setting(SCOPE, key)
    return _from_value(key, value) if value else None


def all_templates(store: Store) -> list[Template]:
    """Every saved template, newest first."""
    found = []
    for key in store.setting_keys(SCOPE, PREFIX):
        template = _from_value(key, store.get_setting(SCOPE, key))
        if template is not None:
            found.append(template)
    return sorted(found, key=lambda template: template.saved_at, reverse=True)


def delete(store: Store, key: str) -> None:
    """Forget a template."""
    if not key.startswith(PREFIX):
        raise IngestError(f"{key!r} is not a mapping template")
    store.delete_setting(SCOPE, key)
