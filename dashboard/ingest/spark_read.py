"""Ingest at scale: Spark reads folders of partitioned Parquet or CSV (any size, no browser limit) into one Parquet file
per table, which the ordinary ingest then maps, validates and reports with the same rules and the same report."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from functools import reduce
from pathlib import Path

PARQUET, CSV = {".parquet", ".parq"}, {".csv", ".txt", ".tsv"}


class FolderError(ValueError):
    """A folder Spark cannot read as one table; the message names it and says why."""


def _files(path: Path) -> list[Path]:
    """The data files of a file or folder (Spark's and Hive's marker files such as _SUCCESS left out)."""
    if path.is_file():
        return [path]
    return sorted(f for f in path.rglob("*") if f.is_file() and not f.name.startswith(("_", ".")))


def _read(spark, path: Path):
    """path (a file, or a folder of parts, Hive partitions such as month=2024-01/ included) as a Spark DataFrame; CSV
    columns stay text, so the ingest's own mapping reads their types."""
    found = {f.suffix.lower() for f in _files(path)}
    if not found:
        raise FolderError(f"{path}: no data files in this folder")
    if found <= PARQUET:
        return spark.read.option("mergeSchema", "true").parquet(str(path))
    if found <= CSV:
        sep = "\t" if found == {".tsv"} else ","
        return spark.read.option("header", "true").option("inferSchema", "false").option("sep", sep).csv(str(path))
    raise FolderError(f"{path}: mixes {', '.join(sorted(found))} files; give one format per table (Parquet or CSV)")


def read_folders(
    spark, files: dict[str, list[Path]], workdir: Path, progress: Callable[[str, float], None]
) -> dict[str, list[Path]]:
    """Each table's files and folders read by Spark and written as workdir/<table>.parquet (parts appended by column
    name; a column missing from some parts is empty there); table -> [that file]."""
    out: dict[str, list[Path]] = {}
    for position, (table, paths) in enumerate(files.items()):
        progress(f"reading {table} on Spark ({len(paths)} file(s) or folder(s))", position / len(files))
        frames = [_read(spark, p) for p in paths]
        frame = reduce(lambda left, right: left.unionByName(right, allowMissingColumns=True), frames)
        target = workdir / f"_spark_{table}"
        frame.coalesce(1).write.mode("overwrite").parquet(str(target))
        final = workdir / f"{table}.parquet"
        next(target.glob("part-*.parquet")).rename(final)
        shutil.rmtree(target)
        out[table] = [final]
    progress("read on Spark", 1.0)
    return out
