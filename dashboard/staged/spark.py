"""The Spark session preparation runs on: local mode on this machine, or a cluster through Spark Connect (sc://host:port).

pyspark and Java are needed only here (requirements-spark.txt; `make test` installs both): the embedded app never
imports this module unless CXLENS_PREPARE_ENGINE=spark.
"""

from __future__ import annotations

import os
import shutil
import warnings
from typing import Any

DEFAULT_MASTER = "local[2]"
SQL_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.ansi.enabled": "false",
}
"""What makes Spark compute as DuckDB does, set on every session, local or through Spark Connect: UTC, timestamps
without a time zone (as DuckDB's TIMESTAMP, so Parquet round-trips unchanged), and NULL rather than an error on a bad
cast or a division by zero, as DuckDB's SQL gives (Spark 4 turns ANSI mode on by default)."""
LOCAL_SETTINGS = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "2",
    "spark.driver.memory": "1g",
    "spark.driver.extraJavaOptions": "-XX:+UseSerialGC",
}
"""Local mode for one machine: no web UI, few shuffle partitions (small prepared tables), a small serial-GC driver. A
cluster's own settings decide these there."""


class SparkMissing(RuntimeError):
    """pyspark or Java is not installed; the message says how to install them."""


def master() -> str:
    """Where Spark runs: $CXLENS_SPARK_MASTER (local[N], or sc://host:port for a cluster), else local[2]."""
    return os.environ.get("CXLENS_SPARK_MASTER", "").strip() or DEFAULT_MASTER


def check_installed() -> None:
    """SparkMissing naming what to install when pyspark or Java is missing."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise SparkMissing(
            "preparing on Spark needs pyspark: run `make test` (or pip install -r requirements-spark.txt)"
        ) from None
    if not master().startswith("sc://") and shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise SparkMissing("preparing on Spark needs Java 17+: run `make test` (or apt-get install default-jre-headless)")


def session(where: str | None = None, settings: dict[str, str] | None = None) -> Any:
    """The Spark session at where (default master()), created on first use and shared after; through Spark Connect
    (sc://host:port) only the SQL settings are ours, the cluster keeps its own."""
    check_installed()
    from pyspark.sql import SparkSession

    where = where or master()
    with warnings.catch_warnings():  # pyspark 4.3 warns that it does not yet fully support pandas 3; it is not used
        warnings.simplefilter("ignore", FutureWarning)
        if where.startswith("sc://"):
            remote = SparkSession.builder.remote(where).getOrCreate()
            for key, value in {**SQL_SETTINGS, **(settings or {})}.items():
                remote.conf.set(key, value)
            return remote
        builder = SparkSession.builder.master(where).appName("cx-lens-prepare")
        for key, value in {**SQL_SETTINGS, **LOCAL_SETTINGS, **(settings or {})}.items():
            builder = builder.config(key, value)
        spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def where(spark: Any) -> str:
    """Where a session runs, as the version records it: its master (local[2], spark://…), or "Spark Connect" and the
    server's master for a session through Spark Connect."""
    ran_on = spark.conf.get("spark.master", "unknown master")
    return f"Spark Connect ({ran_on})" if type(spark).__module__.startswith("pyspark.sql.connect") else ran_on
