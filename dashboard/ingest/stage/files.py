"""How one file is staged: the SQL converting each mapped column to its contract type and the checks run on every row
(blank or unreadable required values, implausible dates and numbers, rows cut short or too long, unmatched lookups)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from dashboard import contract
from dashboard.ingest import formats, limits, sniff
from dashboard.ingest.guess import looks_numeric
from dashboard.ingest.rules import rule_sql
from dashboard.ingest.sources import SourceFile
from dashboard.ingest.stage.plans import IDENTIFIERS, MAX_CHECKS, Check, FilePlan, TablePlan
from dashboard.ingest.vocab import vocabulary_for
from dashboard.sql import Sql, ident, join, list_contains, lit, sql


class _Checks:
    """The checks of one file as they are added (at most MAX_CHECKS: one bit each in a bigint), and the optional targets
    published blank where their value is not plausible (target -> the mask of that check)."""

    def __init__(self) -> None:
        self.checks: list[Check] = []
        self.blanked: dict[str, int] = {}

    def add(self, code: str, target: str, columns: tuple[int, ...], condition: str, rejects: bool, detail: str = "") -> bool:
        """Add a check; False when the file already has MAX_CHECKS."""
        if len(self.checks) >= MAX_CHECKS:
            return False
        self.checks.append(Check(len(self.checks), code, target, columns, condition, rejects, detail))
        return True


def file_plan(index: int, source: SourceFile, plan: TablePlan, samples: dict[str, list[str]]) -> FilePlan:
    """The staging select of the file at index: every target converted, with a blank flag and its checks, then the raw
    columns; the outer select adds the problems bit mask, whether the row is rejected and its original values."""
    columns = {h: (c, formats.kind_of(t)) for h, c, t in zip(source.headers, source.columns, source.types, strict=True)}
    checks = _Checks()
    converted_columns: list[Sql] = []
    for position, (target, target_type) in enumerate(plan.targets):
        converted_columns += _target_columns(index, position, target, target_type, source, plan, columns, checks)
    for code, column, flag, detail in source.row_checks():
        converted_columns.append(Sql(ident(flag)))
        checks.add(code, "", (column,), f"not {ident(flag)}", True, detail)
    converted_columns += _raw_columns(source, plan, samples, columns, checks)
    final = checks.checks
    gates = [ident(flag) for _, _, flag, _ in source.row_checks()]
    if gates:  # a row a lookup found no match for is rejected for that alone (its looked-up columns are blank)
        gate = " and ".join(gates)
        final = [c if c.code == "lookup_unmatched" else replace(c, condition=f"(({c.condition}) and {gate})") for c in final]
    return FilePlan(index, source, join(converted_columns), _outer_select(source, plan, final, checks.blanked), tuple(final))


def _converted(
    index: int, target: str, target_type: str, source: SourceFile, plan: TablePlan, columns: dict
) -> tuple[formats.Converted, tuple[int, ...], bool]:
    """A target's value from its column (with its time-of-day column) or its rule; the file columns it reads; whether it
    is a column as mapped (not a rule)."""
    table, mapping = plan.table, plan.mapping
    if target in mapping.columns:
        header = mapping.columns[target]
        column, kind = columns[header]
        as_label = vocabulary_for(table, target) is not None
        converted = formats.convert(
            column,
            kind,
            target_type,
            number=plan.number,
            date=plan.dates.get(header, formats.DateStyle()),
            identifier=target in IDENTIFIERS and not as_label,
        )
        used = (source.headers.index(header),)
        if target in mapping.times:
            time_column, time_kind = columns[mapping.times[target]]
            converted = formats.with_time(converted, formats.time_of_day(time_column, time_kind))
            used = (*used, source.headers.index(mapping.times[target]))
        return converted, used, True
    rule = next(r for r in mapping.rules if r.target == target)
    prefix = f"{index + 1}-" if len(plan.sources) > 1 else ""
    return rule_sql(rule, table, columns, plan.number, prefix), tuple(source.headers.index(h) for h in rule.sources()), False


def _target_columns(
    index: int,
    position: int,
    target: str,
    target_type: str,
    source: SourceFile,
    plan: TablePlan,
    columns: dict,
    checks: _Checks,
) -> list[Sql]:
    """The staging columns of one target (its value, its blank flag _blank<position>, an anonymous-ID flag) and its
    checks: blank when required, unreadable, blank number, implausible."""
    required = target in contract.TABLES[plan.table].required
    name = ident(target)
    converted, used, direct = _converted(index, target, target_type, source, plan, columns)
    out: list[Sql] = []
    if target == "customer_id" and plan.mapping.anonymous:
        # an anonymous ID (0, unknown, a blank when listed) is published as null: the row counts, it is no customer
        words = [w.strip().lower() for w in plan.mapping.anonymous]
        anonymous = sql("coalesce({}, false)", list_contains(lit(words), sql("lower({})", converted.value)))
        if "" in words:
            anonymous = sql("({} or {})", anonymous, converted.blank)
        out.append(sql("{} as _anon", anonymous))
        converted = formats.Converted(
            sql("case when {} then null else {} end", anonymous, converted.value),
            sql("({} and not {})", converted.blank, anonymous),
        )
        checks.add("anonymous_id", target, used, "_anon", False)
    out.append(sql(f"{{}} as {name}", converted.value))
    out.append(sql(f"{{}} as _blank{position}", converted.blank))
    if required:
        checks.add("blank_id" if target == "customer_id" else "blank_required", target, used, f"_blank{position}", True)
    if target_type != contract.TEXT:
        code = "unreadable_required" if required else "unreadable"
        checks.add(code, target, used, f"(not _blank{position} and {name} is null)", required)
    by_step = plan.mapping.steps and target in ("wait_s", "handle_s")  # a step without a wait has none: no news
    if direct and not required and target_type in (contract.NUMBER, contract.INTEGER) and not by_step:
        checks.add("blank_number", target, used, f"_blank{position}", False)
    implausible = _implausible_sql(name, target_type, plan.window)
    if implausible:
        code = "implausible_date" if target_type in (contract.DATE, contract.TIMESTAMP) else "implausible_number"
        if checks.add(code, target, used, implausible, required) and not required:
            checks.blanked[target] = checks.checks[-1].mask  # an optional value that is not plausible is published blank
    return out


def _raw_columns(source: SourceFile, plan: TablePlan, samples: dict[str, list[str]], columns: dict, checks: _Checks) -> list[Sql]:
    """The file's own columns as read (and the field past the last, for text files: a row too long), with the checks on
    them: a row cut short or too long, blanks in a numeric column nothing maps."""
    mapping = plan.mapping
    used_headers = set(mapping.columns.values()) | set(mapping.times.values()) | {h for r in mapping.rules for h in r.sources()}
    raw_columns = [Sql(c) for c in source.columns]
    if source.format == sniff.CSV:
        last, extra = source.columns[-1], f"c{len(source.columns)}"
        raw_columns.append(Sql(extra))
        checks.add("short_row", "", (), f"{last} is null", True)
        checks.add("long_row", "", (len(source.columns),), f"{extra} is not null", True)
    for position, header in enumerate(source.headers):
        if header in used_headers:
            continue
        column, kind = columns[header]
        numeric = kind in (formats.INTEGER, formats.FLOAT) or (
            kind == formats.TEXT and looks_numeric(samples.get(header, []), plan.number)
        )
        if numeric:
            checks.add("unmapped_blank", "", (position,), formats.blank_sql(column, kind).text, False, header)
    if source.has_row_column:
        raw_columns.append(Sql("_row"))
    return raw_columns


def _outer_select(source: SourceFile, plan: TablePlan, checks: list[Check], blanked: dict[str, int]) -> str:
    """The select over the converted columns ({} where they go): the contract's columns typed (implausible optional
    values blank), flags and attributes, _problems, _rejected, and _src (the row's original values, for failing rows)."""
    mask = " + ".join(f"(case when {c.condition} then {c.mask} else 0 end)" for c in checks) or "0"
    reject_mask = sum(c.mask for c in checks if c.rejects)
    filled = dict(plan.targets)
    out = [
        f"cast({_kept(ident(c.name), blanked.get(c.name))} as {c.sql_type}) as {ident(c.name)}"
        if c.name in filled
        else f"cast(null as {c.sql_type}) as {ident(c.name)}"
        for c in contract.TABLES[plan.table].columns
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
    return f"""
        select {", ".join(out)}
        from (select *, cast({mask} as bigint) as _problems from ({{}}))
        """


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
