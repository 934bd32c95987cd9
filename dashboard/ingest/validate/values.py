"""Checks on the typed values about to be published (future dates, amounts, satisfaction scale, resolution order) and
on label columns (labels CX Lens does not know, too many labels)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import duckdb

from dashboard import contract
from dashboard.ingest import vocab
from dashboard.ingest.mapping import SATISFACTION_SCALES
from dashboard.ingest.report import NOTE, WARNING, Example, Problem, TableReport, n, verb
from dashboard.ingest.stage.plans import TablePlan
from dashboard.ingest.stage.rows import StagedTable
from dashboard.ingest.validate.options import EXAMPLES, Options
from dashboard.sql import Sql, ident, lit, sql
from dashboard.sql import join as join_sql


def data_checks(
    cur: duckdb.DuckDBPyConnection,
    table: str,
    plan: TablePlan,
    staged: StagedTable,
    out: TableReport,
    now: datetime,
    options: Options,
) -> None:
    """Checks on the typed values of the rows to be published: future dates, amounts, satisfaction scale, resolution order."""
    targets = dict(plan.targets)
    conditions: list[tuple[str, str, Sql, str, list]] = []  # code, target, condition, severity, values for the message
    for target, target_type in targets.items():
        if target_type == contract.TIMESTAMP:
            conditions.append(("future_dates", target, sql(f"{ident(target)} > {{}}", lit(now)), WARNING, [now]))
        elif target_type == contract.DATE:
            conditions.append(("future_dates", target, sql(f"{ident(target)} > {{}}", lit(now.date())), WARNING, [now.date()]))
    if "amount" in targets:
        conditions.append(("negative_amounts", "amount", Sql("amount < 0"), NOTE, []))
        conditions.append(("zero_amounts", "amount", Sql("amount = 0"), WARNING, []))
    if "satisfaction" in targets:
        low, high = SATISFACTION_SCALES.get(options.satisfaction_scale or "", (None, None))
        if low is not None:
            scale = sql("(satisfaction < {} or satisfaction > {})", lit(low), lit(high))
            conditions.append(("out_of_scale", "satisfaction", scale, WARNING, [low, high]))
    if "resolved_ts" in targets and "ts" in targets:
        conditions.append(("resolved_before", "resolved_ts", Sql("resolved_ts < ts"), WARNING, []))
    if not conditions:
        return
    for staged_file in staged.files:
        if not staged_file.rows:
            continue
        good = Sql(f"{staged_file.where()} and not _rejected")
        counted = join_sql([sql("count(*) filter (where {})", condition) for _, _, condition, _, _ in conditions])
        counts = cur.execute(*sql(f"select {{}} from {staged.name} where {{}}", counted, good)).fetchall()[0]
        for count, (code, target, condition, severity, values) in zip(counts, conditions, strict=True):
            if not count:
                continue
            samples = cur.execute(
                *sql(
                    f"select {{}}, {ident(target)} from {staged.name} where {{}} and {{}} order by rowid limit {{}}",
                    Sql(staged_file.row_sql()),
                    good,
                    condition,
                    lit(EXAMPLES),
                )
            ).fetchall()
            header = plan.mapping.columns.get(target, "")
            where = f"'{header}'" if header else plan.mapping.source_of(target)
            message, action = _data_message(code, staged_file.name, count, target, where, now, options, values)
            examples = tuple(Example(staged_file.name, int(row_number), _shown(value)) for row_number, value in samples)
            out.problems.append(Problem(table, severity, code, message, action, count, header, examples))


def _shown(value: object) -> str:
    """A typed value as shown in an example: numbers without float noise, times without empty seconds."""
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}" if value.second or value.microsecond else f"{value:%Y-%m-%d %H:%M}"
    return str(value)


def _data_message(
    code: str, file: str, count: int, target: str, where: str, now: datetime, options: Options, values: list
) -> tuple[str, str]:
    if code == "future_dates":
        return (
            f"{file}: {n(count, 'row')} {verb(count, 'has', 'have')} {target} ({where}) after today ({now:%d %b %Y}); "
            "published as they are",
            "Check the date format chosen for this column (day first or month first) and the source system's clock.",
        )
    if code == "negative_amounts":
        return (
            f"{file}: {n(count, 'row')} {verb(count, 'has', 'have')} a negative amount ({where}): refunds and "
            "cancellations, published as negative amounts",
            "Nothing to do: revenue counts them as money going back.",
        )
    if code == "zero_amounts":
        return (
            f"{file}: {n(count, 'row')} {verb(count, 'has', 'have')} an amount of zero ({where}); published, and "
            "counted as purchases",
            "Check whether these are free items, samples or data errors.",
        )
    if code == "out_of_scale":
        low, high = values
        return (
            f"{file}: {n(count, 'satisfaction score')} ({where}) {verb(count, 'is', 'are')} outside the "
            f"{options.satisfaction_scale} scale ({low:g} to {high:g})",
            "Check the satisfaction scale chosen for this dataset (CSAT 1-5 or NPS 0-10).",
        )
    if code == "resolved_before":
        return (
            f"{file}: {n(count, 'touchpoint')} {verb(count, 'was', 'were')} resolved ({where}) before "
            f"{verb(count, 'it', 'they')} started; published as they are",
            "Check that the resolution and contact time columns are the right way round.",
        )
    return f"{file}: {count:,} rows: {code}", ""


def label_checks(
    cur: duckdb.DuckDBPyConnection,
    table: str,
    plan: TablePlan,
    staged: StagedTable,
    out: TableReport,
    labels: Callable[[str, str], list[tuple[str, int]]] | None,
) -> None:
    for target in plan.label_targets:
        vocabulary = vocab.vocabulary_for(table, target)
        counts = labels(table, target) if labels else label_counts(cur, staged, target)
        resolved = vocab.resolve(vocabulary, [label for label, _ in counts], plan.mapping.labels.get(target, {}))
        unknown = vocab.unknown(vocabulary, resolved)
        header = plan.mapping.columns.get(target, "")
        if len(counts) > vocab.MAX_LABELS:
            out.problems.append(
                Problem(
                    table,
                    WARNING,
                    "too_many_labels",
                    f"{table}: '{header}' holds more than {vocab.MAX_LABELS} different values for {target}; is it the "
                    "right column?",
                    f"Check which column is mapped to {target}.",
                    len(counts),
                    header,
                )
            )
        if unknown:
            by_label = dict(counts)
            rows = sum(by_label[label] for label in unknown)
            shown = ", ".join(f"'{label}' ({n(by_label[label], 'row')})" for label in unknown[:8])
            more = f" and {len(unknown) - 8} more" if len(unknown) > 8 else ""
            out.problems.append(
                Problem(
                    table,
                    WARNING,
                    "unmapped_labels",
                    f"{table}: {n(len(unknown), 'label')} of '{header}' {verb(len(unknown), 'is', 'are')} not among the "
                    f"{vocabulary.name} CX Lens knows: {shown}{more}; published as they are",
                    f"Map them to {', '.join(vocabulary.labels)} in the label mapping, or keep them.",
                    rows,
                    header,
                )
            )


def label_counts(cur: duckdb.DuckDBPyConnection, staged: StagedTable, target: str) -> list[tuple[str, int]]:
    """The file labels of a label column with their row counts, most frequent first (blank labels left out)."""
    query = sql(
        f"""
        select {ident(target)} as label, count(*) as n from {staged.name}
        where not _rejected and {ident(target)} is not null group by 1 order by n desc, label limit {{}}
        """,
        lit(vocab.MAX_LABELS + 1),
    )
    return [(label, int(rows)) for label, rows in cur.execute(*query).fetchall()]
