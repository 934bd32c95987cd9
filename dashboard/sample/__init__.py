"""Deterministic generator of the bundled sample: a synthetic utility company over three years.

The shapes follow the articles CX Lens comes from: e-billing adoption 16 % of active customers;
a call-centre contact costs $12 to $15; customers showing more perfect-customer behaviours are
more satisfied and churn less; slow or repeated complaint handling raises the chance of leaving
in the weeks after; about two thirds of touchpoints are started by the customer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from dashboard import config
from dashboard.sample import people, touchpoints
from dashboard.sql import Sql
from dashboard.store import Store, Version


@dataclass(frozen=True)
class SampleSpec:
    """What to generate: number of customer rows (prospects included) and the random seed."""

    customers: int = 20_000
    seed: int = 7

    def validate(self) -> SampleSpec:
        """Self, when the numbers make sense; ValueError otherwise."""
        if not 10 <= self.customers <= 5_000_000:
            raise ValueError("customers must be between 10 and 5,000,000")
        return self


BLOCK = 50_000
"""Most customers generated, held in memory and written at once. Each block draws from its own random streams (the
first from the seed alone, as the generator always did, so a sample of up to 50,000 customers is what it always was)
and its shares (the top 16 % on e-billing, each behaviour's share) are exact within the block."""


def _block_sizes(customers: int) -> list[int]:
    """Customers in each block: as few blocks as BLOCK allows, sizes differing by at most one."""
    count = -(-customers // BLOCK)
    return [customers // count + (i < customers % count) for i in range(count)]


def _block_rngs(seed: int, block: int) -> tuple[np.random.Generator, np.random.Generator]:
    """The main random stream of a block and its own stream for consideration reasons."""
    if block == 0:
        return np.random.default_rng(seed), np.random.default_rng((seed, 1))
    return np.random.default_rng((seed, 2, block)), np.random.default_rng((seed, 3, block))


def generate_blocks(spec: SampleSpec = SampleSpec()) -> Iterator[dict[str, pa.Table]]:
    """The three contract tables block by block (customers C0000001 onwards, in order), identical for identical specs."""
    spec.validate()
    first = 0
    for index, n in enumerate(_block_sizes(spec.customers)):
        yield _block_tables(spec.seed, index, first, n)
        first += n


def generate(spec: SampleSpec = SampleSpec()) -> dict[str, pa.Table]:
    """The three contract tables of a synthetic utility company, in memory (generate_to streams them to disk)."""
    parts: dict[str, list[pa.Table]] = {}
    for tables in generate_blocks(spec):
        for name, table in tables.items():
            parts.setdefault(name, []).append(table)
    return {name: pa.concat_tables(tables) for name, tables in parts.items()}


def _block_tables(seed: int, index: int, first: int, n: int) -> dict[str, pa.Table]:
    """The tables of customers first+1 .. first+n, drawn from block `index`'s random streams."""
    rng, reason_rng = _block_rngs(seed, index)
    cohort = people.profile(rng, n)
    cases = people.complaints(rng, cohort)
    people.churn(rng, cohort, cases)
    bills = people.bills(rng, cohort)
    events = touchpoints.draw(rng, reason_rng, cohort, cases)
    people.relationship(rng, cohort, cases, events)
    ids = np.array([f"C{i:07d}" for i in range(first + 1, first + n + 1)], dtype=object)
    return {
        "customers": people.customers_table(cohort, ids),
        "transactions": people.transactions_table(cohort, bills, ids),
        "interactions": touchpoints.interactions_table(events, ids),
    }


PARQUET_OPTIONS = {"compression": "zstd", "compression_level": 9}
ROW_GROUP = 1_000_000


def write(tables: dict[str, pa.Table], folder: str | Path) -> list[Path]:
    """Write each table as folder/<name>.parquet (zstd, deterministic bytes); return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, table in tables.items():
        path = folder / f"{name}.parquet"
        pq.write_table(table, path, row_group_size=ROW_GROUP, **PARQUET_OPTIONS)
        paths.append(path)
    return paths


def generate_to(folder: str | Path, spec: SampleSpec = SampleSpec()) -> dict[str, tuple[Path, int]]:
    """Generate spec block by block into folder/<name>.parquet, one block in memory at a time; path and rows per table.

    The files equal write(generate(spec)) byte for byte when spec fits in one block; beyond, each block adds row groups.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    writers: dict[str, pq.ParquetWriter] = {}
    rows: dict[str, int] = {}
    try:
        for tables in generate_blocks(spec):
            for name, table in tables.items():
                if name not in writers:
                    writers[name] = pq.ParquetWriter(folder / f"{name}.parquet", table.schema, **PARQUET_OPTIONS)
                writers[name].write_table(table.cast(writers[name].schema), row_group_size=ROW_GROUP)
                rows[name] = rows.get(name, 0) + table.num_rows
            del tables
    finally:
        for writer in writers.values():
            writer.close()
    return {name: (folder / f"{name}.parquet", count) for name, count in rows.items()}


def read(folder: str | Path) -> dict[str, pa.Table]:
    """The three sample tables written by write()."""
    folder = Path(folder)
    return {name: pq.read_table(folder / f"{name}.parquet") for name in ("customers", "transactions", "interactions")}


def _parquet_sources(folder: Path) -> dict[str]:
    """The three sample files as selects DuckDB streams from disk (read into memory first, they raised the peak of a
    300,000-customer publish with DuckDB held to 1 GB from 1.3 GB to 2.4 GB)."""
    names = ("customers", "transactions", "interactions")
    return {name: Sql("select * from read_parquet(?)", (str((folder / f"{name}.parquet").resolve()),)) for name in names}


def source_files(folder: str | Path) -> list[dict]:
    """Name, size and SHA-256 of each sample file, as recorded with a published version."""
    import hashlib

    files = []
    for path in sorted(Path(folder).glob("*.parquet")):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        files.append({"name": path.name, "bytes": path.stat().st_size, "sha256": digest})
    return files


def publish(store: Store, folder: str | Path | None = None, dataset: str | None = None) -> Version:
    """Publish the sample in folder (default data/sample) as a new version of dataset (default "sample")."""
    folder = Path(folder or config.SAMPLE_DIR)
    dataset = dataset or config.SAMPLE_DATASET
    version = store.publish(dataset, _parquet_sources(folder), source_files=source_files(folder), note="bundled synthetic sample")
    store.set_setting(dataset, "satisfaction_scale", "CSAT 1-5")
    return version
