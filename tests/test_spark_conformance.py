"""Cross-engine conformance: every staged and prepared table built from tiny datasets on DuckDB, on Spark local[2] (one
shared session) and through Spark Connect (a local Connect server, as a cluster is reached) holds the same rows.
Floating point agrees to a relative 1e-9 (sums in another order); everything else exactly. Needs Java and pyspark with
its Connect client: `make test` installs them; without them these tests fail."""

from __future__ import annotations

import math
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dashboard.metrics import prepared
from dashboard.staged import engine
from dashboard.staged import spark as spark_session
from dashboard.store import Store
from tests import shapes


def _built_by(cur, version) -> str:
    """The engine that built version's prepared tables, as publish recorded it."""
    return cur.execute(f"select engine from {version.table(engine.RECORD)}").fetchall()[0][0]


pytestmark = pytest.mark.spark
SHAPES = ["contacts_with_several_steps"]
"""Contacts of several steps (contact ids, resolutions, waits, satisfaction, effort) beside purchases: every staged and
prepared table has rows. One shape keeps the run short: each Spark step is a job of its own."""
REL_TOL = 1e-9
MEASURED = {("df_fit", "seconds")}
"""Columns that time the build itself, so differ on any two runs."""


@pytest.fixture(scope="session")
def spark():
    """One Spark local[2] session for the whole run (about 20 s to start)."""
    try:
        spark_session.check_installed()
    except spark_session.SparkMissing as exc:
        pytest.fail(f"{exc}: the cross-engine tests need Spark; run `make test`")
    # tiny data: one shuffle partition, and no code generation or adaptive re-planning, which cost more than they save
    tiny = {"spark.sql.shuffle.partitions": "1", "spark.sql.codegen.wholeStage": "false", "spark.sql.adaptive.enabled": "false"}
    tiny["spark.driver.extraJavaOptions"] = QUICK_JVM
    return spark_session.session("local[2]", tiny)


QUICK_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
"""The JVM options of the test's Spark: a run of tiny jobs spends its CPU compiling Java, and the quick compiler alone
does it for less."""
CONNECT = "spark connect"
"""The label of the run through Spark Connect."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def connect_url(tmp_path_factory: pytest.TempPathFactory):
    """sc://127.0.0.1:port of a Spark Connect server started for this run from pyspark's own scripts (local[2] behind
    it), as a cluster's would be reached; stopped at the end."""
    spark_session.check_installed()
    import pyspark

    home = Path(pyspark.__file__).parent
    folder = tmp_path_factory.mktemp("connect")
    port = _free_port()
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_PID_DIR": str(folder), "SPARK_LOG_DIR": str(folder)}
    env["SPARK_IDENT_STRING"] = f"cxlens{port}"
    settings = ["spark.ui.enabled=false", "spark.connect.grpc.binding.address=127.0.0.1"]
    settings += [f"spark.connect.grpc.binding.port={port}", "spark.sql.shuffle.partitions=1", "spark.driver.memory=1g"]
    settings += [f"spark.driver.extraJavaOptions={QUICK_JVM}"]
    command = ["bash", str(home / "sbin" / "start-connect-server.sh"), "--master", "local[2]"]
    subprocess.run([*command, *[a for s in settings for a in ("--conf", s)]], env=env, check=True, capture_output=True)
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                logs = "".join(p.read_text() for p in folder.glob("*.out"))
                if time.monotonic() > deadline or "Exception in thread" in logs:
                    pytest.fail(f"the Spark Connect server did not start: {logs[-2000:]}")
                time.sleep(1)
        yield f"sc://127.0.0.1:{port}"
    finally:
        subprocess.run(["bash", str(home / "sbin" / "stop-connect-server.sh")], env=env, capture_output=True)


def _tables(store: Store, version) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every derived table of version: its columns and its rows, sorted."""
    with store.cursor() as cur:
        names = [
            r[0]
            for r in cur.execute(
                "select table_name from duckdb_tables() where schema_name = ? and table_name not in "
                "('customers', 'transactions', 'interactions') order by 1",
                [version.schema],
            ).fetchall()
        ]
        out = {}
        for name in names:
            rel = cur.execute(f"select * from {version.table(name)}")
            columns = [d[0] for d in rel.description]
            rows = rel.fetchall()
            out[name] = (columns, sorted(rows, key=lambda r: tuple((v is None, str(v)) for v in r)))
        return out


@pytest.fixture(scope="module")
def built(connect_url: str, spark, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, dict]]:
    """run -> shape -> its tables, each shape prepared on DuckDB, on Spark local and through Spark Connect. The Connect
    run prepares a copy of the database in a process of its own while this one prepares on DuckDB and Spark local:
    Spark's jobs on tiny data mostly wait, so the two overlap."""
    folder = tmp_path_factory.mktemp("conformance")
    store = Store(shapes.publish_all(folder / "c.duckdb", folder, SHAPES))
    store.close()
    remote = folder / "connect.duckdb"
    shutil.copyfile(store.path, remote)
    connect_runs = [_prepare_through_connect(remote, name, connect_url, folder / "spark-connect") for name in SHAPES]
    os.environ["CXLENS_SPARK_DIR"] = str(folder / "spark")
    store = Store(store.path)
    out: dict[str, dict[str, dict]] = {engine.DUCKDB: {}, engine.SPARK: {}, CONNECT: {}}
    try:
        for name in SHAPES:
            version = store.active_version(name)
            for which in (engine.DUCKDB, engine.SPARK):
                store.rebuild_prepared(
                    version.version_id,
                    lambda cur, v, which=which: engine.prepare_on(cur, v, prepared.preparers(), which, spark),
                )
                out[which][name] = _tables(store, version)
    finally:
        os.environ.pop("CXLENS_SPARK_DIR", None)
        store.close()
    for run in connect_runs:
        _, errors = run.communicate(timeout=900)
        assert run.returncode == 0, errors[-3000:]
    remote_store = Store(remote)
    try:
        for name in SHAPES:
            out[CONNECT][name] = _tables(remote_store, remote_store.active_version(name))
    finally:
        remote_store.close()
    return out


_CONNECT_PREPARE = """
import sys
from dashboard.metrics import prepared
from dashboard.staged import engine, spark
from dashboard.store import Store

path, dataset, url = sys.argv[1:]
store = Store(path)
version = store.active_version(dataset)
session = spark.session(url, {"spark.sql.shuffle.partitions": "1"})
store.rebuild_prepared(version.version_id, lambda cur, v: engine.prepare_on(cur, v, prepared.preparers(), "spark", session))
store.close()
"""
"""Prepares a dataset's active version through Spark Connect. A process that holds a local Spark session may not open
a remote one (pyspark refuses), so this runs in a process of its own, as the app's would beside a cluster."""


def _prepare_through_connect(db: Path, dataset: str, url: str, spark_dir: Path) -> subprocess.Popen:
    """The process preparing dataset's active version in db through Spark Connect at url, started."""
    env = {**os.environ, "CXLENS_SPARK_DIR": str(spark_dir)}
    command = [sys.executable, "-c", _CONNECT_PREPARE, str(db), dataset, url]
    root = Path(__file__).resolve().parent.parent
    return subprocess.Popen(command, env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _same(a: object, b: object) -> bool:
    if (isinstance(a, float) and isinstance(b, float | int)) or (isinstance(b, float) and isinstance(a, int)):
        return math.isclose(float(a), float(b), rel_tol=REL_TOL, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
    return a == b


@pytest.mark.parametrize("run", [engine.SPARK, CONNECT])
@pytest.mark.parametrize("shape", SHAPES)
def test_every_prepared_table_agrees_row_for_row(built, shape: str, run: str) -> None:
    duck, spark = built[engine.DUCKDB][shape], built[run][shape]
    assert sorted(duck) == sorted(spark)
    assert len(duck) >= 25
    for table, (columns, rows) in duck.items():
        if table == engine.RECORD:
            continue
        other_columns, other_rows = spark[table]
        assert other_columns == columns, table
        assert len(other_rows) == len(rows), table
        for row, other in zip(rows, other_rows, strict=True):
            for column, a, b in zip(columns, row, other, strict=True):
                if (table, column) not in MEASURED:
                    assert _same(a, b), (table, column, row, other)


def test_the_version_records_its_engine(built) -> None:
    recorded = {label: built[label][SHAPES[0]][engine.RECORD] for label in built}
    assert {columns == ["engine", "ran_on"] for columns, _rows in recorded.values()} == {True}
    assert recorded[engine.DUCKDB][1] == [(engine.DUCKDB, "embedded")]
    assert recorded[engine.SPARK][1] == [(engine.SPARK, "local[2]")]
    assert recorded[CONNECT][1] == [(engine.SPARK, "Spark Connect (local[2])")]


def test_ingest_reads_folders_on_spark_with_the_same_rules(spark, tmp_path: Path, monkeypatch, capsys) -> None:
    from dashboard.__main__ import main

    monkeypatch.setenv("CXLENS_DB", str(tmp_path / "cli.duckdb"))
    monkeypatch.setenv("CXLENS_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("CXLENS_SPARK_DIR", str(tmp_path / "uploads" / "spark"))
    header = "customer_id,date,amount\n"
    parts = [
        "A1,2024-01-05,10.50\nA2,2024-01-06,20.00\n",
        "A1,2024-02-05,11.50\nA3,2024-02-07,not a number\nA3,2024-03-01,5.00\n",
    ]
    folder = tmp_path / "transactions"
    for month, rows in zip(("month=2024-01", "month=2024-02"), parts, strict=True):
        (folder / month).mkdir(parents=True)
        (folder / month / "part-0000.csv").write_text(header + rows)
    whole = tmp_path / "whole.csv"
    whole.write_text(header + "".join(parts))
    lenient = ["--max-bad-share", "0.5"]  # one bad row in five would block at the default 1 %
    assert main(["ingest", "--dataset", "onspark", "--engine", "spark", "--transactions", str(folder), *lenient]) == 0
    assert main(["ingest", "--dataset", "onduck", "--transactions", str(whole), *lenient]) == 0
    printed = capsys.readouterr()
    assert "reading transactions on Spark" in printed.err
    store = Store(tmp_path / "cli.duckdb")
    try:
        on_spark, on_duck = store.active_version("onspark"), store.active_version("onduck")
        # the unreadable amount is refused by the same rule on both paths: 4 of 5 rows published
        assert on_spark.row_counts["transactions"] == on_duck.row_counts["transactions"] == 4
        with store.cursor() as cur:
            assert _built_by(cur, on_spark) == engine.SPARK
            assert _built_by(cur, on_duck) == engine.DUCKDB
            rows = [
                cur.execute(f"select customer_id, purchases, revenue from {v.table('stg_customers')} order by 1").fetchall()
                for v in (on_spark, on_duck)
            ]
        assert rows[0] == rows[1] == [("A1", 2, 22.0), ("A2", 1, 20.0), ("A3", 1, 5.0)]
    finally:
        store.close()
