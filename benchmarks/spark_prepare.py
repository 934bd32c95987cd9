"""Prepare one generated dataset with DuckDB and with Spark local, side by side: seconds and peak memory.

`python -m benchmarks.spark_prepare --customers N [--keep DIR]` generates N customers with the sample generator,
writes each table as a folder of Parquet parts (one per block of the generator, as a cluster's extract arrives),
publishes it into a fresh database (DuckDB reads the folders), then rebuilds the version's staged and prepared tables
on each engine and prints the times. Peak memory: Linux VmHWM of this process (DuckDB runs in it; reset before each
run) and of Spark's JVM (its child process, from its start). With `--keep DIR` each engine's database is copied to DIR
under the names `python -m benchmarks.browser --workdir DIR --engine duckdb|spark` reads, so the click times are
measured on exactly these tables. Not a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from benchmarks import browser
from dashboard import sample
from dashboard.metrics import prepared
from dashboard.sql import lit, sql
from dashboard.staged import engine
from dashboard.staged import spark as spark_session
from dashboard.store import Store


def _hwm_mb(pid: int) -> float:
    """Peak resident memory of process pid in MB (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _children(pid: int) -> list[int]:
    """Child process ids of pid."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(c) for c in text]
    return found


def write_parts(customers: int, folder: Path) -> dict[str, Path]:
    """The generated tables as folders of Parquet parts, one part per block of the generator (50,000 customers),
    written as they are drawn so that memory stays at one block whatever the size."""
    out = {}
    for index, tables in enumerate(sample.generate_blocks(sample.SampleSpec(customers, 1))):
        for name, table in tables.items():
            out[name] = folder / name
            out[name].mkdir(parents=True, exist_ok=True)
            pq.write_table(table, out[name] / f"part-{index:04d}.parquet")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--keep", type=Path, help="copy each engine's database here for benchmarks.browser")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="cx-spark-bench-"))
    os.environ["CXLENS_SPARK_DIR"] = str(work / "spark")
    try:
        started = time.perf_counter()
        folders = write_parts(args.customers, work / "data")
        print(f"generated {args.customers:,} customers in {time.perf_counter() - started:.1f} s", flush=True)
        store = Store(work / "bench.duckdb")
        sources = {name: sql("select * from read_parquet({})", lit(f"{path}/*.parquet")) for name, path in folders.items()}
        started = time.perf_counter()
        version = store.publish("bench", sources)
        print(f"published (prepared on DuckDB) in {time.perf_counter() - started:.1f} s; rows {dict(version.row_counts)}")
        results = {}
        for which in (engine.DUCKDB, engine.SPARK):
            session = spark_session.session(args.master) if which == engine.SPARK else None
            Path("/proc/self/clear_refs").write_text("5")  # reset this process's VmHWM before the run
            started = time.perf_counter()
            store.rebuild_prepared(
                version.version_id, lambda cur, v, w=which, s=session: engine.prepare_on(cur, v, prepared.preparers(), w, s)
            )
            seconds = time.perf_counter() - started
            jvm = max((_hwm_mb(c) for c in _children(os.getpid())), default=0.0)
            results[which] = (seconds, _hwm_mb(os.getpid()), jvm)
            print(f"{which}: {seconds:.1f} s, python peak {results[which][1]:,.0f} MB, JVM peak {jvm:,.0f} MB", flush=True)
            if args.keep is not None:
                store.close()
                args.keep.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(work / "bench.duckdb", browser.db_path(args.customers, args.keep.resolve(), which))
                store = Store(work / "bench.duckdb")
        store.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
