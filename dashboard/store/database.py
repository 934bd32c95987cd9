"""The Store: the one connection to the database file, its datasets and versions, settings, and the reads a page frame
repeats on every rerun, remembered until the next write."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from dashboard import config, contract
from dashboard.sql import Sql, in_list, lit, row_of, sql
from dashboard.store import publish
from dashboard.store.errors import WRITE_ERRORS, DatabaseBusy, StoreError, rollback, write_failure
from dashboard.store.version import (
    Prebuilt,
    Upgraded,
    Version,
    check_dataset_name,
    prepare_step,
    version_from_row,
)

SCHEMA_VERSION = 1
_LOCK_MESSAGE = "Could not set lock on file"
KEPT_PER_PREFIX = 4
"""Kept tables (Store.materialise) per prefix and version: the newest few rule sets or catalogues answer at once."""


_WRITES: dict[str, int] = {}
"""Per database file: how many catalog writes (publish, activate, delete, rename, settings) this process has made.
Every Store of the file in this process shares it (DuckDB shares one database instance per file and process, and no
other process can write the file while this one holds it), so a remembered read is stale exactly when it changed."""
_WRITES_LOCK = threading.Lock()


_DDL = """
create table if not exists meta (key varchar, value varchar);
create sequence if not exists version_seq start 1;
create table if not exists datasets (
    name varchar not null,
    active_version bigint,
    created_at timestamp not null
);
create table if not exists versions (
    version_id bigint not null,
    dataset varchar not null,
    number integer not null,
    created_at timestamp not null,
    row_counts json,
    columns json,
    source_files json,
    note varchar
);
alter table versions add column if not exists prepared varchar;
create table if not exists settings (
    dataset varchar not null,
    key varchar not null,
    value json,
    updated_at timestamp not null
);
"""


class Store:
    """The dashboard's database: one connection per process, a cursor per query, one write lock."""

    def __init__(self, path: str | Path, *, read_only: bool = False, memory_limit: str | None = None) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.memory_limit = memory_limit or config.memory_limit()
        self.temp_directory = config.temp_directory(self.path.resolve())
        settings = {"memory_limit": self.memory_limit, "temp_directory": str(self.temp_directory)}
        try:
            self._con = duckdb.connect(str(self.path), read_only=read_only, config=settings)
        except duckdb.IOException as exc:
            if _LOCK_MESSAGE in str(exc):
                pid = re.search(r"PID (\d+)", str(exc))
                holder = f" (process {pid.group(1)})" if pid else ""
                raise DatabaseBusy(
                    f"the database {self.path} is in use by another process{holder}: the dashboard is running; "
                    "stop it or upload from the Data page"
                ) from None
            raise StoreError(f"cannot open the database {self.path}: {str(exc).splitlines()[0]}") from None
        self.write_lock = threading.RLock()
        self.restricted = False
        self._file = str(self.path.resolve())
        self._remembered: dict[tuple, tuple[int, Any]] = {}
        # Made before restrict() locks the configuration: DuckDB tracks a running query's progress only on
        # a connection with the progress bar enabled, and that setting cannot be changed once locked.
        self._progress_cursor = self._con.cursor()
        try:
            self._progress_cursor.execute("set enable_progress_bar = true")
            self._progress_cursor.execute("set enable_progress_bar_print = false")
        except duckdb.Error:
            pass  # another Store of this process locked the shared configuration: progress is then shown by steps only
        self._progress_lock = threading.Lock()
        if not read_only:
            with self.write_lock, self.cursor() as cur:
                cur.execute(_DDL)
                if cur.execute("select count(*) from meta where key = 'schema_version'").fetchall()[0][0] == 0:
                    cur.execute("insert into meta values ('schema_version', ?)", [str(SCHEMA_VERSION)])

    # -- connections -------------------------------------------------------------------------

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A fresh cursor for one query or one transaction; closed afterwards."""
        cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    @contextmanager
    def progress_cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The one cursor whose query_progress() reports on its running query (long reads and publishes); one user at a time."""
        with self._progress_lock:
            yield self._progress_cursor

    def query_df(self, sql: str | Sql, params: list | tuple | dict | None = None) -> pd.DataFrame:
        """Run one parameterised query (an Sql block, or text and its parameters) on its own cursor; its rows as a
        DataFrame."""
        text, values = sql if isinstance(sql, Sql) else (sql, params or [])
        with self.cursor() as cur:
            return cur.execute(text, values).df()

    def restrict(self, allowed_dirs: list[str | Path]) -> None:
        """Forbid file access outside allowed_dirs for the rest of the process, and lock the configuration."""
        dirs = [str(Path(d).resolve()).rstrip("/") + "/" for d in allowed_dirs]
        literal = "[" + ", ".join("'" + d.replace("'", "''") + "'" for d in dirs) + "]"
        with self.write_lock, self.cursor() as cur:
            cur.execute(f"set allowed_directories = {literal}")
            cur.execute("set enable_external_access = false")
            cur.execute("set lock_configuration = true")
        self.restricted = True

    def close(self) -> None:
        """Close the connection (tests and command-line runs)."""
        self._progress_cursor.close()
        self._con.close()

    # -- remembered reads ----------------------------------------------------------------------

    def _written(self) -> None:
        """Count a write to the catalog (datasets, versions, settings): every remembered read of the file is stale."""
        with _WRITES_LOCK:
            _WRITES[self._file] = _WRITES.get(self._file, 0) + 1

    def _remember(self, key: tuple, read: Callable[[], Any]) -> Any:
        """read()'s result, kept until the next catalog write to this file: the page frame asks for the datasets, the
        active version and settings on every rerun, a few ms of queries each time when nothing has changed."""
        writes = _WRITES.get(self._file, 0)
        kept = self._remembered.get(key)
        if kept is not None and kept[0] == writes:
            return kept[1]
        value = read()  # read after taking the count: a write landing meanwhile makes this entry stale, never wrong
        if len(self._remembered) > 256:
            self._remembered.clear()
        self._remembered[key] = (writes, value)
        return value

    # -- datasets and versions ---------------------------------------------------------------

    def datasets(self) -> pd.DataFrame:
        """One row per dataset: name, active version id and number, number of versions, created time."""
        return self.query_df(
            """
            select d.name, d.active_version, av.number as active_number,
                   (select count(*) from versions v where v.dataset = d.name) as versions,
                   d.created_at
            from datasets d
            left join versions av on av.version_id = d.active_version
            order by d.name
            """
        )

    def dataset_names(self) -> list[str]:
        """Names of all datasets, sorted."""
        return list(self._remember(("dataset_names",), lambda: tuple(self.datasets()["name"].tolist())))

    def versions(self, dataset: str) -> list[Version]:
        """All versions of dataset, newest first."""
        with self.cursor() as cur:
            rows = cur.execute(
                """
                select version_id, dataset, number, created_at, row_counts, columns, source_files, note
                from versions where dataset = ? order by number desc
                """,
                [dataset],
            ).fetchall()
        return [version_from_row(r) for r in rows]

    def version(self, version_id: int) -> Version:
        """The version with this id (StoreError when it does not exist)."""
        return self._remember(("version", int(version_id)), lambda: self._read_version(version_id))

    def _read_version(self, version_id: int) -> Version:
        with self.cursor() as cur:
            row = cur.execute(
                """
                select version_id, dataset, number, created_at, row_counts, columns, source_files, note
                from versions where version_id = ?
                """,
                [int(version_id)],
            ).fetchall()
        row = row[0] if row else None
        if row is None:
            raise StoreError(f"version {version_id} does not exist")
        return version_from_row(row)

    def active_version(self, dataset: str) -> Version | None:
        """The version of dataset that pages read, or None when it has none."""

        def read() -> list[tuple]:
            with self.cursor() as cur:
                return cur.execute("select active_version from datasets where name = ?", [dataset]).fetchall()

        rows = self._remember(("active_version", dataset), read)
        row = rows[0] if rows else None
        if row is None or row[0] is None:
            return None
        return self.version(row[0])

    def publish(
        self,
        dataset: str,
        tables: Mapping[str, pd.DataFrame | pa.Table | Sql],
        *,
        source_files: list[Mapping[str, Any]] | None = None,
        note: str = "",
        activate: bool = True,
        prepare: Callable[[duckdb.DuckDBPyConnection, Version], None] | None = None,
        progress: Callable[[str, float], None] | None = None,
        cursor: duckdb.DuckDBPyConnection | None = None,
        stage: Callable[[duckdb.DuckDBPyConnection, str], Mapping[str, Sql | Prebuilt]] | None = None,
    ) -> Version:
        """Store tables as a new version of dataset in one transaction; the previous version stays active until it commits.

        cursor, when given, runs the publish (e.g. the progress cursor, or one whose temporary tables the sources read).
        stage, when given, runs inside the transaction once the version's schema exists: stage(cursor, schema) may build
        tables there (returned as Prebuilt) or give more sources; raising anything rolls the whole publish back.
        """
        dataset = check_dataset_name(dataset)
        unknown = set(tables) - set(contract.TABLES)
        if unknown:
            raise StoreError(f"unknown tables {sorted(unknown)}: expected customers, transactions, interactions")
        schema_label = None
        if prepare is None:
            step = prepare_step()
            prepare, schema_label = step.run, step.label
        report = progress or (lambda _step, _fraction: None)
        files = source_files if source_files is not None else ()  # the same list: a stage step may still fill it
        publishing = publish.Publishing(dataset, dict(tables), files, note, activate, prepare, schema_label, stage, report)
        with self.write_lock, nullcontext(cursor) if cursor is not None else self.cursor() as cur:
            cur.execute("begin transaction")
            try:
                version = publish.new_version(cur, publishing)
                cur.execute("commit")
            except BaseException as exc:
                rollback(cur)
                if isinstance(exc, WRITE_ERRORS):
                    raise StoreError(write_failure(self.path, exc)) from None
                raise
        self._written()
        report("published", 1.0)
        return version

    def out_of_date(self, dataset: str | None = None) -> list[int]:
        """Ids of the versions (of dataset, or all) whose prepared tables were built under another schema number."""
        label = prepare_step().label

        def read() -> list[int]:
            with self.cursor() as cur:
                rows = cur.execute(
                    "select version_id from versions where prepared is distinct from ? and (? is null or dataset = ?)"
                    " order by version_id",
                    [label, dataset, dataset],
                ).fetchall()
            return [r[0] for r in rows]

        return list(self._remember(("out_of_date", label, dataset), read))

    def upgrade(self, progress: Callable[[Upgraded, int, int], None] | None = None) -> list[Upgraded]:
        """Rebuild the prepared tables of every out-of-date version, oldest first; progress(done, i, n) after each."""
        stale = self.out_of_date()
        done: list[Upgraded] = []
        for i, version_id in enumerate(stale, start=1):
            started = time.perf_counter()
            self.rebuild_prepared(version_id)
            version = self.version(version_id)
            with self.cursor() as cur:
                tables = cur.execute(
                    "select count(*) from duckdb_tables() where schema_name = ? and table_name not in (?, ?, ?)",
                    [version.schema, *contract.TABLES],
                ).fetchall()[0][0]
            done.append(Upgraded(version_id, version.label, int(tables), time.perf_counter() - started))
            if progress is not None:
                progress(done[-1], i, len(stale))
        return done

    def rebuild_prepared(
        self, version_id: int, prepare: Callable[[duckdb.DuckDBPyConnection, Version], None] | None = None
    ) -> None:
        """Drop every table of the version besides its three published ones and build them again, in one transaction;
        with no prepare given, the registered step runs and its schema number is recorded."""
        schema_label = None
        if prepare is None:
            step = prepare_step()
            prepare, schema_label = step.run, step.label
        version = self.version(version_id)
        with self.write_lock, self.cursor() as cur:
            cur.execute("begin transaction")
            try:
                derived = cur.execute(
                    *sql(
                        "select table_name from duckdb_tables() where schema_name = {} and not {}",
                        lit(version.schema),
                        in_list("table_name", contract.TABLES),
                    )
                ).fetchall()
                for (table,) in derived:
                    cur.execute(f"drop table {version.table(table)}")
                prepare(cur, version)
                if schema_label is not None:
                    cur.execute(
                        *sql("update versions set prepared = {} where version_id = {}", lit(schema_label), lit(version_id))
                    )
                cur.execute("commit")
            except BaseException:
                rollback(cur)
                raise
        self._written()

    def materialise(self, version: Version, prefix: str, query: Sql) -> str:
        """The qualified name of a table in version's schema that holds query's result: built on first use and kept
        (dropped with the version, or when its prepared tables are rebuilt), so a per-customer select that many
        queries join is computed once. The name carries a digest of the text and params; the newest KEPT_PER_PREFIX
        stay."""
        sql, params = query
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,20}", prefix):
            raise StoreError(f"bad table prefix {prefix!r}")
        digest = hashlib.sha256(json.dumps([sql, list(params)], default=str).encode()).hexdigest()[:16]
        name = f"{prefix}_{digest}"
        if not self._has_table(version, name):
            with self.write_lock, self.cursor() as cur:
                if not self._has_table(version, name, cur):
                    cur.execute(f"create table {version.table(name)} as {sql}", list(params))
                    self._prune_kept(version, prefix, cur)
        return version.table(name)

    def _prune_kept(self, version: Version, prefix: str, cur: duckdb.DuckDBPyConnection) -> None:
        """Drop all but the KEPT_PER_PREFIX newest kept tables of prefix in version (older rule sets, older catalogues)."""
        query = sql(
            "select table_name from duckdb_tables() where schema_name = {} and regexp_full_match(table_name, {}) "
            "order by table_oid desc",
            lit(version.schema),
            lit(re.escape(prefix) + "_[0-9a-f]{16}"),
        )
        names = cur.execute(*query).fetchall()
        for (old,) in names[KEPT_PER_PREFIX:]:
            cur.execute(f"drop table if exists {version.table(old)}")

    def _has_table(self, version: Version, name: str, cur: duckdb.DuckDBPyConnection | None = None) -> bool:
        with nullcontext(cur) if cur is not None else self.cursor() as c:
            query = sql(
                "select count(*) from duckdb_tables() where schema_name = {} and table_name = {}", lit(version.schema), lit(name)
            )
            found = c.execute(*query).fetchall()
        return found[0][0] > 0

    def activate(self, dataset: str, version_id: int) -> None:
        """Make version_id the version pages read for dataset."""
        version = self.version(version_id)
        if version.dataset != dataset:
            raise StoreError(f"version {version_id} belongs to {version.dataset!r}, not {dataset!r}")
        with self.write_lock, self.cursor() as cur:
            cur.execute(*publish.activate_sql(dataset, int(version_id)))
        self._written()

    def delete_version(self, version_id: int) -> None:
        """Drop one version; when it was active, the newest remaining version becomes active."""
        version = self.version(version_id)
        with self.write_lock, self.cursor() as cur:
            cur.execute("begin transaction")
            try:
                cur.execute(f'drop schema if exists "{version.schema}" cascade')
                cur.execute("delete from versions where version_id = ?", [int(version_id)])
                query = sql(
                    """
                    update datasets set active_version = (
                        select max(version_id) from versions where dataset = {dataset}
                    ) where name = {dataset} and active_version = {dropped}
                    """,
                    dataset=lit(version.dataset),
                    dropped=lit(int(version_id)),
                )
                cur.execute(*query)
                cur.execute("commit")
            except BaseException:
                rollback(cur)
                raise
        self._written()

    def delete_dataset(self, dataset: str) -> None:
        """Drop a dataset with all its versions and settings."""
        with self.write_lock, self.cursor() as cur:
            ids = [r[0] for r in cur.execute("select version_id from versions where dataset = ?", [dataset]).fetchall()]
            cur.execute("begin transaction")
            try:
                for version_id in ids:
                    cur.execute(f'drop schema if exists "v{int(version_id)}" cascade')
                for table in ("versions", "settings"):
                    cur.execute(f"delete from {table} where dataset = ?", [dataset])
                cur.execute("delete from datasets where name = ?", [dataset])
                cur.execute("commit")
            except BaseException:
                rollback(cur)
                raise
        self._written()

    def rename_dataset(self, old: str, new: str) -> None:
        """Give a dataset a new name, keeping its versions and settings."""
        new = check_dataset_name(new)
        with self.write_lock, self.cursor() as cur:
            if cur.execute("select count(*) from datasets where name = ?", [new]).fetchall()[0][0]:
                raise StoreError(f"a dataset called {new!r} already exists; choose another name")
            if not cur.execute("select count(*) from datasets where name = ?", [old]).fetchall()[0][0]:
                raise StoreError(f"there is no dataset called {old!r}")
            cur.execute("begin transaction")
            try:
                for table, col in (("datasets", "name"), ("versions", "dataset"), ("settings", "dataset")):
                    cur.execute(*sql(f"update {table} set {col} = {{}} where {col} = {{}}", lit(new), lit(old)))
                cur.execute("commit")
            except BaseException:
                rollback(cur)
                raise
        self._written()

    # -- settings ----------------------------------------------------------------------------

    def get_setting(self, dataset: str, key: str, default: Any = None) -> Any:
        """The JSON value stored for dataset under key, or default."""

        def read() -> list[tuple]:
            with self.cursor() as cur:
                return cur.execute(*sql("select value from settings where {}", _setting(dataset, key))).fetchall()

        rows = self._remember(("setting", dataset, key), read)
        row = rows[0] if rows else None
        return default if row is None else json.loads(row[0])

    def set_setting(self, dataset: str, key: str, value: Any) -> None:
        """Store a JSON-serialisable value for dataset under key, replacing any earlier one."""
        payload = json.dumps(value, default=str)
        with self.write_lock, self.cursor() as cur:
            cur.execute("begin transaction")
            try:
                cur.execute(*sql("delete from settings where {}", _setting(dataset, key)))
                cur.execute(*sql("insert into settings values {}", row_of(dataset, key, payload, datetime.now())))
                cur.execute("commit")
            except BaseException:
                rollback(cur)
                raise
        self._written()

    def delete_setting(self, dataset: str, key: str) -> None:
        """Remove the value stored for dataset under key."""
        with self.write_lock, self.cursor() as cur:
            cur.execute(*sql("delete from settings where {}", _setting(dataset, key)))
        self._written()

    def setting_keys(self, dataset: str, prefix: str = "") -> list[str]:
        """Keys stored for dataset that start with prefix, sorted."""
        with self.cursor() as cur:
            query = sql(
                "select key from settings where dataset = {} and starts_with(key, {}) order by key", lit(dataset), lit(prefix)
            )
            rows = cur.execute(*query).fetchall()
        return [r[0] for r in rows]


def _setting(dataset: str, key: str) -> Sql:
    """The condition picking one setting row."""
    return sql("dataset = {} and key = {}", lit(dataset), lit(key))
