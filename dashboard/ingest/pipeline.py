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
from collections.abc import Callable
from contextlib import nullcontext, suppress
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from dashboard import config, contract
from dashboard.ingest import encoding as enc
from dashboard.ingest import join as joins
from dashboard.ingest import progress as prog
from dashboard.ingest import steps, templates, uploads, vocab
from dashboard.ingest.errors import IngestError, NotUtf8
from dashboard.ingest.joinspec import JoinSpec
from dashboard.ingest.mapping import SATISFACTION_SCALES, Mapping, TableMapping, fingerprint, merge_template, suggest
from dashboard.ingest.report import BLOCKING, Problem, Report, TableReport
from dashboard.ingest.sources import ReadOptions, SourceFile, open_source, sample
from dashboard.ingest.stage import (
    INVALID_ENCODING,
    STAGING_DB,
    StagedFile,
    StagedTable,
    TablePlan,
    ensure_staging,
    plan_table,
    samples_by_header,
    stage_table,
)
from dashboard.ingest.validate import Options, validate
from dashboard.ingest.validate.rejected import rejected_rows
from dashboard.ingest.validate.values import label_counts
from dashboard.sql import Sql, ident, in_list, join, lit, sql
from dashboard.store import Prebuilt, Store, StoreError, Version, check_dataset_name

TABLES = tuple(contract.TABLES)
"""The tables an upload may hold, in the order they are read and shown."""


class Blocked(IngestError):
    """Publishing stopped because the report has blocking problems; nothing was published."""

    def __init__(self, report: Report) -> None:
        super().__init__(f"{len(report.blocking)} blocking problem(s): nothing published")
        self.report = report


class CheckOnly(Exception):
    """Raised inside a check-only publish so that the transaction rolls back after the report was made."""

    def __init__(self, report: Report) -> None:
        super().__init__("checked only")
        self.report = report


@dataclass(frozen=True)
class IncomingFile:
    """A file to read: where it is, the name the user knows it by, and its SHA-256 when already computed."""

    path: Path
    name: str
    sha256: str | None = None


class Upload:
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
        sources: list[SourceFile] = []
        merged: dict[str, list[str]] = {}
        try:
            with self.store.progress_cursor() as cur:
                ensure_staging(cur)
                for k, incoming in enumerate(files):
                    step = prog.part(progress, k / len(files), (k + 1) / len(files))
                    source = open_source(
                        cur,
                        incoming.path,
                        incoming.name,
                        read,
                        self.workdir,
                        sha256=incoming.sha256,
                        progress=step,
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
                    if k == 0:
                        self.preview_rows[table] = file_rows[:50]
        except IngestError as exc:
            for source in sources:
                source.remove_temp_files()
            self.read_errors[table] = Problem(table, BLOCKING, "unreadable_file", str(exc), "Upload the file again as described.")
            return []
        self.sources[table] = sources
        self.samples[table] = merged
        self._raw_samples[table] = merged
        self._raw_preview[table] = self.preview_rows.get(table, [])
        self.mapping_notes[table] = _header_notes(sources)
        if mapping is not None:
            chosen = mapping.copy(read=read)
        elif table in self.mapping.tables and self.mapping.tables[table].columns:
            chosen = self.mapping.tables[table].copy(read=read)
        else:
            self._template_file_first(table)
            chosen = self._template_or_suggestion(table, self.sources[table][0], read)
        self.mapping.tables[table] = chosen
        self._apply_join(table)
        self.report = None
        self._apply_steps(table)
        return self.sources.get(table, [])

    def _template_or_suggestion(self, table: str, first: SourceFile, read: ReadOptions) -> TableMapping:
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
        return pd.DataFrame([[_as_text(v) for v in row] for row in data], columns=list(source.headers))

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

    def _planned(self, table: str) -> TableMapping:
        """The mapping staging reads the table's files with: with steps, the one that reads the rewritten files."""
        mapping = self.mapping.tables[table]
        return mapping.reading_steps() if self.wide.get(table) or table in self._long_joined else mapping

    def _apply_steps(self, table: str) -> None:
        """Make the table's files one row per step when its mapping has steps (steps.explode), or take back the files
        as uploaded when it no longer has; a problem with the steps blocks the table with a message saying so."""
        mapping = self.mapping.tables.get(table)
        wanted = [s.to_json() for s in mapping.steps] if mapping else []
        joined = self.joined(table)
        if joined is not None or table in self._long_joined:
            self._apply_steps_joined(table, wanted, joined)
            return
        applied = self._steps_applied.get(table, [])
        if wanted == applied and (bool(wanted) == bool(self.wide.get(table))):
            return
        wide = self.wide.pop(table, None)
        if wide is not None:
            for source in self.sources.get(table, []):
                source.remove_temp_files()
            self.sources[table] = wide
        self._steps_applied.pop(table, None)
        self._drop_staged(table)
        self.read_errors.pop(table, None)
        if not wanted or not self.sources.get(table):
            self._resample(table)
            return
        wide = self.sources[table]
        long: list[SourceFile] = []
        try:
            with self.store.progress_cursor() as cur:
                for source in wide:
                    out = uploads.new_path(self.workdir, "cxlens-steps.parquet")
                    steps.explode(cur, source, mapping.steps, mapping.columns, out)
                    found = open_source(cur, out, f"{source.name} (one row per step)", ReadOptions(), self.workdir)
                    found = steps.open_long(found, source)
                    found.temp_files = (*found.temp_files, out)
                    long.append(found)
        except IngestError as exc:
            for source in long:
                source.remove_temp_files()
            self.read_errors[table] = Problem(table, BLOCKING, "bad_steps", str(exc), "Correct the steps in the mapping.")
            return
        self.wide[table] = wide
        self.sources[table] = long
        self._steps_applied[table] = wanted
        self._resample(table)

    def _apply_steps_joined(self, table: str, wanted: list, joined: joins.JoinedSource | None) -> None:
        """Steps on joined files: the files stay as uploaded (the join reads them) and the joined file is rewritten one
        row per step; a problem with the steps blocks the table with a message saying so."""
        long = self._long_joined.get(table)
        if long is not None and getattr(long, "wide", None) is joined and self._steps_applied.get(table) == wanted:
            return
        wide = self.wide.pop(table, None)
        if wide is not None:  # steps made on the files before they were joined: take the files back
            for source in self.sources.get(table, []):
                source.remove_temp_files()
            self.sources[table] = wide
            self._drop_join(table)
            self._apply_join(table)
            joined = self.joined(table)
        self._drop_long_joined(table)
        self._drop_staged(table)
        self.read_errors.pop(table, None)
        if not wanted or joined is None:
            return
        out = uploads.new_path(self.workdir, "cxlens-steps.parquet")
        try:
            with self.store.progress_cursor() as cur:
                steps.explode(cur, joined, self.mapping.tables[table].steps, self.mapping.tables[table].columns, out)
                found = open_source(cur, out, f"{joined.name} (one row per step)", ReadOptions(), self.workdir)
                found.temp_files = (*found.temp_files, out)
                long = steps.open_long(found, joined)
                rows = sample(cur, long)
        except IngestError as exc:
            uploads.discard(out)
            self.read_errors[table] = Problem(table, BLOCKING, "bad_steps", str(exc), "Correct the steps in the mapping.")
            return
        self._long_joined[table] = long
        self._steps_applied[table] = wanted
        self.samples[table] = samples_by_header(long, rows)
        self.preview_rows[table] = rows[:50]

    def _drop_long_joined(self, table: str) -> None:
        """Forget a joined table's file rewritten one row per step."""
        long = self._long_joined.pop(table, None)
        self._steps_applied.pop(table, None)
        if long is not None:
            long.remove_temp_files()

    def _resample(self, table: str) -> None:
        """Samples and preview rows of the table's current files (after they were rewritten or taken back)."""
        merged: dict[str, list[str]] = {}
        with self.store.progress_cursor() as cur:
            for k, source in enumerate(self.sources.get(table, [])):
                rows = sample(cur, source)
                for header, values in samples_by_header(source, rows).items():
                    merged.setdefault(header, []).extend(values)
                if k == 0:
                    self.preview_rows[table] = rows[:50]
        self.samples[table] = merged

    # -- joins and lookups --------------------------------------------------------------------

    def set_join(self, table: str, spec: JoinSpec | None) -> None:
        """Join (or look up through) the table's files as spec says, or append them (None); columns the joined files
        add are mapped by suggestion where nothing is mapped yet."""
        current = self.mapping.tables.get(table, TableMapping(table))
        self.set_mapping(table, current.copy(join=spec))
        state = self.joins.get(table)
        if spec is None or state is None or state.source is None:
            return
        with self.store.progress_cursor() as cur:
            suggested = suggest(table, self.headers(table), self.samples[table], cur, today=self.today)
        mapping = self.mapping.tables[table]
        used = set(mapping.columns.values())
        filled = set(mapping.targets())
        extra = {t: h for t, h in suggested.columns.items() if t not in filled and h not in used}
        if extra:
            self.mapping.tables[table] = mapping.copy(columns={**mapping.columns, **extra})

    def joined(self, table: str) -> joins.JoinedSource | None:
        """The table's files as joined (match counts, problems, unmatched rows), or None when they are appended."""
        state = self.joins.get(table)
        return state.source if state else None

    def unmatched(self, table: str) -> pd.DataFrame:
        """Rows of a join's files that found no match (file, row, problem, values), for download; empty without a join."""
        source = self.joined(table)
        if source is None or not source.unmatched:
            return pd.DataFrame(columns=["file", "row", "problem"])
        return pd.DataFrame.from_records(list(source.unmatched))

    def set_first_file(self, table: str, name: str) -> None:
        """Make the file called name the table's first (a join keeps the first file's rows; a template is saved under its
        header); the join, if any, is built again."""
        sources = self.sources.get(table, [])
        index = next((i for i, s in enumerate(sources) if s.name == name), None)
        if index is None:
            raise IngestError(f"{table}: no file called {name!r} was uploaded")
        if index == 0:
            return
        sources.insert(0, sources.pop(index))
        with self.store.progress_cursor() as cur:
            self._raw_preview[table] = sample(cur, sources[0], 50)
        self.preview_rows[table] = self._raw_preview[table]
        self._drop_join(table)
        self._apply_join(table)  # built again in the new order
        self.report = None

    def _template_file_first(self, table: str) -> None:
        """Put first the file whose header has a saved template with a join (next month's files may come in any order)."""
        for source in self.sources[table][1:]:
            saved = templates.find(self.store, table, fingerprint(source.headers))
            if saved is not None and saved.mapping.join is not None:
                self.set_first_file(table, source.name)
                return

    def _planned_sources(self, table: str) -> list[SourceFile]:
        """The files staging reads: the joined file when the table's files are joined, else the files themselves."""
        if table in self._long_joined:
            return [self._long_joined[table]]
        joined = self.joined(table)
        return [joined] if joined is not None else self.sources.get(table, [])

    def _apply_join(self, table: str) -> None:
        """Build the table's join again when its spec changed (drop it when the mapping has none)."""
        mapping = self.mapping.tables.get(table)
        spec = mapping.join if mapping else None
        state = self.joins.get(table)
        if state is not None and state.spec == spec:
            return
        self._drop_join(table)
        if spec is not None and self.sources.get(table):
            self._build_join(table, spec)

    def _build_join(self, table: str, spec: JoinSpec) -> None:
        """Join the table's files (or a workbook's sheets) as spec says; a problem naming file and column when it cannot."""
        self._drop_join(table)
        state = joins.JoinState(spec)
        self.joins[table] = state
        files = self.sources[table]
        target = uploads.new_path(self.workdir, "cxlens-join.parquet")
        try:
            with self.store.progress_cursor() as cur:
                ensure_staging(cur)
                if spec.sheets:
                    first = files[0]
                    read = self.mapping.tables[table].read if table in self.mapping.tables else ReadOptions()
                    for sheet in spec.sheets:
                        options = ReadOptions(read.encoding, read.delimiter, read.header, sheet)
                        state.extra.append(open_source(cur, first.path, first.name, options, self.workdir))
                    members = list(state.extra)
                else:
                    members = list(files)
                state.source = joins.build(cur, table, members, spec, target, by_sheet=bool(spec.sheets))
                rows = sample(cur, state.source)
        except IngestError as exc:
            uploads.discard(target)
            self.join_errors[table] = Problem(
                table,
                BLOCKING,
                "bad_join",
                str(exc),
                'Pick the key column of each file in the join settings (--mapping: "join"), or upload the missing file.',
            )
            return
        self.samples[table] = samples_by_header(state.source, rows)
        self.preview_rows[table] = rows[:50]
        appended_only = set(_header_notes(files))  # "other columns than the first file" is what a join expects
        self.mapping_notes[table] = [n for n in self.mapping_notes.get(table, []) if n not in appended_only]

    def _drop_join(self, table: str) -> None:
        """Forget the table's join: its joined file, the sheets opened for it, its problem; the files' own samples back."""
        state = self.joins.pop(table, None)
        self.join_errors.pop(table, None)
        self._drop_long_joined(table)
        if state is None:
            return
        if state.source is not None:
            state.source.remove_temp_files()
        for extra in state.extra:
            extra.remove_temp_files()
        if table in self._raw_samples:
            self.samples[table] = self._raw_samples[table]
            self.preview_rows[table] = self._raw_preview.get(table, [])

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
            for i, table in enumerate(tables):
                step = prog.part(progress, i / max(1, len(tables)), (i + 1) / max(1, len(tables)))
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
        for k, f in enumerate(staged.files):
            if f.plan.source.format == "csv" and _encoding_rejects(f):
                self.sources[table][k] = self._decoded(cur, self.sources[table][k], self.mapping.tables[table].read, progress)
                redone = True
        if redone:
            self.plans[table] = plan_table(
                cur, table, self._planned_sources(table), self._planned(table), self.samples[table], self.today
            )
        return redone

    def _decoded(self, cur, old: SourceFile, read: ReadOptions, progress: prog.Progress | None) -> SourceFile:
        """The file opened again, decoded in Python with the encoding the whole file shows (DuckDB found it is not UTF-8)."""
        report = progress or prog.silent
        found = enc.detect_full(old.path, progress=lambda f: report(f"checking the encoding of {old.name}", f))
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

    def _resolved_labels(self, cur, table: str, name: str) -> dict[str, str]:
        """File label -> published label for a label column of a staged table (analyst's choice, synonym, or itself)."""
        vocabulary = vocab.vocabulary_for(table, name)
        counts = self._labels(cur, table, name)
        return vocab.resolve(vocabulary, [label for label, _ in counts], self.plans[table].mapping.labels.get(name, {}))

    def _table_select(self, table: str, with_row: bool = False) -> Sql:
        """The rows of table to publish: the mapped columns of good staged rows, labels mapped (customers: first row per ID)."""
        plan, staged = self.plans[table], self.staged[table]
        names = [t for t, _ in plan.targets]
        columns = []
        with self.store.cursor() as cur:
            for name in names:
                if vocab.vocabulary_for(table, name) is None:
                    columns.append(Sql(ident(name)))
                else:
                    resolved = self._resolved_labels(cur, table, name)
                    columns.append(sql(f"{{}} as {ident(name)}", vocab.mapping_sql(ident(name), resolved)))
        rows = sql(f"select {{}}, rowid as _i, {staged.row_sql()} as _row from {staged.name} where not _rejected", join(columns))
        if table == "customers":
            rows = sql("select * from ({}) qualify row_number() over (partition by customer_id order by _i) = 1", rows)
        if with_row:
            return rows
        return sql("select " + ", ".join(ident(n) for n in names) + " from ({})", rows)

    def publish(
        self,
        dataset: str,
        *,
        note: str = "",
        new_dataset: bool = False,
        activate: bool = True,
        save_templates: bool = True,
        progress: prog.Progress | None = None,
    ) -> Version:
        """Publish the checked upload as a new version of dataset (or a new dataset); nothing changes if it fails.

        Customers: the customers file's rows (first row per ID) plus IDs seen only in transactions or
        interactions (blank attributes); without a customers file, the distinct IDs of the other tables.
        """
        dataset = check_dataset_name(dataset)
        if new_dataset and dataset in self.store.dataset_names():
            raise StoreError(f"a dataset called {dataset!r} already exists: choose another name or publish a new version of it")
        if self.report is None or any(not self._is_current(t) for t in self.tables()):
            raise IngestError("the files or the mapping changed since the last check: check again before publishing")
        if not self.report.ok:
            raise IngestError(f"the report has {len(self.report.blocking)} blocking problems: fix them before publishing")
        if not self.tables():
            raise IngestError("no file uploaded: there is nothing to publish")
        tables = {t: self._publish_source(t) for t in TABLES if self._publish_source(t) is not None}
        files = [{"table": t, **s.describe(), "rows": r} for t in self.tables() for s, r in self._file_rows(t)]
        try:
            with self.store.progress_cursor() as cur:
                version = prog.run(
                    cur,
                    lambda: self.store.publish(dataset, tables, source_files=files, note=note, activate=activate, cursor=cur),
                    progress,
                    "publishing",
                )
        finally:
            uploads.sweep(self.workdir)  # copies left by anyone's abandoned or killed uploads; this one's stay until close()
        self._after_publish(dataset, save_templates)
        return version

    def publish_direct(
        self,
        dataset: str,
        *,
        options: Options | None = None,
        note: str = "",
        new_dataset: bool = False,
        activate: bool = True,
        save_templates: bool = True,
        check_only: bool = False,
        on_report: Callable[[Report, duckdb.DuckDBPyConnection], None] | None = None,
        progress: prog.Progress | None = None,
    ) -> Version | None:
        """Read, check and publish in one transaction, the files staged straight into the new version (the command line's way).

        Nothing is staged twice, so this is the fast way for large files. on_report(report, cursor) sees the report
        (and may read rejected rows with the cursor) before anything is committed; blocking problems raise Blocked and
        check_only returns None, both rolling everything back so the active version stays as it was.
        """
        dataset = check_dataset_name(dataset)
        if new_dataset and dataset in self.store.dataset_names():
            raise StoreError(f"a dataset called {dataset!r} already exists: choose another name or publish a new version of it")
        options = options or Options(satisfaction_scale=self.mapping.satisfaction_scale)
        files: list[dict] = []  # filled by the stage step, read by the store once the tables are made

        def stage(cur: duckdb.DuckDBPyConnection, schema: str) -> dict[str | Prebuilt]:
            report = self._stage_in(cur, schema, options, progress)
            if on_report:
                on_report(report, cur)
            if not report.ok:
                raise Blocked(report)
            if check_only:
                raise CheckOnly(report)
            files.extend({"table": t, **s.describe(), "rows": r} for t in self.tables() for s, r in self._file_rows(t))
            return self._finalise_all(cur, schema)

        try:
            with self.store.progress_cursor() as cur:
                version = prog.run(
                    cur,
                    lambda: self.store.publish(
                        dataset, {}, source_files=files, note=note, activate=activate, cursor=cur, stage=stage
                    ),
                    progress,
                    "publishing",
                )
        except CheckOnly:
            return None
        finally:
            self.staged, self._staged_keys = {}, {}  # the staged tables were the version's own: published or rolled back
            uploads.sweep(self.workdir)
        self._after_publish(dataset, save_templates)
        return version

    def _stage_in(self, cur, schema: str, options: Options, progress: prog.Progress | None) -> Report:
        """Plan and stage every table into schema (inside the publish transaction) and validate them."""
        tables = self.tables()
        self.staged, self._staged_keys = {}, {}
        for i, table in enumerate(tables):
            step = prog.part(progress, i / max(1, len(tables)), (i + 1) / max(1, len(tables)))
            plan = plan_table(cur, table, self._planned_sources(table), self._planned(table), self.samples[table], self.today)
            self.plans[table] = plan
            if plan.blocked:
                continue
            name = f'"{schema}".{ident(table)}'
            staged = stage_table(cur, plan, name, step)
            if self._redecode(cur, table, staged, step):
                staged = stage_table(cur, self.plans[table], name, step)
            self.staged[table] = staged
            self._staged_keys[table] = self.plans[table].key
        return self._validated(cur, options, tables)

    def _validated(self, cur, options: Options, tables: list[str]) -> Report:
        """Validate the staged tables, put unreadable files first and block when no file came; kept as self.report."""
        report = validate(cur, self.plans, self.staged, options, labels=lambda t, target: self._labels(cur, t, target))
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

    def _finalise_all(self, cur, schema: str) -> dict[str | Prebuilt]:
        """Turn the staged tables into the version's tables: labels mapped, rejected rows and helper columns dropped."""
        out: dict[str | Prebuilt] = {}
        events = [t for t in ("transactions", "interactions") if t in self.staged]
        for table in events:
            self._finalise(cur, table)
            out[table] = Prebuilt(self.plans[table].present)
        ids = " union ".join(f'select customer_id from "{schema}".{ident(t)}' for t in events)
        if "customers" in self.staged:
            self._finalise(cur, "customers")
            name = self.staged["customers"].name
            if events:
                cur.execute(
                    f"""
                    insert into {name} (customer_id)
                    select distinct customer_id from ({ids})
                    where customer_id is not null and customer_id not in (select customer_id from {name})
                    """
                )
            out["customers"] = Prebuilt(self.plans["customers"].present)
        elif events:
            out["customers"] = Sql(f"select distinct customer_id from ({ids}) where customer_id is not null")
        return out

    def _finalise(self, cur, table: str) -> None:
        staged, plan = self.staged[table], self.plans[table]
        name = staged.name
        for target in plan.label_targets:
            changes = {raw: final for raw, final in self._resolved_labels(cur, table, target).items() if raw != final}
            if changes:
                case = vocab.mapping_sql(ident(target), changes)
                cur.execute(*sql(f"update {name} set {ident(target)} = {{}} where {{}}", case, in_list(ident(target), changes)))
        if table == "customers":
            cur.execute(
                f"""
                delete from {name} where rowid in (
                    select rowid from (
                        select rowid, row_number() over (partition by customer_id order by rowid) as k
                        from {name} where not _rejected
                    ) where k > 1
                )
                """
            )
        cur.execute(f"delete from {name} where _rejected")
        for helper in ("_problems", "_rejected", "_src", *(["_row"] if plan.has_row else [])):
            cur.execute(f"alter table {name} drop column {helper}")

    def _after_publish(self, dataset: str, save_templates: bool) -> None:
        """Settings and templates saved with a publish: satisfaction scale, the mapping, a template per table."""
        scale = self.mapping.satisfaction_scale or (self.suggested_scale() if self._has_satisfaction() else "")
        if scale:
            self.store.set_setting(dataset, "satisfaction_scale", scale)
        self.store.set_setting(dataset, "ingest.mapping", self.mapping.to_json())
        if save_templates:
            for table in self.tables():
                headers = (self.wide.get(table) or self.sources[table])[0].headers  # a call log's own, not its steps'
                templates.save(self.store, table, headers, self.mapping.tables[table], dataset)

    def _has_satisfaction(self) -> bool:
        return any(
            "satisfaction" in self.mapping.tables[t].targets() for t in ("customers", "interactions") if t in self.mapping.tables
        )

    def _publish_source(self, table: str) -> Sql | None:
        events = [self.staged[t] for t in ("transactions", "interactions") if t in self.staged]
        if table in self.staged:
            select = self._table_select(table)
            if table != "customers" or not events:
                return select
            ids = " union ".join(f"select customer_id from {e.name} where not _rejected" for e in events)
            return sql(
                f"select * from ({{select}}) union all by name "
                f"select distinct customer_id from ({ids}) where customer_id is not null "
                f"and customer_id not in (select customer_id from ({{select}}))",
                select=select,
            )
        if table == "customers" and events:
            ids = " union ".join(f"select customer_id from {e.name} where not _rejected" for e in events)
            return Sql(f"select distinct customer_id from ({ids}) where customer_id is not null")
        return None

    def _file_rows(self, table: str) -> list[tuple[SourceFile, int]]:
        staged = self.staged.get(table)
        return [(f.plan.source, f.rows + f.read_rejects_total) for f in (staged.files if staged else [])]

    def close(self) -> None:
        """Drop every staged table and delete temporary files and uploaded copies."""
        for table in list(TABLES):
            self.remove_table(table)


def _header_notes(sources: list[SourceFile]) -> list[str]:
    if len(sources) < 2:
        return []
    first = set(sources[0].headers)
    notes = []
    for source in sources[1:]:
        if set(source.headers) != first:
            missing = sorted(first - set(source.headers))
            extra = sorted(set(source.headers) - first)
            notes.append(
                f"{source.name} has other columns than {sources[0].name}"
                + (f"; missing {', '.join(missing)}" if missing else "")
                + (f"; extra {', '.join(extra)}" if extra else "")
            )
    return notes


def _encoding_rejects(staged: StagedFile) -> bool:
    """Whether DuckDB met bytes that are not UTF-8 while reading the file."""
    return any(r.error.startswith(INVALID_ENCODING) for r in staged.read_rejects)


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)
