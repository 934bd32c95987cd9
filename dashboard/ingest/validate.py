"""Validation: what the staged rows show, as problems with counts, examples (file and row) and what to do.

Blocking: a required column not mapped, an ambiguous date or number format, required values that cannot
be read in more than the allowed share of rows, a file with no data rows, nothing left to publish.
Warnings: rows without a customer ID, duplicate customer IDs, customer IDs missing from the customers
file, future dates, zero amounts, unmapped labels, blanks in numeric columns, values that cannot be read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb

from dashboard import contract
from dashboard.ingest import join, limits, steps, vocab
from dashboard.ingest.mapping import SATISFACTION_SCALES
from dashboard.ingest.report import BLOCKING, NOTE, WARNING, Example, FileSummary, Problem, Report, TableReport, n, verb
from dashboard.ingest.sniff import DELIMITERS, FORMAT_LABELS
from dashboard.ingest.sources import SourceFile
from dashboard.ingest.stage import Check, StagedFile, StagedTable, TablePlan
from dashboard.sql import Sql, ident, lit, sql
from dashboard.sql import join as join_sql

MAX_BAD_SHARE = 0.01
"""Default: a required column whose unreadable values exceed this share of rows blocks the publish."""

EXAMPLES = 5

_WHAT = {
    contract.NUMBER: "numbers",
    contract.INTEGER: "whole numbers",
    contract.DATE: "dates",
    contract.TIMESTAMP: "dates and times",
    contract.BOOLEAN: "yes/no values",
    contract.TEXT: "text",
}


@dataclass(frozen=True)
class Options:
    """Validation settings: the share of unreadable required values that blocks, the clock, the satisfaction scale."""

    max_bad_share: float = MAX_BAD_SHARE
    now: datetime | None = None
    satisfaction_scale: str = ""

    def validate(self) -> Options:
        """Self when the settings make sense; ValueError otherwise."""
        if not 0 <= self.max_bad_share <= 1:
            raise ValueError("the share of unreadable values allowed must be between 0 and 1")
        if self.satisfaction_scale and self.satisfaction_scale not in SATISFACTION_SCALES:
            raise ValueError(f"unknown satisfaction scale {self.satisfaction_scale!r}")
        return self


def _source_values(source: SourceFile, src: list | None, columns: Sequence[int]) -> str:
    """The raw values that show a problem: one value, or header=value pairs; the start of the row when no column is named."""
    if not src:
        return ""
    headers = [*source.headers, "(extra field)"]
    if not columns:
        filled = [i for i, v in enumerate(src) if v not in (None, "")][:3]
        count = sum(1 for v in src[: len(source.headers)] if v is not None)
        start = ", ".join(f"{headers[i]}={src[i]!r}" for i in filled)
        return f"{count} of {len(source.headers)} fields" + (f" ({start})" if start else "")
    if len(columns) == 1:
        value = src[columns[0]] if columns[0] < len(src) else None
        return "blank" if value in (None, "") or not str(value).strip() else repr(value)
    return ", ".join(f"{headers[i]}={src[i]!r}" for i in columns if i < len(src))


def _from_joined_files(
    cur: duckdb.DuckDBPyConnection, source: SourceFile, columns: Sequence[int], samples: list, examples: list[Example]
) -> list[Example]:
    """Examples of a problem in columns that all came from one joined or looked-up file, named by that file and its own
    row (found through the first file's key); the examples as they are otherwise."""
    origins = joined_origins(cur, source, [(columns, src) for _, src in samples])
    return [Example(*origin, e.value) if origin else e for origin, e in zip(origins, examples, strict=True)]


def joined_origins(
    cur: duckdb.DuckDBPyConnection, source: SourceFile, rows: Sequence[tuple[Sequence[int], list | None]]
) -> list[tuple[str, int] | None]:
    """For each row (the columns that show its problem, its raw values): the joined or looked-up file all those columns
    came from and that file's own row (found through the first file's key); None where they are the first file's."""
    wide = source.wide if isinstance(source, steps.LongSource) else source
    origins: list[tuple[str, int] | None] = [None] * len(rows)
    if not isinstance(wide, join.JoinedSource):
        return origins
    keys_by_position: dict[int, dict[int, str]] = {}
    for index, (columns, src) in enumerate(rows):
        headers = [source.headers[i] for i in columns if i < len(source.headers)]
        position = join.member_of(wide, headers) if headers else None
        on = wide.stats[position - 1].on if position else ""
        if position and src and on in source.headers and src[source.headers.index(on)] is not None:
            keys_by_position.setdefault(position, {})[index] = str(src[source.headers.index(on)])
    for position, keys in keys_by_position.items():
        member_row = join.member_rows(cur, wide, position, list(keys.values()))
        for index, key in keys.items():
            if key in member_row:
                origins[index] = (wide.labels[position], member_row[key])
    return origins


def _context(source: SourceFile, src: list | None) -> str:
    """A few of the row's values, so a row without the value concerned can be found."""
    if not src:
        return ""
    filled = [i for i, v in enumerate(src[: len(source.headers)]) if v not in (None, "") and str(v).strip()][:3]
    return ", ".join(f"{source.headers[i]}={src[i]!r}" for i in filled)


def _left_out(count: int) -> str:
    return "it is left out" if count == 1 else "they are left out"


def _check_message(table: str, check: Check, count: int, rows: int, plan: TablePlan, source: SourceFile) -> tuple[str, str]:
    """The message and the action for a check that rows failed."""
    target, mapping = check.target, plan.mapping
    header = mapping.columns.get(target, "")
    where = f"column '{header}'" if header else (f"rule {mapping.source_of(target)}" if target else "")
    share = f" ({count / rows:.1%} of rows)" if rows else ""
    target_type = dict(plan.targets).get(target, contract.TEXT)
    if check.code == "blank_id":
        return (
            f"{source.name}: {n(count, 'row')} {verb(count, 'has', 'have')} no customer ID ({where}){share}; {_left_out(count)}",
            "Download the rejected rows to see them. Fill in the customer ID at the source if these rows matter.",
        )
    if check.code == "anonymous_id":
        words = ", ".join(repr(w) if w else "blank" for w in mapping.anonymous[:6])
        return (
            f"{source.name}: {n(count, 'row')} {verb(count, 'has', 'have')} an anonymous customer ID ({where}: {words}){share}; "
            "they count in channel and stage totals but not as customers",
            "Edit the list of anonymous IDs if one of these is a real customer.",
        )
    if check.code == "lookup_unmatched":
        on = source.headers[check.columns[0]]
        return (
            f"{source.name}: {n(count, 'row')} {verb(count, 'has', 'have')} a {on} that {check.detail} does not hold, so "
            f"{verb(count, 'its', 'their')} looked-up columns are unknown{share}; {_left_out(count)}",
            f"Upload the {check.detail} extract that covers these rows, or check the key columns picked for the lookup; "
            "download the rejected rows to see them.",
        )
    if check.code == "blank_required":
        return (
            f"{source.name}: {n(count, 'row')} {verb(count, 'has', 'have')} no {target} ({where}){share}; {_left_out(count)}",
            f"Fill in {target} at the source, or map another column to {target}.",
        )
    if check.code in ("unreadable_required", "unreadable"):
        style = ""
        if header and header in plan.dates:
            style = f", read as {plan.dates[header].label}"
        elif target_type in (contract.NUMBER, contract.INTEGER):
            style = f", read with '{plan.number.decimal}' as decimal separator"
        kept = _left_out(count) if check.rejects else "published blank"
        return (
            f"{source.name}: {n(count, 'value')} of {where} cannot be read as {_WHAT[target_type]} for "
            f"{target}{style}{share}; {kept}",
            "Check the format chosen for this column (dates: day or month first; numbers: decimal separator), "
            "or correct the values at the source.",
        )
    if check.code == "blank_number":
        return (
            f"{source.name}: {n(count, 'row')} {verb(count, 'has', 'have')} no value in {where} for {target}{share}; "
            "published blank "
            "and left out of sums and averages",
            "Nothing to do if the value is really unknown for these rows.",
        )
    if check.code in ("implausible_date", "implausible_number"):
        first, last = plan.window
        if check.code == "implausible_date":
            what = (
                f"{_WHAT[target_type]} outside {first:%Y-%m-%d} to {last:%Y-%m-%d} (e.g. 0224 for 2024, 9999-12-31 for no date)"
            )
            action = (
                "Correct the dates at the source (a mistyped year, or a placeholder for 'no date': leave such cells empty), "
                "or check the date format chosen for this column."
            )
        else:
            what = f"not plausible numbers (NaN, infinity, or beyond ±{limits.MAX_ABS_NUMBER:,.0f})"
            action = (
                "Correct the values at the source; check the decimal separator chosen for this table and that the right "
                "column is mapped."
            )
        kept = _left_out(count) if check.rejects else "published blank"
        return (
            f"{source.name}: {n(count, 'value')} of {where} for {target} {verb(count, 'is', 'are')} {what}{share}; {kept}",
            action,
        )
    if check.code == "short_row":
        return (
            f"{source.name}: {n(count, 'row')} {verb(count, 'has', 'have')} fewer fields than the header's "
            f"{len(source.headers)}{share}; {_left_out(count)}",
            "Check the delimiter chosen for this file, and whether these rows were cut short when the file was exported.",
        )
    if check.code == "long_row":
        return (
            f"{source.name}: {n(count, 'row')} {verb(count, 'has', 'have')} more fields than the header's "
            f"{len(source.headers)}{share}; {_left_out(count)}",
            "Check the delimiter chosen for this file; a value holding the delimiter must be in double quotes.",
        )
    if check.code == "unmapped_blank":
        return (
            f"{source.name}: column '{check.detail}' holds numbers but {n(count, 'row')} {verb(count, 'is', 'are')} "
            f"blank{share}; "
            "CX Lens does not use this column",
            "Nothing to do unless you map this column.",
        )
    return f"{source.name}: {count:,} rows failed {check.code}", ""


def validate(
    cur: duckdb.DuckDBPyConnection,
    plans: dict[str, TablePlan],
    staged: dict[str, StagedTable],
    options: Options = Options(),
    labels: Callable[[str, str], list[tuple[str, int]]] | None = None,
) -> Report:
    """The report on staged tables: per table rows read, rejected and published, and every problem found.

    labels(table, target), when given, returns a label column's counts (the caller may have them already).
    """
    options = options.validate()
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
        for f in staged_table.files:
            _file_checks(cur, staged_table, f, plan, table_report, options)
        if not plan.blocked:
            _data_checks(cur, table, plan, staged_table, table_report, now, options)
            _label_checks(cur, table, plan, staged_table, table_report, labels)
    _customer_checks(cur, plans, staged, report)
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


def _file_checks(
    cur: duckdb.DuckDBPyConnection, staged: StagedTable, f: StagedFile, plan: TablePlan, out: TableReport, options: Options
) -> None:
    source, checks = f.plan.source, f.plan.checks
    read = f.rows + f.read_rejects_total
    details = ", ".join(
        x for x in (source.encoding, _delimiter_label(source), f"sheet '{source.sheet}'" if source.sheet else "") if x
    )
    out.files.append(FileSummary(source.name, source.size, FORMAT_LABELS[source.format], details, read))
    out.read += read
    if read == 0:
        out.problems.append(
            Problem(
                plan.table,
                BLOCKING,
                "no_rows",
                f"{source.name} has a header row but no data rows",
                "Export the data again: the file holds only column names.",
                0,
            )
        )
        return
    # one pass: how many rows carry each combination of problems (almost all carry none)
    combos = cur.execute(f"select _problems, count(*) from {staged.name} where {f.where()} group by 1").fetchall()
    out.rejected += sum(c for mask, c in combos if mask & f.plan.reject_mask) + f.read_rejects_total
    for check in checks:
        count = sum(c for mask, c in combos if mask & check.mask)
        if not count:
            continue
        message, action = _check_message(plan.table, check, count, f.rows, plan, source)
        failing = sql(
            "select {} as r, _src as s, rowid as k from {} where {} and (_problems & {}) <> 0",
            Sql(f.row_sql()),
            Sql(staged.name),
            Sql(f.where()),
            lit(check.mask),
        )
        examples_sql = sql("{} order by rowid limit {}", failing, lit(EXAMPLES))
        if isinstance(source, steps.LongSource) and source.wide is not None:  # the steps of a row share its row number
            (rows_of,) = cur.execute(*sql("select count(distinct r) from ({})", failing)).fetchone()
            message += f" (the steps of {n(rows_of, 'row')} of {source.wide.name})"
            examples_sql = sql("select r, arg_min(s, k) from ({}) group by r order by min(k) limit {}", failing, lit(EXAMPLES))
        samples = [row[:2] for row in cur.execute(*examples_sql).fetchall()]
        examples = []
        for row_number, src in samples:
            value = _source_values(source, src, check.columns)
            if check.code in ("blank_id", "blank_required") or value == "blank":
                context = _context(source, src)
                value = f"blank ({context})" if context else "blank"
            examples.append(Example(source.name, int(row_number), value))
        examples = _from_joined_files(cur, source, check.columns, samples, examples)
        severity = WARNING
        if check.rejects and check.code not in ("blank_id", "lookup_unmatched") and count > options.max_bad_share * f.rows:
            severity = BLOCKING
            action = (f"More than {options.max_bad_share:.0%} of rows: CX Lens does not publish this. " + action).strip()
        if _nothing_readable(cur, staged, f, plan, check, count):
            severity = BLOCKING
            target_type = dict(plan.targets).get(check.target, contract.TEXT)
            message = (
                f"{source.name}: not one of the {n(count, 'value')} of {_where(plan, check.target)} can be read as "
                f"{_WHAT[target_type]} for {check.target}"
            )
            action = (
                f"Every value of {_where(plan, check.target)} in {source.name} is unreadable: CX Lens does not publish a "
                f"column that is wrong throughout. Pick another column or rule for {check.target}, or remove it."
            )
        header = plan.mapping.columns.get(check.target, check.detail)
        out.problems.append(
            Problem(plan.table, severity, check.code, message, action, count, header, tuple(examples), check.rejects)
        )
    if f.read_rejects_total:
        examples = tuple(
            Example(source.name, r.line, f"{r.error.split(':')[0].lower()}: {r.text[:120]!r}") for r in f.read_rejects[:EXAMPLES]
        )
        severity = BLOCKING if f.read_rejects_total > options.max_bad_share * read else WARNING
        out.problems.append(
            Problem(
                plan.table,
                severity,
                "unreadable_lines",
                f"{source.name}: {n(f.read_rejects_total, 'line')} cannot be read (e.g. more fields than the header, a quote "
                "never closed, bytes that are not text); they are left out",
                "Check the delimiter and encoding chosen for this file; download the rejected rows to see the lines.",
                f.read_rejects_total,
                "",
                examples,
                True,
            )
        )


def _where(plan: TablePlan, target: str) -> str:
    header = plan.mapping.columns.get(target, "")
    return f"column '{header}'" if header else f"rule {plan.mapping.source_of(target)}"


def _nothing_readable(cur, staged: StagedTable, f: StagedFile, plan: TablePlan, check: Check, count: int) -> bool:
    """Whether a rule or behaviour flag could read none of a file's values (every non-blank one unreadable): such a rule
    is wrong throughout, so it blocks instead of publishing a blank column."""
    target = check.target
    if check.code != "unreadable" or not count:
        return False
    if target in plan.mapping.columns and not target.startswith(contract.BEHAVIOUR_PREFIX):
        return False
    readable = cur.execute(f"select count({ident(target)}) from {staged.name} where {f.where()}").fetchall()[0][0]
    return readable == 0


def _delimiter_label(source: SourceFile) -> str:
    return f"{DELIMITERS[source.delimiter]} separated" if source.delimiter else ""


def _data_checks(
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
    for f in staged.files:
        if not f.rows:
            continue
        good = Sql(f"{f.where()} and not _rejected")
        counted = join_sql([sql("count(*) filter (where {})", condition) for _, _, condition, _, _ in conditions])
        counts = cur.execute(*sql(f"select {{}} from {staged.name} where {{}}", counted, good)).fetchall()[0]
        for count, (code, target, condition, severity, values) in zip(counts, conditions, strict=True):
            if not count:
                continue
            samples = cur.execute(
                *sql(
                    f"select {{}}, {ident(target)} from {staged.name} where {{}} and {{}} order by rowid limit {{}}",
                    Sql(f.row_sql()),
                    good,
                    condition,
                    lit(EXAMPLES),
                )
            ).fetchall()
            header = plan.mapping.columns.get(target, "")
            where = f"'{header}'" if header else plan.mapping.source_of(target)
            message, action = _data_message(code, f.name, count, target, where, now, options, values)
            examples = tuple(Example(f.name, int(r), _shown(v)) for r, v in samples)
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


def _label_checks(
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
    rows = cur.execute(
        f"""
        select {ident(target)} as label, count(*) as n from {staged.name}
        where not _rejected and {ident(target)} is not null group by 1 order by n desc, label limit ?
        """,
        [vocab.MAX_LABELS + 1],
    ).fetchall()
    return [(r[0], int(r[1])) for r in rows]


def _where_is(staged: StagedTable, rowid: int) -> StagedFile:
    return next(f for f in staged.files if f.offset <= rowid < f.offset + f.rows)


def _customer_checks(
    cur: duckdb.DuckDBPyConnection,
    plans: dict[str, TablePlan],
    staged: dict[str, StagedTable],
    report: Report,
) -> None:
    """Duplicate customer IDs; IDs in transactions or interactions missing from customers (added); customers built from IDs."""
    usable = {t: staged[t] for t, p in plans.items() if not p.blocked and t in staged}
    events = [usable[t] for t in ("transactions", "interactions") if t in usable]
    customers = usable.get("customers")
    if customers is not None:
        out = report.tables["customers"]
        dup = cur.execute(
            f"""
            with c as (
                select customer_id, rowid as i, {customers.row_sql()} as r,
                       row_number() over (partition by customer_id order by rowid) as k
                from {customers.name} where not _rejected
            )
            select count(distinct customer_id) filter (where k > 1), count(*) filter (where k > 1),
                   min_by(struct_pack(i := i, r := r, v := customer_id), i, {EXAMPLES}) filter (where k > 1)
            from c
            """
        ).fetchall()[0]
        ids, extra, samples = dup[0], dup[1], dup[2] or []
        if extra:
            out.rejected += extra
            out.problems.append(
                Problem(
                    "customers",
                    WARNING,
                    "duplicate_ids",
                    f"customers: {n(ids, 'customer ID')} {verb(ids, 'appears', 'appear')} more than once "
                    f"({n(extra, 'extra row')}); "
                    "the first row of each is kept, the others are left out",
                    "Download the rejected rows to see the repeats; remove them at the source if the first row is not "
                    "the right one.",
                    extra,
                    plans["customers"].mapping.columns.get("customer_id", ""),
                    tuple(Example(_where_is(customers, s["i"]).name, int(s["r"]), repr(s["v"])) for s in samples),
                    True,
                )
            )
    if events and customers is not None:
        event_ids = " union all ".join(f"select customer_id from {e.name} where not _rejected" for e in events)
        row = cur.execute(
            f"""
            with ids as (select distinct customer_id from {customers.name} where not _rejected),
                 ev as ({event_ids})
            select count(distinct ev.customer_id), count(*), list(distinct ev.customer_id)[1:{EXAMPLES}]
            from ev anti join ids using (customer_id)
            """
        ).fetchall()[0]
        missing, rows, samples = row[0], row[1], row[2] or []
        if missing:
            out = report.tables["customers"]
            out.added = missing
            out.problems.append(
                Problem(
                    "customers",
                    WARNING,
                    "added_customers",
                    f"customers: {n(missing, 'customer ID')} in transactions or interactions ({n(rows, 'row')}) "
                    f"{verb(missing, 'is', 'are')} not in the customers file; added as customers with blank attributes so no "
                    "transaction or touchpoint is dropped",
                    "Check that the customers file is complete (or is the extract of the same date as the others).",
                    missing,
                    "customer_id",
                    tuple(Example("", 0, repr(v)) for v in sorted(samples)),
                )
            )
    elif events and "customers" not in plans:
        event_ids = " union ".join(f"select customer_id from {e.name} where not _rejected" for e in events)
        built = cur.execute(f"select count(distinct customer_id) from ({event_ids})").fetchall()[0][0]
        out = report.tables.setdefault("customers", TableReport("customers"))
        out.added = built
        out.problems.append(
            Problem(
                "customers",
                NOTE,
                "built_customers",
                f"customers: no customers file, so the customers table is built from the {n(built, 'distinct customer ID')} "
                "in transactions and interactions (with blank attributes)",
                "Upload a customers file to add segments, regions, sign-up dates, churn and behaviours.",
                built,
            )
        )


def rejected_rows(cur: duckdb.DuckDBPyConnection, staged: StagedTable, most: int | None = None) -> list[dict]:
    """The rows left out of a table, as dicts: file, row, reasons, then the row's original values by header; the first
    most of them (limits.MAX_REJECTED_ROWS: a download is built in memory)."""
    most = limits.MAX_REJECTED_ROWS if most is None else most
    plan = staged.plan
    out: list[dict] = []
    for f in staged.files:
        source = f.plan.source
        reasons = {c.mask: _reason(c, plan) for c in f.plan.checks if c.rejects}
        for reject in f.read_rejects:
            out.append({"file": source.name, "row": reject.line, "problem": reject.error, "raw line": reject.text})
        if not f.rows:
            continue
        rows = cur.execute(
            f"select {f.row_sql()} as r, _problems, _src from {staged.name} where {f.where()} and _rejected order by rowid "
            "limit ?",
            [max(0, most - len(out))],
        ).fetchall()
        failed_columns = [_failed_columns(f.plan.checks, problems) for _, problems, _ in rows]
        origins = joined_origins(cur, source, [(columns, src) for columns, (_, _, src) in zip(failed_columns, rows, strict=True)])
        for (row_number, problems, src), origin in zip(rows, origins, strict=True):
            file_name, file_row = origin or (source.name, int(row_number))
            record = {"file": file_name, "row": file_row}
            record["problem"] = "; ".join(text for bit, text in reasons.items() if problems & bit)
            for header, value in zip([*source.headers, "(extra field)"], src or [], strict=False):
                if header == "(extra field)" and value is None:
                    continue
                record[header] = value
            out.append(record)
    if plan.table == "customers":
        rows = cur.execute(
            f"""
            select i, r, customer_id from (
                select rowid as i, {staged.row_sql()} as r, customer_id,
                       row_number() over (partition by customer_id order by rowid) as k
                from {staged.name} where not _rejected
            ) where k > 1 order by i limit ?
            """,
            [max(0, most - len(out))],
        ).fetchall()
        for rowid, row_number, customer_id in rows:
            out.append(
                {
                    "file": _where_is(staged, rowid).name,
                    "row": int(row_number),
                    "problem": f"customer ID {customer_id} already on an earlier row",
                    "customer_id": customer_id,
                }
            )
    return out[:most]


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
