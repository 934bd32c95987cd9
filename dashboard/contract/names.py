"""How headers, labels and extra columns are named and read: normalised names, behaviour and attribute columns, yes/no
values."""

from __future__ import annotations

import re

from dashboard.contract.tables import BOOLEAN, TEXT

BEHAVIOUR_PREFIX = "b_"
"""Behaviour flags are boolean columns of `customers` named b_<behaviour key>."""
ATTRIBUTE_PREFIX = "a_"
"""Kept attributes are text columns of `customers` named a_<key>: a mapped column the contract does not name (contract
type, payment method), stored with the customer so Drivers can test its levels."""


_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise(header: str) -> str:
    """Header or label reduced to lowercase letters and digits, for synonym matching."""
    return _NON_ALNUM.sub("", str(header).strip().lower())


def behaviour_column(key: str) -> str:
    """The customers column that holds behaviour key as a flag."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", key):
        raise ValueError(f"behaviour key {key!r} must be lowercase letters, digits and underscores")
    return BEHAVIOUR_PREFIX + key


def attribute_column(key: str) -> str:
    """The customers column that holds a kept attribute called key."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", key):
        raise ValueError(f"attribute key {key!r} must be lowercase letters, digits and underscores")
    return ATTRIBUTE_PREFIX + key


def extra_column_type(name: str) -> str | None:
    """The type of a customers column beyond the contract: boolean for a b_ flag, text for an a_ attribute, else None."""
    for prefix, kind, check in ((BEHAVIOUR_PREFIX, BOOLEAN, behaviour_column), (ATTRIBUTE_PREFIX, TEXT, attribute_column)):
        if name.startswith(prefix):
            check(name[len(prefix) :])
            return kind
    return None


def behaviour_keys(columns: list[str]) -> list[str]:
    """Behaviour keys present among a customers table's columns."""
    return [c[len(BEHAVIOUR_PREFIX) :] for c in columns if c.startswith(BEHAVIOUR_PREFIX)]


_TRUE = {"1", "true", "t", "yes", "y", "on"}
_FALSE = {"0", "false", "f", "no", "n", "off"}


def parse_bool(value: object) -> bool | None:
    """Boolean-like value (Yes/No, Y/N, 1/0, true/false) as bool; None when blank; ValueError otherwise."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("", "nan", "none", "null"):
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{value!r} is not a yes/no value")
