"""The engine seam of preparation: each SQL step that builds a staged or prepared table is a named (table, query) Step,
and the configured engine runs it.

- DuckDB (the embedded default): `create table <table> as <query>` on the publishing cursor, as always.
- Spark ($CXLENS_PREPARE_ENGINE=spark; local[N] or a cluster via Spark Connect, see staged.spark): the query is
  translated once (staged.portable), the tables it reads are handed to Spark as Parquet (the published tables with
  their file order as a `rowid` column; tables an earlier step built on Spark are read where Spark wrote them), Spark
  writes the result as Parquet, and DuckDB reads that Parquet into the version's schema inside the publish transaction,
  so pages read DuckDB tables as before and a click never waits on a cluster.

Everything that is no such step (profile scans, model fits in Python, small inserts) runs on DuckDB, reading the tables
Spark built. Steps in KEEP_ON_DUCKDB stay on DuckDB by name, each with its reason. The version records which engine
built it in the one-row table `prep_engine`.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from dashboard.contract import TABLES
from dashboard.sql import lit, sql
from dashboard.store import Version

DUCKDB, SPARK = "duckdb", "spark"
ENGINES = (DUCKDB, SPARK)
RECORD = "prep_engine"
"""The version's one-row table naming the engine that built its staged and prepared tables, and where it ran."""

KEEP_ON_DUCKDB = {
    "fn_customers": "keeps each customer's purchase days as an ordered list read by position (DuckDB lists)",
    "fn_gaps": "unnests fn_customers' ordered lists",
    "dr_customers": "casts text attributes to ENUMs (DuckDB's type, so pandas gets categoricals) over tables Spark built",
}
"""Preparation steps that stay on DuckDB whichever engine is configured (they read what Spark built), and why."""

_CTAS = re.compile(
    r"^\s*create\s+(?:or\s+replace\s+)?table\s+((?:\"[a-z0-9_]+\"\.)?\"?([a-z_][a-z0-9_]*)\"?)\s+as\s+(.+)$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class Step:
    """One preparation step: the table it builds (quoted, schema-qualified), its query in DuckDB's dialect, and the
    values of its `?` parameters, in order."""

    table: str
    name: str
    query: str
    params: Sequence[Any] | None = None


def step_of(sql: str, params: Sequence[Any] | None = None) -> Step | None:
    """The Step of a `create [or replace] table <t> as <query>` statement; None for any other statement."""
    found = _CTAS.match(sql)
    if found is None:
        return None
    return Step(found.group(1), found.group(2).lower(), found.group(3), params)


_chosen: list[str] = []
"""Engines chosen by `use` (innermost last), ahead of the environment."""


@contextmanager
def use(engine: str) -> Iterator[None]:
    """Prepare on engine inside the block (the ingest command's --engine), whatever the environment says."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    _chosen.append(engine)
    try:
        yield
    finally:
        _chosen.pop()


def configured() -> str:
    """The engine preparation runs on: the one `use` chose, else $CXLENS_PREPARE_ENGINE (duckdb or spark), else duckdb."""
    if _chosen:
        return _chosen[-1]
    engine = os.environ.get("CXLENS_PREPARE_ENGINE", "").strip().lower() or DUCKDB
    if engine not in ENGINES:
        raise ValueError(f"CXLENS_PREPARE_ENGINE must be one of {', '.join(ENGINES)}, not {engine!r}")
    return engine


def work_dir() -> Path:
    """Where Spark writes its Parquet: $CXLENS_SPARK_DIR, else a cx-spark folder in the upload folder (DuckDB may read
    there once external access is restricted). On a cluster this is storage every worker and the app can reach."""
    from dashboard import config

    configured_dir = os.environ.get("CXLENS_SPARK_DIR", "").strip()
    return Path(configured_dir).resolve() if configured_dir else config.upload_dir() / "cx-spark"


def record(cur: duckdb.DuckDBPyConnection, version: Version, engine: str, where: str) -> None:
    """Keep which engine built the version's prepared tables, and where it ran, as the table prep_engine."""
    cur.execute(
        *sql(
            f"create or replace table {version.table(RECORD)} as select cast({{}} as varchar) as engine, "
            "cast({} as varchar) as ran_on",
            lit(engine),
            lit(where),
        )
    )


@dataclass
class SparkCursor:
    """A publishing cursor whose preparation steps run on Spark (see the module docstring); every other statement and
    attribute goes to the DuckDB cursor it wraps."""

    cur: duckdb.DuckDBPyConnection
    spark: Any
    version: Version
    root: Path
    timings: dict[str, float] = field(default_factory=dict)
    _views: dict[str, str] = field(default_factory=dict)
    _built: dict[str, Path] = field(default_factory=dict)
    """Where Spark wrote each table it built; a later step that reads one gets a view over that Parquet."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self.cur, name)

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> duckdb.DuckDBPyConnection:
        """Run a preparation step on Spark, any other statement on DuckDB."""
        step = step_of(sql, params)
        if step is None or step.name in KEEP_ON_DUCKDB or not step.table.startswith(f'"{self.version.schema}".'):
            self._forget(sql)
            return self.cur.execute(sql, params)
        return self.run(step)

    def run(self, step: Step) -> duckdb.DuckDBPyConnection:
        """Build step.table on Spark: the tables it reads handed over as Parquet, its result read back into DuckDB."""
        from dashboard.staged import portable

        started = time.perf_counter()
        views = {name: self._view(name) for name in portable.tables_read(step.query) if name.startswith('"')}
        translated = portable.to_spark(step.query, step.params, {k: v for k, v in views.items() if v})
        out = self.root / self.version.schema / step.name
        result = self.spark.sql(translated)
        if "rowid" in result.columns:  # a published table's file order, read by `select *`: no column of DuckDB's
            result = result.drop("rowid")
        result.write.mode("overwrite").parquet(str(out))
        parquet = lit(f"{out}/*.parquet")
        self.cur.execute(*sql(f"create or replace table {step.table} as select * from read_parquet({{}})", parquet))
        self._built[step.table] = out
        self._views.pop(step.table, None)
        self.timings[step.name] = time.perf_counter() - started
        return self.cur

    def _name(self, table: str) -> str:
        """The Spark view name of a DuckDB table ('"v3"."stg_customers"' -> v3__stg_customers)."""
        return "__".join(part.strip('"') for part in table.split("."))

    def _view(self, table: str) -> str | None:
        """The Spark view of a DuckDB table or view the step reads, exported as Parquet on first use (a published table
        with its file order as rowid); None for a CTE name or a table DuckDB does not know."""
        if table in self._views:
            return self._views[table]
        if table in self._built:
            self.spark.read.parquet(str(self._built[table])).createOrReplaceTempView(self._name(table))
            self._views[table] = self._name(table)
            return self._views[table]
        parts = [p.strip('"') for p in table.split(".")]
        if len(parts) == 1 and not self._known(None, parts[0]):
            return None
        if len(parts) == 2 and not self._known(parts[0], parts[1]):
            return None
        order = ", rowid as rowid" if len(parts) == 2 and parts[1] in TABLES else ""
        out = self.root / "_read" / "__".join(parts)
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        target = str(out / "part.parquet").replace("'", "''")
        self.cur.execute(f"copy (select *{order} from {table}) to '{target}' (format parquet)")
        view = self._name(table)
        self.spark.read.parquet(str(out)).createOrReplaceTempView(view)
        self._views[table] = view
        return view

    def _known(self, schema: str | None, name: str) -> bool:
        """Whether DuckDB has a table or view called name (in schema, when given)."""
        where = sql("table_name = {}", lit(name)) + (sql(" and table_schema = {}", lit(schema)) if schema else "")
        query = sql("select count(*) from information_schema.tables where {}", where)
        return self.cur.execute(*query).fetchall()[0][0] > 0

    def _forget(self, sql: str) -> None:
        """Drop the Spark copy of any table a DuckDB statement may change (anything but a select names it)."""
        if sql.lstrip().lower().startswith(("select", "with", "describe", "summarize")):
            return
        for table in [*self._views, *self._built]:
            if table.split(".")[-1].strip('"') in sql:
                self._views.pop(table, None)
                self._built.pop(table, None)


def prepare_on(
    cur: duckdb.DuckDBPyConnection,
    version: Version,
    preparers: Sequence[Callable[[duckdb.DuckDBPyConnection, Version], None]],
    engine: str | None = None,
    spark: Any = None,
) -> dict[str, float]:
    """Run preparers for version on engine (default configured()), record the engine; seconds per Spark step."""
    engine = engine or configured()
    if engine == DUCKDB:
        for prepare in preparers:
            prepare(cur, version)
        record(cur, version, DUCKDB, "embedded")
        return {}
    from dashboard.staged import spark as spark_session

    session = spark if spark is not None else spark_session.session()
    root = work_dir()
    shutil.rmtree(root / version.schema, ignore_errors=True)
    shutil.rmtree(root / "_read", ignore_errors=True)
    wrapped = SparkCursor(cur, session, version, root)
    try:
        for prepare in preparers:
            prepare(wrapped, version)  # type: ignore[arg-type]
    finally:
        for view in wrapped._views.values():
            session.catalog.dropTempView(view)
        shutil.rmtree(root / "_read", ignore_errors=True)
    record(cur, version, SPARK, spark_session.where(session))
    return wrapped.timings
