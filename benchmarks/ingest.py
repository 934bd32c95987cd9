"""Ingest speed and memory: a large transactions CSV published through the command line's path, against DuckDB's own read.

    python -m benchmarks.ingest --rows 5000000 --workdir /work/bench-data --repeat 3

The CSV (customer_id, date, amount, transaction_id, product, channel, cost; deterministic) is generated once
and kept in the work folder. Each measurement runs in a fresh process on a fresh database file, the two
kinds alternating, and reports the median:

- floor: ``create table t as select * from read_csv(file)``: DuckDB's own read of the file into a table, types
  detected by DuckDB, nothing checked;
- ingest: ``Upload.add_files`` + ``Upload.publish_direct`` (what ``python -m dashboard ingest`` runs): encoding,
  delimiter, header and formats detected, columns mapped, every row converted and checked, the validation report,
  the version's tables stored, the customers table built from the IDs, and the views' prepared tables;
  its phases are timed too (read and check, store, prepare views).

Peak memory is the process's peak resident set size (VmHWM). The published figures must agree with the floor
table's (rows, distinct customers, sum of amounts, first and last timestamp).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent


def generate(path: Path, rows: int) -> None:
    """Write a deterministic transactions CSV of rows rows (about 63 bytes a row) to path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    con = duckdb.connect()
    con.execute(
        f"""
        copy (
            select 'C' || lpad(cast((i * 7919) % {max(1, rows // 26)} as varchar), 7, '0') as customer_id,
                   timestamp '2023-01-01' + to_seconds(cast((i * 104729) % (3 * 365 * 86400) as bigint)) as date,
                   round(((i * 31337) % 40000) / 100.0 - 20, 2) as amount,
                   'T' || cast(i as varchar) as transaction_id,
                   ['Electricity', 'Dual fuel', 'Gas'][1 + i % 3] as product,
                   ['mail', 'email', 'web', 'app', 'store'][1 + (i // 7) % 5] as channel,
                   round(((i * 13) % 200) / 100.0, 2) as cost
            from range({int(rows)}) t(i)
        ) to '{partial}' (header, delimiter ',')
        """
    )
    con.close()
    partial.rename(path)


def _peak_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _figures(con, table: str, amount: str, ts: str) -> list:
    row = con.execute(
        f"select count(*), count(distinct customer_id), round(sum({amount}), 2), min({ts}), max({ts}) from {table}"
    ).fetchall()[0]
    return [row[0], row[1], row[2], str(row[3]), str(row[4])]


def run_floor(csv: Path, folder: Path) -> dict:
    """DuckDB's own read of the file into a table of a fresh database file."""
    con = duckdb.connect(str(folder / "floor.duckdb"))
    start = time.perf_counter()
    con.execute("create table t as select * from read_csv(?)", [str(csv)])
    seconds = time.perf_counter() - start
    figures = _figures(con, "t", "amount", "date")
    con.close()
    return {"seconds": seconds, "peak_mb": _peak_mb(), "figures": figures}


def run_ingest(csv: Path, folder: Path) -> dict:
    """The command line's ingest of the file as the transactions of a new dataset, in a fresh database file."""
    from dashboard.ingest.pipeline import IncomingFile, Upload
    from dashboard.metrics import prepared  # noqa: F401  (registers the prepare step every publish runs)
    from dashboard.store import Store

    store = Store(folder / "ingest.duckdb")
    marks: dict[str, float] = {}
    start = time.perf_counter()
    upload = Upload(store, folder / "work")
    upload.add_files("transactions", [IncomingFile(csv, csv.name)])

    def progress(step: str, _fraction: float) -> None:
        marks.setdefault(step, time.perf_counter())

    def checked(report, _cur) -> None:
        marks["checked"] = time.perf_counter()
        assert report.ok, [p.message for p in report.blocking]

    original = store.publish

    def publish(*args, **kwargs):
        kwargs["progress"] = progress
        return original(*args, **kwargs)

    store.publish = publish
    version = upload.publish_direct("bench", on_report=checked)
    seconds = time.perf_counter() - start
    upload.close()
    with store.cursor() as cur:
        figures = _figures(cur, version.table("transactions"), "amount", "ts")
        customers = cur.execute(f"select count(*) from {version.table('customers')}").fetchall()[0][0]
    store.close()
    prepare_at = marks.get("preparing views", marks["checked"])
    return {
        "seconds": seconds,
        "read_and_check": marks["checked"] - start,
        "store": prepare_at - marks["checked"],
        "prepare": start + seconds - prepare_at,
        "peak_mb": _peak_mb(),
        "figures": figures,
        "customers": customers,
    }


def _measure(kind: str, csv: Path, workdir: Path) -> dict:
    """One measurement in a fresh process (so peak memory is that measurement's own)."""
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        result = subprocess.run(
            [sys.executable, "-m", "benchmarks.ingest", "--one", kind, "--csv", str(csv), "--workdir", tmp],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Generate the file once, then time the floor and the ingest alternately; print a Markdown table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=ROOT / "benchmarks" / ".work")
    parser.add_argument("--one", choices=["floor", "ingest"], help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        run = run_floor if args.one == "floor" else run_ingest
        print(json.dumps(run(args.csv, args.workdir), default=str))
        return 0
    workdir = args.workdir.resolve()
    csv = workdir / f"ingest-transactions-{args.rows}.csv"
    if not csv.exists():
        print(f"generating {args.rows:,} rows (once; kept in {csv}) ...", flush=True)
        generate(csv, args.rows)
    print(f"CX Lens ingest benchmark: {args.rows:,} rows, {csv.stat().st_size / 1e6:,.0f} MB, {os.cpu_count()} cores", flush=True)
    floors, ingests = [], []
    for i in range(args.repeat):
        floors.append(_measure("floor", csv, workdir))
        ingests.append(_measure("ingest", csv, workdir))
        print(f"run {i + 1}: floor {floors[-1]['seconds']:.2f} s, ingest {ingests[-1]['seconds']:.2f} s", flush=True)
    floor = statistics.median(r["seconds"] for r in floors)
    ingest = statistics.median(r["seconds"] for r in ingests)
    phases = {k: statistics.median(r[k] for r in ingests) for k in ("read_and_check", "store", "prepare")}
    agree = all(r["figures"] == floors[0]["figures"] for r in ingests) and all(
        r["figures"] == floors[0]["figures"] for r in floors
    )
    print()
    print("| measure | seconds (median) | × floor | peak MB |")
    print("|---|---:|---:|---:|")
    print(f"| floor: DuckDB `read_csv` into a table | {floor:.2f} | 1.00× | {max(r['peak_mb'] for r in floors):,.0f} |")
    print(f"| ingest, everything (CLI path) | {ingest:.2f} | {ingest / floor:.2f}× | {max(r['peak_mb'] for r in ingests):,.0f} |")
    print(
        f"| · read, convert and check every row, report | {phases['read_and_check']:.2f} | "
        f"{phases['read_and_check'] / floor:.2f}× | |"
    )
    print(f"| · store the version's tables (customers built) | {phases['store']:.2f} | | |")
    print(f"| · prepare the views' tables | {phases['prepare']:.2f} | | |")
    ingest_only = ingest - phases["prepare"]
    print(f"| ingest without the views' prepared tables | {ingest_only:.2f} | {ingest_only / floor:.2f}× | |")
    print()
    print(
        f"figures agree with the floor table (rows, customers, sum of amounts, first and last time): {'yes' if agree else 'NO'}"
    )
    print(f"floor figures: {floors[0]['figures']}; customers published: {ingests[0]['customers']:,}")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
