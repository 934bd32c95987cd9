"""An upload's call logs: a table's files rewritten one row per step (steps.explode), or taken back as uploaded."""

from __future__ import annotations

from dashboard.ingest import join as joins
from dashboard.ingest import steps, uploads
from dashboard.ingest.errors import IngestError
from dashboard.ingest.mapping import TableMapping
from dashboard.ingest.report import BLOCKING, Problem
from dashboard.ingest.sources import ReadOptions, SourceFile, open_source, sample
from dashboard.ingest.stage.tables import samples_by_header


class UploadSteps:
    """The part of an Upload that rewrites a call log's files one row per step when its mapping lists steps."""

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
            for position, source in enumerate(self.sources.get(table, [])):
                rows = sample(cur, source)
                for header, values in samples_by_header(source, rows).items():
                    merged.setdefault(header, []).extend(values)
                if position == 0:
                    self.preview_rows[table] = rows[:50]
        self.samples[table] = merged
