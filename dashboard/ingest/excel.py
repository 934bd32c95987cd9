"""Excel workbooks (python-calamine): the sheets, the header row, merged cells and formulas, written out as text columns.

A sheet is read once and written as a Parquet file of text columns (c0, c1, ...) plus the sheet row number
of each data row (_row), so that it is read like any other file afterwards and row numbers match Excel's.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import resource
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from xml.etree import ElementTree

import pyarrow as pa
import pyarrow.parquet as pq
from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from dashboard.ingest import limits
from dashboard.ingest.errors import IngestError

BATCH_ROWS = 50_000
HEADER_SCAN_ROWS = 30
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


@dataclass(frozen=True)
class SheetRead:
    """A sheet written out as text: its header names, the Excel row of the header, rows written, and notes for the user."""

    sheet: str
    header: tuple[str, ...]
    header_row: int
    rows: int
    notes: tuple[str, ...]


def open_workbook(path: Path, name: str) -> CalamineWorkbook:
    """The workbook at path; IngestError when it is not one python-calamine can read or is over a limit."""
    check_workbook(path, name)
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for every kind of damage
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise IngestError(
            f"{name} could not be opened as an Excel workbook ({reason}): save it again from Excel as .xlsx, or export it as CSV"
        ) from None


def sheet_names(workbook: CalamineWorkbook) -> list[str]:
    """Names of the workbook's visible worksheets, in workbook order (chart sheets and hidden sheets left out)."""
    names = []
    for meta in workbook.sheets_metadata:
        if meta.typ == SheetTypeEnum.WorkSheet and meta.visible == SheetVisibleEnum.Visible:
            names.append(meta.name)
    return names or list(workbook.sheet_names)


def cell_text(value: object) -> str | None:
    """A cell's value as text: whole numbers without ".0", dates in ISO form, yes/no as true/false; empty → None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value == math.trunc(value) and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value.total_seconds())
    return str(value)


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_ref(row: int, col: int) -> str:
    """Excel's name of the cell at 0-based row and column (B3)."""
    return f"{_column_letters(col)}{row + 1}"


def _header_index(rows: list[list[object]]) -> int | None:
    """The first row holding at least half as many filled cells as the fullest of the first rows (title rows above are "
    "skipped)."""
    counts = [sum(1 for v in row if cell_text(v) is not None) for row in rows]
    most = max(counts, default=0)
    if most == 0:
        return None
    for i, n in enumerate(counts):
        if n >= max(1, math.ceil(most / 2)):
            return i
    return None


def read_sheet(
    path: Path,
    name: str,
    sheet: str,
    target: Path,
    progress: Callable[[float], None] | None = None,
) -> SheetRead:
    """Write sheet of the workbook at path to target (Parquet: c0.., _row); IngestError when the sheet holds no table."""
    workbook = open_workbook(path, name)
    try:
        available = list(workbook.sheet_names)
        if sheet not in available:
            raise IngestError(f"{name} has no sheet called '{sheet}'; its sheets are: {', '.join(available)}")
        check_sheet(path, name, sheet)
        data = workbook.get_sheet_by_name(sheet)
        merged = data.merged_cell_ranges or []
        fill = _merged_fill(merged)
        head: list[list] = []
        count, longest, last_filled = 0, 0, []
        for row in data.iter_rows():
            if count < HEADER_SCAN_ROWS:
                head.append(row)
            count += 1
            longest = max(longest, len(row))
            last_filled.append(max((j for j, v in enumerate(row) if cell_text(v) is not None), default=-1) + 1)
        header_at = _header_index(head)
        if header_at is None:
            raise IngestError(f"{name}, sheet '{sheet}', is empty: choose the sheet that holds the data ({', '.join(available)})")
        # iter_rows starts at the sheet's first row or at its first used row depending on the file: work out the offsets
        end_row, end_col = data.end or (count - 1, longest - 1)
        start_row, start_col = end_row + 1 - count, end_col + 1 - longest
        total = max(1, count)
        width = max(
            max(last_filled[header_at:], default=0),
            max((_merged_width(fill, start_row + i) - start_col for i in range(header_at, count)), default=0),
        )
        header_cells = _filled_row(head[header_at], start_row + header_at, start_col, fill, {}, width)
        header = [cell_text(v) or "" for v in header_cells]
        notes: list[str] = []
        if start_row + header_at > 0:
            notes.append(f"sheet '{sheet}': the header is row {start_row + header_at + 1}; the rows above it are left out")
        written, empty_rows = _write_rows(data, header_at, start_row, start_col, width, fill, target, total, progress)
        trailing = 0
        for filled in reversed(last_filled[header_at + 1 :]):
            if filled:
                break
            trailing += 1
        empty_rows = max(0, empty_rows - trailing)  # empty rows below the data are formatting, not worth a note
        if empty_rows:
            notes.append(f"sheet '{sheet}': {empty_rows:,} empty rows between the data rows are left out")
        touching = [rng for rng in merged if rng[1][0] >= start_row + header_at]
        if touching:
            refs = ", ".join(f"{cell_ref(*a)}:{cell_ref(*b)}" for a, b in touching[:5])
            more = f" and {len(touching) - 5} more" if len(touching) > 5 else ""
            notes.append(
                f"sheet '{sheet}': {len(touching)} merged cell ranges ({refs}{more}); every cell of a merged range is read "
                "with the value of its first cell"
            )
        notes.extend(formula_notes(path, sheet))
        return SheetRead(sheet, tuple(header), start_row + header_at + 1, written, tuple(notes))
    finally:
        workbook.close()


def _merged_fill(merged: list) -> dict[int, list[tuple[int, int, int, int]]]:
    """Row -> merged ranges covering it, as (first col, last col, top row, left col)."""
    by_row: dict[int, list[tuple[int, int, int, int]]] = {}
    for (r1, c1), (r2, c2) in merged:
        for r in range(r1, r2 + 1):
            by_row.setdefault(r, []).append((c1, c2, r1, c1))
    return by_row


def _merged_width(fill: dict, row: int) -> int:
    return max((c2 + 1 for c1, c2, _r, _c in fill.get(row, ())), default=0)


def _filled_row(row: list, abs_row: int, start_col: int, fill: dict, top_left: dict, width: int) -> list:
    """The row's cells (width of them), merged cells carrying their range's first value."""
    cells = list(row[:width]) + [None] * max(0, width - len(row))
    for c1, c2, r1, left in fill.get(abs_row, ()):
        if abs_row == r1:
            top_left[(r1, left)] = cells[left - start_col] if 0 <= left - start_col < width else None
        value = top_left.get((r1, left))
        for c in range(c1, c2 + 1):
            j = c - start_col
            if 0 <= j < width and (abs_row, c) != (r1, left):
                cells[j] = value
    return cells


def _write_rows(data, header_at, start_row, start_col, width, fill, target, total, progress) -> tuple[int, int]:
    """Write the data rows below the header to target in batches; return rows written and empty rows skipped."""
    schema = pa.schema([*(pa.field(f"c{j}", pa.string()) for j in range(width)), pa.field("_row", pa.int64())])
    columns: list[list[str | None]] = [[] for _ in range(width)]
    row_numbers: list[int] = []
    written = empty = 0
    top_left: dict = {}
    with pq.ParquetWriter(str(target), schema) as writer:

        def flush() -> None:
            if row_numbers:
                arrays = [pa.array(col, pa.string()) for col in columns] + [pa.array(row_numbers, pa.int64())]
                writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
                for col in columns:
                    col.clear()
                row_numbers.clear()

        for i, row in enumerate(data.iter_rows()):
            abs_row = start_row + i
            if i <= header_at:
                if fill.get(abs_row):
                    _filled_row(row, abs_row, start_col, fill, top_left, width)
                continue
            cells = [cell_text(v) for v in _filled_row(row, abs_row, start_col, fill, top_left, width)]
            if all(v is None for v in cells):
                empty += 1
                continue
            for j, value in enumerate(cells):
                columns[j].append(value)
            row_numbers.append(abs_row + 1)
            written += 1
            if len(row_numbers) >= BATCH_ROWS:
                flush()
                if progress:
                    progress(min(1.0, i / total))
        flush()
    return written, empty


def read_table(
    path: Path,
    name: str,
    chosen: str,
    target: Path,
    progress: Callable[[float], None] | None = None,
) -> tuple[list[str], SheetRead]:
    """The workbook's sheet names and the sheet read to target: the chosen one, else the first that holds a table (two or
    more named columns), else the first with anything; IngestError when none can be read."""
    workbook = open_workbook(path, name)
    try:
        sheets = sheet_names(workbook)
    finally:
        workbook.close()
    if chosen and chosen not in sheets:
        raise IngestError(f"{name} has no sheet called '{chosen}'; its sheets are: {', '.join(sheets)}")
    read, first_read, last_error = None, None, None
    for sheet in [chosen] if chosen else sheets[: limits.MAX_SHEETS_TRIED]:
        try:
            read = read_sheet(path, name, sheet, target, progress=progress)
        except IngestError as exc:
            if chosen:
                raise
            last_error = exc
            continue
        if chosen or sum(1 for h in read.header if h) >= 2:
            break
        first_read = first_read or read
        read = None
    if read is None and first_read is not None:
        read = read_sheet(path, name, first_read.sheet, target)
    if read is None and len(sheets) > limits.MAX_SHEETS_TRIED:
        raise IngestError(
            f"{name}: none of its first {limits.MAX_SHEETS_TRIED} sheets (of {len(sheets):,}) holds a table: choose the sheet "
            'in Read settings (command line: "read": {"sheet": ...} in the mapping file)'
        )
    if read is None:
        raise last_error or IngestError(f"{name} has no sheets with data")
    return sheets, read


def scannable(path: Path) -> bool:
    """Whether the workbook is .xlsx or .xlsm by name and by content (the Excel reader picks its format by the name), so
    check_sheet reads its sheets' extents from their XML before reading; anything else is read in a capped child."""
    if Path(path).suffix.lower() not in (".xlsx", ".xlsm"):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False
    return "xl/workbook.xml" in names and "xl/workbook.bin" not in names and "content.xml" not in names


def read_table_isolated(path: Path, name: str, chosen: str, target: Path) -> tuple[list[str], SheetRead]:
    """read_table in a child process whose memory is capped at MAX_READER_BYTES (and time at MAX_READ_SECONDS): for
    workbooks whose extents cannot be read before the Excel reader runs (.xls, .xlsb, .ods), so a hostile one can only
    make the child fail."""
    check_workbook(path, name)
    command = [
        sys.executable,
        "-m",
        "dashboard.ingest.excel",
        str(Path(path).resolve()),
        name,
        chosen,
        str(Path(target).resolve()),
        str(limits.MAX_READER_BYTES),
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=limits.MAX_READ_SECONDS, cwd=Path(__file__).resolve().parents[2]
        )
    except subprocess.TimeoutExpired:
        raise limits.refuse(
            name, "reading it took longer than allowed, which", f"{limits.MAX_READ_SECONDS // 60} minutes", _AS_CSV
        ) from None
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise limits.refuse(
            name,
            f"reading it needed more memory than allowed or failed (the Excel reader stopped with code {done.returncode}), which",
            f"{limits.size_text(limits.MAX_READER_BYTES)} of memory",
            _AS_CSV,
        )
    answer = json.loads(lines[-1])
    if "error" in answer:
        raise IngestError(answer["error"])
    read = answer["read"]
    return answer["sheets"], SheetRead(
        read["sheet"], tuple(read["header"]), read["header_row"], read["rows"], tuple(read["notes"])
    )


_AS_CSV = "save the sheet as CSV (or .xlsx) from Excel and upload that"


def _child(argv: list[str]) -> None:
    """The child process of read_table_isolated: memory capped, one line of JSON out."""
    path, name, chosen, target, memory = argv
    resource.setrlimit(resource.RLIMIT_DATA, (int(memory), int(memory)))
    try:
        sheets, read = read_table(Path(path), name, chosen, Path(target))
        print(json.dumps({"sheets": sheets, "read": dataclasses.asdict(read)}))
    except IngestError as exc:
        print(json.dumps({"error": str(exc)}))


# -- formulas (xlsx only: calamine reads the values Excel saved with them) ---------------------

_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[ >/]")


_MAX_INDEX_PART = 16 << 20


def _small_part(archive: zipfile.ZipFile, member: str) -> bytes:
    """A part read whole (the workbook's list of sheets and its relationships): ValueError when it declares over 16 MB."""
    if archive.getinfo(member).file_size > _MAX_INDEX_PART:
        raise ValueError(f"its part {member} is over 16 MB")
    return archive.read(member)


def _sheet_xml_path(archive: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding the sheet's XML; ValueError when the sheet's name or relationship appears twice (which of
    them a reader takes is then anyone's guess)."""
    workbook = ElementTree.fromstring(_small_part(archive, "xl/workbook.xml"))
    ids = [node.get(f"{_REL_NS}id") for node in workbook.iter(f"{_MAIN_NS}sheet") if node.get("name") == sheet]
    if len(ids) > 1:
        raise ValueError(f"two sheets called '{sheet[:40]}'")
    if not ids or ids[0] is None:
        return None
    rels = ElementTree.fromstring(_small_part(archive, "xl/_rels/workbook.xml.rels"))
    targets = [rel.get("Target", "") for rel in rels.iter(f"{_PKG_REL_NS}Relationship") if rel.get("Id") == ids[0]]
    if len(targets) > 1:
        raise ValueError(f"relationship {ids[0][:20]} given twice")
    if not targets:
        return None
    if targets[0].startswith("/"):
        return targets[0].lstrip("/")
    return str(PurePosixPath("xl") / targets[0])


def formula_notes(path: Path, sheet: str) -> list[str]:
    """Notes on the sheet's formula cells: how many, and which have no value saved with them (they read as blank)."""
    try:
        with zipfile.ZipFile(path) as archive:
            member = _sheet_xml_path(archive, sheet)
            if member is None:
                return []
            with archive.open(member) as handle:
                if not any(_FORMULA_TAG.search(chunk) for chunk in iter(lambda: handle.read(1 << 20), b"")):
                    return []
            formulas, missing = 0, []
            with archive.open(member) as handle:
                for _event, node in ElementTree.iterparse(handle):
                    if node.tag != f"{_MAIN_NS}c":
                        continue
                    if node.find(f"{_MAIN_NS}f") is not None:
                        formulas += 1
                        value = node.find(f"{_MAIN_NS}v")
                        if value is None or value.text is None:
                            missing.append(node.get("r", "?"))
                    node.clear()
    except (zipfile.BadZipFile, KeyError, ValueError, ElementTree.ParseError):
        return []
    notes = [f"sheet '{sheet}': {formulas:,} cells hold formulas; CX Lens reads the values Excel saved with them"]
    if missing:
        refs = ", ".join(missing[:5]) + (f" and {len(missing) - 5:,} more" if len(missing) > 5 else "")
        notes.append(
            f"sheet '{sheet}': {len(missing):,} formula cells have no saved value ({refs}) and read as blank: "
            "open the file in Excel, let it calculate, save it and upload it again"
        )
    return notes


# -- limits: what a workbook declares, checked before the Excel reader allocates ------------------

_SCAN_BYTES = 4 << 20
_MAX_TAG_BYTES = 4 << 20
_EOCD = b"PK\x05\x06"
_MAX_ZIP_DIRECTORY = 64 << 20
_MAX_ZIP_MEMBERS = 100_000
_CELL_ANY = re.compile(rb"<c[\s/>]")
_CANON_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')
_CANON_LETTERS = re.compile(rb'<c r="([A-Z]{1,3})[0-9]{1,7}"')
_CANON_ROWS = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{1,7})"')
_ROW_R = re.compile(rb"<row\s[^>]*?\br=[\"']")
_PREFIXED = re.compile(rb":(?:c|row)[\s/>]")
_XML_ENCODING = re.compile(rb"(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?\bencoding\s*=\s*[\"']([^\"']*)[\"']")
_OTHER_R = (b'xmlns:r="', b'header="', b'footer="')
_SPACED_R = (b"r =", b"r\t=", b"r\n=", b"r\r=")
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_ATTR = re.compile(rb"([^\s=/>]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_REF = re.compile(rb"([A-Z]{1,3})([0-9]{1,7})")


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ch - 64
    return number


def _zip_directory_declared(path: Path) -> tuple[int, int] | None:
    """(entries, bytes) of the zip's central directory as its end record declares them, or None when not found."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        handle.seek(max(0, size - 65_557))
        tail = handle.read()
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) < at + 22:
        return None
    entries = int.from_bytes(tail[at + 10 : at + 12], "little")
    directory = int.from_bytes(tail[at + 12 : at + 16], "little")
    if entries == 0xFFFF or directory == 0xFFFFFFFF:
        return None  # zip64: the sizes are elsewhere, and zipfile checks them
    return entries, directory


def check_workbook(path: Path, name: str) -> None:
    """IngestError when the workbook (a zip) declares more than the limits: too many parts, too many bytes unpacked, or a
    part that shrinks like a zip bomb. Old .xls files (not zips) are read in the capped child (read_table_isolated)."""
    path = Path(path)
    if not zipfile.is_zipfile(path):
        return
    declared = _zip_directory_declared(path)
    if declared and (declared[0] > _MAX_ZIP_MEMBERS or declared[1] > _MAX_ZIP_DIRECTORY):
        raise limits.refuse(
            name,
            f"its zip directory lists {declared[0]:,} parts in {limits.size_text(declared[1])}, which",
            f"{_MAX_ZIP_MEMBERS:,} parts",
            "this is not a workbook Excel writes; save it again from Excel as .xlsx, or export it as CSV",
        )
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise IngestError(f"{name} could not be opened as an Excel workbook ({exc}): save it again from Excel as .xlsx") from None
    total = 0
    for member in members:
        total += member.file_size
        packed = max(1, member.compress_size)
        if member.file_size > limits.MIN_RATIO_CHECK_BYTES and member.file_size / packed > limits.MAX_PACKING_RATIO:
            raise limits.refuse(
                name,
                f"its part '{member.filename[:80]}' unpacks from {limits.size_text(member.compress_size)} to "
                f"{limits.size_text(member.file_size)} ({member.file_size / packed:,.0f} times), which",
                f"{limits.MAX_PACKING_RATIO} times",
                "a spreadsheet does not pack like that (this looks like a zip bomb); save the data as CSV and upload that",
            )
    if total > limits.MAX_UNPACKED_BYTES:
        raise limits.refuse(
            name,
            f"the workbook unpacks to {limits.size_text(total)}, which",
            limits.size_text(limits.MAX_UNPACKED_BYTES),
            "save the sheet as CSV (or split it into several workbooks) and upload that",
        )


@dataclass(frozen=True)
class UsedRange:
    """Where a sheet's filled cells lie, from its XML: the first and last row and column (0-based) and how many cells."""

    first_row: int
    last_row: int
    first_col: int
    last_col: int
    cells: int

    @property
    def area(self) -> int:
        """Cells in the rectangle from the first to the last filled cell: what the Excel reader allocates."""
        if self.cells == 0:
            return 0
        return (self.last_row - self.first_row + 1) * (self.last_col - self.first_col + 1)

    def describe(self) -> str:
        """The range as Excel writes it, with its size: "A1:XFD1048576 (1,048,576 rows × 16,384 columns)"."""
        rows, cols = self.last_row - self.first_row + 1, self.last_col - self.first_col + 1
        span = f"{cell_ref(self.first_row, self.first_col)}:{cell_ref(self.last_row, self.last_col)}"
        return f"{span} ({rows:,} rows × {cols:,} columns = {self.area:,} cells)"


def _chunks(handle) -> Iterator[bytes]:
    """The member's bytes in pieces cut before a '<' (a tag is never cut: '<' cannot appear inside one); ValueError for
    comments, CDATA or a DOCTYPE (Excel writes none in a sheet, and they could hide or fake cells) or a tag or text
    longer than 4 MB."""
    carry = b""
    start = handle.read(_SCAN_BYTES)
    declared = _XML_ENCODING.match(start)
    if b"\x00" in start[:4096] or (declared and declared.group(1).lower() not in (b"utf-8", b"utf8")):
        raise ValueError("the sheet's XML is not UTF-8")  # the scan reads bytes as UTF-8 (what Excel writes)
    while data := start or handle.read(_SCAN_BYTES):
        start = b""
        data = carry + data
        cut = data.rfind(b"<")
        data, carry = (data[:cut], data[cut:]) if cut > 0 else (b"", data)
        if len(carry) > _MAX_TAG_BYTES:
            raise ValueError("a tag or text longer than 4 MB")
        if data:
            if b"<!" in data:
                raise ValueError("comments, CDATA or a DOCTYPE in the sheet")
            yield data
    if carry:
        if b"<!" in carry:
            raise ValueError("comments, CDATA or a DOCTYPE in the sheet")
        yield carry


class _Walk:
    """The used range so far, and where the last cell was (a cell without a reference comes after it)."""

    def __init__(self) -> None:
        self.first_row = self.first_col = 1 << 40
        self.last_row = self.last_col = -1
        self.cells = 0
        self.row, self.col = -1, -1

    def add(self, rows: Iterable[int], cols: Iterable[int], count: int) -> None:
        rows, cols = list(rows), list(cols)
        if rows and cols and count:
            self.first_row, self.last_row = min(self.first_row, *rows), max(self.last_row, *rows)
            self.first_col, self.last_col = min(self.first_col, *cols), max(self.last_col, *cols)
            self.cells += count

    def result(self) -> UsedRange:
        if self.cells == 0:
            return UsedRange(0, 0, 0, 0, 0)
        return UsedRange(self.first_row, self.last_row, self.first_col, self.last_col, self.cells)


def _attribute(attrs: bytes, name: bytes) -> bytes | None:
    """The value of the attribute called exactly name (either quote), None when absent; ValueError when repeated."""
    values = [m.group(2) if m.group(2) is not None else m.group(3) for m in _ATTR.finditer(attrs) if m.group(1) == name]
    if len(values) > 1:
        raise ValueError(f"attribute {name.decode()} repeated")
    return values[0] if values else None


def _walk_exact(piece: bytes, walk: _Walk, filled_only: bool) -> None:
    """Follow a piece tag by tag: rows and cells with their references, or after the previous ones when they have none."""
    for match in _TAG.finditer(piece):
        kind, attrs = match.group(1), match.group(2) or b""
        ref = _attribute(attrs, b"r")
        if kind == b"row":
            walk.row = int(ref) - 1 if ref and ref.isdigit() else walk.row + 1
            walk.col = -1
            continue
        found = _REF.fullmatch(ref.strip()) if ref is not None else None
        if ref is not None and found is None:
            raise ValueError(f"cell reference {ref[:20]!r} is not one Excel writes")
        if found:
            walk.row, walk.col = int(found.group(2)) - 1, _column_number(found.group(1)) - 1
        else:
            walk.col += 1
        if filled_only and attrs.rstrip().endswith(b"/"):
            continue  # <c .../>: an empty cell (formatting only)
        walk.add((walk.row,), (walk.col,), 1)


def _canonical(piece: bytes) -> tuple[list[bytes], list[bytes]] | None:
    """Column letters and row numbers of a piece's cells when every cell is written as Excel writes it (<c r="B7" ...>,
    one r attribute, no prefix), else None (the piece is then followed tag by tag)."""
    if _PREFIXED.search(piece) or any(piece.count(s) for s in _SPACED_R):
        return None
    letters = _CANON_LETTERS.findall(piece)
    if len(letters) != len(_CELL_ANY.findall(piece)):
        return None
    row_refs = len(_ROW_R.findall(piece))
    others = sum(piece.count(name) for name in _OTHER_R)  # attributes Excel writes that end in r
    if piece.count(b'r="') + piece.count(b"r='") - others != len(letters) + row_refs:
        return None  # another attribute ending in r (or an r repeated): not worth telling apart
    return letters, _CANON_ROWS.findall(piece)


def used_range(open_stream: Callable[[], BinaryIO], *, filled_only: bool = False) -> UsedRange:
    """The used range of a sheet's XML, streamed in pieces.

    Pieces written as Excel writes them (every cell <c r="B7" ...>) are counted at C speed, empty cells included;
    others are followed tag by tag. filled_only leaves out self-closing <c .../> cells (formatting only), tag by tag.
    """
    walk = _Walk()
    with open_stream() as handle:
        for piece in _chunks(handle):
            found = None if filled_only else _canonical(piece)
            if found is None:
                _walk_exact(piece, walk, filled_only)
                continue
            letters, rows = found
            walk.add((int(r) - 1 for r in set(rows)), (_column_number(c) - 1 for c in set(letters)), len(letters))
            last_cell, last_row = piece.rfind(b'<c r="'), piece.rfind(b"<row")
            if last_cell >= 0:
                tail = _CANON_CELL.match(piece, last_cell)
                walk.row, walk.col = int(tail.group(2)) - 1, _column_number(tail.group(1)) - 1
            if last_row > last_cell:
                _walk_exact(piece[last_row : piece.index(b">", last_row) + 1], walk, filled_only)
    return walk.result()


def check_sheet(path: Path, name: str, sheet: str) -> None:
    """IngestError when the sheet's used range (from its XML, streamed) is over MAX_SHEET_CELLS; .xlsx and .xlsm only
    (other workbooks are read by read_table_isolated, in a child process with capped memory)."""
    path = Path(path)
    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                return
            member = _sheet_xml_path(archive, sheet)
            if member is None or member not in archive.namelist():
                raise IngestError(
                    f"{name}: the data of sheet '{sheet}' could not be found in the workbook: save it again from Excel as "
                    ".xlsx, or export the sheet as CSV"
                )
            found = used_range(lambda: archive.open(member))
            if found.area > limits.MAX_SHEET_CELLS:
                found = used_range(lambda: archive.open(member), filled_only=True)  # empty formatted cells do not count
    except (zipfile.BadZipFile, ElementTree.ParseError, ValueError, KeyError, EOFError, OSError) as exc:
        raise IngestError(
            f"{name} could not be read as an Excel workbook ({str(exc)[:120]}): save it again from Excel as .xlsx, or "
            "export the sheet as CSV"
        ) from None
    if found.area > limits.MAX_SHEET_CELLS:
        raise limits.refuse(
            name,
            f"sheet '{sheet}' spans {found.describe()}, which",
            f"{limits.MAX_SHEET_CELLS:,} cells",
            "delete the cells outside the table (select the rows and columns past it, Delete, save), or save the sheet "
            "as CSV and upload that",
        )


if __name__ == "__main__":
    _child(sys.argv[1:])
