"""Staging: each file read once by DuckDB, converted to the contract's types and checked row by row, into memory.

A staged table holds the contract columns the mapping fills (typed), a bit mask of the checks each row
fails (``_problems``), and, for rows that fail any check, the row's original values as text (``_src``)
so examples and rejected rows show exactly what the file held. Staged tables live in an in-memory
database attached to the store's connection; publishing copies the good rows into a version.
"""

from __future__ import annotations

from datetime import date

import duckdb

from dashboard import contract
from dashboard.ingest import limits, sniff
from dashboard.ingest.errors import IngestError
from dashboard.ingest.mapping import TableMapping
from dashboard.ingest.report import Problem
from dashboard.ingest.rules import target_type_of
from dashboard.ingest.sources import SourceFile, value_text
from dashboard.ingest.stage.files import file_plan
from dashboard.ingest.stage.plans import TablePlan
from dashboard.ingest.stage.styles import date_styles, number_style, problem


def samples_by_header(source: SourceFile, rows: list[tuple]) -> dict[str, list[str]]:
    """Header -> its sample values as text (typed values written as text; blanks dropped)."""
    out: dict[str, list[str]] = {}
    for index, header in enumerate(source.headers):
        values = []
        for row in rows:
            value = row[index]
            if value is None:
                continue
            text = value_text(value)
            if text.strip():
                values.append(text)
        out[header] = values
    return out


def plan_table(
    cur: duckdb.DuckDBPyConnection,
    table: str,
    sources: list[SourceFile],
    mapping: TableMapping,
    samples: dict[str, list[str]],
    today: date | None = None,
) -> TablePlan:
    """Decide formats and build each file's staging select; blocking problems for what cannot be staged."""
    plan = TablePlan(table, mapping, list(sources), window=limits.date_window(today))
    try:
        mapping.validate()
    except IngestError as exc:
        plan.problems.append(problem(table, "bad_mapping", str(exc), "Correct the mapping."))
        return plan
    targets = mapping.targets()
    plan.problems.extend(_mapping_problems(table, sources, mapping))
    if plan.blocked:
        return plan
    plan.number = number_style(table, mapping, samples, plan)
    plan.dates = date_styles(cur, table, sources, mapping, samples, plan)
    if plan.blocked:
        return plan
    plan.targets = [(t, target_type_of(table, t)) for t in targets]
    for index, source in enumerate(sources):
        plan.files.append(file_plan(index, source, plan, samples))
    return plan


def _mapping_problems(table: str, sources: list[SourceFile], mapping: TableMapping) -> list[Problem]:
    """What stops the files being staged with the mapping: a file read with the wrong delimiter, a required column not
    mapped, a mapped column a file does not have."""
    spec, targets = contract.TABLES[table], mapping.targets()
    problems: list[Problem] = []
    for source in sources:
        hint = _delimiter_hint(source)
        if hint:
            problems.append(
                problem(
                    table,
                    "wrong_delimiter",
                    f"{source.name}{hint}",
                    'Choose the file\'s delimiter in its read settings (--mapping: "read": {"delimiter": ...}).',
                )
            )
    for required in spec.required:
        if required not in targets:
            column = spec.column(required)
            hint = " (or derive it, e.g. amount = Quantity × UnitPrice)" if required == "amount" else ""
            problems.append(
                problem(
                    table,
                    "missing_required",
                    f"{table}: no column is mapped to {required} ({column.description}), which CX Lens needs",
                    f"Map a column of the file to {required}{hint}.",
                    required,
                )
            )
    misread = {s.name for s in sources if _delimiter_hint(s)}
    for source in sources:
        if source.name in misread:
            continue  # its columns are wrong as a whole: the delimiter problem says so
        needed = [*mapping.columns.values(), *mapping.times.values(), *(h for r in mapping.rules for h in r.sources())]
        for header in dict.fromkeys(needed):
            if header not in source.headers:
                shown = ", ".join(f"'{h}'" for h in source.headers[:20])
                problems.append(
                    problem(
                        table,
                        "missing_column",
                        f"{source.name} has no column '{header}', which the mapping uses; its columns are {shown}",
                        "Map another column, or upload a file with this column.",
                        header,
                    )
                )
    return problems


def _delimiter_hint(source: SourceFile) -> str:
    if source.format != sniff.CSV:
        return ""
    if source.likely_delimiter:
        return (
            f" was read with {sniff.DELIMITERS[source.delimiter]} as delimiter but looks separated by "
            f"{sniff.DELIMITERS[source.likely_delimiter]}: its header is one column, '{source.headers[0][:80]}'"
        )
    if len(source.headers) == 1:
        for delimiter in (",", ";", "\t", "|"):
            if delimiter != source.delimiter and delimiter in source.headers[0]:
                return f" was read as one column, '{source.headers[0][:80]}': it looks separated by {sniff.DELIMITERS[delimiter]}"
    return ""
