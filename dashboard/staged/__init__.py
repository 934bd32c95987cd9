"""Staged tables built at publish (dbt's staging idea): each business concept is defined once here and every view
reads it.

- `stg_profile`: what the data can support (profile.DataProfile), one row.
- `stg_customers`: prospect, purchases, defected (since when, how we know), at risk (why); see customers.py.
- `stg_contacts`: contact, complaint, repeat, resolved, resolved at first contact; see contacts.py.

The windows come from the dataset's saved definitions (definitions.Definitions; defaults from the profile).
`restage` saves new definitions and rebuilds every prepared table of the dataset's versions, since views read these.
"""

from __future__ import annotations

import duckdb

from dashboard.staged import contacts, customers, definitions, profile
from dashboard.staged.definitions import Definitions, describe
from dashboard.staged.profile import DataProfile
from dashboard.store import Store, Version

__all__ = ["DataProfile", "Definitions", "build", "current", "describe", "load", "load_profile", "restage", "sentences"]


def build(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    """Profile a version being published and build its staged tables with the dataset's definitions."""
    first = profile.measure(cur, version)
    chosen = definitions.load(cur, version.dataset, first)
    first = definitions.with_known_defection(first, chosen)
    customers.build(cur, version, first, chosen)
    found = profile.counted(cur, version, first)
    settled = definitions.load(cur, version.dataset, found)
    found = definitions.with_known_defection(found, settled)
    if (found.has_purchases, found.defection_known, settled) != (first.has_purchases, first.defection_known, chosen):
        # rare: lead lists (longer default windows) or positive amounts that every refund cancels out
        customers.build(cur, version, found, settled)
    profile.store(cur, version, found)
    contacts.build(cur, version, found, settled)


def load_profile(cur: duckdb.DuckDBPyConnection, version: Version, _spec: object = None) -> DataProfile:
    """What the version's data can support, as measured at publish."""
    return profile.load(cur, version)


def load(cur: duckdb.DuckDBPyConnection, version: Version) -> tuple[DataProfile, Definitions]:
    """The version's profile and the definitions in force for its dataset."""
    found = profile.load(cur, version)
    return found, definitions.load(cur, version.dataset, found)


def sentences(cur: duckdb.DuckDBPyConnection, version: Version, _spec: object = None) -> dict[str, str]:
    """How each concept is read from this version's data, one sentence each (see definitions.describe)."""
    return describe(*load(cur, version))


def current(store: Store, dataset: str) -> Definitions | None:
    """The definitions in force for dataset's active version; None when it has none."""
    version = store.active_version(dataset)
    if version is None:
        return None
    with store.cursor() as cur:
        try:
            return load(cur, version)[1]
        except duckdb.CatalogException:
            return None  # built before staging existed: its tables are rebuilt on the next start


def restage(store: Store, dataset: str, new: Definitions) -> list[int]:
    """Save new definitions for dataset and rebuild the staged and prepared tables of each of its versions; their ids."""
    store.set_setting(dataset, definitions.SETTING, new.validate().to_setting())
    ids = [v.version_id for v in store.versions(dataset)]
    for version_id in ids:
        store.rebuild_prepared(version_id)  # the registered prepare step: staged first, then every view's
    return ids
