"""How a table's numbers and dates are written, decided from the samples (or the mapping) before staging: the
decimal and thousands separators, each date column's order; a blocking problem where the values cannot tell."""

from __future__ import annotations

import duckdb

from dashboard import contract
from dashboard.ingest import formats
from dashboard.ingest.guess import DateGuess, guess_dates, guess_numbers, style_for
from dashboard.ingest.mapping import TableMapping
from dashboard.ingest.report import BLOCKING, Example, Problem
from dashboard.ingest.rules import target_type_of
from dashboard.ingest.sources import SourceFile
from dashboard.ingest.stage.plans import TablePlan
from dashboard.sql import Sql, lit, sql


def problem(table: str, code: str, message: str, action: str, column: str = "", example: str = "") -> Problem:
    examples = (Example("", 0, example),) if example else ()
    return Problem(table, BLOCKING, code, message, action, 0, column, examples)


def _numeric_headers(table: str, mapping: TableMapping) -> list[str]:
    headers = []
    for target, header in mapping.columns.items():
        if target_type_of(table, target) in (contract.NUMBER, contract.INTEGER):
            headers.append(header)
    for rule in mapping.rules:
        if rule.kind in ("product", "at_least", "months_before"):
            headers.extend(rule.sources())
    return headers


def number_style(table: str, mapping: TableMapping, samples: dict[str, list[str]], plan: TablePlan) -> formats.NumberStyle:
    values = [v for h in _numeric_headers(table, mapping) for v in samples.get(h, [])[:2000]]
    guess = guess_numbers(values)
    decimal = guess.style.decimal if mapping.decimal == "auto" else mapping.decimal
    thousands = guess.style.thousands if mapping.thousands == "auto" else mapping.thousands
    if decimal == thousands:
        thousands = ""
    if guess.ambiguous_example and mapping.decimal == "auto":
        plan.problems.append(
            problem(
                table,
                "ambiguous_numbers",
                f"{table}: numbers like '{guess.ambiguous_example}' could mean "
                f"{guess.ambiguous_example.replace(',', '').replace('.', '')} "
                f"or a decimal fraction; CX Lens does not guess",
                "Choose the decimal separator for this table ('.' or ',').",
                example=guess.ambiguous_example,
            )
        )
    return formats.NumberStyle(decimal, thousands).validate()


def _date_headers(table: str, mapping: TableMapping) -> list[str]:
    return [h for t, h in mapping.columns.items() if target_type_of(table, t) in (contract.DATE, contract.TIMESTAMP)]


def date_styles(
    cur: duckdb.DuckDBPyConnection,
    table: str,
    sources: list[SourceFile],
    mapping: TableMapping,
    samples: dict[str, list[str]],
    plan: TablePlan,
) -> dict[str, formats.DateStyle]:
    styles = {}
    for header in dict.fromkeys(_date_headers(table, mapping)):
        values = samples.get(header, [])[:5000]
        if header in mapping.dates:
            styles[header] = style_for(mapping.dates[header], cur, values)
            continue
        kinds = {formats.kind_of(s.type_of(header)) for s in sources}
        if kinds & {formats.DATE, formats.TIMESTAMP}:
            styles[header] = formats.DateStyle("iso")
            continue
        guess = guess_dates(cur, values)
        if guess.ambiguous == ("day-first", "month-first"):
            guess = _settle_on_whole_files(cur, sources, header, guess)
        if guess.ambiguous:
            first, second = (formats.DATE_ORDERS[o] for o in guess.ambiguous)
            words = "day first or month first" if guess.ambiguous == ("day-first", "month-first") else f"{first} or {second}"
            plan.problems.append(
                problem(
                    table,
                    "ambiguous_dates",
                    f"{table}: dates in '{header}' like '{guess.example}' could be {words}; CX Lens does not guess",
                    f"Choose how '{header}' writes dates: {first} or {second}.",
                    header,
                    guess.example,
                )
            )
            continue
        styles[header] = guess.style or formats.DateStyle("iso")
    return styles


def _settle_on_whole_files(cur: duckdb.DuckDBPyConnection, sources: list[SourceFile], header: str, guess: DateGuess) -> DateGuess:
    """Day first or month first, decided over every value of the column (the sample could not tell them apart).

    The order that reads more values wins; when both read every value, they must give the same dates
    everywhere (day = month) for the answer to be day first, else the analyst is asked.
    """
    day = style_for("day-first").formats
    month = style_for("month-first").formats
    failures = {"day-first": 0, "month-first": 0}
    example = ""
    for source in sources:
        col = source.column_for(header)
        relation = source.relation(lenient=True)
        query = sql(
            """
            select count(*) filter (where try_strptime(trim({col}), {day}) is null),
                   count(*) filter (where try_strptime(trim({col}), {month}) is null),
                   min({col}) filter (where try_strptime(trim({col}), {day}) is distinct from try_strptime(trim({col}), {month}))
            from {relation} where {col} is not null and trim({col}) <> ''
            """,
            col=Sql(col),
            day=lit(day),
            month=lit(month),
            relation=relation,
        )
        row = cur.execute(*query).fetchall()[0]
        failures["day-first"] += row[0]
        failures["month-first"] += row[1]
        example = example or (row[2] or "")
    if failures["day-first"] == failures["month-first"]:
        if example:
            return DateGuess(None, guess.ambiguous, guess.parsed_share, example)
        return DateGuess(style_for("day-first"), (), guess.parsed_share)
    order = min(failures, key=failures.get)
    return DateGuess(style_for(order), (), guess.parsed_share)
