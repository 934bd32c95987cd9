"""Publishing a version: its three contract tables stored in a new schema, inside the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from dashboard import contract
from dashboard.sql import Sql, lit, row_of, sql
from dashboard.store.errors import StoreError
from dashboard.store.version import Prebuilt, Version

Source = pd.DataFrame | pa.Table | Sql | Prebuilt | None
"""What a contract table is published from: a frame, an Arrow table, a query, a table a stage hook built, or nothing."""


@dataclass(frozen=True)
class Publishing:
    """One publish as Store.publish was asked for it: the dataset, its sources, what to record and to run."""

    dataset: str
    tables: Mapping[str, Source]
    source_files: Sequence[Mapping[str, Any]]
    """The files the version came from, read once the tables are made: the command line's stage step fills it."""
    note: str
    activate: bool
    prepare: Callable[[duckdb.DuckDBPyConnection, Version], None]
    schema_label: str | None
    """The prepare step's schema number recorded with the version; None for a prepare given by the caller."""
    stage: Callable[[duckdb.DuckDBPyConnection, str], Mapping[str, Sql | Prebuilt]] | None
    report: Callable[[str, float], None]


def new_version(cur: duckdb.DuckDBPyConnection, publishing: Publishing) -> Version:
    """Store publishing's tables as the dataset's next version in a new schema, run its prepare step and record it, on
    cur inside the caller's transaction; the new Version."""
    dataset, report = publishing.dataset, publishing.report
    version_id = cur.execute("select nextval('version_seq')").fetchall()[0][0]
    query = sql("select coalesce(max(number), 0) + 1 from versions where dataset = {}", lit(dataset))
    number = cur.execute(*query).fetchall()[0][0]
    schema = f"v{int(version_id)}"
    cur.execute(f'create schema "{schema}"')
    tables = dict(publishing.tables)
    if publishing.stage is not None:
        report("reading and checking the files", 0.0)
        tables.update(publishing.stage(cur, schema))
    row_counts, columns = _store_tables(cur, schema, tables, report)
    now = datetime.now().replace(microsecond=0)
    files = tuple(publishing.source_files)
    version = Version(version_id, dataset, number, now, row_counts, columns, files, publishing.note)
    report("preparing views", 3 / 4)
    publishing.prepare(cur, version)
    _record(cur, version, publishing)
    return version


def _store_tables(
    cur: duckdb.DuckDBPyConnection, schema: str, tables: Mapping[str, Source], report: Callable[[str, float], None]
) -> tuple[dict[str, int], dict[str, tuple[str, ...]]]:
    """Create each contract table in schema from its source; the rows of each and the columns its source provided."""
    row_counts: dict[str, int] = {}
    columns: dict[str, tuple[str, ...]] = {}
    for i, spec in enumerate(contract.TABLES.values()):
        report(f"storing {spec.name}", i / 4)
        columns[spec.name] = create_table(cur, schema, spec, tables.get(spec.name))
        row_counts[spec.name] = cur.execute(f'select count(*) from "{schema}"."{spec.name}"').fetchall()[0][0]
    return row_counts, columns


def _record(cur: duckdb.DuckDBPyConnection, version: Version, publishing: Publishing) -> None:
    """Add version to the versions table, and the dataset (made active when asked) to datasets."""
    row = row_of(
        version.version_id,
        version.dataset,
        version.number,
        version.created_at,
        json.dumps(dict(version.row_counts)),
        json.dumps({k: list(v) for k, v in version.columns.items()}),
        json.dumps(list(publishing.source_files), default=str),
        version.note,
        publishing.schema_label,
    )
    cur.execute(
        *sql(
            """
                    insert into versions (version_id, dataset, number, created_at, row_counts, columns,
                                          source_files, note, prepared)
                    values {}
                    """,
            row,
        )
    )
    dataset = version.dataset
    exists = cur.execute("select count(*) from datasets where name = ?", [dataset]).fetchall()[0][0]
    if not exists:
        active = version.version_id if publishing.activate else None
        cur.execute(*sql("insert into datasets values {}", row_of(dataset, active, version.created_at)))
    elif publishing.activate:
        cur.execute(*activate_sql(dataset, version.version_id))


def activate_sql(dataset: str, version_id: int) -> Sql:
    """The statement making version_id the dataset's active version."""
    return sql("update datasets set active_version = {} where name = {}", lit(version_id), lit(dataset))


def create_table(cur: duckdb.DuckDBPyConnection, schema: str, spec: contract.Table, source: Source) -> tuple[str, ...]:
    """Create schema.<table> with every contract column (nulls where the source has none); return the source's columns."""
    target = f'"{schema}"."{spec.name}"'
    if isinstance(source, Prebuilt):
        made = [d[0] for d in cur.execute(f"select * from {target} where false").description]
        if made[: len(spec.columns)] != list(spec.names):
            raise StoreError(f"{spec.name}: a prebuilt table must hold the contract columns in order, not {made}")
        for name in made[len(spec.columns) :]:
            if contract.extra_column_type(name) is None:  # only b_ flags and a_ attributes may follow
                raise StoreError(f"{spec.name}: column {name!r} is not in the contract (nor a b_ flag or a_ attribute)")
        return tuple(c for c in (*spec.names, *made[len(spec.columns) :]) if c in source.present)
    if source is None:
        cols = ", ".join(f'cast(null as {c.sql_type}) as "{c.name}"' for c in spec.columns)
        cur.execute(f"create table {target} as select {cols} where false")
        return ()
    if isinstance(source, Sql):
        relation_sql, params = sql("({})", source)
        available = [d[0] for d in cur.execute(f"select * from {relation_sql} where false", params).description]
    else:
        view = f"_publish_{spec.name}"
        cur.register(view, source)
        relation_sql, params = f'"{view}"', []
        available = list(source.column_names if isinstance(source, pa.Table) else source.columns)
    missing = [c for c in spec.required if c not in available]
    if missing:
        raise StoreError(f"{spec.name}: required columns missing: {', '.join(missing)}")
    select = []
    for col in spec.columns:
        if col.name in available:
            select.append(f'cast("{col.name}" as {col.sql_type}) as "{col.name}"')
        else:
            select.append(f'cast(null as {col.sql_type}) as "{col.name}"')
    extras = []
    if spec.name == "customers":
        for name in available:
            kind = contract.extra_column_type(name)
            if kind is not None:
                select.append(f'cast("{name}" as {contract.SQL_TYPES[kind]}) as "{name}"')
                extras.append(name)
    cur.execute(f"create table {target} as select {', '.join(select)} from {relation_sql}", params)
    present = tuple(c.name for c in spec.columns if c.name in available) + tuple(extras)
    return present
