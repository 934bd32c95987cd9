"""Hostile and unlucky files: each is refused with a clear message (file, limit, what to do) or read correctly, and the
process reading it survives. Every file is made here; the Excel cases run the reader in a subprocess, so a crash of
the Excel reader fails the test instead of killing pytest."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dashboard.ingest import excel, limits, uploads
from dashboard.ingest.pipeline import IncomingFile, Upload
from dashboard.ingest.sources import ReadOptions
from dashboard.store import Store, StoreError
from tests.ingest_helpers import TRANSACTIONS_CSV, publish, run_upload, table_rows, write

ROOT = Path(__file__).resolve().parent.parent
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>customer_id</t></is></c><c r="B1" t="inlineStr"><is><t>date</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>amount</t></is></c></row>'
)
_DATA_ROW = (
    '<row r="2"><c r="A2" t="inlineStr"><is><t>C1</t></is></c><c r="B2" t="inlineStr"><is><t>2024-01-05</t></is></c>'
    '<c r="C2"><v>100</v></c></row>'
)


def make_xlsx(path: Path, sheet_data: str, *, root: str = "worksheet", extra: str = "") -> Path:
    """A minimal workbook with one sheet 'Sheet1' whose <sheetData> holds sheet_data."""
    rels_ns = "http://schemas.openxmlformats.org/package/2006/relationships"
    doc = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": f'<?xml version="1.0"?><Relationships xmlns="{rels_ns}"><Relationship Id="rId1" '
        f'Type="{doc}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook {_NS} xmlns:r="{doc}"><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0"?><Relationships xmlns="{rels_ns}"><Relationship Id="rId1" '
        f'Type="{doc}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    }
    if root == "worksheet":
        sheet = f'<?xml version="1.0"?><worksheet {_NS}>{extra}<sheetData>{sheet_data}</sheetData></worksheet>'
    else:  # the same elements under a namespace prefix
        sheet = (
            f'<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"<x:sheetData>{sheet_data}</x:sheetData></x:worksheet>"
        )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


_READ_IN_CHILD = """
import json, sys
from pathlib import Path
from dashboard.ingest.pipeline import IncomingFile, Upload
from dashboard.store import Store
store = Store(Path(sys.argv[1]))
upload = Upload(store, Path(sys.argv[2]))
upload.add_files("transactions", [IncomingFile(Path(sys.argv[3]), Path(sys.argv[3]).name)])
error = upload.read_errors.get("transactions")
print(json.dumps({"error": error.message if error else "", "headers": upload.headers("transactions")}))
upload.close()
store.close()
"""


def _read_in_child(tmp_path: Path, path: Path) -> dict:
    """Read path as the Data page does, in a subprocess: its outcome (the error shown, the headers read)."""
    done = subprocess.run(
        [sys.executable, "-c", _READ_IN_CHILD, str(tmp_path / "child.duckdb"), str(tmp_path / "work"), str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"the reader died (exit {done.returncode}): {done.stderr[-800:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CXLENS_DB": str(tmp_path / "cli.duckdb"), "CXLENS_UPLOAD_DIR": str(tmp_path / "uploads")}
    return subprocess.run(
        [sys.executable, "-m", "dashboard", "ingest", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _one_clear_line(done: subprocess.CompletedProcess, *expected: str) -> None:
    """The command failed with one line on stderr holding every expected part, and no traceback."""
    assert done.returncode in (1, 2), (done.returncode, done.stderr[-800:])
    assert "Traceback" not in done.stderr and "panicked" not in done.stderr, done.stderr[-800:]
    lines = [line for line in done.stderr.splitlines() if line.strip() and not line.startswith("…")]
    assert len(lines) == 1, lines
    for part in expected:
        assert part in lines[0], lines[0]


# -- Excel: declared extents -------------------------------------------------------------------

FAR_ROW = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'


@pytest.mark.parametrize(
    ("case", "sheet_data", "root"),
    [
        ("a cell at XFD1048576", HEADER_ROW + FAR_ROW, "worksheet"),
        ("cells without references", HEADER_ROW + '<row r="1048576">' + "<c><v>1</v></c>" * 16_384 + "</row>", "worksheet"),
        ("single-quoted reference", HEADER_ROW + "<row r='1048576'><c r='XFD1048576'><v>1</v></c></row>", "worksheet"),
        (
            "reference hidden behind another attribute",
            HEADER_ROW + "<row r=\"2\"><c foo=' r=\"A2\"' r='XFD1048576'><v>1</v></c></row>",
            "worksheet",
        ),
        (
            "'>' inside an attribute",
            HEADER_ROW + '<row r="2"><c foo=">" r="XFD1048576"><v>1</v></c></row>',
            "worksheet",
        ),
        (
            "namespace prefix",
            '<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row><x:row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v>'
            "</x:c></x:row>",
            "prefixed",
        ),
    ],
)
def test_sheet_spanning_the_whole_grid_is_refused_before_the_excel_reader_allocates(
    tmp_path: Path, case: str, sheet_data: str, root: str
):
    path = make_xlsx(tmp_path / "far.xlsx", sheet_data, root=root)
    assert path.stat().st_size < 70_000
    outcome = _read_in_child(tmp_path, path)
    assert outcome["error"].startswith("far.xlsx: sheet 'Sheet1' spans A1:XFD1048576 (1,048,576 rows × 16,384 columns")
    assert "over CX Lens's limit (20,000,000 cells)" in outcome["error"]
    assert "save the sheet as CSV" in outcome["error"]


def test_a_repeated_cell_reference_is_refused(tmp_path: Path):
    path = make_xlsx(tmp_path / "dup.xlsx", HEADER_ROW + '<row r="2"><c r="A2" r="XFD1048576"><v>1</v></c></row>')
    outcome = _read_in_child(tmp_path, path)
    assert "dup.xlsx could not be read as an Excel workbook (attribute r repeated)" in outcome["error"]


def test_comments_in_a_sheet_are_refused(tmp_path: Path):
    """A comment could hide a row tag from the scan while the Excel reader skips it: Excel never writes one there."""
    sheet = HEADER_ROW + '<row r="1048576"><!-- <row r="2"> --><c><v>1</v></c></row>'
    outcome = _read_in_child(tmp_path, make_xlsx(tmp_path / "comment.xlsx", sheet))
    assert "comment.xlsx could not be read as an Excel workbook (comments, CDATA or a DOCTYPE in the sheet)" in outcome["error"]


def test_empty_formatted_cell_far_away_does_not_count(tmp_path: Path):
    """Formatting without a value (<c r=".." s="1"/>) is no data: the workbook is read, its table found."""
    sheet = HEADER_ROW + _DATA_ROW + '<row r="1048576"><c r="XFD1048576" s="0"/></row>'
    outcome = _read_in_child(tmp_path, make_xlsx(tmp_path / "styled.xlsx", sheet))
    assert outcome == {"error": "", "headers": ["customer_id", "date", "amount"]}


def test_zip_bomb_workbook_is_refused_from_its_zip_directory(tmp_path: Path):
    """A sheet part that packs over 100 times (here 24 MB of spaces into about 25 KB) is refused before it is unpacked."""
    path = make_xlsx(tmp_path / "bomb.xlsx", HEADER_ROW + _DATA_ROW + " " * 24_000_000)
    assert path.stat().st_size < 100_000
    outcome = _read_in_child(tmp_path, path)
    assert outcome["error"].startswith("bomb.xlsx: its part 'xl/worksheets/sheet1.xml' unpacks from ")
    assert "to 24.0 MB" in outcome["error"] and "over CX Lens's limit (100 times)" in outcome["error"]
    assert "zip bomb" in outcome["error"]


def test_hostile_workbook_on_the_command_line_is_one_line(tmp_path: Path):
    path = make_xlsx(tmp_path / "far.xlsx", HEADER_ROW + FAR_ROW)
    done = _cli(tmp_path, "--dataset", "shop", "--transactions", str(path), "--check")
    assert done.returncode == 1, done.stderr[-800:]
    assert "Traceback" not in done.stdout + done.stderr and "panicked" not in done.stderr
    blocking = [line for line in done.stdout.splitlines() if line.startswith("  BLOCKING")]
    assert len(blocking) == 1 and "far.xlsx: sheet 'Sheet1' spans A1:XFD1048576" in blocking[0], done.stdout
    assert "nothing published: 1 blocking problem(s) above" in done.stdout


# -- text files --------------------------------------------------------------------------------


def test_header_row_over_64_kib_is_read_whole(store: Store, tmp_path: Path):
    """3,000 columns with 30-character names: an 96 KB header, every name kept and the data under them read."""
    extra = [f"attribute_{i:05d}_with_a_long_name" for i in range(3000)]
    header = ",".join(["customer_id", "date", "amount", *extra])
    row = ",".join(["C1", "2024-01-05", "100.00", *("x" for _ in extra)])
    path = write(tmp_path, "wide.csv", f"{header}\n{row}\n")
    assert len(header) > 64 * 1024
    _version, report = publish(store, tmp_path, {"transactions": [path]})
    assert report.tables["transactions"].published == 1
    upload, _ = run_upload(store, tmp_path, {"transactions": [path]})
    try:
        headers = upload.headers("transactions")
    finally:
        upload.close()
    assert len(headers) == 3003 and headers[-1] == "attribute_02999_with_a_long_name"


def test_header_row_over_the_limit_is_refused(store: Store, tmp_path: Path):
    path = write(tmp_path, "oneline.csv", "a," * (limits.MAX_HEADER_BYTES // 2 + 10))
    upload, report = run_upload(store, tmp_path, {"transactions": [path]})
    upload.close()
    [problem] = report.blocking
    assert problem.message == (
        "oneline.csv: its first line (the header row) is longer than 1.0 MB, which is over CX Lens's limit (1.0 MB): "
        "check that it is a delimited text file with one row per line; export only the columns CX Lens needs"
    )


def test_mixed_windows_and_unix_line_endings_are_read(store: Store, tmp_path: Path):
    """A Windows export (CRLF) appended to a Unix one (LF): all six rows, amounts read, a note says how."""
    windows = "C4,2024-04-01,10.00,Web\r\nC5,2024-04-02,11.50,Web\r\n"
    path = write(tmp_path, "appended.csv", TRANSACTIONS_CSV + windows)
    version, report = publish(store, tmp_path, {"transactions": [path]})
    table = report.tables["transactions"]
    assert (table.read, table.published, table.rejected) == (6, 6, 0)
    with store.cursor() as cur:
        total = cur.execute(f"select sum(amount), max(channel) from {version.table('transactions')}").fetchall()[0]
    assert total == (pytest.approx(280.5 + 21.5), "web")
    notes = [p.message for p in table.problems if p.code == "reading"]
    assert (
        "appended.csv has mixed Windows and Unix line endings (between rows or inside quoted cells); CX Lens made them all "
        "LF and read every line as one row"
    ) in notes


@pytest.mark.parametrize(
    ("ending", "inside"),
    [("\r\n", "\n"), ("\n", "\r\n"), ("\n", "\n")],
    ids=["windows-with-lf-in-cells", "unix-with-crlf-in-cells", "unix-with-lf-in-cells"],
)
def test_multi_line_cells_with_the_other_line_ending_are_read(store: Store, tmp_path: Path, ending: str, inside: str):
    """Excel on Windows ends rows with CRLF and breaks lines inside a cell with LF: DuckDB refused such files, and any
    file with a line break in a quoted cell (its parallel reader cannot): they are read in one thread."""
    content = ending.join(
        ["customer_id,date,amount,product", f'C1,2024-01-05,10.00,"line one{inside}line two"', "C2,2024-01-06,5.00,plain", ""]
    )
    version, report = publish(store, tmp_path, {"transactions": [write(tmp_path, "cells.csv", content)]})
    assert report.tables["transactions"].published == 2
    with store.cursor() as cur:
        products = cur.execute(f"select product from {version.table('transactions')} order by customer_id").fetchall()
    assert products == [("line one\nline two",), ("plain",)]


def test_cr_only_line_endings_are_read(store: Store, tmp_path: Path):
    """An Excel for Mac export: lines end in CR alone; four rows, 280.50 in all."""
    path = write(tmp_path, "mac.csv", TRANSACTIONS_CSV.replace("\n", "\r"))
    version, report = publish(store, tmp_path, {"transactions": [path]})
    assert report.tables["transactions"].published == 4
    with store.cursor() as cur:
        assert cur.execute(f"select sum(amount) from {version.table('transactions')}").fetchall()[0][0] == pytest.approx(280.5)


def test_cr_only_windows_1252_file_is_read(store: Store, tmp_path: Path):
    """Decoded and line endings fixed in the same streamed rewrite: the accented name is kept."""
    content = "customer_id,date,amount,product\rC1,2024-01-05,10.00,Crème\rC2,2024-01-06,5.00,Café\r"
    path = write(tmp_path, "mac1252.csv", content, encoding="cp1252")
    version, _report = publish(store, tmp_path, {"transactions": [path]})
    with store.cursor() as cur:
        products = cur.execute(f"select product from {version.table('transactions')} order by 1").fetchall()
    assert products == [("Café",), ("Crème",)]


# -- Parquet and JSON ---------------------------------------------------------------------------


def test_parquet_with_too_many_rows_declared_is_refused_from_its_footer(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(limits, "MAX_PARQUET_ROWS", 3)
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"customer_id": ["C1"] * 4, "amount": [1.0] * 4}), path)
    upload, report = run_upload(store, tmp_path, {"transactions": [path]})
    upload.close()
    [problem] = report.blocking
    assert problem.message.startswith("rows.parquet: it declares 4 rows, which is over CX Lens's limit (3 rows)")


def test_parquet_with_too_many_columns_is_refused(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(limits, "MAX_COLUMNS", 5)
    path = tmp_path / "wide.parquet"
    pq.write_table(pa.table({f"c{i}": [1] for i in range(6)}), path)
    upload, report = run_upload(store, tmp_path, {"transactions": [path]})
    upload.close()
    [problem] = report.blocking
    assert problem.message == (
        "wide.parquet: it has 6 columns, which is over CX Lens's limit (5 columns): export only the columns CX Lens needs"
    )


def test_parquet_footer_that_lies_about_its_length_is_refused(store: Store, tmp_path: Path):
    path = tmp_path / "lying.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 100 + (2**31).to_bytes(4, "little") + b"PAR1")
    upload, report = run_upload(store, tmp_path, {"transactions": [path]})
    upload.close()
    [problem] = report.blocking
    assert (
        problem.message == "lying.parquet could not be read as Parquet (its footer is missing or damaged): export the data again"
    )


def test_json_nested_100000_deep_is_refused(store: Store, tmp_path: Path):
    path = write(tmp_path, "deep.jsonl", '{"customer_id": "C1", "x": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    upload, report = run_upload(store, tmp_path, {"transactions": [path]})
    upload.close()
    [problem] = report.blocking
    assert problem.message.startswith("deep.jsonl could not be read as JSON lines")
    assert "maximum recursion depth" in problem.message


# -- the command line: one clear line, never a traceback --------------------------------------------


def test_mapping_nested_100000_deep_is_one_line(tmp_path: Path):
    mapping = write(tmp_path, "deep.json", '{"transactions": ' + "[" * 100_000 + "]" * 100_000 + "}")
    orders = write(tmp_path, "orders.csv", TRANSACTIONS_CSV)
    done = _cli(tmp_path, "--dataset", "shop", "--transactions", str(orders), "--mapping", str(mapping))
    _one_clear_line(done, f"error: mapping file {mapping} nests deeper than 64 levels, over CX Lens's limit")
    assert done.returncode == 2


def test_mapping_that_is_not_an_object_is_one_line(tmp_path: Path):
    mapping = write(tmp_path, "list.json", "[1, 2]")
    orders = write(tmp_path, "orders.csv", TRANSACTIONS_CSV)
    done = _cli(tmp_path, "--dataset", "shop", "--transactions", str(orders), "--mapping", str(mapping))
    _one_clear_line(done, "must hold an object (one section per table), not list")


def test_publish_into_a_database_whose_folder_is_not_writable_says_why(tmp_path: Path):
    """The database file is writable but its folder is not (no write-ahead log can be made): the command says so in one
    line, as the Data page does, instead of DuckDB's "cannot rollback - no transaction is active"; version 1 stays."""
    folder = Path(tempfile.mkdtemp(prefix="cxlens-ro-"))
    try:
        folder.chmod(0o755)
        orders = write(folder, "orders.csv", TRANSACTIONS_CSV)
        orders.chmod(0o644)
        env = {**os.environ, "CXLENS_DB": str(folder / "db.duckdb"), "CXLENS_UPLOAD_DIR": str(folder / "up")}
        args = [sys.executable, "-m", "dashboard", "ingest", "--dataset", "shop", "--transactions", str(orders)]
        first = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert first.returncode == 0, first.stderr[-800:]
        (folder / "db.duckdb").chmod(0o666)
        if os.geteuid() == 0:  # root writes anywhere: run the command as nobody, for whom the folder is read-only
            args = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *args]
        else:
            folder.chmod(0o555)
        done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        folder.chmod(0o755)
        _one_clear_line(
            done,
            f"error: nothing published: the database {folder / 'db.duckdb'} could not be written (Cannot open file",
            'db.duckdb.wal": Permission denied); check that the file and its folder are writable',
        )
        store = Store(folder / "db.duckdb", read_only=True)
        try:
            assert [v.number for v in store.versions("shop")] == [1]
        finally:
            store.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- clean-up of uploaded copies --------------------------------------------------------------------


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def _leftovers(folder: Path) -> dict[str, Path]:
    """One file of each kind in folder: a dead process's copy, this process's untracked copy, an older-scheme copy from
    before this process, one from after it, and a file CX Lens did not write."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "dead": folder / f"{_dead_pid()}-0123456789ab-orders.csv",
        "mine_untracked": folder / f"{os.getpid()}-0123456789ab-orders.csv",
        "earlier_old": folder / "0123456789ab-orders.csv",
        "earlier_new": folder / "cxlens-0123456789ab.parquet",
        "not_ours": folder / "notes.txt",
    }
    for path in files.values():
        path.write_bytes(b"x" * 1000)
    old = uploads.PROCESS_STARTED - 3600
    os.utime(files["earlier_old"], (old, old))
    return files


def test_sweep_removes_only_copies_no_one_uses(tmp_path: Path):
    folder = tmp_path / "uploads"
    files = _leftovers(folder)
    in_use = uploads.new_path(folder, "march.csv")
    in_use.write_bytes(b"y")
    removed = uploads.sweep(folder)
    assert sorted(removed) == sorted(files[k].name for k in ("dead", "mine_untracked", "earlier_old"))
    assert sorted(p.name for p in folder.iterdir()) == sorted([in_use.name, files["earlier_new"].name, files["not_ours"].name])
    uploads.discard(in_use)
    assert not in_use.exists()


def test_a_failed_publish_sweeps_leftovers_and_close_removes_its_own(store: Store, tmp_path: Path, monkeypatch):
    folder = tmp_path / "uploads"
    files = _leftovers(folder)
    copy = uploads.new_path(folder, "orders.csv")
    copy.write_text(TRANSACTIONS_CSV)
    upload = Upload(store, folder)
    upload.add_files("transactions", [IncomingFile(copy, "orders.csv")], owned=True)
    assert upload.check().ok

    def fail(*_args, **_kwargs):
        raise StoreError("nothing published: the disk is full")

    monkeypatch.setattr(store, "publish", fail)
    with pytest.raises(StoreError):
        upload.publish("shop")
    assert not files["dead"].exists() and not files["mine_untracked"].exists() and not files["earlier_old"].exists()
    assert copy.exists()  # still this upload's: the analyst may publish again
    upload.close()
    assert sorted(p.name for p in folder.iterdir()) == sorted([files["earlier_new"].name, files["not_ours"].name])


def test_app_start_sweeps_the_upload_folder(tiny_db_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The first page anyone opens (here the Overview) opens the store once per process, and sweeps there."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import use_copy

    use_copy(tiny_db_file, tmp_path, monkeypatch)
    files = _leftovers(tmp_path / "uploads")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert not files["dead"].exists() and not files["earlier_old"].exists()
    assert files["not_ours"].exists() and files["earlier_new"].exists()


# -- workbooks whose extents cannot be read first (.ods, .xlsb, .xls): read in a child with capped memory ---------


def _ods(path: Path, rows: str) -> Path:
    """A minimal OpenDocument spreadsheet with one sheet 'Sheet1' holding rows (table:table-row elements)."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
        f'<office:spreadsheet><table:table table:name="Sheet1">{rows}</table:table></office:spreadsheet></office:body>'
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return path


def _ods_row(*values: str) -> str:
    cells = "".join(f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>' for v in values)
    return f"<table:table-row>{cells}</table:table-row>"


def _far_ods_rows(rows: int, cols: int) -> str:
    return (
        _ods_row("customer_id", "date", "amount")
        + f'<table:table-row table:number-rows-repeated="{rows - 2}"><table:table-cell/></table:table-row>'
        + f'<table:table-row><table:table-cell table:number-columns-repeated="{cols - 1}"/>'
        + '<table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell></table:table-row>'
    )


def test_ods_is_read_in_a_child_process(store: Store, tmp_path: Path):
    path = _ods(tmp_path / "orders.ods", _ods_row("customer_id", "date", "amount") + _ods_row("C1", "2024-01-05", "12.5"))
    version, report = publish(store, tmp_path, {"transactions": [path]})
    assert report.tables["transactions"].published == 1
    assert [r[2] for r in table_rows(store, version, "transactions")] == [12.5]


def test_ods_spanning_the_whole_grid_is_refused(store: Store, tmp_path: Path):
    path = _ods(tmp_path / "far.ods", _far_ods_rows(1_048_576, 16_384))
    assert path.stat().st_size < 2_000
    upload, report = run_upload(store, tmp_path, {"transactions": [path]})
    upload.close()
    [problem] = report.blocking
    assert problem.message.startswith("far.ods could not be opened as an Excel workbook (Cell limit exceeded")


def test_ods_over_the_reader_memory_cap_is_refused_and_the_server_survives(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """25,000,000 cells (about 800 MB for the Excel reader) against a cap of 300 MB: the child stops, the message says so."""
    monkeypatch.setattr(limits, "MAX_READER_BYTES", 300 * limits.MIB)
    path = _ods(tmp_path / "big.ods", _far_ods_rows(5_000, 5_000))
    upload, report = run_upload(store, tmp_path, {"transactions": [path]})
    upload.close()
    [problem] = report.blocking
    assert problem.message.startswith("big.ods: reading it needed more memory than allowed or failed (the Excel reader")
    assert "over CX Lens's limit (314.6 MB of memory): save the sheet as CSV" in problem.message


_DATA_PAGE_IN_CHILD = """
import json, sys
from pathlib import Path
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("app.py", default_timeout=120)
at.switch_page("pages/9_Data.py")
at.run()
hostile = Path(sys.argv[1])
at.file_uploader[1].set_value((hostile.name, hostile.read_bytes(), "application/octet-stream")).run()
first = {"exception": bool(at.exception), "errors": [e.value for e in at.error]}
at.file_uploader[1].set_value(("orders.csv", sys.argv[2].encode(), "text/csv")).run()
then = {"exception": bool(at.exception), "successes": [s.value for s in at.success]}
print(json.dumps({"hostile": first, "then": then, "left": sorted(p.name for p in Path(sys.argv[3]).iterdir())}))
"""


def test_data_page_shows_the_refusal_and_goes_on(tmp_path: Path):
    """The Data page with a 1.6 KB sheet reaching XFD1048576 (in a child process, so a crash fails the test): one
    clear error, no exception, the same session then reads a good file, and the refused copy is gone."""
    path = make_xlsx(tmp_path / "far.xlsx", HEADER_ROW + FAR_ROW)
    uploads_dir = tmp_path / "uploads"
    env = {
        **os.environ,
        "CXLENS_DB": str(tmp_path / "page.duckdb"),
        "CXLENS_UPLOAD_DIR": str(uploads_dir),
        "CXLENS_NO_SAMPLE": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", _DATA_PAGE_IN_CHILD, str(path), TRANSACTIONS_CSV, str(uploads_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"the app died (exit {done.returncode}): {done.stderr[-800:]}"
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert not outcome["hostile"]["exception"]
    [error] = outcome["hostile"]["errors"]
    assert "sheet 'Sheet1' spans A1:XFD1048576" in error.replace("\\", "")
    assert not outcome["then"]["exception"]
    assert any("Nothing blocks publishing" in s for s in outcome["then"]["successes"])
    assert len(outcome["left"]) == 1 and outcome["left"][0].endswith("-orders.csv")  # far.xlsx's copy is gone


def test_workbook_of_many_empty_sheets_is_not_read_sheet_by_sheet(store: Store, tmp_path: Path):
    """60 empty sheets and the table on the 60th: the first 50 are tried, then the analyst is asked to choose."""
    import xlsxwriter

    path = tmp_path / "many.xlsx"
    book = xlsxwriter.Workbook(str(path))
    for i in range(59):
        book.add_worksheet(f"empty {i + 1}")
    last = book.add_worksheet("data")
    for r, row in enumerate([("customer_id", "date", "amount"), ("C1", "2024-01-05", 10)]):
        last.write_row(r, 0, row)
    book.close()
    upload, report = run_upload(store, tmp_path, {"transactions": [path]})
    upload.close()
    [problem] = report.blocking
    assert problem.message == (
        "many.xlsx: none of its first 50 sheets (of 60) holds a table: choose the sheet in Read settings (command line: "
        '"read": {"sheet": ...} in the mapping file)'
    )
    upload, report = run_upload(store, tmp_path, {"transactions": [path]}, read={"transactions": ReadOptions(sheet="data")})
    upload.close()
    assert report.ok and report.tables["transactions"].published == 1


def test_text_file_with_more_columns_than_the_limit_is_refused(store: Store, tmp_path: Path):
    content = ",".join(f"c{i}" for i in range(20_000)) + "\n" + ",".join("1" for _ in range(20_000)) + "\n"
    upload, report = run_upload(store, tmp_path, {"transactions": [write(tmp_path, "wide.csv", content)]})
    upload.close()
    [problem] = report.blocking
    assert problem.message == (
        "wide.csv: it has 20,000 columns, which is over CX Lens's limit (16,384 columns): export only the columns CX Lens needs"
    )


def test_a_line_over_10_mb_is_a_rejected_line(store: Store, tmp_path: Path):
    """One 20 MB field: DuckDB's line limit leaves that line out, named with its line number; the rest is read."""
    content = TRANSACTIONS_CSV + "C9,2024-01-01,5," + "x" * 20_000_000 + "\n"
    upload, report = run_upload(store, tmp_path, {"transactions": [write(tmp_path, "long.csv", content)]})
    upload.close()
    table = report.tables["transactions"]
    assert (table.read, table.published, table.rejected) == (5, 4, 1)
    problem = next(p for p in table.problems if p.code == "unreadable_lines")
    assert problem.examples[0].row == 6


def test_sheet_xml_not_in_utf8_is_refused(tmp_path: Path):
    """The scan reads the sheet's bytes as UTF-8, what Excel writes; a UTF-16 sheet could hide its cells from it."""
    path = tmp_path / "utf16.xlsx"
    make_xlsx(path, HEADER_ROW + _DATA_ROW)
    text = f'<?xml version="1.0" encoding="UTF-16"?><worksheet {_NS}><sheetData>{HEADER_ROW + FAR_ROW}</sheetData></worksheet>'
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tmp_path / "out.xlsx", "w") as target:
        for item in source.infolist():
            data = text.encode("utf-16") if item.filename.endswith("sheet1.xml") else source.read(item)
            target.writestr(item, data)
    outcome = _read_in_child(tmp_path, tmp_path / "out.xlsx")
    assert "out.xlsx could not be read as an Excel workbook (the sheet's XML is not UTF-8)" in outcome["error"]


def test_two_sheets_of_the_same_name_are_refused(tmp_path: Path):
    """Which of two same-named sheets a reader takes is anyone's guess: the scan could check one and the reader read the
    other."""
    path = make_xlsx(tmp_path / "twins.xlsx", HEADER_ROW + _DATA_ROW)
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tmp_path / "twins2.xlsx", "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/workbook.xml":
                data = data.replace(b"</sheets>", b'<sheet name="Sheet1" sheetId="2" r:id="rId1"/></sheets>')
            target.writestr(item, data)
    outcome = _read_in_child(tmp_path, tmp_path / "twins2.xlsx")
    assert "twins2.xlsx could not be read as an Excel workbook (two sheets called 'Sheet1')" in outcome["error"]


def test_workbook_named_otherwise_is_read_in_the_capped_child(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The Excel reader picks a workbook's format by its name: an .xlsx saved as orders.csv (or .ods) is not scanned as
    .xlsx but read in the child, whose memory cap holds whatever it turns out to be."""
    path = make_xlsx(tmp_path / "orders.xlsx", HEADER_ROW + _DATA_ROW)
    renamed = path.rename(tmp_path / "orders.csv")
    calls = []
    real = excel.read_table_isolated
    monkeypatch.setattr(excel, "read_table_isolated", lambda *a: calls.append(a[1]) or real(*a))
    version, _report = publish(store, tmp_path, {"transactions": [renamed]})
    assert calls == ["orders.csv"]
    assert [r[2] for r in table_rows(store, version, "transactions")] == [100.0]


def test_rejected_rows_download_is_capped(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The download is built in memory: at most MAX_REJECTED_ROWS rows, the first ones in file order."""
    monkeypatch.setattr(limits, "MAX_REJECTED_ROWS", 3)
    content = "customer_id,date,amount\n" + "".join(f"C{i},2024-01-05,\n" for i in range(10))
    upload, report = run_upload(store, tmp_path, {"transactions": [write(tmp_path, "blank.csv", content)]})
    try:
        assert report.tables["transactions"].rejected == 10
        assert upload.rejected("transactions")["row"].tolist() == [2, 3, 4]
    finally:
        upload.close()
