"""The staged rows: each file's rows read into one staging table with their problems and original values, and the
lines DuckDB could not read kept as rejects."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import duckdb

from dashboard.ingest import sniff
from dashboard.ingest.errors import IngestError
from dashboard.ingest.sources import read_error_message
from dashboard.ingest.stage.plans import FilePlan, TablePlan
from dashboard.sql import ident, list_count, sql


@dataclass
class ReadReject:
    """A line DuckDB could not read at all (e.g. more fields than the header, a quote never closed)."""

    line: int
    error: str
    text: str


@dataclass
class StagedFile:
    """One file's rows in its table's staged table: where they start (rowid), how many, and lines rejected while reading."""

    plan: FilePlan
    offset: int
    rows: int
    read_rejects: list[ReadReject] = field(default_factory=list)
    read_rejects_total: int = 0

    @property
    def name(self) -> str:
        """The file's name as uploaded."""
        return self.plan.source.name

    @property
    def accepted_before(self) -> list[int]:
        """For each line rejected while reading, how many staged rows come before it (to number rows as in the file)."""
        base = self.plan.source.row_base
        rejects = sorted(self.read_rejects, key=lambda reject: reject.line)
        return [max(0, reject.line - base - before) for before, reject in enumerate(rejects)]

    def where(self) -> str:
        """SQL condition selecting this file's rows of the staged table."""
        return f"(rowid >= {int(self.offset)} and rowid < {int(self.offset + self.rows)})"

    def row_sql(self) -> str:
        """SQL of each of this file's staged rows' file row number (header = row 1; Excel rows carry theirs)."""
        if self.plan.source.has_row_column:
            return "_row"
        position = f"(rowid - {int(self.offset)})"
        base = int(self.plan.source.row_base)
        if not self.read_rejects:
            return f"({position} + {base})"
        shifts = ", ".join(str(int(a)) for a in self.accepted_before)
        return f"({position} + {base} + {list_count(f'[{shifts}]', 'a', f'a <= {position}')})"


@dataclass
class StagedTable:
    """A table's files staged one after the other in one table: its qualified name, its plan and its files."""

    name: str
    plan: TablePlan
    files: list[StagedFile] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Rows staged from every file."""
        return sum(f.rows for f in self.files)

    def row_sql(self) -> str:
        """SQL of every staged row's row number in its own file."""
        if len(self.files) == 1:
            return self.files[0].row_sql()
        whens = " ".join(f"when rowid < {int(f.offset + f.rows)} then {f.row_sql()}" for f in self.files)
        return f"(case {whens} end)"


INVALID_ENCODING = "INVALID ENCODING"
"""DuckDB's reject error type for bytes that are not UTF-8."""


def stage_table(cur: duckdb.DuckDBPyConnection, plan: TablePlan, name: str, progress=None) -> StagedTable:
    """Stage the plan's files one after the other into the table name (qualified); lines DuckDB cannot read are kept aside."""
    from dashboard.ingest import progress as prog

    staged = StagedTable(name, plan)
    rejects_base = "rej_" + hashlib.sha256(name.encode()).hexdigest()[:12]
    for position, file_plan in enumerate(plan.files):
        step = prog.part(progress, position / len(plan.files), (position + 1) / len(plan.files))
        source = file_plan.source
        rejects = (f"{rejects_base}_{position}", f"{rejects_base}_{position}_scan") if source.format == sniff.CSV else None
        select = file_plan.select(rejects)
        statement = sql(f"create or replace table {name} as {{}}" if position == 0 else f"insert into {name} {{}}", select)
        previous_last = staged.files[-1].offset + staged.files[-1].rows - 1 if staged.files and staged.rows else None
        try:
            prog.run(
                cur,
                lambda st=statement: cur.execute(*st),
                step if progress else None,
                f"reading {source.name}",
            )
        except duckdb.Error as exc:
            raise IngestError(read_error_message(source, exc)) from None
        # rows are numbered by rowid, which starts at 0 in a committed table but far higher inside an open transaction
        first, total = cur.execute(f"select min(rowid), count(*) from {name}").fetchall()[0]
        offset = (previous_last + 1) if previous_last is not None else (first or 0)
        staged_file = StagedFile(file_plan, offset, total - staged.rows)
        if rejects:
            _collect_rejects(cur, staged_file, rejects)
        staged.files.append(staged_file)
    return staged


def _collect_rejects(cur: duckdb.DuckDBPyConnection, staged_file: StagedFile, rejects: tuple[str, str]) -> None:
    rej_table, scan_table = (ident(r) for r in rejects)
    total = cur.execute(f"select count(distinct line) from temp.{rej_table}").fetchall()[0][0]
    rows = cur.execute(
        f"""
        select line, any_value(error_type), any_value(error_message), any_value(csv_line)
        from temp.{rej_table} group by line order by line limit 100000
        """
    ).fetchall()
    cur.execute(f"drop table if exists temp.{rej_table}")
    cur.execute(f"drop table if exists temp.{scan_table}")
    staged_file.read_rejects = [ReadReject(int(r[0]), f"{r[1]}: {r[2]}", r[3] or "") for r in rows]
    staged_file.read_rejects_total = int(total)
