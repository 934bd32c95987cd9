"""Labels mapped to the vocabularies: a file's own channel, stage and initiator labels to CX Lens's words.

A label that maps to nothing is kept as it is and reported; the analyst can map it by hand.
"""

from __future__ import annotations

from dashboard import contract
from dashboard.sql import Sql, join, lit, sql

INITIATORS = contract.Vocabulary(
    "initiators",
    contract.INITIATORS,
    {
        "customer": ("inbound", "in", "incoming", "cust", "client", "caller", "user", "member", "consumer", "customerinitiated"),
        "company": ("outbound", "out", "outgoing", "agent", "business", "system", "proactive", "staff", "companyinitiated", "us"),
    },
)

LABELLED: dict[tuple[str, str], contract.Vocabulary] = {
    ("customers", "stage"): contract.RELATIONSHIP_STAGES,
    ("transactions", "channel"): contract.CHANNELS,
    ("interactions", "channel"): contract.CHANNELS,
    ("interactions", "stage"): contract.JOURNEY_STAGES,
    ("interactions", "initiated_by"): INITIATORS,
}
"""Contract columns whose values are labels of a vocabulary."""

MAX_LABELS = 500
"""Most distinct labels mapped one by one; beyond that the column is probably not a label column."""

KEEP = ""
"""Label mapping value meaning "keep the file's own label"."""


def vocabulary_for(table: str, column: str) -> contract.Vocabulary | None:
    """The vocabulary a contract column's labels belong to, or None."""
    return LABELLED.get((table, column))


def auto_labels(vocabulary: contract.Vocabulary, labels: list[str]) -> dict[str, str]:
    """File label -> vocabulary label for every label the vocabulary's synonyms recognise."""
    lookup = vocabulary.lookup()
    mapped = {}
    for label in labels:
        hit = lookup.get(contract.normalise(label))
        if hit is not None:
            mapped[label] = hit
    return mapped


def resolve(vocabulary: contract.Vocabulary, labels: list[str], chosen: dict[str, str]) -> dict[str, str]:
    """The label each file label is published as: the analyst's choice, else the vocabulary's synonym, else itself."""
    automatic = auto_labels(vocabulary, labels)
    resolved = {}
    for label in labels:
        if label in chosen:
            resolved[label] = chosen[label] or label
        else:
            resolved[label] = automatic.get(label, label)
    return resolved


def unknown(vocabulary: contract.Vocabulary, resolved: dict[str, str]) -> list[str]:
    """File labels that end up as no vocabulary label."""
    return [raw for raw, final in resolved.items() if final not in vocabulary.labels]


def mapping_sql(column: str, resolved: dict[str, str]) -> Sql:
    """SQL giving column's label after mapping (labels that stay the same are left out of the case)."""
    changes = [(raw, final) for raw, final in resolved.items() if raw != final]
    if not changes:
        return Sql(column)
    whens = join([sql("when {} then {}", lit(raw), lit(final)) for raw, final in changes], " ")
    return sql(f"case {column} {{}} else {column} end", whens)
