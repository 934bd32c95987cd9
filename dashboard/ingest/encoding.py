"""Text encodings: detected from a file's bytes, and decoded in Python where DuckDB cannot read the file itself.

DuckDB reads UTF-8 (with or without a byte-order mark). Windows-1252 makes it fail, and UTF-16 big-endian
comes back empty, so those files (and Latin-1 and UTF-16 little-endian) are rewritten as UTF-8 in a
temporary file first, streaming, a few megabytes at a time.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dashboard.ingest import limits
from dashboard.ingest.errors import IngestError

LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with byte-order mark",
    "utf-16-le": "UTF-16 little-endian",
    "utf-16-be": "UTF-16 big-endian",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1 (ISO-8859-1)",
}
"""Encodings CX Lens reads, with the names shown to users."""

DUCKDB_READS = ("utf-8", "utf-8-sig")
"""Encodings DuckDB reads directly; the others are rewritten as UTF-8 first."""

HEAD_BYTES = 64 * 1024
CHUNK_BYTES = 4 * 1024 * 1024
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_CP1252_UNDEFINED = b"\x81\x8d\x8f\x90\x9d"
_ALLOWED_CONTROLS = set("\t\n\r\f\v\x1a")


@dataclass(frozen=True)
class Encoding:
    """A file's encoding, how many byte-order-mark bytes precede the text, and how it was decided."""

    name: str
    bom: int = 0
    reason: str = ""

    @property
    def label(self) -> str:
        """The encoding's name as shown to users."""
        return LABELS[self.name]

    @property
    def needs_rewrite(self) -> bool:
        """Whether DuckDB cannot read the file as it is."""
        return self.name not in DUCKDB_READS


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The first size bytes of path."""
    with open(path, "rb") as handle:
        return handle.read(size)


def read_header_head(path: Path, name: str) -> bytes:
    """The first HEAD_BYTES of path, or, when the first line is longer, that whole line and HEAD_BYTES more;
    IngestError when the first line (the header row) is longer than MAX_HEADER_BYTES."""
    head = read_head(path)
    if len(head) < HEAD_BYTES or b"\n" in head or b"\r" in head:
        return head
    data = read_head(path, limits.MAX_HEADER_BYTES + HEAD_BYTES)
    ends = [i for i in (data.find(b"\n"), data.find(b"\r")) if i >= 0]
    end = min(ends) if ends else len(data)
    if end > limits.MAX_HEADER_BYTES:
        raise limits.refuse(
            name,
            f"its first line (the header row) is longer than {limits.size_text(limits.MAX_HEADER_BYTES)}, which",
            limits.size_text(limits.MAX_HEADER_BYTES),
            "check that it is a delimited text file with one row per line; export only the columns CX Lens needs",
        )
    return data[: end + HEAD_BYTES]


LF, CRLF, CR, MIXED = "LF", "CRLF", "CR", "mixed"
LINE_ENDINGS = {LF: "Unix (LF)", CRLF: "Windows (CRLF)", CR: "old Mac (CR only)", MIXED: "mixed Windows and Unix"}
"""Line endings a text file may use, with the names shown to users."""


@dataclass(frozen=True)
class Lines:
    """How a text file's lines end (LF, CRLF, CR or mixed), and whether a quoted cell holds a line break."""

    endings: str = "LF"
    quoted_breaks: bool = False


def _break_in_quotes(chunk: bytes, quoted: bool) -> tuple[bool, bool]:
    """Whether a line break in chunk lies inside double quotes (given whether the chunk starts inside), and whether the
    chunk ends inside; the running count of quotes is kept modulo 2 (vectorised: a few milliseconds a megabyte)."""
    data = np.frombuffer(chunk, dtype=np.uint8)
    parity = np.cumsum(data == 34, dtype=np.uint8) & 1  # 256 is even, so the wrap-around keeps the parity
    if quoted:
        parity ^= 1
    line_break = (data == 10) | (data == 13)
    return bool((parity[line_break]).any()), bool(parity[-1])


def scan_lines(path: Path) -> Lines:
    """How the lines of a UTF-8 (or single-byte) file end, over the whole file (streamed), and whether a quoted cell
    holds a line break (DuckDB then has to read the file in one thread).

    Line breaks inside quoted cells count towards the endings: DuckDB reads neither a CRLF file with LF inside a quoted
    cell (a Windows export of a multi-line cell) nor the reverse, so those are mixed as well.
    """
    cr = crlf = lf = 0
    quoted, breaks = False, False
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            if chunk.endswith(b"\r"):
                chunk += handle.read(1)  # keep a CRLF cut by the chunk together
            if b'"' in chunk:
                found, quoted = _break_in_quotes(chunk, quoted)
                breaks = breaks or found
            returns = chunk.count(b"\r")
            if not returns:  # the common case: no CR at all, only whether there are LFs matters
                lf += b"\n" in chunk
                continue
            feeds, pairs = chunk.count(b"\n"), chunk.count(b"\r\n")
            cr, crlf, lf = cr + returns - pairs, crlf + pairs, lf + feeds - pairs
    kinds = [kind for kind, count in ((LF, lf), (CRLF, crlf), (CR, cr)) if count]
    endings = MIXED if len(kinds) > 1 else (kinds[0] if kinds else LF)
    return Lines(endings, breaks and not quoted)  # ending inside quotes: a quote never closed, not a multi-line cell


def detect(head: bytes, name: str) -> Encoding:
    """The encoding of a text file from its first bytes: byte-order mark, UTF-16 zero bytes, UTF-8, else Windows-1252 "
    "or Latin-1."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return Encoding(encoding, len(bom), "byte-order mark")
    if b"\x00" in head:
        even, odd = head[0::2].count(0), head[1::2].count(0)
        half = max(1, len(head) // 2)
        if odd > 0.3 * half and even < 0.05 * half:
            return Encoding("utf-16-le", 0, "zero bytes after every character")
        if even > 0.3 * half and odd < 0.05 * half:
            return Encoding("utf-16-be", 0, "zero bytes before every character")
        raise IngestError(f"{name} is not a text file (it holds binary data from byte {head.index(0):,}): {WHAT_TO_UPLOAD}")
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        decoder.decode(head, final=len(head) < HEAD_BYTES)
        return Encoding("utf-8", 0, "valid UTF-8")
    except UnicodeDecodeError:
        return _single_byte(head, "not valid UTF-8")


def _single_byte(data: bytes, reason: str) -> Encoding:
    if any(b in data for b in _CP1252_UNDEFINED):
        return Encoding("latin-1", 0, f"{reason}; bytes Windows-1252 does not define")
    return Encoding("cp1252", 0, reason)


def detect_full(path: Path, progress: Callable[[float], None] | None = None) -> Encoding:
    """The encoding decided over the whole file: UTF-8 if every byte is valid UTF-8, else Windows-1252 or Latin-1."""
    total = max(1, path.stat().st_size)
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    utf8_ok, cp1252_ok, done, line = True, True, 0, 1
    bad_line = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            if utf8_ok:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    utf8_ok = False
                    bad_line = line + chunk[: exc.start].count(b"\n")
            if cp1252_ok and any(b in chunk for b in _CP1252_UNDEFINED):
                cp1252_ok = False
            line += chunk.count(b"\n")
            done += len(chunk)
            if progress:
                progress(done / total)
    if utf8_ok:
        try:
            decoder.decode(b"", final=True)
            return Encoding("utf-8", 0, "valid UTF-8")
        except UnicodeDecodeError:
            bad_line = line
    reason = f"not valid UTF-8 (line {bad_line:,})"
    if cp1252_ok:
        return Encoding("cp1252", 0, reason)
    return Encoding("latin-1", 0, f"{reason}; bytes Windows-1252 does not define")


def looks_binary(text: str) -> int | None:
    """Index of the first character that no text file holds (control characters), when there are many; else None."""
    controls = [i for i, ch in enumerate(text) if ord(ch) < 32 and ch not in _ALLOWED_CONTROLS]
    if len(controls) > max(2, len(text) // 200):
        return controls[0]
    return None


WHAT_TO_UPLOAD = "export the data as CSV (or TSV, pipe-separated), Excel .xlsx, Parquet or JSON lines and upload that file"


def rewrite_utf8(
    source: Path,
    target: Path,
    encoding: Encoding,
    *,
    split_whitespace: bool = False,
    name: str = "",
    progress: Callable[[float], None] | None = None,
) -> None:
    """Write source as UTF-8 to target, streaming, every line ending made LF; with split_whitespace, runs of spaces "
    "become one tab (for space-aligned files)."""
    python_name = "utf-8" if encoding.name == "utf-8-sig" else encoding.name
    decoder = codecs.getincrementaldecoder(python_name)("strict")
    total = max(1, source.stat().st_size)
    done, line, pending, pending_cr = 0, 1, "", ""
    with open(source, "rb") as src, open(target, "w", encoding="utf-8", newline="") as dst:
        src.seek(encoding.bom)
        done = encoding.bom
        while True:
            chunk = src.read(CHUNK_BYTES)
            final = not chunk
            try:
                text = decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                bad_line = line + pending.count("\n")
                raise IngestError(
                    f"{name or source.name}: byte 0x{exc.object[exc.start]:02X} near line {bad_line:,} is not valid "
                    f"{encoding.label}: choose another encoding for this file"
                ) from None
            text = pending_cr + text
            pending_cr = ""
            if text.endswith("\r") and not final:
                text, pending_cr = text[:-1], "\r"  # its LF may start the next chunk
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            if split_whitespace:
                text = pending + text
                if not final:
                    cut = text.rfind("\n") + 1
                    text, pending = text[:cut], text[cut:]
                text = _whitespace_to_tabs(text)
            line += text.count("\n")
            dst.write(text)
            done += len(chunk)
            if progress:
                progress(min(1.0, done / total))
            if final:
                break


def _whitespace_to_tabs(text: str) -> str:
    lines = text.splitlines(keepends=True)
    out = []
    for raw in lines:
        body = raw.rstrip("\r\n")
        ending = raw[len(body) :]
        out.append("\t".join(body.split()) + ending)
    return "".join(out)
