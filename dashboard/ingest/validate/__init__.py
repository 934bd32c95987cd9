"""Validation: what the staged rows show, as problems with counts, examples (file and row) and what to do.

Blocking: a required column not mapped, an ambiguous date or number format, required values that cannot
be read in more than the allowed share of rows, a file with no data rows, nothing left to publish.
Warnings: rows without a customer ID, duplicate customer IDs, customer IDs missing from the customers
file, future dates, zero amounts, unmapped labels, blanks in numeric columns, values that cannot be read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import duckdb

from dashboard.ingest.report import BLOCKING, NOTE, Problem, Report, TableReport, n
from dashboard.ingest.stage.plans import TablePlan
from dashboard.ingest.stage.rows import StagedTable
from dashboard.ingest.validate.customers import customer_checks
from dashboard.ingest.validate.files import file_checks
from dashboard.ingest.validate.options import MAX_BAD_SHARE, Options
from dashboard.ingest.validate.values import data_checks, label_checks

__all__ = ["MAX_BAD_SHARE", "Options", "validate"]


def validate(
    cur: duckdb.DuckDBPyConnection,
    plans: dict[str, TablePlan],
    staged: dict[str, StagedTable],
    options: Options | None = None,
    labels: Callable[[str, str], list[tuple[str, int]]] | None = None,
) -> Report:
    """The report on staged tables: per table rows read, rejected and published, and every problem found.

    labels(table, target), when given, returns a label column's counts (the caller may have them already).
    """
    options = (options or Options()).validate()
    now = options.now or datetime.now()
    report = Report()
    for table, plan in plans.items():
        table_report = TableReport(table)
        report.tables[table] = table_report
        table_report.problems.extend(plan.problems)
        for source in plan.sources:
            for note in source.notes:
                table_report.problems.append(Problem(table, NOTE, "reading", note))
        staged_table = staged.get(table)
        if staged_table is None:
            continue
        for staged_file in staged_table.files:
            file_checks(cur, staged_table, staged_file, plan, table_report, options)
        if not plan.blocked:
            data_checks(cur, table, plan, staged_table, table_report, now, options)
            label_checks(cur, table, plan, staged_table, table_report, labels)
    customer_checks(cur, plans, staged, report)
    for table_report in report.tables.values():
        if table_report.read and not table_report.published and not any(p.blocking for p in table_report.problems):
            table_report.problems.append(
                Problem(
                    table_report.table,
                    BLOCKING,
                    "nothing_left",
                    f"{table_report.table}: every one of the {n(table_report.read, 'row')} read is rejected, so nothing "
                    "would be published",
                    "Look at the problems above: the mapping is probably wrong (e.g. the customer ID mapped to an empty column).",
                    table_report.read,
                )
            )
    return report
