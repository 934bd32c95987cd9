"""Publishing an upload: the checked tables made a version in one transaction (or staged straight into it)."""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from dashboard import contract
from dashboard.ingest import progress as prog
from dashboard.ingest import templates, uploads, vocab
from dashboard.ingest.errors import IngestError
from dashboard.ingest.report import Report
from dashboard.ingest.sources import SourceFile
from dashboard.ingest.stage.rows import stage_table
from dashboard.ingest.stage.tables import plan_table
from dashboard.ingest.validate import Options
from dashboard.sql import Sql, ident, in_list, join, sql
from dashboard.store import Prebuilt, StoreError, Version, check_dataset_name


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


class UploadPublishing:
    """The part of an Upload that publishes its checked tables as a version: labels mapped, rejected rows left out."""

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
        tables = {t: self._publish_source(t) for t in contract.TABLES if self._publish_source(t) is not None}
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
        for position, table in enumerate(tables):
            step = prog.part(progress, position / max(1, len(tables)), (position + 1) / max(1, len(tables)))
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
