"""The DuckDB database: named datasets with versions, settings, one connection, atomic publish.

- `database`: the Store (connection and cursors, datasets, versions, settings, remembered reads, upgrade);
- `version`: what a published version is, and the prepare step registered from above;
- `publish`: storing a version's contract tables in a new schema, inside the publish transaction;
- `errors`: the one-line errors a user can act on.
"""

from dashboard.store.database import KEPT_PER_PREFIX, SCHEMA_VERSION, Store
from dashboard.store.errors import DatabaseBusy, StoreError, write_failure
from dashboard.store.version import (
    Prebuilt,
    PrepareStep,
    Upgraded,
    Version,
    check_dataset_name,
    prepare_step,
    register_prepare_step,
)

__all__ = [
    "KEPT_PER_PREFIX",
    "SCHEMA_VERSION",
    "DatabaseBusy",
    "Prebuilt",
    "PrepareStep",
    "Store",
    "StoreError",
    "Upgraded",
    "Version",
    "check_dataset_name",
    "prepare_step",
    "register_prepare_step",
    "write_failure",
]
