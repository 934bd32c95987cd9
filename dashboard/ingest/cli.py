"""`python -m dashboard ingest`: the Data page's reading, mapping and validation from a terminal.

Exit codes: 0 published (or, with --check, nothing blocking); 1 nothing published because of the data
(blocking problems, report printed) or the database (in use by the running app, or the publish failed);
2 bad usage (unknown option, missing file, unreadable mapping file, bad dataset name).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

from dashboard import config, contract
from dashboard.export import csv_bytes
from dashboard.ingest import limits
from dashboard.ingest.errors import IngestError
from dashboard.ingest.mapping import SATISFACTION_SCALES, Mapping, TableMapping
from dashboard.ingest.pipeline import IncomingFile, Upload
from dashboard.ingest.report import BLOCKING, NOTE, Report, file_size
from dashboard.ingest.rules import Rule
from dashboard.ingest.sources import ReadOptions
from dashboard.ingest.upload_publish import Blocked
from dashboard.ingest.validate import MAX_BAD_SHARE, Options
from dashboard.staged import engine

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad command-line usage; the message says what to change."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ingest sub-command's options."""
    parser.add_argument("--dataset", required=True, help="dataset to publish a new version of (created when new)")
    for table in contract.TABLES:
        parser.add_argument(
            f"--{table}",
            nargs="+",
            action="extend",
            type=Path,
            default=[],
            metavar="FILE",
            help=f"{table} file(s): CSV/TSV/pipe, Excel, Parquet or JSON lines; appended, or joined by the mapping",
        )
    parser.add_argument("--mapping", type=Path, help="mapping file (JSON) as downloaded from the Data page; see the README")
    parser.add_argument("--new-dataset", action="store_true", help="refuse to add a version to an existing dataset")
    parser.add_argument("--check", action="store_true", help="read and validate only; publish nothing")
    parser.add_argument("--note", default="", help="note stored with the version (e.g. 'March extract')")
    parser.add_argument(
        "--rejected-dir", type=Path, help="write each table's rejected rows to DIR/<dataset>-<table>-rejected.csv"
    )
    parser.add_argument(
        "--save-mapping", type=Path, metavar="FILE", help="write the mapping used to FILE (JSON), to edit and pass back"
    )
    parser.add_argument(
        "--max-bad-share",
        type=float,
        default=MAX_BAD_SHARE,
        help=f"share of rows with unreadable required values that blocks the publish (default {MAX_BAD_SHARE})",
    )
    parser.add_argument("--satisfaction-scale", choices=list(SATISFACTION_SCALES), help="scale of satisfaction scores")
    parser.add_argument("--no-templates", action="store_true", help="neither apply nor save mapping templates")
    parser.add_argument(
        "--engine",
        choices=["duckdb", "spark"],
        default="duckdb",
        help="spark: read folders of partitioned Parquet or CSV with Spark and prepare the version on Spark "
        "(needs pyspark and Java, see docs/scale.md); default duckdb",
    )


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the ingest command; returns the exit code."""
    out, err = out or sys.stdout, err or sys.stderr
    from dashboard.store import DatabaseBusy, Store, StoreError, check_dataset_name

    try:
        dataset = check_dataset_name(args.dataset)
        files = _files(args)
        mapping = _read_mapping(args.mapping)
        if not 0 <= args.max_bad_share <= 1:
            raise UsageError("--max-bad-share must be between 0 and 1")
    except (UsageError, StoreError) as exc:
        print(f"error: {exc}", file=err)
        return EXIT_USAGE
    try:
        store = Store(config.database_path())
    except DatabaseBusy as exc:
        print(f"error: {exc}", file=err)
        return EXIT_DATA
    except StoreError as exc:
        print(f"error: {exc}", file=err)
        return EXIT_DATA
    bar = ProgressBar(err)
    workdir = Path(tempfile.mkdtemp(prefix="cxlens-ingest-"))
    try:
        if args.new_dataset and dataset in store.dataset_names():
            print(f"error: a dataset called {dataset!r} already exists; leave out --new-dataset to add a version to it", file=err)
            return EXIT_USAGE
        folders = {p.resolve().parent for paths in files.values() for p in paths} | {workdir.resolve()}
        if getattr(args, "engine", "duckdb") == "spark":
            spark_dir = engine.work_dir()
            spark_dir.mkdir(parents=True, exist_ok=True)
            folders.add(spark_dir)  # where Spark writes the prepared tables DuckDB reads back
        store.restrict(sorted(folders))
        if getattr(args, "engine", "duckdb") == "spark":
            files = _read_on_spark(files, workdir, bar)
        upload = Upload(store, workdir)
        if args.no_templates:
            upload._template_or_suggestion = _suggestion_only(upload)
            upload._template_file_first = lambda table: None
        try:
            with engine.use(getattr(args, "engine", "duckdb")):
                return _ingest(upload, dataset, files, mapping, args, out, err, bar)
        finally:
            upload.close()
    except (IngestError, StoreError) as exc:
        bar.clear()
        print(f"error: {exc}", file=err)
        return EXIT_DATA
    finally:
        store.close()
        for leftover in workdir.iterdir():
            leftover.unlink(missing_ok=True)
        workdir.rmdir()


def _read_on_spark(files: dict[str, list[Path]], workdir: Path, bar) -> dict[str, list[Path]]:
    """The tables' files and folders read by Spark into one Parquet file each (see ingest.spark_read)."""
    from dashboard.ingest import spark_read
    from dashboard.staged import spark

    try:
        session = spark.session()
        return spark_read.read_folders(session, files, workdir, bar.part(0.0, 0.05))
    except (spark.SparkMissing, spark_read.FolderError) as exc:
        raise IngestError(str(exc)) from None


def _suggestion_only(upload: Upload):
    from dashboard.ingest.mapping import suggest

    def choose(table: str, first, read: ReadOptions) -> TableMapping:
        with upload.store.progress_cursor() as cur:
            return suggest(table, first.headers, upload.samples[table], cur).copy(read=read)

    return choose


def _files(args: argparse.Namespace) -> dict[str, list[Path]]:
    files = {t: list(getattr(args, t)) for t in contract.TABLES if getattr(args, t)}
    if not files:
        raise UsageError("give at least one file: --customers, --transactions or --interactions")
    folders = getattr(args, "engine", "duckdb") == "spark"
    for paths in files.values():
        for path in paths:
            if folders and path.is_dir():
                continue
            if not path.is_file():
                raise UsageError(f"file not found: {path}")
    return files


def _read_mapping(path: Path | None) -> dict:
    if path is None:
        return {}
    try:
        if path.stat().st_size > limits.MAX_MAPPING_BYTES:
            raise UsageError(
                f"mapping file {path} is {limits.size_text(path.stat().st_size)}, over CX Lens's limit "
                f"({limits.size_text(limits.MAX_MAPPING_BYTES)}): a mapping is a few kilobytes; download one from the Data page"
            )
        text = path.read_text(encoding="utf-8")
        if limits.json_depth_over(text):
            raise UsageError(
                f"mapping file {path} nests deeper than {limits.MAX_JSON_DEPTH} levels, over CX Lens's limit: it is not a "
                "mapping CX Lens writes; download one from the Data page or write one with --save-mapping"
            )
        data = json.loads(text)
    except FileNotFoundError:
        raise UsageError(f"mapping file not found: {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"mapping file {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"mapping file {path} must hold an object (one section per table), not {type(data).__name__}")
    try:
        Mapping.from_json({k: v for k, v in data.items() if k == "satisfaction_scale" or "columns" in (v or {})})
        for table in contract.TABLES:
            if table in data:
                _overlay(TableMapping(table), data[table])
    except IngestError as exc:
        raise UsageError(f"mapping file {path}: {exc}") from None
    except AttributeError:
        raise UsageError(f"mapping file {path} must hold an object per table") from None
    return data


def _overlay(base: TableMapping, section: dict) -> TableMapping:
    """base with what a mapping file's section sets: columns (all of them, when given), rules, labels, formats, read options."""
    if not isinstance(section, dict):
        raise IngestError(f"the section for {base.table} must be an object")
    full = TableMapping.from_json(base.table, {"columns": base.columns, **section}) if section else base
    changes: dict = {"read": full.read}
    if "columns" in section:
        changes["columns"] = full.columns
    if "rules" in section:
        changes["rules"] = [Rule.from_json(r) for r in section["rules"]]
    if "join" in section:
        changes["join"] = full.join
    for key in ("labels", "dates", "times", "anonymous", "decimal", "thousands", "steps"):
        if key in section:
            changes[key] = getattr(full, key)
    return base.copy(**changes).validate()


def _ingest(upload: Upload, dataset: str, files, mapping_data: dict, args, out: TextIO, err: TextIO, bar) -> int:
    start = time.perf_counter()
    tables = list(files)
    for position, table in enumerate(tables):
        section = mapping_data.get(table) or {}
        read = ReadOptions.from_json(section.get("read")) if section else None
        incoming = [IncomingFile(p, p.name) for p in files[table]]
        upload.add_files(
            table, incoming, read, progress=bar.part(position / len(tables) * 0.1, (position + 1) / len(tables) * 0.1)
        )
        if section and table in upload.mapping.tables:
            upload.set_mapping(table, _overlay(upload.mapping.tables[table], section))
    scale = args.satisfaction_scale or mapping_data.get("satisfaction_scale", "")
    if scale:
        upload.set_satisfaction_scale(scale)
    if args.save_mapping:
        args.save_mapping.write_text(json.dumps(upload.mapping.to_json(), indent=2, ensure_ascii=False), encoding="utf-8")

    def show(report: Report, cur) -> None:
        bar.clear()
        if args.save_mapping:
            print(f"mapping written to {args.save_mapping}", file=out)
        print_report(report, upload, out)
        if args.rejected_dir:
            _write_rejected(upload, report, dataset, args.rejected_dir, out, cur)

    try:
        version = upload.publish_direct(
            dataset,
            options=Options(args.max_bad_share, None, scale),
            note=args.note,
            new_dataset=args.new_dataset,
            save_templates=not args.no_templates,
            check_only=args.check,
            on_report=show,
            progress=bar.part(0.1, 1.0),
        )
    except Blocked as exc:
        bar.clear()
        print(f"nothing published: {len(exc.report.blocking)} blocking problem(s) above", file=out)
        return EXIT_DATA
    bar.clear()
    if version is None:
        print("check only: nothing published (leave out --check to publish)", file=out)
        return EXIT_OK
    counts = " · ".join(f"{t} {n:,}" for t, n in version.row_counts.items())
    print(f"published {version.dataset} v{version.number}: {counts} ({time.perf_counter() - start:.1f} s)", file=out)
    return EXIT_OK


def _write_rejected(upload: Upload, report: Report, dataset: str, folder: Path, out: TextIO, cur) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for table in upload.tables():
        unmatched = upload.unmatched(table)
        if len(unmatched):
            path = folder / f"{dataset}-{table}-unmatched.csv"
            path.write_bytes(csv_bytes(unmatched))
            print(f"{len(unmatched):,} {table} rows without a match in the join written to {path}", file=out)
    for table, table_report in report.tables.items():
        if not table_report.rejected or table not in upload.staged:
            continue
        frame = upload.rejected(table, cur)
        path = folder / f"{dataset}-{table}-rejected.csv"
        path.write_bytes(csv_bytes(frame))
        print(f"{len(frame):,} rejected {table} rows written to {path}", file=out)


def print_report(report: Report, upload: Upload, out: TextIO) -> None:
    """The validation report as text: per table the figures, then each problem with examples and what to do."""
    labels = {BLOCKING: "BLOCKING", "warning": "warning", NOTE: "note"}
    for problem in report.problems:
        print(f"{labels[problem.severity]:<9} {problem.message}", file=out)
    for number, (table, table_report) in enumerate(report.tables.items()):
        files = "; ".join(
            f"{f.name} ({file_size(f.size)}, {f.format}{', ' + f.details if f.details else ''})" for f in table_report.files
        )
        print(("\n" if number or report.problems else "") + table + (f": {files}" if files else ""), file=out)
        if table_report.files:
            check = "✓" if table_report.balanced else "✗"
            print(
                f"  read {table_report.read:,} · published {table_report.published:,} · rejected {table_report.rejected:,}   "
                f"(published + rejected = read {check})",
                file=out,
            )
        if table_report.added:
            print(f"  customers added from customer IDs: {table_report.added:,}", file=out)
        for note in upload.mapping_notes.get(table, []):
            print(f"  note      {note}", file=out)
        for problem in table_report.problems:
            print(f"  {labels[problem.severity]:<9} {problem.message}", file=out)
            for example in problem.examples[:3]:
                print(f"            e.g. {example.describe()}", file=out)
            if problem.action and problem.severity != NOTE:
                print(f"            what to do: {problem.action}", file=out)
    counts = report.counts()
    print(f"\n{counts[BLOCKING]} blocking, {counts['warning']} warnings, {counts[NOTE]} notes", file=out)


class ProgressBar:
    """A progress bar on a terminal (one line redrawn), or one line per step when the output is not a terminal."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self._last_step = ""
        self._last_draw = 0.0
        self._drawn = False

    def __call__(self, step: str, fraction: float) -> None:
        if not self.tty:
            if step != self._last_step:
                print(f"… {step}", file=self.stream, flush=True)
                self._last_step = step
            return
        now = time.monotonic()
        if now - self._last_draw < 0.1 and fraction < 1:
            return
        self._last_draw = now
        filled = int(self.width * max(0.0, min(1.0, fraction)))
        line = f"\r[{'#' * filled}{'-' * (self.width - filled)}] {fraction:4.0%} {step[:60]:<60}"
        self.stream.write(line)
        self.stream.flush()
        self._drawn = True

    def part(self, start: float, end: float):
        """A callback for one part of the work, drawn on this bar from start to end."""

        def scaled(step: str, fraction: float) -> None:
            self(step, start + (end - start) * max(0.0, min(1.0, fraction)))

        return scaled

    def clear(self) -> None:
        """Wipe the bar so the report starts on a clean line."""
        if self.tty and self._drawn:
            self.stream.write("\r" + " " * (self.width + 70) + "\r")
            self.stream.flush()
            self._drawn = False
