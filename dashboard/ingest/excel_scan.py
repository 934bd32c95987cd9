"""What is read from a workbook's XML before the Excel reader opens it: the zip directory and the sheets' used ranges
(so a hostile workbook is refused before it is unpacked), the formulas of a sheet, and Excel's cell addresses (B3)."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from xml.etree import ElementTree

from dashboard.ingest import limits
from dashboard.ingest.errors import IngestError

_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _column_letters(index: int) -> str:
    """Excel's letters of the 0-based column index (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_ref(row: int, col: int) -> str:
    """Excel's name of the cell at 0-based row and column (B3)."""
    return f"{_column_letters(col)}{row + 1}"


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
