"""An upload from files to a published version: read, map, stage, validate, publish; the same steps for the Data page and the CLI.

upload = Upload(store)
upload.add_files("transactions", [IncomingFile(path, "orders.csv")])
report = upload.check()          # stages every table and validates; nothing is published yet
if report.ok:
    version = upload.publish("shop")
upload.close()                   # drops staged tables and temporary files
"""

from __future__ import annotations

import uuid
from contextlib import nullcontext, suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from dashboard import config, contract
from dashboard.ingest import encoding as enc
from dashboard.ingest import join as joins
from dashboard.ingest import progress as prog
from dashboard.ingest import templates, uploads
from dashboard.ingest.errors import IngestError, NotUtf8
from dashboard.ingest.mapping import SATISFACTION_SCALES, Mapping, TableMapping, fingerprint, merge_template, suggest
from dashboard.ingest.report import BLOCKING, Problem, Report, TableReport
from dashboard.ingest.sources import ReadOptions, SourceFile, open_source, sample, value_text
from dashboard.ingest.stage.plans import STAGING_DB, TablePlan, ensure_staging
from dashboard.ingest.stage.rows import INVALID_ENCODING, StagedFile, StagedTable, stage_table
from dashboard.ingest.stage.tables import plan_table, samples_by_header
from dashboard.ingest.upload_joins import UploadJoins, header_notes
from dashboard.ingest.upload_publish import UploadPublishing
from dashboard.ingest.upload_steps import UploadSteps
from dashboard.ingest.validate import Options, validate
from dashboard.ingest.validate.rejected import rejected_rows
from dashboard.ingest.validate.values import label_counts
from dashboard.sql import ident, lit, sql
from dashboard.store import Store

TABLES = tuple(contract.TABLES)
"""The tables an upload may hold, in the order they are read and shown."""


@dataclass(frozen=True)
class IncomingFile:
    """A file to read: where it is, the name the user knows it by, and its SHA-256 when already computed."""

    path: Path
    name: str
    sha256: str | None = None


class Upload(UploadJoins, UploadSteps, UploadPublishing):
    """One upload: the files of each table, their mapping, the staged rows and the validation report."""

    def __init__(self, store: Store, workdir: Path | None = None, *, today: date | None = None) -> None:
        self.store = store
        self.workdir = Path(workdir) if workdir else config.upload_dir()
        self.token = uuid.uuid4().hex[:10]
        self.today = today
        self.sources: dict[str, list[SourceFile]] = {}
        self.samples: dict[str, dict[str, list[str]]] = {}
        self.preview_rows: dict[str, list[tuple]] = {}
        self.mapping = Mapping()
        self.mapping_notes: dict[str, list[str]] = {}
        self.templates_applied: dict[str, dict] = {}
        self.plans: dict[str, TablePlan] = {}
        self.staged: dict[str, StagedTable] = {}
        self.report: Report | None = None
        self.read_errors: dict[str, Problem] = {}
        self._staged_keys: dict[str, str] = {}
        self._label_cache: dict[tuple, list[tuple[str, int]]] = {}
        self._owned: dict[str, list[Path]] = {}
        self.joins: dict[str, joins.JoinState] = {}
        self.join_errors: dict[str, Problem] = {}
        self._raw_samples: dict[str, dict[str, list[str]]] = {}
        self._raw_preview: dict[str, list[tuple]] = {}
        self.wide: dict[str, list[SourceFile]] = {}
        """Files as uploaded, for a table whose mapping makes one row several touchpoints (self.sources: rewritten)."""
        self._steps_applied: dict[str, list] = {}
        self._long_joined: dict[str, SourceFile] = {}
        """A joined table's file rewritten one row per step (a join comes first, then the steps: steps.explode)."""

    # -- files --------------------------------------------------------------------------------

    def add_files(
        self,
        table: str,
        files: list[IncomingFile],
        read: ReadOptions | None = None,
        *,
        owned: bool = False,
        mapping: TableMapping | None = None,
        progress: prog.Progress | None = None,
    ) -> list[SourceFile]:
        """Read a table's files (replacing earlier ones) and choose its mapping: the one given, a template, or a suggestion.

        owned files (uploads copied to the upload folder) are deleted by close(). A file that cannot be read is
        kept as a blocking problem (read_errors) naming it, so the report says what to do.
        """
        if table not in TABLES:
            raise IngestError(f"unknown table {table!r}: choose customers, transactions or interactions")
        self.remove_table(table)
        self._owned[table] = [f.path for f in files] if owned else []
        if not files:
            return []
        given = mapping or self.mapping.tables.get(table)
        read = read or (given.read if given else ReadOptions())
        try:
            sources, merged = self._read_files(table, files, read, progress)
        except IngestError as exc:
            self.read_errors[table] = Problem(table, BLOCKING, "unreadable_file", str(exc), "Upload the file again as described.")
            return []
        self.sources[table] = sources
        self.samples[table] = merged
        self._raw_samples[table] = merged
        self._raw_preview[table] = self.preview_rows.get(table, [])
        self.mapping_notes[table] = header_notes(sources)
        chosen = self._chosen_mapping(table, mapping, read)
        self.mapping.tables[table] = chosen
        self._apply_join(table)
        self.report = None
        self._apply_steps(table)
        return self.sources.get(table, [])

    def _read_files(
        self, table: str, files: list[IncomingFile], read: ReadOptions, progress: prog.Progress | None
    ) -> tuple[list[SourceFile], dict[str, list[str]]]:
        """The files opened (decoded in Python when DuckDB finds one is not UTF-8) with their sample values by header;
        the first file's first rows kept for the preview. IngestError naming the file that cannot be read."""
        sources: list[SourceFile] = []
        merged: dict[str, list[str]] = {}
        try:
            with self.store.progress_cursor() as cur:
                ensure_staging(cur)
                for position, incoming in enumerate(files):
                    step = prog.part(progress, position / len(files), (position + 1) / len(files))
                    source = open_source(
                        cur, incoming.path, incoming.name, read, self.workdir, sha256=incoming.sha256, progress=step
                    )
                    try:
                        file_rows = sample(cur, source)
                    except NotUtf8:
                        if read.encoding != "auto":
                            raise
                        source = self._decoded(cur, source, read, step)
                        file_rows = sample(cur, source)
                    sources.append(source)
                    kept = file_rows if len(files) == 1 else file_rows[:5000]
                    for header, values in samples_by_header(source, kept).items():
                        merged.setdefault(header, []).extend(values)
                    if position == 0:
                        self.preview_rows[table] = file_rows[:50]
        except IngestError:
            for source in sources:
                source.remove_temp_files()
            raise
        return sources, merged

    def _chosen_mapping(self, table: str, given: TableMapping | None, read: ReadOptions) -> TableMapping:
        """The mapping of a table whose files were just read: the one given, the one it had, a template's or a suggestion."""
        if given is not None:
            return given.copy(read=read)
        if table in self.mapping.tables and self.mapping.tables[table].columns:
            return self.mapping.tables[table].copy(read=read)
        self._template_file_first(table)
        return self._template_or_suggestion(table, self.sources[table][0], read)

    def _template_or_suggestion(self, table: str, first: SourceFile, read: ReadOptions) -> TableMapping:
        """The mapping of the saved template for the first file's header (its join built first), or a suggestion."""
        saved = templates.find(self.store, table, fingerprint(first.headers))
        if saved is not None:
            if saved.mapping.join is not None:
                self._build_join(table, saved.mapping.join)  # the template's columns name the joined files' headers
            mapped, notes = merge_template(saved.mapping, self.headers(table))
            self.templates_applied[table] = {"name": saved.name, "saved_at": saved.saved_at}
            self.mapping_notes[table] = [
                f"mapping template '{saved.name}' applied (saved {saved.saved_at:%d %b %Y %H:%M})",
                *notes,
            ]
            return mapped.copy(read=read)
        with self.store.progress_cursor() as cur:
            return suggest(table, first.headers, self.samples[table], cur, today=self.today).copy(read=read)

    def headers(self, table: str) -> list[str]:
        """Column names of a table's files (the first file's order, then any the others add; joined: every file's)."""
        names: list[str] = []
        for source in self._planned_sources(table):
            names.extend(h for h in source.headers if h not in names)
        return names

    def tables(self) -> list[str]:
        """Tables with files, in contract order."""
        return [t for t in TABLES if self.sources.get(t)]

    def raw_preview(self, table: str, rows: int = 10) -> pd.DataFrame:
        """The first rows of the table's first file as the file holds them (text, with the file's own column names)."""
        source = self._planned_sources(table)[0]
        data = self.preview_rows.get(table, [])[:rows]
        return pd.DataFrame([[value_text(value) for value in row] for row in data], columns=list(source.headers))

    def remove_table(self, table: str) -> None:
        """Forget a table's files: staged rows, temporary files and uploaded copies."""
        self._drop_staged(table)
        self._drop_join(table)
        self._raw_samples.pop(table, None)
        self._raw_preview.pop(table, None)
        for source in [*self.sources.pop(table, []), *self.wide.pop(table, [])]:
            source.remove_temp_files()
        self._steps_applied.pop(table, None)
        for path in self._owned.pop(table, []):
            uploads.discard(path)
        self.samples.pop(table, None)
        self.preview_rows.pop(table, None)
        self.plans.pop(table, None)
        self.read_errors.pop(table, None)
        self.templates_applied.pop(table, None)
        self.report = None

    # -- mapping ------------------------------------------------------------------------------

    def set_mapping(self, table: str, mapping: TableMapping) -> None:
        """Use mapping for table from now on (the report must be made again); a changed join is built again."""
        self.mapping.tables[table] = mapping
        self._apply_join(table)
        self.report = None
        self._apply_steps(table)

    # -- joins and lookups --------------------------------------------------------------------

    def set_satisfaction_scale(self, scale: str) -> None:
        """The scale satisfaction scores are on (CSAT 1-5 or NPS 0-10)."""
        if scale and scale not in SATISFACTION_SCALES:
            raise IngestError(f"unknown satisfaction scale {scale!r}: choose {', '.join(SATISFACTION_SCALES)}")
        self.mapping.satisfaction_scale = scale
        self.report = None

    def suggested_scale(self) -> str:
        """CSAT 1-5 when every satisfaction value in the samples is within 1 to 5, else NPS 0-10 (the analyst confirms)."""
        values = []
        for table in ("customers", "interactions"):
            header = self.mapping.tables.get(table, TableMapping(table)).columns.get("satisfaction")
            if header:
                for value in self.samples.get(table, {}).get(header, []):
                    with suppress(ValueError):
                        values.append(float(str(value).replace(",", ".")))
        return "NPS 0-10" if values and (max(values) > 5 or min(values) < 1) else "CSAT 1-5"

    def labels(self, table: str, target: str) -> list[tuple[str, int]]:
        """The file's labels of a label column with row counts (from the staged rows; empty until checked)."""
        if table not in self.staged or not self._is_current(table):
            return []
        with self.store.progress_cursor() as cur:
            return self._labels(cur, table, target)

    def _labels(self, cur, table: str, target: str) -> list[tuple[str, int]]:
        """Label counts of a staged table's label column, counted once per staging."""
        key = (table, target, self._staged_keys.get(table))
        if key not in self._label_cache:
            self._label_cache[key] = label_counts(cur, self.staged[table], target)
        return self._label_cache[key]

    # -- checking -----------------------------------------------------------------------------

    def check(self, options: Options | None = None, progress: prog.Progress | None = None) -> Report:
        """Stage every table whose plan changed and validate everything: the report shown before anything is published."""
        options = options or Options()
        if not options.satisfaction_scale and self.mapping.satisfaction_scale:
            options = Options(options.max_bad_share, options.now, self.mapping.satisfaction_scale)
        tables = self.tables()
        with self.store.progress_cursor() as cur:
            ensure_staging(cur)
            for position, table in enumerate(tables):
                step = prog.part(progress, position / max(1, len(tables)), (position + 1) / max(1, len(tables)))
                self._check_table(cur, table, step)
            report = self._validated(cur, options, tables)
        if progress:
            progress("checked", 1.0)
        return report

    def _check_table(self, cur, table: str, progress: prog.Progress) -> None:
        plan = plan_table(cur, table, self._planned_sources(table), self._planned(table), self.samples[table], self.today)
        self.plans[table] = plan
        if plan.blocked:
            self._drop_staged(table)
            return
        if self._staged_keys.get(table) == plan.key and table in self.staged:
            return
        self._drop_staged(table)
        name = f"{STAGING_DB}.{ident(f'u{self.token}_{table}')}"
        staged = stage_table(cur, plan, name, progress)
        if self._redecode(cur, table, staged, progress):
            plan = self.plans[table]
            staged = stage_table(cur, plan, name, progress)
        self.staged[table] = staged
        self._staged_keys[table] = plan.key

    def _redecode(self, cur, table: str, staged: StagedTable, progress: prog.Progress | None) -> bool:
        """Decode in Python the files DuckDB found not to be UTF-8 (encoding left to detection); whether any was."""
        if self.mapping.tables[table].read.encoding != "auto":
            return False
        redone = False
        for position, staged_file in enumerate(staged.files):
            if staged_file.plan.source.format == "csv" and _encoding_rejects(staged_file):
                self.sources[table][position] = self._decoded(
                    cur, self.sources[table][position], self.mapping.tables[table].read, progress
                )
                redone = True
        if redone:
            self.plans[table] = plan_table(
                cur, table, self._planned_sources(table), self._planned(table), self.samples[table], self.today
            )
        return redone

    def _decoded(self, cur, old: SourceFile, read: ReadOptions, progress: prog.Progress | None) -> SourceFile:
        """The file opened again, decoded in Python with the encoding the whole file shows (DuckDB found it is not UTF-8)."""
        report = progress or prog.silent
        found = enc.detect_full(old.path, progress=lambda fraction: report(f"checking the encoding of {old.name}", fraction))
        options = ReadOptions(found.name, read.delimiter, read.header, read.sheet)
        fresh = open_source(cur, old.path, old.name, options, self.workdir, progress=progress)
        fresh.digest = old.digest
        fresh.notes = (
            f"{old.name} is {found.label} ({found.reason}); CX Lens decoded it",
            *(n for n in fresh.notes if "CX Lens decoded it" not in n),
        )
        old.remove_temp_files()
        return fresh

    def _is_current(self, table: str) -> bool:
        plan = self.plans.get(table)
        return plan is not None and not plan.blocked and self._staged_keys.get(table) == plan.key

    def _drop_staged(self, table: str) -> None:
        staged = self.staged.pop(table, None)
        self._staged_keys.pop(table, None)
        if staged is not None and staged.name.startswith(STAGING_DB):
            with self.store.cursor() as cur:
                cur.execute(f"drop table if exists {staged.name}")

    def preview(self, table: str, rows: int = 10) -> pd.DataFrame:
        """The first rows as they will be published (after checking): contract columns, labels mapped, with the file row."""
        if not self._is_current(table):
            return pd.DataFrame()
        select = self._table_select(table, with_row=True)
        with self.store.progress_cursor() as cur:
            frame = cur.execute(*sql("select * from ({}) order by _i limit {}", select, lit(rows))).df()
        frame.insert(0, "row", frame.pop("_row"))
        return frame.drop(columns=["_i"])

    def rejected(self, table: str, cur: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
        """Every row of table left out of the publish: file, row, why, and the row's values as the file held them.

        cur: the cursor to read with, when the caller holds the progress cursor (inside publish_direct's on_report).
        """
        if not self._is_current(table):
            return pd.DataFrame(columns=["file", "row", "problem"])
        with nullcontext(cur) if cur is not None else self.store.progress_cursor() as reader:
            records = rejected_rows(reader, self.staged[table])
        frame = pd.DataFrame.from_records(records)
        return frame if not frame.empty else pd.DataFrame(columns=["file", "row", "problem"])

    # -- publishing ---------------------------------------------------------------------------

    def _validated(self, cur, options: Options, tables: list[str]) -> Report:
        """Validate the staged tables, put unreadable files first and block when no file came; kept as self.report."""
        report = validate(cur, self.plans, self.staged, options, labels=lambda name, target: self._labels(cur, name, target))
        for table, problem in self.read_errors.items():
            report.tables.setdefault(table, TableReport(table)).problems.insert(0, problem)
        self._join_problems(report)
        if not tables and not self.read_errors:
            report.problems.append(
                Problem("", BLOCKING, "no_files", "No file uploaded: there is nothing to publish", "Upload a file.")
            )
        self.report = report
        return report

    def _join_problems(self, report: Report) -> None:
        """The joins' lines in the report: a join not made (blocking), match rates, repeated keys, unmatched rows."""
        for table, problem in self.join_errors.items():
            report.tables.setdefault(table, TableReport(table)).problems.insert(0, problem)
        for table in self.joins:
            joined = self.joined(table)
            if joined is not None:
                problems = report.tables.setdefault(table, TableReport(table)).problems
                problems[0:0] = list(joined.problems)

    def close(self) -> None:
        """Drop every staged table and delete temporary files and uploaded copies."""
        for table in list(TABLES):
            self.remove_table(table)


def _encoding_rejects(staged: StagedFile) -> bool:
    """Whether DuckDB met bytes that are not UTF-8 while reading the file."""
    return any(r.error.startswith(INVALID_ENCODING) for r in staged.read_rejects)
