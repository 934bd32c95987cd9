"""Staging: each file read once by DuckDB, converted to the contract's types and checked row by row, into memory.

A staged table holds the contract columns the mapping fills (typed), a bit mask of the checks each row
fails (``_problems``), and, for rows that fail any check, the row's original values as text (``_src``)
so examples and rejected rows show exactly what the file held. Staged tables live in an in-memory
database attached to the store's connection; publishing copies the good rows into a version.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import date

import duckdb

from dashboard import contract
from dashboard.ingest import formats, limits, sniff
from dashboard.ingest.errors import IngestError
from dashboard.ingest.mapping import TableMapping
from dashboard.ingest.report import BLOCKING, Example, Problem
from dashboard.ingest.rules import rule_sql, target_type_of
from dashboard.ingest.sources import SourceFile, read_error_message
from dashboard.ingest.vocab import vocabulary_for
from dashboard.sql import Sql, ident, join, list_contains, list_count, lit, sql

STAGING_DB = "cxlens_staging"
"""The in-memory database attached to the store's connection that holds staged tables."""

IDENTIFIERS = {"customer_id", "transaction_id"}
MAX_CHECKS = 62
SAMPLE_ROWS = 20_000


def ensure_staging(cur: duckdb.DuckDBPyConnection) -> None:
    """Attach the in-memory staging database (once per connection's database)."""
    cur.execute(f"attach if not exists ':memory:' as {STAGING_DB}")


@dataclass(frozen=True)
class Check:
    """One check run on every row of a file: its bit in _problems, what it means, the file columns that show it."""

    bit: int
    code: str
    target: str
    columns: tuple[int, ...]
    condition: str
    rejects: bool
    detail: str = ""

    @property
    def mask(self) -> int:
        """The check's bit as a number."""
        return 1 << self.bit


@dataclass
class FilePlan:
    """How one file is staged: the conversions and checks run on each of its rows."""

    index: int
    source: SourceFile
    columns: Sql
    """The converted targets, blank flags and raw columns, selected from the file."""
    outer: str
    """The select that adds _problems and _src, with {} where the select from the file goes."""
    checks: tuple[Check, ...]

    def select(self, rejects: tuple[str, str] | None = None) -> Sql:
        """The staging select, reading the file (keeping unreadable lines in the rejects tables, when named)."""
        relation = self.source.relation(rejects)
        inner = sql("select {} from {}", self.columns, relation)
        return sql(self.outer, inner)

    @property
    def reject_mask(self) -> int:
        """Bits of the checks that leave a row out of the publish."""
        return sum(c.mask for c in self.checks if c.rejects)


@dataclass
class TablePlan:
    """How a table's files are staged, with the formats chosen and the problems found while planning."""

    table: str
    mapping: TableMapping
    sources: list[SourceFile] = field(default_factory=list)
    targets: list[tuple[str, str]] = field(default_factory=list)
    files: list[FilePlan] = field(default_factory=list)
    number: formats.NumberStyle = field(default_factory=formats.NumberStyle)
    dates: dict[str, formats.DateStyle] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    window: tuple[date, date] = field(default_factory=limits.date_window)
    """The plausible dates (limits.date_window): others are rejected (required columns) or published blank."""

    @property
    def blocked(self) -> bool:
        """Whether a problem found while planning stops the table from being staged."""
        return any(p.blocking for p in self.problems)

    @property
    def key(self) -> str:
        """A hash of what staging would run: staged tables built from the same key are current."""
        text = "|".join(f"{f.source.read_path}:{f.select().text}:{f.select().params!r}" for f in self.files)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def flags(self) -> list[str]:
        """Behaviour flag targets (customers only), in the order they are stored."""
        return [t for t, _ in self.targets if t.startswith(contract.BEHAVIOUR_PREFIX)]

    @property
    def attributes(self) -> list[str]:
        """Kept attribute targets a_<key> (customers only), stored as text after the flags."""
        return [t for t, _ in self.targets if t.startswith(contract.ATTRIBUTE_PREFIX)]

    @property
    def has_row(self) -> bool:
        """Whether a file carries its own row numbers (Excel), so the staged table keeps a _row column."""
        return any(s.has_row_column for s in self.sources)

    @property
    def present(self) -> tuple[str, ...]:
        """Contract columns and flags the mapping fills, as recorded with a published version."""
        return tuple(t for t, _ in self.targets)

    @property
    def label_targets(self) -> list[str]:
        """Targets whose values are vocabulary labels (mapped at publish)."""
        return [t for t, _ in self.targets if vocabulary_for(self.table, t) is not None]


def samples_by_header(source: SourceFile, rows: list[tuple]) -> dict[str, list[str]]:
    """Header -> its sample values as text (typed values written as text; blanks dropped)."""
    out: dict[str, list[str]] = {}
    for i, header in enumerate(source.headers):
        values = []
        for row in rows:
            value = row[i]
            if value is None:
                continue
            text = formats_text(value)
            if text.strip():
                values.append(text)
        out[header] = values
    return out


def formats_text(value: object) -> str:
    """A sample value as text, whole floats without ".0"."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _problem(table: str, code: str, message: str, action: str, column: str = "", example: str = "") -> Problem:
    examples = (Example("", 0, example),) if example else ()
    return Problem(table, BLOCKING, code, message, action, 0, column, examples)


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
        plan.problems.append(_problem(table, "bad_mapping", str(exc), "Correct the mapping."))
        return plan
    spec = contract.TABLES[table]
    targets = mapping.targets()
    for source in sources:
        hint = _delimiter_hint(source)
        if hint:
            plan.problems.append(
                _problem(
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
            plan.problems.append(
                _problem(
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
                plan.problems.append(
                    _problem(
                        table,
                        "missing_column",
                        f"{source.name} has no column '{header}', which the mapping uses; its columns are {shown}",
                        "Map another column, or upload a file with this column.",
                        header,
                    )
                )
    if plan.blocked:
        return plan
    plan.number = _number_style(table, mapping, samples, plan)
    plan.dates = _date_styles(cur, table, sources, mapping, samples, plan)
    if plan.blocked:
        return plan
    plan.targets = [(t, target_type_of(table, t)) for t in targets]
    for index, source in enumerate(sources):
        plan.files.append(_file_plan(index, source, plan, samples))
    return plan


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


def _numeric_headers(table: str, mapping: TableMapping) -> list[str]:
    headers = []
    for target, header in mapping.columns.items():
        if target_type_of(table, target) in (contract.NUMBER, contract.INTEGER):
            headers.append(header)
    for rule in mapping.rules:
        if rule.kind in ("product", "at_least", "months_before"):
            headers.extend(rule.sources())
    return headers


def _number_style(table: str, mapping: TableMapping, samples: dict[str, list[str]], plan: TablePlan) -> formats.NumberStyle:
    values = [v for h in _numeric_headers(table, mapping) for v in samples.get(h, [])[:2000]]
    guess = formats.guess_numbers(values)
    decimal = guess.style.decimal if mapping.decimal == "auto" else mapping.decimal
    thousands = guess.style.thousands if mapping.thousands == "auto" else mapping.thousands
    if decimal == thousands:
        thousands = ""
    if guess.ambiguous_example and mapping.decimal == "auto":
        plan.problems.append(
            _problem(
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


def _date_styles(
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
            styles[header] = formats.style_for(mapping.dates[header], cur, values)
            continue
        kinds = {formats.kind_of(s.type_of(header)) for s in sources}
        if kinds & {formats.DATE, formats.TIMESTAMP}:
            styles[header] = formats.DateStyle("iso")
            continue
        guess = formats.guess_dates(cur, values)
        if guess.ambiguous == ("day-first", "month-first"):
            guess = _settle_on_whole_files(cur, sources, header, guess)
        if guess.ambiguous:
            first, second = (formats.DATE_ORDERS[o] for o in guess.ambiguous)
            words = "day first or month first" if guess.ambiguous == ("day-first", "month-first") else f"{first} or {second}"
            plan.problems.append(
                _problem(
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


def _settle_on_whole_files(
    cur: duckdb.DuckDBPyConnection, sources: list[SourceFile], header: str, guess: formats.DateGuess
) -> formats.DateGuess:
    """Day first or month first, decided over every value of the column (the sample could not tell them apart).

    The order that reads more values wins; when both read every value, they must give the same dates
    everywhere (day = month) for the answer to be day first, else the analyst is asked.
    """
    day = formats.style_for("day-first").formats
    month = formats.style_for("month-first").formats
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
            return formats.DateGuess(None, guess.ambiguous, guess.parsed_share, example)
        return formats.DateGuess(formats.style_for("day-first"), (), guess.parsed_share)
    order = min(failures, key=failures.get)
    return formats.DateGuess(formats.style_for(order), (), guess.parsed_share)


def _file_plan(index: int, source: SourceFile, plan: TablePlan, samples: dict[str, list[str]]) -> FilePlan:
    table, mapping, spec = plan.table, plan.mapping, contract.TABLES[plan.table]
    columns = {h: (c, formats.kind_of(t)) for h, c, t in zip(source.headers, source.columns, source.types, strict=True)}
    level1: list[Sql] = []
    checks: list[Check] = []
    blanked: dict[str, int] = {}

    def add_check(code: str, target: str, cols: tuple[int, ...], condition: str, rejects: bool, detail: str = "") -> None:
        if len(checks) < MAX_CHECKS:
            checks.append(Check(len(checks), code, target, cols, condition, rejects, detail))

    for i, (target, target_type) in enumerate(plan.targets):
        required = target in spec.required
        name = ident(target)
        if target in mapping.columns:
            header = mapping.columns[target]
            col, kind = columns[header]
            as_label = vocabulary_for(table, target) is not None
            converted = formats.convert(
                col,
                kind,
                target_type,
                number=plan.number,
                date=plan.dates.get(header, formats.DateStyle()),
                identifier=target in IDENTIFIERS and not as_label,
            )
            used = (source.headers.index(header),)
            if target in mapping.times:
                time_col, time_kind = columns[mapping.times[target]]
                converted = formats.with_time(converted, formats.time_of_day(time_col, time_kind))
                used = (*used, source.headers.index(mapping.times[target]))
            direct = True
        else:
            rule = next(r for r in mapping.rules if r.target == target)
            prefix = f"{index + 1}-" if len(plan.sources) > 1 else ""
            converted = rule_sql(rule, table, columns, plan.number, prefix)
            used = tuple(source.headers.index(h) for h in rule.sources())
            direct = False
        if target == "customer_id" and mapping.anonymous:
            # an anonymous ID (0, unknown, a blank when listed) is published as null: the row counts, it is no customer
            words = [w.strip().lower() for w in mapping.anonymous]
            anonymous = sql("coalesce({}, false)", list_contains(lit(words), sql("lower({})", converted.value)))
            if "" in words:
                anonymous = sql("({} or {})", anonymous, converted.blank)
            level1.append(sql("{} as _anon", anonymous))
            converted = formats.Converted(
                sql("case when {} then null else {} end", anonymous, converted.value),
                sql("({} and not {})", converted.blank, anonymous),
            )
            add_check("anonymous_id", target, used, "_anon", False)
        level1.append(sql(f"{{}} as {name}", converted.value))
        level1.append(sql(f"{{}} as _blank{i}", converted.blank))
        if required:
            code = "blank_id" if target == "customer_id" else "blank_required"
            add_check(code, target, used, f"_blank{i}", True)
        if target_type != contract.TEXT:
            code = "unreadable_required" if required else "unreadable"
            add_check(code, target, used, f"(not _blank{i} and {name} is null)", required)
        by_step = plan.mapping.steps and target in ("wait_s", "handle_s")  # a step without a wait has none: no news
        if direct and not required and target_type in (contract.NUMBER, contract.INTEGER) and not by_step:
            add_check("blank_number", target, used, f"_blank{i}", False)
        implausible = _implausible_sql(name, target_type, plan.window)
        if implausible:
            code = "implausible_date" if target_type in (contract.DATE, contract.TIMESTAMP) else "implausible_number"
            before = len(checks)
            add_check(code, target, used, implausible, required)
            if not required and len(checks) > before:
                blanked[target] = checks[-1].mask  # an optional value that is not plausible is published blank
    for code, column, flag, detail in source.row_checks():
        level1.append(Sql(ident(flag)))
        add_check(code, "", (column,), f"not {ident(flag)}", True, detail)
    used_headers = set(mapping.columns.values()) | set(mapping.times.values()) | {h for r in mapping.rules for h in r.sources()}
    raw_cols = [Sql(c) for c in source.columns]
    if source.format == sniff.CSV:
        last, extra = source.columns[-1], f"c{len(source.columns)}"
        raw_cols.append(Sql(extra))
        add_check("short_row", "", (), f"{last} is null", True)
        add_check("long_row", "", (len(source.columns),), f"{extra} is not null", True)
    for j, header in enumerate(source.headers):
        if header in used_headers:
            continue
        col, kind = columns[header]
        numeric = kind in (formats.INTEGER, formats.FLOAT) or (
            kind == formats.TEXT and formats.looks_numeric(samples.get(header, []), plan.number)
        )
        if numeric:
            add_check("unmapped_blank", "", (j,), formats.blank_sql(col, kind).text, False, header)
    if source.has_row_column:
        raw_cols.append(Sql("_row"))
    level1.extend(raw_cols)
    gates = [ident(flag) for _, _, flag, _ in source.row_checks()]
    if gates:  # a row a lookup found no match for is rejected for that alone (its looked-up columns are blank)
        gate = " and ".join(gates)
        checks = [c if c.code == "lookup_unmatched" else replace(c, condition=f"(({c.condition}) and {gate})") for c in checks]
    mask = " + ".join(f"(case when {c.condition} then {c.mask} else 0 end)" for c in checks) or "0"
    reject_mask = sum(c.mask for c in checks if c.rejects)
    filled = dict(plan.targets)
    out = [
        f"cast({_kept(ident(c.name), blanked.get(c.name))} as {c.sql_type}) as {ident(c.name)}"
        if c.name in filled
        else f"cast(null as {c.sql_type}) as {ident(c.name)}"
        for c in spec.columns
    ]
    out += [f"cast({ident(flag)} as boolean) as {ident(flag)}" for flag in plan.flags]
    out += [f"cast({ident(a)} as varchar) as {ident(a)}" for a in plan.attributes]
    src_list = ", ".join(
        f"cast({c} as varchar)" for c in [*source.columns, *([f"c{len(source.columns)}"] if source.format == sniff.CSV else [])]
    )
    out += [
        "_problems",
        f"(_problems & {reject_mask}) <> 0 as _rejected",
        f"case when _problems <> 0 then [{src_list}] end as _src",
    ]
    if plan.has_row:
        out.append("_row" if source.has_row_column else "cast(null as bigint) as _row")
    outer = f"""
        select {", ".join(out)}
        from (select *, cast({mask} as bigint) as _problems from ({{}}))
        """
    return FilePlan(index, source, join(level1), outer, tuple(checks))


def _implausible_sql(name: str, target_type: str, window: tuple[date, date]) -> str:
    """SQL condition: the converted value is outside what customer data holds (dates outside the window; numbers NaN,
    infinite or beyond ± MAX_ABS_NUMBER); "" for types without such a check."""
    if target_type in (contract.DATE, contract.TIMESTAMP):
        first, last = window
        return f"({name} < date '{first.isoformat()}' or {name} >= date '{last.isoformat()}' + interval 1 day)"
    if target_type in (contract.NUMBER, contract.INTEGER):
        return f"(not isfinite(cast({name} as double)) or abs(cast({name} as double)) > {limits.MAX_ABS_NUMBER:.0f})"
    return ""


def _kept(name: str, mask: int | None) -> str:
    """The column's value, or null on rows where the check with mask (an implausible optional value) failed."""
    return name if mask is None else f"case when (_problems & {int(mask)}) = 0 then {name} end"


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
        return [max(0, r.line - base - k) for k, r in enumerate(sorted(self.read_rejects, key=lambda r: r.line))]

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
    for k, file_plan in enumerate(plan.files):
        step = prog.part(progress, k / len(plan.files), (k + 1) / len(plan.files))
        source = file_plan.source
        rejects = (f"{rejects_base}_{k}", f"{rejects_base}_{k}_scan") if source.format == sniff.CSV else None
        select = file_plan.select(rejects)
        statement = sql(f"create or replace table {name} as {{}}" if k == 0 else f"insert into {name} {{}}", select)
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
