"""Several files of one table brought together on a key: joined (columns added) or looked up (rows without a match rejected).

The files are read into the staging database, matched on their keys (identifiers compared as text, 17850.0 = 17850),
and the first file's rows, in file order, are written with every file's columns to one Parquet file that the
rest of the upload reads as the table's only file (a JoinedSource). Match rates, repeated keys and the rows
without a match are counted on the way: the report shows them and the unmatched rows can be downloaded.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dashboard.ingest import formats, limits, sniff
from dashboard.ingest.errors import IngestError
from dashboard.ingest.joinspec import JOIN, LOOKUP, JoinSpec
from dashboard.ingest.report import BLOCKING, NOTE, WARNING, Example, Problem, n, verb
from dashboard.ingest.sources import SourceFile, value_text
from dashboard.sql import Sql, ident, lit, select_except, sql, unnest

STAGING_DB = "cxlens_staging"  # stage.plans.STAGING_DB (stage imports the mapping, which imports the join spec)
EXAMPLES = 5


@dataclass(frozen=True)
class MemberStats:
    """How one file after the first matched: its key, the first file's column it matched, and the counts."""

    position: int
    label: str
    how: str
    key: str
    on: str
    rows: int
    matched: int
    """Rows of the first file that found a row here."""
    only_first: int
    """Rows of the first file that found none (blank keys included)."""
    only_here: int
    """Rows here whose key the first file lacks (blank keys included)."""
    repeated: int
    """Rows here that repeat a key already on an earlier row here."""
    repeated_example: str = ""

    @property
    def first_rows(self) -> int:
        """Rows of the first file."""
        return self.matched + self.only_first


@dataclass
class JoinedSource(SourceFile):
    """The files of a join read as one: the first file's rows with every file's columns, written to Parquet."""

    members: tuple[SourceFile, ...] = ()
    labels: tuple[str, ...] = ()
    spec: JoinSpec | None = None
    stats: tuple[MemberStats, ...] = ()
    problems: tuple[Problem, ...] = ()
    unmatched: tuple[dict, ...] = ()
    """Rows without a match, for download: file, row, problem, then the row's values by header."""
    flags: tuple[tuple[int, str], ...] = ()
    """(position, flag column) of each looked-up file: the flag is false on first-file rows it has no match for."""

    def relation(self, rejects: tuple[str, str] | None = None, *, lenient: bool = False) -> Sql:
        """SQL reading the joined rows with columns c0.., _row (the first file's row number) and the lookup flags."""
        return sql("read_parquet({}) as src({})", lit(str(self.read_path)), Sql(", ".join(self.columns)))

    def describe(self) -> dict:
        """The first file as recorded with a version, with the files joined to it."""
        record = self.members[0].describe()
        record["joined"] = [
            {**member.describe(), "how": stats.how, "key": stats.key, "on": stats.on}
            for member, stats in zip(self.members[1:], self.stats, strict=True)
        ]
        return record

    def row_checks(self) -> tuple[tuple[str, int, str, str], ...]:
        """Lookups: a first-file row without a match is rejected (code, first-file column, flag column, lookup file)."""
        out = []
        for position, flag in self.flags:
            stats = self.stats[position - 1]
            out.append(("lookup_unmatched", self.headers.index(stats.on), flag, stats.label))
        return tuple(out)


def member_label(source: SourceFile, by_sheet: bool) -> str:
    """How a file of a join is named in messages: its name, and its sheet when the files are sheets of one workbook."""
    return f"{source.name}, sheet '{source.sheet}'" if by_sheet and source.sheet else source.name


def _need(source: SourceFile, label: str, header: str, what: str) -> int:
    if header not in source.headers:
        shown = ", ".join(f"'{h}'" for h in source.headers[:20])
        raise IngestError(
            f"{label} has no column '{header}' ({what}); its columns are {shown}: pick its key column in the join settings"
        )
    return source.headers.index(header)


def _beside(name: str, suffix: str) -> str:
    """The name of a helper table next to a quoted staging table: cxlens_staging."jx_1" -> cxlens_staging."jx_1k"."""
    return f'{name[:-1]}{suffix}"'


def _key_sql(alias: str, source: SourceFile, index: int) -> str:
    """SQL of a file's key cell as an identifier (text, 17850.0 written as 17850, blank as null)."""
    kind = formats.kind_of(source.types[index])
    return formats.identifier_value(f"{alias}.c{index}", kind).value.text


def _position_sql(cur: duckdb.DuckDBPyConnection, table: str, source: SourceFile, alias: str) -> str:
    """SQL of each row's row number in its file (Excel rows carry theirs; others count from the first data row)."""
    if source.has_row_column:
        return f"{alias}._row"
    first = cur.execute(f"select coalesce(min(rowid), 0) from {table}").fetchall()[0][0]
    return f"({alias}.rowid - {int(first)} + {int(source.row_base)})"


def build(
    cur: duckdb.DuckDBPyConnection, table: str, members: list[SourceFile], spec: JoinSpec, target: Path, *, by_sheet: bool = False
) -> JoinedSource:
    """The members joined as spec says, written to target (Parquet); IngestError naming the file and column when a key
    column is missing or the files are too few."""
    spec = spec.validate(table)
    labels = [member_label(m, by_sheet) for m in members]
    if len(members) < 2:
        raise IngestError(
            f"{table}: the mapping joins files on '{spec.key}' but only {labels[0] if labels else 'no file'} came: "
            "upload the other files too, or remove the join"
        )
    if len(spec.files) > len(members) - 1:
        raise IngestError(
            f"{table}: the join describes {len(spec.files) + 1} files but {len(members)} came: upload the others, or remove them "
            "from the join"
        )
    token = uuid.uuid4().hex[:10]
    temp = [f"{STAGING_DB}.{ident(f'j{token}_{k}')}" for k in range(len(members))]
    try:
        for name, member in zip(temp, members, strict=True):
            relation = member.relation()
            try:
                cur.execute(*sql(f"create or replace table {name} as select * from {{}}", relation))
            except duckdb.Error as exc:
                raise IngestError(f"{member.name} could not be read for the join: {str(exc).splitlines()[0]}") from None
        return _joined(cur, table, members, labels, spec, temp, target)
    finally:
        for name in [*temp, *(_beside(t, s) for t in temp[1:] for s in ("k", "f"))]:
            cur.execute(f"drop table if exists {name}")


@dataclass
class _Joined:
    """What the join builds up file by file: the joined table's columns (header, type, select), its left joins, the
    lookup flags, and per file its counts, report lines and rows without a match."""

    headers: list[str]
    types: list[str]
    selects: list[str]
    joins: list[str] = field(default_factory=list)
    flags: list[tuple[int, str]] = field(default_factory=list)
    stats: list[MemberStats] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unmatched: list[dict] = field(default_factory=list)


def _joined(
    cur: duckdb.DuckDBPyConnection,
    table: str,
    members: list[SourceFile],
    labels: list[str],
    spec: JoinSpec,
    temp: list[str],
    target: Path,
) -> JoinedSource:
    """The members (read into the temp tables) joined to the first file's rows, in its order, written to target."""
    base = members[0]
    base_position = _position_sql(cur, temp[0], base, "b")
    joined = _Joined(list(base.headers), list(base.types), [f"b.c{i}" for i in range(len(base.headers))])
    for position in range(1, len(members)):
        _add_member(cur, table, members, labels, spec, temp, position, base_position, joined)
    columns = ", ".join(f"{select} as c{i}" for i, select in enumerate(joined.selects))
    flag_columns = "".join(f", (d{position}._k is not null) as {flag}" for position, flag in joined.flags)
    select = (
        f"select {columns}, {base_position} as _row{flag_columns} from {temp[0]} b {' '.join(joined.joins)} "
        f"order by {base_position}"
    )
    path = str(target).replace("'", "''")
    try:
        cur.execute(f"copy ({select}) to '{path}' (format parquet)")
    except duckdb.Error as exc:
        raise IngestError(f"{table}: the joined files could not be written: {str(exc).splitlines()[0]}") from None
    return JoinedSource(
        name=base.name,
        path=base.path,
        size=sum(m.size for m in members),
        format=sniff.JOINED,
        read_path=Path(target),
        headers=tuple(joined.headers),
        types=tuple(joined.types),
        row_base=base.row_base,
        has_row_column=True,
        sheet=base.sheet,
        notes=tuple(note for m in members for note in m.notes),  # the match rates are the join's own report lines
        temp_files=(Path(target),),
        members=tuple(members),
        labels=tuple(labels),
        spec=spec,
        stats=tuple(joined.stats),
        problems=tuple(joined.problems),
        unmatched=tuple(joined.unmatched[: limits.MAX_REJECTED_ROWS]),
        flags=tuple(joined.flags),
    )


def _add_member(
    cur: duckdb.DuckDBPyConnection,
    table: str,
    members: list[SourceFile],
    labels: list[str],
    spec: JoinSpec,
    temp: list[str],
    position: int,
    base_position: str,
    joined: _Joined,
) -> None:
    """The file at position matched to the first file: its left join and columns (its key left out), its counts, report
    lines and rows without a match."""
    base, member, label, settings = members[0], members[position], labels[position], spec.member(position)
    on = settings.on or spec.key
    on_index = _need(base, labels[0], on, f"the key {label} is matched on")
    key_index = _need(member, label, settings.key, "its key for the join")
    alias = f"d{position}"
    # the file's keys and row numbers, and its first row per key, made once and read by every count below
    keyed, first_per_key = _beside(temp[position], "k"), _beside(temp[position], "f")
    cur.execute(
        f"create or replace table {keyed} as select *, {_key_sql('m', member, key_index)} as _k, "
        f"{_position_sql(cur, temp[position], member, 'm')} as _p from {temp[position]} m"
    )
    cur.execute(
        f"create or replace table {first_per_key} as select * from {keyed} where _k is not null "
        "qualify row_number() over (partition by _k order by _p) = 1"
    )
    base_key = _key_sql("b", base, on_index)
    joined.joins.append(f"left join {first_per_key} {alias} on {base_key} = {alias}._k")
    for index, header in enumerate(member.headers):
        if index == key_index:
            continue
        joined.headers.append(header if header not in joined.headers else f"{header} ({position + 1})")
        joined.types.append(member.types[index])
        joined.selects.append(f"{alias}.c{index}")
    if settings.how == LOOKUP:
        joined.flags.append((position, f"_m{position}"))
    stats = _stats(cur, temp, base, position, label, settings.how, settings.key, on, keyed, first_per_key, base_key)
    joined.stats.append(stats)
    rows = _unmatched(cur, temp, base, member, labels[0], stats, keyed, first_per_key, base_key, base_position)
    examples = tuple(Example(r["file"], r["row"], r["problem"]) for r in rows[:EXAMPLES])
    joined.problems.extend(_problems(table, labels[0], stats, spec.duplicates, examples))
    joined.unmatched.extend(rows)


def _stats(cur, temp, base, position, label, how, key, on, keyed, first_per_key, base_key) -> MemberStats:
    rows, repeated = cur.execute(f"select count(*), count(_k) - count(distinct _k) from {keyed}").fetchall()[0]
    matched, first_rows = cur.execute(
        f"select count(d._k), count(*) from {temp[0]} b left join {first_per_key} d on {base_key} = d._k"
    ).fetchall()[0]
    only_here = cur.execute(
        f"select count(*) from {keyed} k where k._k is null or not exists (select 1 from {temp[0]} b where {base_key} = k._k)"
    ).fetchall()[0][0]
    example = ""
    if repeated:
        key_value, rows_of = cur.execute(
            f"select _k, list(_p order by _p) from {keyed} where _k is not null group by _k having count(*) > 1 "
            "order by min(_p) limit 1"
        ).fetchall()[0]
        shown = ", ".join(str(r) for r in rows_of[:4])
        example = f"{key_value!r} on rows {shown}"
    return MemberStats(position, label, how, key, on, rows, matched, first_rows - matched, only_here, repeated, example)


def _problems(table: str, first: str, stats: MemberStats, duplicates: str, examples: tuple[Example, ...]) -> list[Problem]:
    """The report's lines on one joined file: its match rate, its repeated keys, the rows without a match."""
    share = f" ({stats.matched / stats.first_rows:.1%})" if stats.first_rows else ""
    word = "looked up in" if stats.how == LOOKUP else "joined to"
    out = [
        Problem(
            table,
            NOTE,
            "join_match",
            f"{stats.label} {word} {first} on {stats.on} = {stats.key}: {n(stats.matched, 'row')} of {stats.first_rows:,} "
            f"of {first} matched{share}; {stats.only_first:,} only in {first}; {stats.only_here:,} only in {stats.label}",
            column=stats.on,
        )
    ]
    if stats.repeated:
        blocking = duplicates == "block"
        rule = "a key must be on one row only" if blocking else "the first row per key is used, the others are left out"
        out.append(
            Problem(
                table,
                BLOCKING if blocking else WARNING,
                "join_repeated_keys",
                f"{stats.label}: {n(stats.repeated, 'row')} {verb(stats.repeated, 'repeats', 'repeat')} a {stats.key} "
                f"already on an earlier row (e.g. {stats.repeated_example}); {rule}",
                "Remove the repeated rows at the source, pick another key column, or keep the first row per key "
                '(join settings; --mapping: "duplicates": "first").'
                if blocking
                else "Nothing to do if the first row per key is the right one; download the unmatched rows to see the others.",
                stats.repeated,
                stats.key,
            )
        )
    lost_first = stats.only_first if stats.how == JOIN else 0  # a lookup's first-file rows without a match are rejected rows
    if lost_first or stats.only_here:
        parts = []
        if lost_first:
            parts.append(
                f"{n(lost_first, 'row')} of {first} found no {stats.key} in {stats.label} (published with its columns blank)"
            )
        if stats.only_here:
            parts.append(f"{n(stats.only_here, 'row')} of {stats.label} found no {stats.on} in {first} (not published)")
        out.append(
            Problem(
                table,
                WARNING,
                "join_unmatched",
                f"{'; '.join(parts)}",
                "Download the unmatched rows to see them; check that the key columns are the right ones and the extracts cover "
                "the same period.",
                lost_first + stats.only_here,
                stats.key,
                examples,
            )
        )
    return out


def _text_row(headers: tuple[str, ...], values: tuple) -> dict:
    return {header: value_text(value) for header, value in zip(headers, values, strict=False)}


def _unmatched(cur, temp, base, member, first, stats: MemberStats, keyed, first_per_key, base_key, base_pos) -> list[dict]:
    """Rows without a match on either side, as download records (bounded by limits.MAX_REJECTED_ROWS)."""
    most = limits.MAX_REJECTED_ROWS
    out: list[dict] = []
    if stats.only_first:
        outcome = "rejected" if stats.how == LOOKUP else f"published with the columns of {stats.label} blank"
        query = sql(
            "select {row}, {key}, b.* from {base} b left join {first} d on {key} = d._k "
            "where d._k is null order by {row} limit {most}",
            row=Sql(base_pos),
            key=Sql(base_key),
            base=Sql(temp[0]),
            first=Sql(first_per_key),
            most=lit(most),
        )
        rows = cur.execute(*query).fetchall()
        for row in rows:
            problem = (
                f"no row of {stats.label} has {stats.key} {row[1]!r}; {outcome}" if row[1] else f"blank {stats.on}; {outcome}"
            )
            out.append({"file": first, "row": int(row[0]), "problem": problem, **_text_row(base.headers, row[2:])})
    if stats.only_here:
        rows = cur.execute(
            *sql(
                f"select k._p, k._k, {{}} from {keyed} k "
                f"where k._k is null or not exists (select 1 from {temp[0]} b where {{}} = k._k) order by k._p limit {{}}",
                select_except(["_k", "_p"], "k"),
                Sql(base_key),
                lit(most),
            )
        ).fetchall()
        for row in rows:
            problem = (
                f"{first} has no row with {stats.on} {row[1]!r}; not published" if row[1] else f"blank {stats.key}; not published"
            )
            out.append({"file": stats.label, "row": int(row[0]), "problem": problem, **_text_row(member.headers, row[2:])})
    return out


@dataclass
class JoinState:
    """What the upload keeps of a table's join: the spec it was built for and the joined source (None: not joined)."""

    spec: JoinSpec | None = None
    source: JoinedSource | None = None
    extra: list[SourceFile] = field(default_factory=list)
    """Files opened for the join only (the sheets of one workbook): deleted with it."""


def member_of(joined: JoinedSource, headers: list[str]) -> int | None:
    """Position of the joined or looked-up file every one of headers (columns of joined) came from; None when some come
    from the first file, from several files, or are not joined columns."""
    owners = [0] * len(joined.members[0].headers)
    for position, member in enumerate(joined.members[1:], start=1):
        owners += [position] * (len(member.headers) - 1)  # every column but its key
    if not headers or any(h not in joined.headers[: len(owners)] for h in headers):
        return None
    found = {owners[joined.headers.index(h)] for h in headers}
    return found.pop() or None if len(found) == 1 else None


def member_rows(cur: duckdb.DuckDBPyConnection, joined: JoinedSource, position: int, values: list[str]) -> dict[str, int]:
    """For each first-file key value (as the file holds it), the row number in the file at position of the row the join
    took for it (its first row with that key); values without one are left out, and so is everything when the file
    cannot be read again."""
    member, stats = joined.members[position], joined.stats[position - 1]
    key = _key_sql("m", member, member.headers.index(stats.key))
    pos = "m._row" if member.has_row_column else f"(row_number() over () + {int(member.row_base) - 1})"
    wanted = formats.identifier_value("u.v", formats.TEXT).value.text
    relation = member.relation()
    try:
        query = sql(
            "select u.v, min(m.p) from (select {} as v) u join (select {} as k, {} as p from {} m) m on m.k = {} group by u.v",
            unnest(sql("cast({} as varchar[])", lit(list(values)))),
            Sql(key),
            Sql(pos),
            relation,
            Sql(wanted),
        )
        rows = cur.execute(*query).fetchall()
    except duckdb.Error:
        return {}
    return {str(v): int(p) for v, p in rows}
