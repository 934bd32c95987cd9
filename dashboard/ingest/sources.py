"""Uploaded files: format, encoding, delimiter and header detected, prepared for DuckDB, with size and SHA-256.

A source file ends up as something DuckDB reads by path with generated column names c0, c1, ... (the
file's own header names are kept in Python only, never put into SQL): delimited text as read_csv with
every column as text, Parquet and JSON lines with their own types, an Excel sheet written out as Parquet.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dashboard.ingest import encoding as enc
from dashboard.ingest import excel, limits, sniff, uploads
from dashboard.ingest.errors import IngestError, NotUtf8
from dashboard.sql import Sql, join, lit, sql

NULL_MARK = "\x01\x02"
"""What DuckDB would read as NULL in a CSV: a value no file holds, so an empty field reads as '' and a missing one as NULL."""

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class ReadOptions:
    """How to read a table's files; "auto" means detect. sheet "" means the first sheet that holds data."""

    encoding: str = "auto"
    delimiter: str = "auto"
    header: bool = True
    sheet: str = ""

    def validate(self) -> ReadOptions:
        """Self when every option is one CX Lens knows; IngestError naming the option otherwise."""
        if self.encoding != "auto" and self.encoding not in enc.LABELS:
            raise IngestError(f"unknown encoding {self.encoding!r}: choose auto or one of {', '.join(enc.LABELS)}")
        if self.delimiter != "auto" and self.delimiter not in sniff.DELIMITERS:
            names = ", ".join(repr(d) for d in sniff.DELIMITERS)
            raise IngestError(f"unknown delimiter {self.delimiter!r}: choose auto or one of {names}")
        return self

    def to_json(self) -> dict:
        """The options as a JSON-ready dict."""
        return {"encoding": self.encoding, "delimiter": self.delimiter, "header": self.header, "sheet": self.sheet}

    @classmethod
    def from_json(cls, data: dict | None) -> ReadOptions:
        """Options from a dict written by to_json (missing keys take their defaults)."""
        data = data or {}
        unknown = set(data) - {"encoding", "delimiter", "header", "sheet"}
        if unknown:
            raise IngestError(f"unknown read options {sorted(unknown)}: use encoding, delimiter, header, sheet")
        return cls(
            str(data.get("encoding", "auto")),
            str(data.get("delimiter", "auto")),
            bool(data.get("header", True)),
            str(data.get("sheet", "") or ""),
        ).validate()


class _Digest:
    """SHA-256 of a file, computed in a background thread (hashlib releases the GIL) while the file is read."""

    def __init__(self, path: Path, known: str | None = None) -> None:
        self._value = known
        self._error: OSError | None = None
        self._thread = None
        if known is None:
            # Opened here, before the thread starts: a file removed while it is hashed is still read whole.
            handle = open(path, "rb")  # noqa: SIM115 - closed by the thread
            self._thread = threading.Thread(target=self._run, args=(handle,), daemon=True)
            self._thread.start()

    def _run(self, handle) -> None:
        digest = hashlib.sha256()
        try:
            with handle:
                while chunk := handle.read(8 << 20):
                    digest.update(chunk)
        except OSError as error:
            self._error = error
            return
        self._value = digest.hexdigest()

    def value(self) -> str:
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value or ""


@dataclass
class SourceFile:
    """One uploaded file, ready to read: where DuckDB reads it, its columns (display names and types) and what was detected."""

    name: str
    path: Path
    size: int
    format: str
    read_path: Path
    headers: tuple[str, ...]
    types: tuple[str, ...]
    row_base: int = 2
    """Row number of the first data row (a spreadsheet's numbering: the header is row 1); Excel files carry their own."""
    has_row_column: bool = False
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""
    sheets: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    likely_delimiter: str = ""
    json_format: str = "newline_delimited"
    quoted_breaks: bool = False
    """Whether a quoted cell holds a line break: DuckDB then reads the file in one thread (its parallel reader cannot)."""
    temp_files: tuple[Path, ...] = ()
    digest: _Digest | None = field(default=None, repr=False, compare=False)

    @property
    def sha256(self) -> str:
        """SHA-256 of the file as uploaded."""
        return self.digest.value() if self.digest else ""

    @property
    def columns(self) -> tuple[str, ...]:
        """Generated names of the file's columns as DuckDB reads them: c0, c1, ..."""
        return tuple(f"c{i}" for i in range(len(self.headers)))

    def column_for(self, header: str) -> str:
        """The generated column name for a display header (IngestError naming the file's columns when it has none)."""
        try:
            return f"c{self.headers.index(header)}"
        except ValueError:
            shown = ", ".join(f"'{h}'" for h in self.headers[:30])
            raise IngestError(f"{self.name} has no column '{header}'; its columns are: {shown}") from None

    def type_of(self, header: str) -> str:
        """DuckDB type of a column as read."""
        return self.types[self.headers.index(header)]

    def relation(self, rejects: tuple[str, str] | None = None, *, lenient: bool = False) -> Sql:
        """SQL of a table function reading the file with columns c0.. (plus c<n> catching extra fields, and _row for Excel).

        rejects names the tables that keep lines DuckDB cannot read; lenient skips them (for samples only).
        """
        if self.format == sniff.CSV:
            names = [*self.columns, f"c{len(self.headers)}"]  # one more than the header: rows with an extra field show there
            options = [
                sql("header = {}", lit(self.row_base == 2)),
                "auto_detect = false",
                sql("delim = {}", lit(self._duckdb_delimiter())),
                "quote = '\"'",
                "escape = '\"'",
                sql("columns = {}", lit(dict.fromkeys(names, "VARCHAR"))),
                "null_padding = true",
                sql("nullstr = {}", lit(NULL_MARK)),
                "max_line_size = 10000000",
            ]
            if self.quoted_breaks:
                options.append("parallel = false")
            if rejects:
                table, scan = rejects
                options += ["store_rejects = true", sql("rejects_table = {}", lit(table)), sql("rejects_scan = {}", lit(scan))]
            elif lenient:
                options.append("ignore_errors = true")
            return sql("read_csv({}, {})", lit(str(self.read_path)), join(options))
        if self.format == sniff.EXCEL:
            return sql("read_parquet({})", lit(str(self.read_path)))
        alias = ", ".join(self.columns)
        if self.format == sniff.PARQUET:
            return sql("read_parquet({}) as src({})", lit(str(self.read_path)), Sql(alias))
        return sql(
            "read_json({}, format = {}, sample_size = -1) as src({})", lit(str(self.read_path)), lit(self.json_format), Sql(alias)
        )

    def row_checks(self) -> tuple[tuple[str, int, str, str], ...]:
        """Checks the file itself asks for on every row: (code, column index, boolean column false on failing rows, detail);
        none for a plain file (a JoinedSource rejects rows a lookup found no match for)."""
        return ()

    def _duckdb_delimiter(self) -> str:
        return "\t" if self.delimiter == sniff.WHITESPACE else self.delimiter

    def describe(self) -> dict:
        """What is recorded with a published version about this file."""
        record = {"name": self.name, "bytes": self.size, "sha256": self.sha256, "format": sniff.FORMAT_LABELS[self.format]}
        if self.encoding:
            record["encoding"] = self.encoding
        if self.delimiter:
            record["delimiter"] = sniff.DELIMITERS.get(self.delimiter, self.delimiter)
        if self.sheet:
            record["sheet"] = self.sheet
        return record

    def remove_temp_files(self) -> None:
        """Delete the files written while preparing this one."""
        for temp in self.temp_files:
            uploads.discard(temp)


def open_source(
    cur: duckdb.DuckDBPyConnection,
    path: Path,
    name: str,
    options: ReadOptions,
    workdir: Path,
    *,
    sha256: str | None = None,
    progress: Progress | None = None,
) -> SourceFile:
    """Detect what path holds and prepare it for DuckDB (rewritten as UTF-8 or Parquet where needed); IngestError for "
    "bad files."""
    options = options.validate()
    path = Path(path)
    size = limits.check_file_size(path, name)
    head = enc.read_head(path)
    fmt = sniff.detect_format(head, name)
    digest = _Digest(path, sha256)
    report = progress or (lambda _step, _fraction: None)
    if fmt == sniff.CSV:
        source = _open_text(path, name, size, head, options, workdir, report)
    elif fmt == sniff.EXCEL:
        source = _open_excel(path, name, size, options, workdir, report)
    else:
        source = _open_typed(cur, path, name, size, fmt, head)
    source.digest = digest
    limits.check_columns(name, len(source.headers))
    if sniff.EXTENSIONS.get(sniff.extension(name)) not in (None, fmt):
        kind = sniff.FORMAT_LABELS[fmt]
        source.notes = (f"{name} is a {kind} file despite its name; it is read as {kind}", *source.notes)
    return source


def _temp_path(workdir: Path, suffix: str) -> Path:
    """A new file in the upload folder for a file rewritten to be read (deleted with the upload)."""
    return uploads.new_path(workdir, f"cxlens{suffix}")


def _encoding(head: bytes, name: str, options: ReadOptions) -> enc.Encoding:
    """The file's encoding: detected from its first bytes, or as chosen (a byte order mark of that encoding skipped)."""
    if options.encoding == "auto":
        return enc.detect(head, name)
    bom = enc.detect(head, name) if head[:3] == b"\xef\xbb\xbf" or head[:2] in (b"\xff\xfe", b"\xfe\xff") else None
    chosen = options.encoding
    if chosen == "utf-8" and bom and bom.name == "utf-8-sig":
        chosen = "utf-8-sig"
    return enc.Encoding(chosen, bom.bom if bom and bom.name == chosen else 0, "chosen")


def _open_text(
    path: Path, name: str, size: int, head: bytes, options: ReadOptions, workdir: Path, report: Progress
) -> SourceFile:
    """A text file (CSV, TSV, pipe-separated ...) opened: its encoding and layout detected (or as chosen), rewritten as
    UTF-8 with LF line endings where DuckDB could not read it as it is, its header row read."""
    head = enc.read_header_head(path, name)
    encoding = _encoding(head, name, options)
    python_name = "utf-8" if encoding.name == "utf-8-sig" else encoding.name
    text = head[encoding.bom :].decode(python_name, errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise IngestError(f"{name} is empty (it holds no text): export the data again and upload the new file")
    binary_at = enc.looks_binary(text)
    if binary_at is not None:
        raise IngestError(f"{name} is not a text file (it holds binary data near character {binary_at:,}): {enc.WHAT_TO_UPLOAD}")
    found = sniff.layout(text, options.delimiter)
    notes: list[str] = []
    read_path, temp_files = path, []
    lines = enc.Lines() if encoding.needs_rewrite else enc.scan_lines(path)
    endings = lines.endings
    if endings in (enc.CR, enc.MIXED):
        notes.append(
            f"{name} has {enc.LINE_ENDINGS[endings]} line endings (between rows or inside quoted cells); CX Lens made "
            "them all LF and read every line as one row"
        )
    if encoding.needs_rewrite or found.delimiter == sniff.WHITESPACE or endings in (enc.CR, enc.MIXED):
        read_path = _temp_path(workdir, ".csv")
        temp_files.append(read_path)
        enc.rewrite_utf8(
            path,
            read_path,
            encoding,
            split_whitespace=found.delimiter == sniff.WHITESPACE,
            name=name,
            progress=lambda fraction: report(f"decoding {name}", fraction),
        )
    if encoding.needs_rewrite:
        notes.append(f"{name} is {encoding.label} ({encoding.reason}); CX Lens decoded it")
        lines = enc.scan_lines(read_path)  # now UTF-8 with LF line endings: are there line breaks inside quoted cells?
    headers = _header_row(list(found.first_row), name, options, notes)
    return SourceFile(
        name=name,
        path=path,
        size=size,
        format=sniff.CSV,
        read_path=read_path,
        headers=tuple(headers),
        types=("VARCHAR",) * len(headers),
        row_base=2 if options.header else 1,
        encoding=encoding.label,
        delimiter=found.delimiter,
        notes=tuple(notes),
        likely_delimiter=found.likely_delimiter,
        temp_files=tuple(temp_files),
        quoted_breaks=lines.quoted_breaks,
    )


def _header_row(first: list[str], name: str, options: ReadOptions, notes: list[str]) -> list[str]:
    """The column names: the first row made unique (what was renamed added to notes), or column 1, 2 ... without one."""
    if not first:
        raise IngestError(f"{name} is empty (no header row): export the data again with column names in the first row")
    if not options.header:
        return [f"column {number}" for number in range(1, len(first) + 1)]
    headers, header_notes = sniff.unique_headers(first)
    notes.extend(header_notes)
    return headers


def _open_excel(path: Path, name: str, size: int, options: ReadOptions, workdir: Path, report: Progress) -> SourceFile:
    target = _temp_path(workdir, ".parquet")
    try:
        if excel.scannable(path):
            sheets, read = excel.read_table(
                path, name, options.sheet, target, progress=lambda fraction: report(f"reading {name}", fraction)
            )
        else:
            report(f"reading {name}", 0.0)
            sheets, read = excel.read_table_isolated(path, name, options.sheet, target)
    except BaseException:
        uploads.discard(target)
        raise
    headers, header_notes = sniff.unique_headers(list(read.header)) if options.header else ([], [])
    if not options.header:
        headers = [f"column {i}" for i in range(1, len(read.header) + 1)]
    notes = list(read.notes) + header_notes
    if len(sheets) > 1:
        others = [s for s in sheets if s != read.sheet]
        notes.insert(0, f"{name} has {len(sheets)} sheets; reading '{read.sheet}' (choose another: {', '.join(others)})")
    return SourceFile(
        name=name,
        path=path,
        size=size,
        format=sniff.EXCEL,
        read_path=target,
        headers=tuple(headers),
        types=("VARCHAR",) * len(headers),
        row_base=read.header_row + 1,
        has_row_column=True,
        sheet=read.sheet,
        sheets=tuple(sheets),
        notes=tuple(notes),
        temp_files=(target,),
    )


def _open_typed(cur: duckdb.DuckDBPyConnection, path: Path, name: str, size: int, fmt: str, head: bytes) -> SourceFile:
    json_format = "newline_delimited"
    if fmt == sniff.PARQUET:
        check_parquet(path, name, size)
        relation = sql("select * from read_parquet({})", lit(str(path)))
    else:
        json_format = "auto" if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"[") else "newline_delimited"
        relation = sql("select * from read_json({}, format = {}, sample_size = -1)", lit(str(path)), lit(json_format))
    try:
        description = cur.execute(*sql("describe {}", relation)).fetchall()
    except duckdb.Error as exc:
        kind = sniff.FORMAT_LABELS[fmt]
        reason = str(exc).splitlines()[0]
        raise IngestError(f"{name} could not be read as {kind}: {reason}") from None
    names = [row[0] for row in description]
    types = [row[1] for row in description]
    if not names:
        raise IngestError(f"{name} holds no columns: export the data again")
    headers, notes = sniff.unique_headers(names)
    return SourceFile(
        name=name,
        path=path,
        size=size,
        format=fmt,
        read_path=path,
        headers=tuple(headers),
        types=tuple(types),
        row_base=1,
        notes=tuple(notes),
        json_format=json_format,
    )


def check_parquet(path: Path, name: str, size: int) -> None:
    """IngestError when a Parquet file's footer declares more than the limits (footer size, columns, rows, bytes a row
    group unpacks to), checked from the footer before any row is read."""
    import pyarrow.parquet as pq

    with open(path, "rb") as handle:
        handle.seek(max(0, size - 8))
        tail = handle.read(8)
    footer = int.from_bytes(tail[:4], "little") if len(tail) == 8 and tail[4:] == b"PAR1" else -1
    if footer < 0 or footer > size - 12:
        raise IngestError(f"{name} could not be read as Parquet (its footer is missing or damaged): export the data again")
    if footer > limits.MAX_PARQUET_FOOTER_BYTES:
        raise limits.refuse(
            name,
            f"its Parquet footer is {limits.size_text(footer)}, which",
            limits.size_text(limits.MAX_PARQUET_FOOTER_BYTES),
            "export fewer columns or write it with fewer row groups",
        )
    try:
        meta = pq.read_metadata(path)
    except Exception as exc:  # pyarrow raises its own error types for every kind of damage
        raise IngestError(f"{name} could not be read as Parquet ({str(exc)[:160]}): export the data again") from None
    limits.check_columns(name, meta.num_columns)
    if meta.num_rows > limits.MAX_PARQUET_ROWS:
        raise limits.refuse(
            name,
            f"it declares {meta.num_rows:,} rows, which",
            f"{limits.MAX_PARQUET_ROWS:,} rows",
            "split it into several files and load them one version at a time",
        )
    for group in range(meta.num_row_groups):
        unpacked = meta.row_group(group).total_byte_size
        if unpacked > limits.MAX_ROW_GROUP_BYTES:
            raise limits.refuse(
                name,
                f"its row group {group + 1} unpacks to {limits.size_text(unpacked)}, which",
                limits.size_text(limits.MAX_ROW_GROUP_BYTES),
                "write it again with smaller row groups (e.g. pyarrow's row_group_size=1,000,000)",
            )


def sample(cur: duckdb.DuckDBPyConnection, source: SourceFile, rows: int = 20_000) -> list[tuple]:
    """The first rows of the file as tuples of its columns (c0..), for previews and format detection; fewer for a wide
    file, so that at most limits.MAX_SAMPLE_CELLS values are held."""
    rows = min(rows, max(100, limits.MAX_SAMPLE_CELLS // max(1, len(source.columns))))
    cols = ", ".join(source.columns)
    relation = source.relation(lenient=True)
    try:
        return cur.execute(*sql(f"select {cols} from {{}} limit {{}}", relation, lit(rows))).fetchall()
    except duckdb.Error as exc:
        if "Invalid unicode" in str(exc) and source.format == sniff.CSV:
            raise NotUtf8(read_error_message(source, exc)) from None
        raise IngestError(read_error_message(source, exc)) from None


def value_text(value: object) -> str | None:
    """A value read from a file as text: whole floats without ".0" (17850.0 -> "17850"); None stays None."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def read_error_message(source: SourceFile, exc: Exception) -> str:
    """A DuckDB read error as one line naming the file, the line and what to do."""
    text = str(exc)
    first = text.splitlines()[0] if text else type(exc).__name__
    line = ""
    for part in text.splitlines():
        if "Line:" in part or ("line" in part.lower() and any(ch.isdigit() for ch in part)):
            line = part.strip()
            break
    detail = f" ({line})" if line and line not in first else ""
    return f"{source.name} could not be read: {first}{detail}; check the delimiter and encoding chosen for it"
