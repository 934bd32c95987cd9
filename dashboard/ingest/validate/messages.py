"""What the report says about a check that rows failed: the message (file, column, count, share) and what to do."""

from __future__ import annotations

from dashboard import contract
from dashboard.ingest import limits
from dashboard.ingest.report import n, verb
from dashboard.ingest.sources import SourceFile
from dashboard.ingest.stage.plans import Check, TablePlan

WHAT_VALUES = {
    contract.NUMBER: "numbers",
    contract.INTEGER: "whole numbers",
    contract.DATE: "dates",
    contract.TIMESTAMP: "dates and times",
    contract.BOOLEAN: "yes/no values",
    contract.TEXT: "text",
}


def _left_out(count: int) -> str:
    """How the message says the rows are left out."""
    return "it is left out" if count == 1 else "they are left out"


def check_message(table: str, check: Check, count: int, rows: int, plan: TablePlan, source: SourceFile) -> tuple[str, str]:
    """The message and the action for a check that rows failed."""
    header = plan.mapping.columns.get(check.target, "")
    column = f"column '{header}'" if header else (f"rule {plan.mapping.source_of(check.target)}" if check.target else "")
    share = f" ({count / rows:.1%} of rows)" if rows else ""
    said = _row_message(check, count, column, share, plan, source) or _value_message(check, count, column, share, plan, source)
    return said or (f"{source.name}: {count:,} rows failed {check.code}", "")


def _row_message(check: Check, count: int, where: str, share: str, plan: TablePlan, source: SourceFile) -> tuple[str, str] | None:
    """The message and action for a check on a row as a whole (no customer ID, no match, fields missing) or
    an unmapped column's blanks; None for others."""
    target, mapping = check.target, plan.mapping
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
    return None


def _value_message(
    check: Check, count: int, where: str, share: str, plan: TablePlan, source: SourceFile
) -> tuple[str, str] | None:
    """The message and action for a check on one column's values (unreadable, blank, implausible); None for others."""
    target, header = check.target, plan.mapping.columns.get(check.target, "")
    target_type = dict(plan.targets).get(target, contract.TEXT)
    if check.code in ("unreadable_required", "unreadable"):
        style = ""
        if header and header in plan.dates:
            style = f", read as {plan.dates[header].label}"
        elif target_type in (contract.NUMBER, contract.INTEGER):
            style = f", read with '{plan.number.decimal}' as decimal separator"
        kept = _left_out(count) if check.rejects else "published blank"
        return (
            f"{source.name}: {n(count, 'value')} of {where} cannot be read as {WHAT_VALUES[target_type]} for "
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
                f"{WHAT_VALUES[target_type]} outside {first:%Y-%m-%d} to {last:%Y-%m-%d} "
                "(e.g. 0224 for 2024, 9999-12-31 for no date)"
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
    return None


def where(plan: TablePlan, target: str) -> str:
    """Where a target comes from, in words: its column, or its rule."""
    header = plan.mapping.columns.get(target, "")
    return f"column '{header}'" if header else f"rule {plan.mapping.source_of(target)}"
