"""The rows left out of a table, for download: each named as uploaded (file and that file's own row), with why."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from dashboard.ingest import limits
from dashboard.ingest.stage.plans import Check, TablePlan
from dashboard.ingest.stage.rows import StagedFile, StagedTable
from dashboard.ingest.validate.customers import where_is
from dashboard.ingest.validate.files import joined_origins
from dashboard.sql import Sql, lit, sql


def rejected_rows(cur: duckdb.DuckDBPyConnection, staged: StagedTable, most: int | None = None) -> list[dict]:
    """The rows left out of a table, as dicts: file, row, reasons, then the row's original values by header; the first
    most of them (limits.MAX_REJECTED_ROWS: a download is built in memory)."""
    most = limits.MAX_REJECTED_ROWS if most is None else most
    out: list[dict] = []
    for staged_file in staged.files:
        out.extend(_file_rejects(cur, staged, staged_file, max(0, most - len(out))))
    if staged.plan.table == "customers":
        out.extend(_repeated_customers(cur, staged, max(0, most - len(out))))
    return out[:most]


def _file_rejects(cur: duckdb.DuckDBPyConnection, staged: StagedTable, staged_file: StagedFile, most: int) -> list[dict]:
    """A file's unreadable lines, then its rows that failed a rejecting check (the first most of them), each named as
    uploaded: a row rejected for values that came from a joined or looked-up file is named by that file and its row."""
    source = staged_file.plan.source
    reasons = {check.mask: _reason(check, staged.plan) for check in staged_file.plan.checks if check.rejects}
    out = [
        {"file": source.name, "row": reject.line, "problem": reject.error, "raw line": reject.text}
        for reject in staged_file.read_rejects
    ]
    if not staged_file.rows:
        return out
    query = sql(
        "select {} as r, _problems, _src from {} where {} and _rejected order by rowid limit {}",
        Sql(staged_file.row_sql()),
        Sql(staged.name),
        Sql(staged_file.where()),
        lit(max(0, most - len(out))),
    )
    rows = cur.execute(*query).fetchall()
    failed = [(_failed_columns(staged_file.plan.checks, problems), src) for _, problems, src in rows]
    for (row_number, problems, src), origin in zip(rows, joined_origins(cur, source, failed), strict=True):
        file_name, file_row = origin or (source.name, int(row_number))
        record = {"file": file_name, "row": file_row}
        record["problem"] = "; ".join(text for bit, text in reasons.items() if problems & bit)
        for header, value in zip([*source.headers, "(extra field)"], src or [], strict=False):
            if header == "(extra field)" and value is None:
                continue
            record[header] = value
        out.append(record)
    return out


def _repeated_customers(cur: duckdb.DuckDBPyConnection, staged: StagedTable, most: int) -> list[dict]:
    """Customers rows whose customer ID is already on an earlier row (the first most of them)."""
    query = sql(
        """
        select i, r, customer_id from (
            select rowid as i, {row} as r, customer_id,
                   row_number() over (partition by customer_id order by rowid) as k
            from {table} where not _rejected
        ) where k > 1 order by i limit {most}
        """,
        row=Sql(staged.row_sql()),
        table=Sql(staged.name),
        most=lit(most),
    )
    return [
        {
            "file": where_is(staged, rowid).name,
            "row": int(row_number),
            "problem": f"customer ID {customer_id} already on an earlier row",
            "customer_id": customer_id,
        }
        for rowid, row_number, customer_id in cur.execute(*query).fetchall()
    ]


def _failed_columns(checks: Sequence[Check], problems: int) -> tuple[int, ...]:
    """The file columns that show the rejecting problems a row carries (problems: its _problems bits); none when one of
    them names no column (a row cut short: the row as a whole)."""
    failed = [check for check in checks if check.rejects and problems & check.mask]
    if any(not check.columns for check in failed):
        return ()
    return tuple(sorted({column for check in failed for column in check.columns}))


def _reason(check: Check, plan: TablePlan) -> str:
    if check.code == "lookup_unmatched":
        on = plan.sources[0].headers[check.columns[0]] if plan.sources else "key"
        return f"no row of {check.detail} has this row's {on}"
    header = plan.mapping.columns.get(check.target, "")
    where = f" ('{header}')" if header else ""
    return {
        "blank_id": f"no customer ID{where}",
        "blank_required": f"no {check.target}{where}",
        "unreadable_required": f"{check.target}{where} cannot be read",
        "short_row": "fewer fields than the header",
        "long_row": "more fields than the header",
        "implausible_date": f"{check.target}{where} is a date outside {plan.window[0]:%Y-%m-%d} to {plan.window[1]:%Y-%m-%d}",
        "implausible_number": f"{check.target}{where} is NaN, infinite or beyond ±{limits.MAX_ABS_NUMBER:,.0f}",
    }.get(check.code, check.code)
