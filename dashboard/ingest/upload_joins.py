"""An upload's joins: a table's files joined on a key the analyst picks, looked up through it, or appended."""

from __future__ import annotations

import pandas as pd

from dashboard.ingest import join as joins
from dashboard.ingest import templates, uploads
from dashboard.ingest.errors import IngestError
from dashboard.ingest.joinspec import JoinSpec
from dashboard.ingest.mapping import TableMapping, fingerprint, suggest
from dashboard.ingest.report import BLOCKING, Problem
from dashboard.ingest.sources import ReadOptions, SourceFile, open_source, sample
from dashboard.ingest.stage.plans import ensure_staging
from dashboard.ingest.stage.tables import samples_by_header


class UploadJoins:
    """The part of an Upload that joins a table's files on a key (or looks them up), or appends them."""

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
        appended_only = set(header_notes(files))  # "other columns than the first file" is what a join expects
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


def header_notes(sources: list[SourceFile]) -> list[str]:
    """Appended files whose columns differ from the first file's: one note per file, naming the columns missing or extra."""
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
