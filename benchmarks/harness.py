"""Benchmark harness: generate a dataset of N customers, publish it, and time each view's queries.

Every case is timed three ways: the view's DuckDB metric functions (what a filter change runs), DuckDB's
own full scan of the raw tables the view reads (the floor), and a plain pandas implementation of the same
figures (what most dashboards do), which must agree. Times are medians (pandas runs once when it takes
over 5 s); memory is the peak resident set size during the call, above what the process held before it.
"""

from __future__ import annotations

import argparse
import fcntl
import importlib
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from dashboard import sample
from dashboard.metrics import prepared  # noqa: F401  (registers the prepare step every publish runs)
from dashboard.store import Store, Version

WORK = Path(__file__).resolve().parent / ".work"
VIEWS = ("overview", "journey", "funnel", "behaviours", "whatif", "defection", "drivers")
"""Views with a benchmark module in benchmarks/views/; a new view adds its name here."""


@dataclass
class Case:
    """One thing a user does on a view: the DuckDB way, the floor scan, the pandas way, and how to compare."""

    name: str
    duckdb: Callable[[], Any]
    pandas: Callable[[], Any]
    floor_sql: str
    agree: Callable[[Any, Any], bool] = field(default=lambda a, b: True)


@dataclass
class BenchContext:
    """The published dataset: store, version, folder of Parquet files, and the raw tables for pandas (lazy)."""

    store: Store
    version: Version
    folder: Path
    customers: int
    _frames: dict[str, pd.DataFrame] = field(default_factory=dict)

    def frames(self) -> dict[str, pd.DataFrame]:
        """The three raw tables as pandas frames, read once (reading time is not counted in any case)."""
        if not self._frames:
            for name in ("customers", "transactions", "interactions"):
                self._frames[name] = pq.read_table(self.folder / f"{name}.parquet").to_pandas()
        return self._frames

    def query(self, sql: str) -> Any:
        """Run sql on its own cursor and fetch everything."""
        with self.store.cursor() as cur:
            return cur.execute(sql).fetchall()

    def floor(self, *tables_and_columns: tuple[str, tuple[str, ...]]) -> str:
        """A full scan of the named raw tables reading the given columns: DuckDB's own floor for a view."""
        parts = []
        for table, columns in tables_and_columns:
            reads = ", ".join(f"max(hash({c}))" for c in columns) or "count(*)"  # hash forces a read of every value
            parts.append(f"select {reads} from {self.version.table(table)}")
        return "select * from " + ", ".join(f"({p}) as t{i}" for i, p in enumerate(parts))


def _rss_kb(field_name: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field_name):
                return int(line.split()[1])
    return 0


def measure(fn: Callable[[], Any], repeat: int, patience_s: float = float("inf")) -> tuple[float, float, Any]:
    """Median seconds over repeat runs (one run when the first exceeds patience_s), peak extra memory in MB, last result."""
    times, result, peak = [], None, 0.0
    for _ in range(repeat):
        if times and times[0] > patience_s:
            break
        try:
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")  # reset the peak resident set size
        except OSError:
            pass
        before = _rss_kb("VmRSS:")
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
        peak = max(peak, (_rss_kb("VmHWM:") - before) / 1024)
    return statistics.median(times), peak, result


def dataset_folder(customers: int, seed: int, workdir: Path | None) -> Path:
    """Folder with the generated Parquet files for (customers, seed), generated once and reused."""
    folder = (workdir or WORK) / f"n{customers}-s{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "interactions.parquet").exists():
            start = time.perf_counter()
            print(f"generating {customers:,} customers (once; kept in {folder}) ...", flush=True)
            sample.generate_to(folder, sample.SampleSpec(customers, seed))
            print(f"  generated in {time.perf_counter() - start:.1f} s", flush=True)
    return folder


def publish(folder: Path, db_path: Path) -> tuple[Store, Version, float]:
    """Publish the Parquet files in folder into a new database; return the store, version and seconds taken."""
    store = Store(db_path)
    start = time.perf_counter()
    version = sample.publish(store, folder, "bench")
    return store, version, time.perf_counter() - start


def run(customers: int, views: list[str], repeat: int, workdir: Path | None = None, seed: int = 1) -> list[dict]:
    """Time every case of every view; return one row per case."""
    folder = dataset_folder(customers, seed, workdir)
    rows = []
    with tempfile.TemporaryDirectory(dir=workdir or WORK) as tmp:
        store, version, publish_s = publish(folder, Path(tmp) / "bench.duckdb")
        print(f"published {version.row_counts} in {publish_s:.1f} s (prepared tables included)", flush=True)
        ctx = BenchContext(store, version, folder, customers)
        for view in views:
            module = importlib.import_module(f"benchmarks.views.{view}")
            for case in module.cases(ctx):
                duck_s, duck_mb, duck_result = measure(case.duckdb, repeat)
                floor_s, _, _ = measure(lambda case=case: ctx.query(case.floor_sql), repeat)
                ctx.frames()
                pandas_s, pandas_mb, pandas_result = measure(case.pandas, max(1, min(repeat, 3)), patience_s=5.0)
                rows.append(
                    {
                        "view": view,
                        "case": case.name,
                        "duckdb_ms": duck_s * 1000,
                        "floor_ms": floor_s * 1000,
                        "pandas_ms": pandas_s * 1000,
                        "vs_floor": duck_s / floor_s if floor_s else float("nan"),
                        "pandas_speedup": pandas_s / duck_s if duck_s else float("nan"),
                        "duckdb_peak_mb": duck_mb,
                        "pandas_peak_mb": pandas_mb,
                        "agree": bool(case.agree(duck_result, pandas_result)),
                    }
                )
                print(_format_row(rows[-1]), flush=True)
        store.close()
    return rows


def _format_row(row: dict) -> str:
    return (
        f"| {row['view']} | {row['case']} | {row['duckdb_ms']:,.1f} | {row['floor_ms']:,.1f} | {row['pandas_ms']:,.0f} "
        f"| {row['vs_floor']:.2f}× | {row['pandas_speedup']:,.0f}× | {row['duckdb_peak_mb']:,.0f} | {row['pandas_peak_mb']:,.0f} "
        f"| {'yes' if row['agree'] else 'NO'} |"
    )


HEADER = (
    "| view | case | DuckDB ms | floor ms | pandas ms | DuckDB ÷ floor | pandas ÷ DuckDB "
    "| DuckDB peak MB | pandas peak MB | agree |\n"
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"
)


def main(args: argparse.Namespace) -> int:
    """Entry point of `python -m dashboard bench`."""
    views = list(VIEWS) if args.views == "all" else [v.strip() for v in args.views.split(",")]
    unknown = set(views) - set(VIEWS)
    if unknown:
        raise ValueError(f"unknown views {sorted(unknown)}; choose from {', '.join(VIEWS)}")
    workdir = args.workdir.resolve() if args.workdir else None
    (workdir or WORK).mkdir(parents=True, exist_ok=True)
    print(f"CX Lens benchmark: {args.customers:,} customers, {os.cpu_count()} cores, median of {args.repeat} runs")
    print(HEADER)
    rows = run(args.customers, views, args.repeat, workdir)
    print()
    print(HEADER)
    for row in rows:
        print(_format_row(row))
    return 0 if all(r["agree"] for r in rows) else 1
