"""One row, several touchpoints: a call-log row that passes IVR, queue and agent becomes one touchpoint per step.

The interactions mapping's "steps" list names each step's channel (and journey stage) and the file columns that are
the step's own: its start (ts, a date and time; or time, a time of day added to the shared date column mapped to ts),
its wait (wait_s), handling time (handle_s) and abandoned flag. Every other mapped column (customer, contact id,
reason, resolved, ...) is shared by the row's steps::

    "interactions": {
      "columns": {"customer_id": "Caller", "contact_id": "Call ID", "ts": "Date", "reason": "Reason"},
      "steps": [
        {"channel": "ivr", "time": "IVR start", "handle_s": "IVR time"},
        {"channel": "phone", "stage": "support", "time": "Queue start", "wait_s": "Queue Time", "abandoned": "Abandoned"},
        {"channel": "phone", "stage": "support", "time": "Agent start", "handle_s": "Talk Time"}
      ]
    }

Before staging, each file is rewritten long (one row per step the row reached: a step whose own columns are all blank
is not a touchpoint) with the columns in STEP_HEADERS, and the mapping points at them (with_step_columns). Without a
contact_id the row's number in the file is the contact id, so the steps of one call are one contact (stg_contacts).
The long file's last column, ROW_COLUMN, is each step's row number in the file as uploaded (an Excel or joined file's
own), so the report and the rejected rows name the row the analyst can find (open_long).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import fields as fields_of
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from dashboard.ingest.errors import IngestError
from dashboard.ingest.sources import SourceFile
from dashboard.sql import Sql, ident, join, lit, select_except, sql

OWN = ("ts", "time", "wait_s", "handle_s", "abandoned")
"""What a step can read from its own file column."""

STEP_HEADERS = {
    "contact_id": "Step contact",
    "channel": "Step channel",
    "stage": "Step stage",
    "ts": "Step start",
    "time": "Step time of day",
    "wait_s": "Step wait",
    "handle_s": "Step handling",
    "abandoned": "Step abandoned",
}
"""Columns of the rewritten (long) file: what each step row carries, named so no export's own header clashes."""
ROW_COLUMN = "_row"
"""The long file's last column: the row's number in the file as uploaded (as SourceFile.has_row_column reads it)."""


@dataclass(frozen=True)
class Step:
    """One step of a row: its channel and journey stage labels and its own file columns (OWN target -> header)."""

    channel: str
    stage: str = ""
    columns: tuple[tuple[str, str], ...] = ()

    @property
    def own(self) -> dict[str, str]:
        """OWN target -> file header of this step."""
        return dict(self.columns)

    def to_json(self) -> dict:
        """The step as a mapping file holds it."""
        return {"channel": self.channel, **({"stage": self.stage} if self.stage else {}), **self.own}

    @classmethod
    def from_json(cls, data: object, where: str) -> Step:
        """A step from its mapping-file object; IngestError naming what is wrong."""
        if not isinstance(data, dict):
            raise IngestError(f"{where} must be an object with channel and the step's columns")
        unknown = set(data) - {"channel", "stage", *OWN}
        if unknown:
            raise IngestError(f"{where}: unknown keys {sorted(unknown)}; use channel, stage, {', '.join(OWN)}")
        channel = str(data.get("channel") or "").strip()
        if not channel:
            raise IngestError(f"{where}: name the step's channel (e.g. ivr, phone)")
        own = tuple((k, str(data[k])) for k in OWN if str(data.get(k) or "").strip())
        if not own:
            raise IngestError(f"{where}: a step needs at least one column of its own ({', '.join(OWN)})")
        if dict(own).keys() >= {"ts", "time"}:
            raise IngestError(f"{where}: give the step's start as ts (date and time) or time (time of day), not both")
        return cls(channel, str(data.get("stage") or "").strip(), own)


def parse(data: object, table: str) -> list[Step]:
    """The steps of a mapping section; IngestError when they are not a list of steps or not for interactions."""
    if data in (None, []):
        return []
    if table != "interactions":
        raise IngestError(f"{table}: steps (one row, several touchpoints) are for interactions")
    if not isinstance(data, list):
        raise IngestError("interactions: steps must be a list of steps")
    return [Step.from_json(item, f"interactions: step {k}") for k, item in enumerate(data, start=1)]


def with_step_columns(
    columns: dict[str, str], times: dict[str, str], dates: dict[str, str], steps: list[Step]
) -> tuple[dict, dict, dict]:
    """The columns, times and date orders that read the long file: channel, stage, start and measures from
    STEP_HEADERS, a contact id from the row when none is mapped; the rest as mapped (a date order chosen for a step's
    start or the shared date goes to the step start)."""
    starts = {columns.get("ts")} | {s.own.get("ts") for s in steps}
    orders = {order for header, order in dates.items() if header in starts}
    dates = {h: o for h, o in dates.items() if h not in starts}
    if orders:
        dates[STEP_HEADERS["ts"]] = sorted(orders)[0]
    columns = dict(columns)
    times = dict(times)
    columns["channel"] = STEP_HEADERS["channel"]
    columns["ts"] = STEP_HEADERS["ts"]
    if any(s.stage for s in steps):
        columns["stage"] = STEP_HEADERS["stage"]
    columns.setdefault("contact_id", STEP_HEADERS["contact_id"])
    for target in ("wait_s", "handle_s", "abandoned"):
        if any(target in s.own for s in steps):
            columns[target] = STEP_HEADERS[target]
    if any("time" in s.own for s in steps):
        times["ts"] = STEP_HEADERS["time"]
    return columns, times, dates


def check(steps: list[Step], columns: dict[str, str], headers: tuple[str, ...]) -> None:
    """IngestError when a step's column is not in the file, a step has no start, or the file already has a step header."""
    clash = {*STEP_HEADERS.values(), ROW_COLUMN} & set(headers)
    if clash:
        raise IngestError(f"the file already has a column called {sorted(clash)[0]!r}: rename it to use steps")
    shared_ts = columns.get("ts")
    for number, step in enumerate(steps, start=1):
        for header in step.own.values():
            if header not in headers:
                raise IngestError(f"interactions: step {number} reads '{header}', which the file does not have")
        if "ts" not in step.own and (not shared_ts or shared_ts not in headers):
            raise IngestError(f"interactions: step {number} has no start: give it ts, or map ts to the date its time adds to")


def explode(cur: duckdb.DuckDBPyConnection, source: SourceFile, steps: list[Step], columns: dict[str, str], out: Path) -> int:
    """Write source long to out (Parquet, text columns): one row per step reached, kept columns first, ROW_COLUMN (the
    row's number in source) last; rows written."""
    check(steps, columns, source.headers)
    used = {h for s in steps for h in s.own.values()} - set(columns.values())
    kept = [(source.column_for(h), h) for h in source.headers if h not in used]
    relation = source.relation(lenient=False)
    contact = source.column_for(columns["contact_id"]) if columns.get("contact_id") in source.headers else None
    row = "cast(_row as bigint)" if source.has_row_column else f"_n + {int(source.row_base) - 1}"
    flags = [flag for _, _, flag, _ in source.row_checks()]  # a lookup's match flags: its unmatched rows stay rejected
    parts = []
    for number, step in enumerate(steps, start=1):
        own = {t: source.column_for(h) for t, h in step.own.items()}
        start = own.get("ts") or source.column_for(columns["ts"])
        # file headers are quoted text, never a template: they enter as fixed parts (Sql(...)), values as lit()
        select = [Sql(f"cast({c} as varchar)") for c, _ in kept]
        select.append(Sql(f"coalesce(nullif(trim(cast({contact} as varchar)), ''), 'row ' || _n)" if contact else "'row ' || _n"))
        select += [
            lit(step.channel),
            lit(step.stage or None),
            Sql(f"cast({start} as varchar)"),
            *(Sql(_own_text(own, t)) for t in ("time", "wait_s", "handle_s", "abandoned")),
        ]
        reached = Sql(" or ".join(f"nullif(trim(cast({c} as varchar)), '') is not null" for c in own.values()))
        select.append(Sql(row))
        select += [Sql(f"cast({ident(flag)} as boolean)") for flag in flags]
        parts.append(sql(f"select {{}}, _n, {number} as _step from src where {{}}", join(select), reached))
    targets = ("contact_id", "channel", "stage", "ts", "time", "wait_s", "handle_s", "abandoned")
    names = [h for _, h in kept] + [STEP_HEADERS[t] for t in targets]
    aliases = ", ".join('"' + n.replace('"', '""') + '"' for n in [*names, ROW_COLUMN, *flags, "_n", "_step"])
    query = sql(
        """
        with src as (select *, row_number() over () as _n from {})
        select {} from ({}) as long({})
        order by _n, _step
        """,
        relation,
        select_except(["_n", "_step"]),
        join(parts, " union all "),
        Sql(aliases),
    )
    try:
        table = cur.sql(query.text, params=list(query.params)).to_arrow_table()  # a relation: sql() takes params by name
    except duckdb.Error as exc:
        raise IngestError(f"{source.name}: its steps could not be read: {str(exc).splitlines()[0]}") from None
    pq.write_table(table, out)
    return table.num_rows


@dataclass
class LongSource(SourceFile):
    """A file rewritten one row per step: rows numbered as in the file as uploaded, and the checks that file asks for
    (a lookup's unmatched rows are rejected) on every step of the row."""

    checks: tuple[tuple[str, int, str, str], ...] = ()
    wide: SourceFile | None = None
    """The file as uploaded (or joined), which a version records."""

    def row_checks(self) -> tuple[tuple[str, int, str, str], ...]:
        """The wide file's row checks, on the long file's columns."""
        return self.checks

    def describe(self) -> dict:
        """The file as uploaded, as recorded with a version."""
        return self.wide.describe() if self.wide is not None else super().describe()


def open_long(found: SourceFile, wide: SourceFile) -> LongSource:
    """The long file as opened (found) read with its ROW_COLUMN as each row's number in wide, the file as uploaded, and
    wide's row checks on their flag columns (written after ROW_COLUMN)."""
    if ROW_COLUMN not in found.headers:
        raise IngestError(f"{wide.name}: its steps were written without their row numbers")
    end = found.headers.index(ROW_COLUMN)
    headers = found.headers[:end]
    checks = tuple((code, headers.index(wide.headers[col]), flag, detail) for code, col, flag, detail in wide.row_checks())
    fields = {f.name: getattr(found, f.name) for f in fields_of(SourceFile)}
    fields.update(headers=headers, types=found.types[:end], has_row_column=True, row_base=wide.row_base)
    return LongSource(**fields, checks=checks, wide=wide)


def _own_text(own: dict[str, str], target: str) -> str:
    return f"cast({own[target]} as varchar)" if target in own else "cast(null as varchar)"
