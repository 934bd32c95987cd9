"""The data contract: the three tables, their columns and types, synonyms, and vocabularies.

- `tables`: the three tables, their columns and types;
- `vocabularies`: channels, journey stages, relationship stages and their synonyms;
- `names`: normalised headers, behaviour (b_) and attribute (a_) columns, yes/no values.
"""

from __future__ import annotations

from dashboard.contract.names import (
    ATTRIBUTE_PREFIX,
    BEHAVIOUR_PREFIX,
    attribute_column,
    behaviour_column,
    behaviour_keys,
    extra_column_type,
    normalise,
    parse_bool,
)
from dashboard.contract.tables import (
    BOOLEAN,
    CUSTOMERS,
    DATE,
    INTEGER,
    INTERACTIONS,
    NUMBER,
    SQL_TYPES,
    TABLES,
    TEXT,
    TIMESTAMP,
    TRANSACTIONS,
    Column,
    Table,
)
from dashboard.contract.vocabularies import CHANNELS, INITIATORS, JOURNEY_STAGES, RELATIONSHIP_STAGES, VOCABULARIES, Vocabulary

__all__ = [
    "ATTRIBUTE_PREFIX",
    "BEHAVIOUR_PREFIX",
    "BOOLEAN",
    "CHANNELS",
    "CUSTOMERS",
    "DATE",
    "INITIATORS",
    "INTEGER",
    "INTERACTIONS",
    "JOURNEY_STAGES",
    "NUMBER",
    "RELATIONSHIP_STAGES",
    "SQL_TYPES",
    "TABLES",
    "TEXT",
    "TIMESTAMP",
    "TRANSACTIONS",
    "VOCABULARIES",
    "Column",
    "Table",
    "Vocabulary",
    "attribute_column",
    "auto_map",
    "behaviour_column",
    "behaviour_keys",
    "extra_column_type",
    "normalise",
    "parse_bool",
]


def auto_map(table: str, headers: list[str]) -> dict[str, str]:
    """Contract column -> file header, matched by exact name first, then by synonym; each header used once."""
    spec = TABLES[table]
    by_norm: dict[str, str] = {}
    for header in headers:
        by_norm.setdefault(normalise(header), header)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for rank in ("name", "synonym"):
        for col in spec.columns:
            if col.name in mapping:
                continue
            candidates = (normalise(col.name),) if rank == "name" else tuple(normalise(s) for s in col.synonyms)
            for candidate in candidates:
                header = by_norm.get(candidate)
                if header is not None and header not in used:
                    mapping[col.name] = header
                    used.add(header)
                    break
    return mapping
