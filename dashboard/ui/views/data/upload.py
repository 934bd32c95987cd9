"""The Upload section: one uploader per table, the files' read settings, then mapping, report and publish in order.

Uploaded files are copied to the upload folder (the only folder the app's database may read), read by path, and
deleted when the upload is published or discarded. Nothing is published until the analyst has seen the validation
report and pressed Publish.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from dashboard import access, config, contract
from dashboard.access import Action
from dashboard.escape import markdown_text
from dashboard.ingest import encoding as enc
from dashboard.ingest import sniff, uploads
from dashboard.ingest.pipeline import IncomingFile, Upload
from dashboard.ingest.report import file_size
from dashboard.ingest.sources import ReadOptions
from dashboard.ui import auth, state
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import guarded
from dashboard.ui.views.data import mapping, publish, session, validation, values

ACCEPTED = sorted({ext.lstrip(".") for ext in sniff.EXTENSIONS})


@guarded("Upload")
def render_upload(ctx: PageContext) -> None:
    """Upload files per table, map them, read the validation report and publish."""
    publish.show_last_publish()
    if ctx.presenting:
        st.info("Uploading is an editing task: leave presentation mode to bring new data.")
        return
    if not auth.can(Action.UPLOAD):
        st.info(access.refusal(auth.role(), Action.UPLOAD), icon=":material/lock:")
        return
    upload = session.upload_for(ctx.store)
    st.subheader("1 · Files")
    st.caption(
        "CSV, TSV or pipe-separated text (any common encoding), Excel (.xlsx), Parquet or JSON lines, up to 1 GB each in the "
        "browser (larger through the command line). Several files for one table are appended, or joined on a key (a "
        "customers table split over sheets; payments that take their customer from orders). Only the transactions or only "
        "the customers are enough to start."
    )
    for table in contract.TABLES:
        _files_for(upload, table)
    tables = upload.tables()
    failed = [t for t in contract.TABLES if t in upload.read_errors]
    for table in failed:
        st.error(markdown_text(upload.read_errors[table].message), icon=":material/error:")
    if not tables:
        st.info("Upload at least one file to map its columns.", icon=":material/upload_file:")
        return
    st.subheader("2 · Columns")
    report = validation.check(upload)
    # labels that do not change with the files, so the chosen tab is kept (in session state and the URL) on every rerun
    tabs = state.tabs([session.TABLE_TEXT[t][0] for t in tables], "d_tab")
    for tab, table in zip(tabs, tables, strict=True):
        with tab:
            mapping.render_mapping(upload, table)
    values.satisfaction_scale(upload)
    st.subheader("3 · Validation report")
    report = validation.check(upload)  # again: a choice just made above (the satisfaction scale) may call for it
    if report is None:
        return
    validation.render_report(upload, report, ctx)
    st.subheader("4 · Publish")
    publish.render_publish(upload, report, ctx)


def _files_for(upload: Upload, table: str) -> None:
    """The table's uploader; new files (or changed read settings) are read at once, then their read settings shown."""
    title, row = session.TABLE_TEXT[table]
    touched = f"d_touched_{table}"

    def _touched() -> None:
        st.session_state[touched] = True

    files = st.file_uploader(
        f"{title}: {row}",
        type=ACCEPTED,
        accept_multiple_files=True,
        key=f"d_up_{table}_{session.generation()}",
        help=f"The {table} extract. Column names in the first row (Excel: the first full row).",
        on_change=_touched,
    )
    files = files or []
    read = st.session_state.get(f"d_read_{table}_{session.generation()}", ReadOptions())
    ids = (tuple(f.file_id for f in files), read)
    kept = upload.sources.get(table, [])
    if not files and kept and not st.session_state.get(touched):
        # the uploader forgot its files while another section was shown (Streamlit drops a widget's state when it is not
        # drawn); the upload still holds them and their mapping, so nothing is read again or lost
        names = ", ".join(s.name for s in kept)
        st.caption(f":material/inventory_2: Kept from before: {markdown_text(names)}. Upload files here to replace them.")
        return
    st.session_state.pop(touched, None)
    if st.session_state.get(f"d_ids_{table}") != ids:
        st.session_state[f"d_ids_{table}"] = ids
        if not files:
            upload.remove_table(table)
            return
        if not auth.require(Action.UPLOAD):
            return
        bar = session.ProgressBar(f"Reading {len(files)} {table} file(s)…")
        incoming = [_save_upload(f) for f in files]
        upload.add_files(table, incoming, read, owned=True, progress=bar)
        bar.done()
        session.renew_mapping_widgets(table)
    if files:
        _read_settings(upload, table, read)


def _save_upload(uploaded) -> IncomingFile:
    """Copy an uploaded file to the upload folder (hashing it on the way) and return it as an IncomingFile."""
    path = uploads.new_path(config.upload_dir(), uploaded.name)
    digest = hashlib.sha256()
    uploaded.seek(0)
    with open(path, "wb") as out:
        while chunk := uploaded.read(8 << 20):
            digest.update(chunk)
            out.write(chunk)
    return IncomingFile(path, uploaded.name, digest.hexdigest())


def _read_settings(upload: Upload, table: str, read: ReadOptions) -> None:
    """The read settings of a table's files, detected values shown; a change reads the files again on the next run."""
    sources = upload.sources.get(table, [])
    first = sources[0] if sources else None
    summary = "; ".join(_file_line(s) for s in sources) or "the file could not be read"
    state_key = f"d_read_{table}_{session.generation()}"
    keys = {name: f"d_{name}_{table}_{session.generation()}" for name in ("enc", "delim", "header", "sheet")}

    def _changed() -> None:
        st.session_state[state_key] = ReadOptions(
            st.session_state[keys["enc"]],
            st.session_state[keys["delim"]],
            st.session_state[keys["header"]],
            st.session_state.get(keys["sheet"], read.sheet) or "",
        )

    with st.expander(f"Read settings · {markdown_text(summary)}", expanded=table in upload.read_errors):
        left, middle, right = st.columns(3)
        encodings = ["auto", *enc.LABELS]
        left.selectbox(
            "Encoding",
            encodings,
            index=encodings.index(read.encoding),
            format_func=lambda encoding: session.DETECT if encoding == "auto" else enc.LABELS[encoding],
            help=f"Detected: {first.encoding}." if first and first.encoding else None,
            key=keys["enc"],
            on_change=_changed,
        )
        delimiters = ["auto", *sniff.DELIMITERS]
        middle.selectbox(
            "Delimiter",
            delimiters,
            index=delimiters.index(read.delimiter),
            format_func=lambda delimiter: session.DETECT if delimiter == "auto" else sniff.DELIMITERS[delimiter],
            help=f"Detected: {sniff.DELIMITERS[first.delimiter]}." if first and first.delimiter else None,
            key=keys["delim"],
            on_change=_changed,
        )
        right.checkbox("First row holds column names", value=read.header, key=keys["header"], on_change=_changed)
        if first and first.sheets:
            options = ["", *first.sheets]
            left.selectbox(
                "Sheet",
                options,
                index=options.index(read.sheet) if read.sheet in options else 0,
                format_func=lambda sheet: "the first that holds a table" if sheet == "" else sheet,
                help=f"Reading '{markdown_text(first.sheet)}'.",
                key=keys["sheet"],
                on_change=_changed,
            )


def _file_line(source) -> str:
    """A file as the read settings name it: name, size, format, encoding, delimiter, sheet."""
    parts = [source.name, file_size(source.size), sniff.FORMAT_LABELS[source.format]]
    if source.encoding:
        parts.append(source.encoding)
    if source.delimiter:
        parts.append(sniff.DELIMITERS[source.delimiter])
    if source.sheet:
        parts.append(f"sheet '{source.sheet}'")
    return " · ".join(parts)
