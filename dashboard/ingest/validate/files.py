"""Checks per file: rows read, rows failing each check with examples named by file and row, unreadable lines."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from dashboard import contract
from dashboard.ingest import join, steps
from dashboard.ingest.report import BLOCKING, WARNING, Example, FileSummary, Problem, TableReport, n
from dashboard.ingest.sniff import DELIMITERS, FORMAT_LABELS
from dashboard.ingest.sources import SourceFile
from dashboard.ingest.stage.plans import Check, TablePlan
from dashboard.ingest.stage.rows import StagedFile, StagedTable
from dashboard.ingest.validate.messages import WHAT_VALUES, check_message, where
from dashboard.ingest.validate.options import EXAMPLES, Options
from dashboard.sql import Sql, ident, lit, sql


def file_checks(
    cur: duckdb.DuckDBPyConnection,
    staged: StagedTable,
    staged_file: StagedFile,
    plan: TablePlan,
    out: TableReport,
    options: Options,
) -> None:
    """One file's summary (size, format, rows read) and a problem per check its rows failed, then its unreadable lines."""
    source = staged_file.plan.source
    read = staged_file.rows + staged_file.read_rejects_total
    details = ", ".join(
        part for part in (source.encoding, _delimiter_label(source), f"sheet '{source.sheet}'" if source.sheet else "") if part
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
    rows_by_problems = cur.execute(
        f"select _problems, count(*) from {staged.name} where {staged_file.where()} group by 1"
    ).fetchall()
    rejected = sum(rows for problems, rows in rows_by_problems if problems & staged_file.plan.reject_mask)
    out.rejected += rejected + staged_file.read_rejects_total
    for check in staged_file.plan.checks:
        count = sum(rows for problems, rows in rows_by_problems if problems & check.mask)
        if count:
            out.problems.append(_check_problem(cur, staged, staged_file, plan, check, count, options))
    if staged_file.read_rejects_total:
        out.problems.append(_unreadable_lines(staged_file, plan, read, options))


def _check_problem(
    cur: duckdb.DuckDBPyConnection,
    staged: StagedTable,
    staged_file: StagedFile,
    plan: TablePlan,
    check: Check,
    count: int,
    options: Options,
) -> Problem:
    """The problem of count rows of a file failing check: message, action, examples; blocking past the allowed share or
    when a rule could read none of the file's values."""
    source = staged_file.plan.source
    message, action = check_message(plan.table, check, count, staged_file.rows, plan, source)
    suffix, examples = _examples(cur, staged, staged_file, check)
    message += suffix
    severity = WARNING
    too_many = count > options.max_bad_share * staged_file.rows
    if check.rejects and check.code not in ("blank_id", "lookup_unmatched") and too_many:
        severity = BLOCKING
        action = (f"More than {options.max_bad_share:.0%} of rows: CX Lens does not publish this. " + action).strip()
    if _nothing_readable(cur, staged, staged_file, plan, check, count):
        severity = BLOCKING
        target_type = dict(plan.targets).get(check.target, contract.TEXT)
        message = (
            f"{source.name}: not one of the {n(count, 'value')} of {where(plan, check.target)} can be read as "
            f"{WHAT_VALUES[target_type]} for {check.target}"
        )
        action = (
            f"Every value of {where(plan, check.target)} in {source.name} is unreadable: CX Lens does not publish a "
            f"column that is wrong throughout. Pick another column or rule for {check.target}, or remove it."
        )
    header = plan.mapping.columns.get(check.target, check.detail)
    return Problem(plan.table, severity, check.code, message, action, count, header, tuple(examples), check.rejects)


def _examples(
    cur: duckdb.DuckDBPyConnection, staged: StagedTable, staged_file: StagedFile, check: Check
) -> tuple[str, list[Example]]:
    """The first rows failing check, named as uploaded with the values that show it; and what the message adds (for steps
    read from one row: how many rows they come from)."""
    source = staged_file.plan.source
    failing = sql(
        "select {} as r, _src as s, rowid as k from {} where {} and (_problems & {}) <> 0",
        Sql(staged_file.row_sql()),
        Sql(staged.name),
        Sql(staged_file.where()),
        lit(check.mask),
    )
    examples_sql = sql("{} order by rowid limit {}", failing, lit(EXAMPLES))
    suffix = ""
    if isinstance(source, steps.LongSource) and source.wide is not None:  # the steps of a row share its row number
        (rows_of,) = cur.execute(*sql("select count(distinct r) from ({})", failing)).fetchone()
        suffix = f" (the steps of {n(rows_of, 'row')} of {source.wide.name})"
        examples_sql = sql("select r, arg_min(s, k) from ({}) group by r order by min(k) limit {}", failing, lit(EXAMPLES))
    samples = [row[:2] for row in cur.execute(*examples_sql).fetchall()]
    examples = []
    for row_number, src in samples:
        value = _source_values(source, src, check.columns)
        if check.code in ("blank_id", "blank_required") or value == "blank":
            context = _context(source, src)
            value = f"blank ({context})" if context else "blank"
        examples.append(Example(source.name, int(row_number), value))
    return suffix, _from_joined_files(cur, source, check.columns, samples, examples)


def _unreadable_lines(staged_file: StagedFile, plan: TablePlan, read: int, options: Options) -> Problem:
    """The lines of a file that could not be read at all, with the first few as examples."""
    source, total = staged_file.plan.source, staged_file.read_rejects_total
    examples = tuple(
        Example(source.name, reject.line, f"{reject.error.split(':')[0].lower()}: {reject.text[:120]!r}")
        for reject in staged_file.read_rejects[:EXAMPLES]
    )
    return Problem(
        plan.table,
        BLOCKING if total > options.max_bad_share * read else WARNING,
        "unreadable_lines",
        f"{source.name}: {n(total, 'line')} cannot be read (e.g. more fields than the header, a quote "
        "never closed, bytes that are not text); they are left out",
        "Check the delimiter and encoding chosen for this file; download the rejected rows to see the lines.",
        total,
        "",
        examples,
        True,
    )


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


def _nothing_readable(
    cur: duckdb.DuckDBPyConnection, staged: StagedTable, staged_file: StagedFile, plan: TablePlan, check: Check, count: int
) -> bool:
    """Whether a rule or behaviour flag could read none of a file's values (every non-blank one unreadable): such a rule
    is wrong throughout, so it blocks instead of publishing a blank column."""
    target = check.target
    if check.code != "unreadable" or not count:
        return False
    if target in plan.mapping.columns and not target.startswith(contract.BEHAVIOUR_PREFIX):
        return False
    readable = cur.execute(f"select count({ident(target)}) from {staged.name} where {staged_file.where()}").fetchall()[0][0]
    return readable == 0


def _delimiter_label(source: SourceFile) -> str:
    """The file's delimiter in words ("comma separated"), or nothing for a file without one."""
    return f"{DELIMITERS[source.delimiter]} separated" if source.delimiter else ""
