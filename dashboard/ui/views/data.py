"""The Data page's sections: upload (files, mapping, validation report, publish), datasets, mapping templates.

Uploaded files are copied to the upload folder (the only folder the app's database may read), read by
path, and deleted when the upload is published or discarded. Nothing is published until the analyst
has seen the validation report and pressed Publish.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard import access, config, contract, export
from dashboard.access import Action
from dashboard.escape import markdown_text
from dashboard.ingest import encoding as enc
from dashboard.ingest import formats, rules, sniff, steps, templates, uploads, vocab
from dashboard.ingest.errors import IngestError
from dashboard.ingest.joinspec import JOIN, LOOKUP, JoinFile, JoinSpec
from dashboard.ingest.mapping import SATISFACTION_SCALES, TableMapping
from dashboard.ingest.pipeline import IncomingFile, Upload
from dashboard.ingest.report import BLOCKING, NOTE, WARNING, Problem, Report, file_size
from dashboard.ingest.sources import ReadOptions
from dashboard.store import Store, StoreError
from dashboard.ui import auth, data, frame, state, widgets
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import guarded

SECTIONS = ("Upload", "Datasets", "Templates")
NOT_MAPPED = "— not mapped —"
DETECT = "detect"
"""How an automatic choice is shown in a box (the label must not change from run to run: Streamlit matches it)."""
FROM_RULE = "— from a rule —"
KEEP_LABEL = "(keep as is)"
TABLE_TEXT = {
    "customers": ("Customers", "one row per customer, prospects included"),
    "transactions": ("Transactions", "one row per purchase, bill or payment"),
    "interactions": ("Interactions", "one row per touchpoint: call, email, visit, web session..."),
}
ACCEPTED = sorted({ext.lstrip(".") for ext in sniff.EXTENSIONS})
IDLE_UPLOADS = timedelta(hours=2)
_UPLOAD_KEY = "d_upload"


@guarded("Data sections", stop=True)
def section_picker(ctx: PageContext) -> str:
    """The section shown (kept in the URL as d_view), under one line saying who may do what here."""
    auth.notice()

    def _valid(value: str) -> str:
        if value not in SECTIONS:
            raise ValueError(value)
        return value

    return state.widget(
        st.segmented_control,
        "Section",
        "d_view",
        "Upload",
        state.TEXT,
        valid=_valid,
        value_arg="default",
        options=list(SECTIONS),
        required=True,
        label_visibility="collapsed",
    )


# -- the upload in session state ----------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def _open_uploads() -> dict[str, tuple[Upload, float]]:
    """Uploads of every session in this process, with when each was last used (idle ones are closed)."""
    return {}


def _upload(store: Store) -> Upload:
    """This session's upload (made on first use); uploads idle for two hours in any session are closed."""
    registry = _open_uploads()
    now = time.time()
    for token, (other, used) in list(registry.items()):
        if now - used > IDLE_UPLOADS.total_seconds():
            other.close()
            registry.pop(token, None)
    upload = st.session_state.get(_UPLOAD_KEY)
    if upload is None or upload.store is not store or upload.token not in registry:
        upload = Upload(store, config.upload_dir())
        st.session_state[_UPLOAD_KEY] = upload
        st.session_state["d_gen"] = st.session_state.get("d_gen", 0) + 1
    registry[upload.token] = (upload, now)
    return upload


def _discard(upload: Upload) -> None:
    upload.close()
    _open_uploads().pop(upload.token, None)
    st.session_state.pop(_UPLOAD_KEY, None)
    st.session_state["d_gen"] = st.session_state.get("d_gen", 0) + 1
    for key in [k for k in st.session_state if str(k).startswith("d_ids_")]:
        del st.session_state[key]


def _gen() -> int:
    """A number in widget keys that changes when a new upload starts, so its widgets start fresh."""
    return st.session_state.get("d_gen", 0)


class _Bar:
    """A Streamlit progress bar fed by the ingest library's progress callback (redrawn at most ten times a second)."""

    def __init__(self, text: str) -> None:
        self.bar = st.progress(0.0, text=text)
        self.last = 0.0

    def __call__(self, step: str, fraction: float) -> None:
        now = time.monotonic()
        if now - self.last >= 0.1 or fraction >= 1:
            self.last = now
            self.bar.progress(max(0.0, min(1.0, fraction)), text=step)

    def done(self) -> None:
        self.bar.empty()


# -- upload section -----------------------------------------------------------------------------


@guarded("Upload")
def render_upload(ctx: PageContext) -> None:
    """Upload files per table, map them, read the validation report and publish."""
    _show_last_publish()
    if ctx.presenting:
        st.info("Uploading is an editing task: leave presentation mode to bring new data.")
        return
    if not auth.can(Action.UPLOAD):
        st.info(access.refusal(auth.role(), Action.UPLOAD), icon=":material/lock:")
        return
    upload = _upload(ctx.store)
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
    report = _check(upload)
    # labels that do not change with the files, so the chosen tab is kept (in session state and the URL) on every rerun
    tabs = state.tabs([TABLE_TEXT[t][0] for t in tables], "d_tab")
    for tab, table in zip(tabs, tables, strict=True):
        with tab:
            _mapping_for(upload, table)
    _satisfaction_scale(upload)
    st.subheader("3 · Validation report")
    report = _check(upload)  # again: a choice just made above (the satisfaction scale) may call for it
    if report is None:
        return
    render_report(upload, report, ctx)
    st.subheader("4 · Publish")
    _publish(upload, report, ctx)


def _files_for(upload: Upload, table: str) -> None:
    """The table's uploader; new files (or changed read settings) are read at once, then their read settings shown."""
    title, row = TABLE_TEXT[table]
    touched = f"d_touched_{table}"

    def _touched() -> None:
        st.session_state[touched] = True

    files = st.file_uploader(
        f"{title}: {row}",
        type=ACCEPTED,
        accept_multiple_files=True,
        key=f"d_up_{table}_{_gen()}",
        help=f"The {table} extract. Column names in the first row (Excel: the first full row).",
        on_change=_touched,
    )
    files = files or []
    read = st.session_state.get(f"d_read_{table}_{_gen()}", ReadOptions())
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
        bar = _Bar(f"Reading {len(files)} {table} file(s)…")
        incoming = [_save_upload(f) for f in files]
        upload.add_files(table, incoming, read, owned=True, progress=bar)
        bar.done()
        st.session_state[f"d_mapgen_{table}"] = st.session_state.get(f"d_mapgen_{table}", 0) + 1
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
    state_key = f"d_read_{table}_{_gen()}"
    keys = {name: f"d_{name}_{table}_{_gen()}" for name in ("enc", "delim", "header", "sheet")}

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
            format_func=lambda e: DETECT if e == "auto" else enc.LABELS[e],
            help=f"Detected: {first.encoding}." if first and first.encoding else None,
            key=keys["enc"],
            on_change=_changed,
        )
        delimiters = ["auto", *sniff.DELIMITERS]
        middle.selectbox(
            "Delimiter",
            delimiters,
            index=delimiters.index(read.delimiter),
            format_func=lambda d: DETECT if d == "auto" else sniff.DELIMITERS[d],
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
                format_func=lambda s: "the first that holds a table" if s == "" else s,
                help=f"Reading '{markdown_text(first.sheet)}'.",
                key=keys["sheet"],
                on_change=_changed,
            )


def _file_line(source) -> str:
    parts = [source.name, file_size(source.size), sniff.FORMAT_LABELS[source.format]]
    if source.encoding:
        parts.append(source.encoding)
    if source.delimiter:
        parts.append(sniff.DELIMITERS[source.delimiter])
    if source.sheet:
        parts.append(f"sheet '{source.sheet}'")
    return " · ".join(parts)


def _map_key(table: str, name: str) -> str:
    return f"d_{name}_{table}_{_gen()}_{st.session_state.get(f'd_mapgen_{table}', 0)}"


def _mapping_for(upload: Upload, table: str) -> None:
    """Column mapping, behaviour flags, derived columns, formats and labels of one table."""
    n_files = len(upload.sources.get(table, []))
    st.caption(f"{n_files} file{'s' if n_files != 1 else ''}: " + markdown_text(", ".join(s.name for s in upload.sources[table])))
    _join_settings(upload, table)
    mapping = upload.mapping.tables[table]
    for note in upload.mapping_notes.get(table, []):
        st.caption(f":material/info: {markdown_text(note)}")
    with st.expander("What the file holds (first rows)"):
        widgets.table(upload.raw_preview(table, 8))
    headers = upload.headers(table)
    samples = upload.samples.get(table, {})
    spec = contract.TABLES[table]
    st.markdown("**Columns** · required ones are marked ✱; an unmapped optional column is simply left out")
    grid = st.columns(2)
    for i, column in enumerate(spec.columns):
        _column_select(upload, table, mapping, column.name, column, headers, samples, grid[i % 2])
    if table == "customers":
        _behaviours(upload, table, headers)
        _attributes(upload, table, headers)
    _derived(upload, table, headers)
    _formats(upload, table, headers)
    _anonymous_ids(upload, table)
    _steps(upload, table)
    _labels(upload, table)
    st.download_button(
        "Download this mapping (JSON, for the command line)",
        json.dumps(upload.mapping.to_json(), indent=2, ensure_ascii=False).encode("utf-8"),
        file_name="cxlens-mapping.json",
        mime="application/json",
        key=_map_key(table, "mapjson"),
        icon=":material/data_object:",
        on_click="ignore",
    )


APPEND, JOIN_MODE = "Append them (the files hold the same columns)", "Join them on key columns"
HOW_TEXT = {
    JOIN: "join (add its columns)",
    LOOKUP: "lookup (reject rows without a match)",
}


def _join_settings(upload: Upload, table: str) -> None:
    """How a table's files (or one workbook's sheets) come together: appended, or joined on key columns the analyst picks;
    then the match rates and the unmatched rows to download."""
    sources = upload.sources.get(table, [])
    sheets = sources[0].sheets if len(sources) == 1 else ()
    spec = upload.mapping.tables[table].join
    if len(sources) < 2 and len(sheets) < 2 and spec is None:
        return  # a join (from a template) with too few files stays shown, so it can be taken back
    problem = upload.join_errors.get(table)
    title = "Files: joined on a key" if spec else "Files: appended"
    with st.expander(title, expanded=spec is not None or problem is not None):
        if len(sources) > 1:
            _first_file(upload, table, sources)
        with st.form(_map_key(table, "join"), border=False):
            mode = st.radio(
                "The files of this table", [APPEND, JOIN_MODE], index=1 if spec else 0, key=_map_key(table, "join_mode")
            )
            chosen = _join_form_files(upload, table, sources, sheets, spec)
            rules_text = {"block": "a repeated key blocks publishing", "first": "use the first row per key"}
            duplicates = st.selectbox(
                "A key repeated in a joined file",
                list(rules_text),
                index=list(rules_text).index(spec.duplicates) if spec else 0,
                format_func=rules_text.get,
                key=_map_key(table, "join_dups"),
            )
            if st.form_submit_button("Apply", icon=":material/join_left:"):
                try:
                    fresh = None if mode == APPEND else _join_spec(chosen, duplicates)
                    upload.set_join(table, fresh)
                    st.session_state[f"d_mapgen_{table}"] = st.session_state.get(f"d_mapgen_{table}", 0) + 1
                    st.rerun()
                except (ValueError, IngestError) as exc:
                    st.error(markdown_text(exc), icon=":material/error:")
        if problem is not None:
            st.error(markdown_text(f"{problem.message} What to do: {problem.action}"), icon=":material/block:")
        _join_result(upload, table)


def _first_file(upload: Upload, table: str, sources) -> None:
    """Which file comes first: a join keeps its rows (the others add columns or are looked up), a template goes by its header."""
    names = [s.name for s in sources]
    key = _map_key(table, "join_first")

    def _changed() -> None:
        upload.set_first_file(table, st.session_state[key])
        st.session_state[f"d_mapgen_{table}"] = st.session_state.get(f"d_mapgen_{table}", 0) + 1

    st.selectbox(
        "First file (a join keeps its rows; the others are matched to it)",
        names,
        index=0,
        key=key,
        on_change=_changed,
    )


def _join_form_files(upload: Upload, table: str, sources, sheets, spec: JoinSpec | None) -> dict:
    """The form's key boxes: the first file's key, and per other file its key, how it comes in and the column it matches."""
    first = sources[0]
    by_sheet = len(sources) == 1
    picked_sheets: list[str] = []
    if by_sheet:
        picked_sheets = st.multiselect(
            f"Sheets of {markdown_text(first.name)} to join, the first one first",
            list(sheets),
            default=[s for s in (spec.sheets if spec else ()) if s in sheets],
            key=_map_key(table, "join_sheets"),
        )
    first_headers = list(first.headers)
    key_default = spec.key if spec else upload.mapping.tables[table].columns.get("customer_id")
    key = st.selectbox(
        f"Key column of {markdown_text(first.name)}" + (" (the first sheet)" if by_sheet else ""),
        first_headers,
        index=first_headers.index(key_default) if key_default in first_headers else None,
        placeholder="choose the key column",
        key=_map_key(table, "join_key"),
    )
    others = []
    count = max(0, len(picked_sheets) - 1) if by_sheet else len(sources) - 1
    for position in range(1, count + 1):
        member = spec.member(position) if spec else None
        a, b, c = st.columns(3)
        if by_sheet:
            name = picked_sheets[position]
            their_key = a.text_input(
                f"Key column of sheet '{markdown_text(name)}'",
                value=member.key if member else (key or ""),
                key=_map_key(table, f"jk{position}"),
            )
        else:
            name = sources[position].name
            headers = list(sources[position].headers)
            guess = member.key if member else next((h for h in headers if key and h.strip().lower() == key.strip().lower()), None)
            their_key = a.selectbox(
                f"Key column of {markdown_text(name)}",
                headers,
                index=headers.index(guess) if guess in headers else None,
                placeholder="choose its key column",
                key=_map_key(table, f"jk{position}"),
            )
        how = b.selectbox(
            "How it comes in",
            list(HOW_TEXT),
            help="join: its columns are added; rows of the first file without a match keep them blank. lookup: rows of "
            "the first file without a match are rejected (listed in the report and the rejected rows).",
            index=list(HOW_TEXT).index(member.how) if member else 0,
            format_func=HOW_TEXT.get,
            key=_map_key(table, f"jh{position}"),
        )
        on = c.selectbox(
            "Matched with the first file's column",
            ["", *first_headers],
            index=(["", *first_headers].index(member.on) if member and member.on in first_headers else 0),
            format_func=lambda h: h or "its key column (above)",
            key=_map_key(table, f"jo{position}"),
        )
        others.append((name, their_key, how, on))
    return {"key": key, "others": others, "sheets": picked_sheets, "by_sheet": by_sheet}


def _join_spec(chosen: dict, duplicates: str) -> JoinSpec:
    """The join the form describes; ValueError naming the box left empty."""
    if not chosen["key"]:
        raise ValueError("Choose the key column of the first file, then press Apply.")
    if chosen["by_sheet"] and len(chosen["sheets"]) < 2:
        raise ValueError("Choose two or more sheets to join.")
    files = []
    for name, their_key, how, on in chosen["others"]:
        if not their_key:
            raise ValueError(f"Choose the key column of {name}, then press Apply.")
        files.append(JoinFile(their_key, on, how))
    return JoinSpec(chosen["key"], tuple(files), tuple(chosen["sheets"]), duplicates).validate()


def _join_result(upload: Upload, table: str) -> None:
    """Per joined file: rows matched, only in the first file, only in it, repeated keys; the unmatched rows to download."""
    joined = upload.joined(table)
    if joined is None:
        return
    rows = [
        {
            "file": s.label,
            "how": s.how,
            "matched on": f"{s.on} = {s.key}",
            "rows of the first file matched": s.matched,
            "only in the first file": s.only_first,
            "only in this file": s.only_here,
            "repeated keys": s.repeated,
        }
        for s in joined.stats
    ]
    widgets.table(pd.DataFrame(rows))
    unmatched = upload.unmatched(table)
    if len(unmatched):
        st.download_button(
            f"Download the {len(unmatched):,} unmatched rows (CSV)",
            data=lambda table=table: export.csv_bytes(upload.unmatched(table)),
            file_name=f"unmatched-{table}.csv",
            mime="text/csv",
            key=_map_key(table, "unmatched"),
            icon=":material/download:",
            on_click="ignore",
        )


def _column_select(upload, table, mapping: TableMapping, target: str, column, headers, samples, where) -> None:
    rule = next((r for r in mapping.rules if r.target == target), None)
    options = [NOT_MAPPED, *([FROM_RULE] if rule else []), *headers]
    current = FROM_RULE if rule else mapping.columns.get(target, NOT_MAPPED)
    if current not in options:
        current = NOT_MAPPED
    label = f"{target} ✱" if column.required else target
    key = _map_key(table, f"map_{target}")

    def _changed() -> None:
        chosen = st.session_state[key]
        fresh = upload.mapping.tables[table].copy()
        fresh.rules = [r for r in fresh.rules if r.target != target or chosen == FROM_RULE]
        if chosen in (NOT_MAPPED, FROM_RULE):
            fresh.columns.pop(target, None)
        else:
            fresh.columns[target] = chosen
        upload.set_mapping(table, fresh)

    where.selectbox(
        label,
        options,
        index=options.index(current),
        key=key,
        on_change=_changed,
        help=f"{column.description} ({column.type})",
    )
    if rule:
        where.caption(f"from a rule: {markdown_text(rule.describe().split(' = ', 1)[1])}")
    elif current != NOT_MAPPED:
        values = [v for v in samples.get(current, [])[:4]]
        where.caption("e.g. " + ", ".join(markdown_text(_short(v)) for v in values) if values else "(blank in the first rows)")


def _short(value: str, width: int = 24) -> str:
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _behaviours(upload: Upload, table: str, headers: list[str]) -> None:
    mapping = upload.mapping.tables[table]
    st.markdown("**Behaviour flags** · yes/no per customer (e-billing, automatic payment, ...), named b_<name>")
    flags = [t for t in mapping.targets() if t.startswith(contract.BEHAVIOUR_PREFIX)]
    for target in flags:
        left, right = st.columns([5, 1])
        left.markdown(f"`{target}` = {markdown_text(_source_words(mapping, target))}")
        if right.button("Remove", key=_map_key(table, f"rm_{target}"), icon=":material/delete:"):
            _remove_target(upload, table, target)
            st.rerun()
    # no box has a default column and the form is not cleared on submit: Enter in the name box must not add a flag bound
    # to the first column, and a refused flag keeps what was typed
    with st.form(_map_key(table, "add_flag"), border=True):
        st.caption("Add a behaviour flag")
        a, b, c, d = st.columns([2, 2, 2, 2])
        key = a.text_input("Name (lowercase, e.g. e_billing)", key=_map_key(table, "flag_key"))
        source = b.selectbox(
            "From column", headers, index=None, placeholder="choose a column", key=_map_key(table, "flag_source")
        )
        kinds = ["yes_no", *rules.FLAG_KINDS]
        kind = c.selectbox(
            "Rule",
            kinds,
            format_func=lambda k: "holds yes/no" if k == "yes_no" else rules.FLAG_KINDS[k],
            key=_map_key(table, "flag_kind"),
        )
        value = d.text_input("Value (for comparisons)", key=_map_key(table, "flag_value"))
        if st.form_submit_button("Add flag", icon=":material/add:"):
            try:
                if not key.strip() or source is None:
                    raise ValueError("Name the flag and choose the column it comes from, then press Add flag.")
                target = contract.behaviour_column(key.strip())
                fresh = upload.mapping.tables[table].copy()
                fresh.columns.pop(target, None)
                fresh.rules = [r for r in fresh.rules if r.target != target]
                if kind == "yes_no":
                    fresh.columns[target] = source
                else:
                    fresh.rules.append(rules.Rule(target, kind, source, value))
                upload.set_mapping(table, fresh.validate())
                st.session_state[f"d_mapgen_{table}"] = st.session_state.get(f"d_mapgen_{table}", 0) + 1  # a fresh form
                st.rerun()
            except (ValueError, IngestError) as exc:
                st.error(markdown_text(exc), icon=":material/error:")


def _attributes(upload: Upload, table: str, headers: list[str]) -> None:
    """Kept attributes a_<name>: text columns stored with the customer (contract, payment method) for Drivers."""
    mapping = upload.mapping.tables[table]
    st.markdown(
        "**Kept attributes** · text columns kept with the customer (contract type, payment method, ...), named a_<name>; "
        "Drivers compares the defection of each value"
    )
    kept = [t for t in mapping.targets() if t.startswith(contract.ATTRIBUTE_PREFIX)]
    for target in kept:
        left, right = st.columns([5, 1])
        left.markdown(f"`{target}` = column '{markdown_text(mapping.columns.get(target, ''))}'")
        if right.button("Remove", key=_map_key(table, f"rm_{target}"), icon=":material/delete:"):
            _remove_target(upload, table, target)
            st.rerun()
    with st.form(_map_key(table, "add_attribute"), border=True):
        a, b = st.columns(2)
        key = a.text_input("Name (lowercase, e.g. contract)", key=_map_key(table, "attr_key"))
        source = b.selectbox(
            "From column", headers, index=None, placeholder="choose a column", key=_map_key(table, "attr_source")
        )
        if st.form_submit_button("Keep attribute", icon=":material/add:"):
            try:
                if not key.strip() or source is None:
                    raise ValueError("Name the attribute and choose the column it comes from, then press Keep attribute.")
                fresh = upload.mapping.tables[table].copy()
                fresh.columns[contract.attribute_column(key.strip())] = source
                upload.set_mapping(table, fresh.validate())
                st.session_state[f"d_mapgen_{table}"] = st.session_state.get(f"d_mapgen_{table}", 0) + 1
                st.rerun()
            except (ValueError, IngestError) as exc:
                st.error(markdown_text(exc), icon=":material/error:")


def _source_words(mapping: TableMapping, target: str) -> str:
    if target in mapping.columns:
        return f"column '{mapping.columns[target]}' (yes/no)"
    rule = next(r for r in mapping.rules if r.target == target)
    return rule.describe().split(" = ", 1)[1]


def _remove_target(upload: Upload, table: str, target: str) -> None:
    fresh = upload.mapping.tables[table].copy()
    fresh.columns.pop(target, None)
    fresh.rules = [r for r in fresh.rules if r.target != target]
    upload.set_mapping(table, fresh)
    st.session_state[f"d_mapgen_{table}"] = st.session_state.get(f"d_mapgen_{table}", 0) + 1


def _derived(upload: Upload, table: str, headers: list[str]) -> None:
    mapping = upload.mapping.tables[table]
    st.markdown(
        "**Derived columns** · computed by a rule, e.g. amount = Quantity × UnitPrice, sign-up = tenure months before a "
        "date, customer_id = the row number (a file without IDs) or two columns joined"
    )
    derived = [r for r in mapping.rules if not r.target.startswith(contract.BEHAVIOUR_PREFIX)]
    for rule in derived:
        left, right = st.columns([5, 1])
        left.markdown(f"`{rule.target}` = {markdown_text(rule.describe().split(' = ', 1)[1])}")
        if right.button("Remove", key=_map_key(table, f"rmrule_{rule.target}"), icon=":material/delete:"):
            _remove_target(upload, table, rule.target)
            st.rerun()
    targets = list(contract.TABLES[table].names)  # customer_id too: from the row number or two columns joined
    with st.form(_map_key(table, "add_rule"), border=True):
        st.caption("Add a derived column (it replaces the column's mapping)")
        a, b, c = st.columns(3)
        target = a.selectbox("Column", targets, index=None, placeholder="choose a column", key=_map_key(table, "rule_target"))
        kind = b.selectbox(
            "Rule",
            list(rules.KINDS),
            index=None,
            placeholder="choose a rule",
            format_func=rules.KINDS.get,
            key=_map_key(table, "rule_kind"),
        )
        source = c.selectbox(
            "From column", ["", *headers], format_func=lambda h: h or "(none)", key=_map_key(table, "rule_source")
        )
        d, e = st.columns(2)
        other = d.selectbox(
            "Second column (for × or joined)",
            ["", *headers],
            format_func=lambda h: h or "(none)",
            key=_map_key(table, "rule_other"),
        )
        value = e.text_input("Value (text, number, or reference date YYYY-MM-DD)", key=_map_key(table, "rule_value"))
        if st.form_submit_button("Add rule", icon=":material/add:"):
            try:
                if target is None or kind is None:
                    raise ValueError("Choose the column to fill and the rule, then press Add rule.")
                fresh = upload.mapping.tables[table].copy()
                fresh.columns.pop(target, None)
                fresh.rules = [r for r in fresh.rules if r.target != target]
                fresh.rules.append(rules.Rule(target, kind, source, value, other))
                upload.set_mapping(table, fresh.validate())
                st.session_state[f"d_mapgen_{table}"] = st.session_state.get(f"d_mapgen_{table}", 0) + 1
                st.rerun()
            except (ValueError, IngestError) as exc:
                st.error(markdown_text(exc), icon=":material/error:")


def _formats(upload: Upload, table: str, headers: list[str]) -> None:
    mapping = upload.mapping.tables[table]
    plan = upload.plans.get(table)
    date_headers = [
        h for t, h in mapping.columns.items() if rules.target_type_of(table, t) in (contract.DATE, contract.TIMESTAMP)
    ]
    text_dates = [
        h for h in dict.fromkeys(date_headers) if any(s.type_of(h) == "VARCHAR" for s in upload.sources[table] if h in s.headers)
    ]
    numeric = any(rules.target_type_of(table, t) in (contract.NUMBER, contract.INTEGER) for t in mapping.targets())
    if not text_dates and not numeric:
        return
    st.markdown("**Formats** · how the file writes dates and numbers (detected; an ambiguous one must be chosen)")
    columns = st.columns(max(2, len(text_dates) + 1))
    for where, header in zip(columns, text_dates, strict=False):
        orders = ["auto", *formats.DATE_ORDERS]
        detected = plan.dates.get(header) if plan else None
        key = _map_key(table, f"date_{header}")

        def _changed(header: str = header, key: str = key) -> None:
            fresh = upload.mapping.tables[table].copy()
            if st.session_state[key] == "auto":
                fresh.dates.pop(header, None)
            else:
                fresh.dates[header] = st.session_state[key]
            upload.set_mapping(table, fresh)

        where.selectbox(
            f"Dates in '{markdown_text(header)}'",
            orders,
            index=orders.index(mapping.dates.get(header, "auto")),
            format_func=lambda o: DETECT if o == "auto" else formats.DATE_ORDERS[o],
            key=key,
            on_change=_changed,
        )
        if detected is not None and header not in mapping.dates:
            where.caption(f"Detected: {detected.label}")
        _time_column(where, upload, table, headers, header)
    if text_dates:
        rule = formats.TWO_DIGIT_YEARS.split(": ", 1)[1]
        st.caption(f"Two-digit years: {rule}; a misread year falls outside the date window and blocks publishing.")
    if numeric:
        where = columns[len(text_dates)] if len(text_dates) < len(columns) else columns[-1]
        decimals = ["auto", ".", ","]
        key = _map_key(table, "decimal")

        def _decimal_changed() -> None:
            upload.set_mapping(table, upload.mapping.tables[table].copy(decimal=st.session_state[key]))

        where.selectbox(
            "Decimal separator",
            decimals,
            index=decimals.index(mapping.decimal),
            format_func=lambda d: DETECT if d == "auto" else {".": "dot (12.50)", ",": "comma (12,50)"}[d],
            key=key,
            on_change=_decimal_changed,
        )
        if plan and plan.files and mapping.decimal == "auto":
            where.caption(f"Detected: {'dot (12.50)' if plan.number.decimal == '.' else 'comma (12,50)'}")


def _anonymous_ids(upload: Upload, table: str) -> None:
    """The customer IDs that name nobody (0, unknown, blank): their rows count in totals, not as customers."""
    mapping = upload.mapping.tables[table]
    if table == "customers" or "customer_id" not in mapping.columns:
        return
    key = _map_key(table, "anonymous")
    shown = ", ".join(w if w else "blank" for w in mapping.anonymous)

    def _changed() -> None:
        words = [w.strip() for w in str(st.session_state[key]).split(",") if w.strip()]
        anonymous = list(dict.fromkeys("" if w.lower() == "blank" else w for w in words))
        upload.set_mapping(table, upload.mapping.tables[table].copy(anonymous=anonymous))

    st.text_input(
        "Anonymous customer IDs (comma-separated; 'blank' for an empty ID)",
        value=shown,
        key=key,
        on_change=_changed,
        help="Rows with these IDs count in channel and stage totals but are no customer (stored with no customer ID).",
    )


STEPS_EXAMPLE = (
    '[{"channel": "ivr", "time": "IVR start", "handle_s": "IVR Time"},\n'
    ' {"channel": "phone", "time": "Queue start", "wait_s": "Queue Time", "abandoned": "Abandoned"},\n'
    ' {"channel": "phone", "time": "Agent start", "handle_s": "Talk Time"}]'
)


def _steps(upload: Upload, table: str) -> None:
    """One row, several touchpoints (a call log): the steps as the mapping file writes them (JSON), checked on entry."""
    if table != "interactions":
        return
    mapping = upload.mapping.tables[table]
    key, error_key = _map_key(table, "steps"), _map_key(table, "steps_error")

    def _changed() -> None:
        text = str(st.session_state[key]).strip()
        try:
            found = steps.parse(json.loads(text) if text else [], table)
        except (ValueError, IngestError) as exc:  # JSON that does not parse is a ValueError
            st.session_state[error_key] = str(exc)
            return
        st.session_state.pop(error_key, None)
        upload.set_mapping(table, upload.mapping.tables[table].copy(steps=found))

    with st.expander("One row, several touchpoints (call logs)", expanded=bool(mapping.steps)):
        st.caption(
            "When each row is one call passing IVR, queue and agent, list its steps: each step's channel (and stage) and "
            "its own columns: ts (date and time) or time (time of day on the date mapped to ts), wait_s, handle_s, "
            "abandoned. Every other mapped column is shared by the row's steps; channel, ts and those measures then come "
            "from the steps, and the row's number is its contact_id when none is mapped. Leave empty for one touchpoint "
            "per row."
        )
        shown = json.dumps([s.to_json() for s in mapping.steps], indent=1, ensure_ascii=False) if mapping.steps else ""
        st.text_area("Steps (JSON)", value=shown, key=key, on_change=_changed, placeholder=STEPS_EXAMPLE, height=140)
        if error_key in st.session_state:
            st.error(markdown_text(st.session_state[error_key]), icon=":material/error:")
        elif mapping.steps and upload.wide.get(table):
            st.caption(f"Read one row per step reached: up to {len(mapping.steps)} touchpoints per row.")


def _time_column(where, upload: Upload, table: str, headers: list[str], date_header: str) -> None:
    """For a date and time target read from date_header: the column holding its time of day, if any (ts = date + time)."""
    mapping = upload.mapping.tables[table]
    target = next(
        (t for t, h in mapping.columns.items() if h == date_header and rules.target_type_of(table, t) == contract.TIMESTAMP), None
    )
    if target is None:
        return
    options = ["", *(h for h in headers if h != date_header)]
    current = mapping.times.get(target, "")
    key = _map_key(table, f"time_{target}")

    def _changed() -> None:
        fresh = upload.mapping.tables[table].copy()
        if st.session_state[key]:
            fresh.times[target] = st.session_state[key]
        else:
            fresh.times.pop(target, None)
        upload.set_mapping(table, fresh)

    where.selectbox(
        f"Time of day for {target}",
        options,
        index=options.index(current) if current in options else 0,
        format_func=lambda h: h or "in the same column",
        key=key,
        on_change=_changed,
    )


def _labels(upload: Upload, table: str) -> None:
    mapping = upload.mapping.tables[table]
    for target in mapping.targets():
        vocabulary = vocab.vocabulary_for(table, target)
        if vocabulary is None:
            continue
        counts = upload.labels(table, target)
        st.markdown(f"**Labels of {target}** · the file's labels mapped to CX Lens's {vocabulary.name}")
        if not counts:
            st.caption("Shown after the files are checked.")
            continue
        chosen = mapping.labels.get(target, {})
        resolved = vocab.resolve(vocabulary, [label for label, _ in counts], chosen)
        shown = counts[: vocab.MAX_LABELS]
        frame_in = pd.DataFrame(
            {
                "label in the file": [label for label, _ in shown],
                "rows": [n for _, n in shown],
                "published as": [resolved[label] if resolved[label] in vocabulary.labels else KEEP_LABEL for label, _ in shown],
            }
        )
        edited = st.data_editor(
            frame_in,
            key=_map_key(table, f"labels_{target}"),
            hide_index=True,
            disabled=["label in the file", "rows"],
            column_config={
                "published as": st.column_config.SelectboxColumn(options=[*vocabulary.labels, KEEP_LABEL], required=True),
                "rows": st.column_config.NumberColumn(format="localized"),
            },
        )
        new_choice = {}
        for raw, final in zip(edited["label in the file"], edited["published as"], strict=True):
            automatic = resolved[raw] if resolved[raw] in vocabulary.labels else KEEP_LABEL
            if final != automatic or raw in chosen:
                new_choice[raw] = vocab.KEEP if final == KEEP_LABEL else final
        if new_choice != chosen:
            fresh = upload.mapping.tables[table].copy()
            fresh.labels[target] = new_choice
            upload.set_mapping(table, fresh)
            st.rerun()


def _satisfaction_scale(upload: Upload) -> None:
    if not any(
        "satisfaction" in upload.mapping.tables[t].targets() for t in upload.tables() if t in ("customers", "interactions")
    ):
        return
    scales = list(SATISFACTION_SCALES)
    current = upload.mapping.satisfaction_scale or upload.suggested_scale()
    if not upload.mapping.satisfaction_scale:
        upload.set_satisfaction_scale(current)
    key = f"d_scale_{_gen()}"

    def _changed() -> None:
        upload.set_satisfaction_scale(st.session_state[key])

    st.radio(
        "Satisfaction scores are on the scale",
        scales,
        index=scales.index(current),
        key=key,
        horizontal=True,
        on_change=_changed,
        help="CSAT: 1 (very dissatisfied) to 5 (very satisfied). NPS: 0 to 10 (likelihood to recommend).",
    )


def _check(upload: Upload) -> Report | None:
    """The validation report for the current files and mapping (checked again only when they changed)."""
    if upload.report is not None:
        return upload.report
    bar = _Bar("Checking every row…")
    try:
        report = upload.check(progress=bar)
    except IngestError as exc:
        bar.done()
        st.error(markdown_text(exc), icon=":material/error:")
        return None
    bar.done()
    return report


# -- the validation report ----------------------------------------------------------------------


def render_report(upload: Upload, report: Report, ctx: PageContext) -> None:
    """Per table: rows read, published and rejected, then every problem with examples and what to do."""
    counts = report.counts()
    if report.ok:
        st.success(
            f"Nothing blocks publishing · {counts[WARNING]} warning(s) · {counts[NOTE]} note(s). Read them, then publish.",
            icon=":material/check_circle:",
        )
    else:
        st.error(
            f"{counts[BLOCKING]} blocking problem(s): fix them (mapping, formats or files) before publishing.",
            icon=":material/block:",
        )
    fmt = ctx.number_format
    for problem in report.problems:
        _problem(problem)
    for table, t in report.tables.items():
        with st.container(border=True):
            st.markdown(f"#### {TABLE_TEXT[table][0]}")
            if t.files:
                a, b, c, d = st.columns(4)
                a.metric("Rows read", fmt.number(t.read), border=False)
                b.metric("To publish", fmt.number(t.published), border=False)
                c.metric("Rejected", fmt.number(t.rejected), border=False)
                d.metric(
                    "Customers added" if table == "customers" else "Files",
                    fmt.number(t.added) if table == "customers" else len(t.files),
                )
                check = "✓" if t.balanced else "✗ (please report this)"
                st.caption(
                    f"published + rejected = read: {fmt.number(t.published)} + {fmt.number(t.rejected)} = "
                    f"{fmt.number(t.read)} {check}"
                )
            elif t.added:
                st.metric("Customers built from IDs", fmt.number(t.added))
            for problem in t.problems:
                _problem(problem)
            if t.rejected and table in upload.staged:
                st.download_button(
                    f"Download the {fmt.number(t.rejected)} rejected rows (CSV)",
                    data=lambda table=table: export.csv_bytes(upload.rejected(table)),
                    file_name=f"rejected-{table}.csv",
                    mime="text/csv",
                    key=f"d_rej_{table}_{_gen()}",
                    icon=":material/download:",
                    on_click="ignore",
                )
            preview = upload.preview(table) if table in upload.staged else pd.DataFrame()
            if not preview.empty:
                with st.expander("First rows as they will be published"):
                    widgets.table(preview)


def _problem(problem: Problem) -> None:
    show = {BLOCKING: st.error, WARNING: st.warning, NOTE: st.info}[problem.severity]
    icon = {BLOCKING: ":material/block:", WARNING: ":material/warning:", NOTE: ":material/info:"}[problem.severity]
    lines = [problem.message]
    if problem.examples:
        lines.append("Examples: " + "; ".join(e.describe() for e in problem.examples))
    if problem.action and problem.severity != NOTE:
        lines.append(f"What to do: {problem.action}")
    show("  \n".join(markdown_text(line) for line in lines), icon=icon)


# -- publishing ---------------------------------------------------------------------------------


def _publish(upload: Upload, report: Report, ctx: PageContext) -> None:
    names = ctx.store.dataset_names()
    kinds = ["New version of a dataset", "New dataset"] if names else ["New dataset"]
    kind = st.radio("Publish as", kinds, horizontal=True, key=f"d_target_{_gen()}")
    if kind == "New dataset":
        dataset = st.text_input(
            "Name of the new dataset", key=f"d_newname_{_gen()}", max_chars=60, placeholder="e.g. Retail 2011"
        )
    else:
        default = names.index(ctx.dataset) if ctx.dataset in names else 0
        dataset = st.selectbox("Dataset", names, index=default, key=f"d_dataset_{_gen()}")
    note = st.text_input("Note (optional, shown with the version)", key=f"d_note_{_gen()}", placeholder="e.g. March extract")
    left, right = st.columns([1, 1])
    go = left.button("Publish", type="primary", disabled=not report.ok, icon=":material/publish:", key=f"d_publish_{_gen()}")
    if right.button("Discard this upload", icon=":material/delete_sweep:", key=f"d_discard_{_gen()}"):
        _discard(upload)
        st.rerun()
    if not report.ok:
        st.caption("Publishing is possible once nothing blocks.")
    if not go or not auth.require(Action.PUBLISH):
        return
    bar = _Bar("Publishing…")
    try:
        version = upload.publish(dataset or "", note=note, new_dataset=kind == "New dataset", progress=bar)
    except (IngestError, StoreError) as exc:
        bar.done()
        st.error(markdown_text(exc), icon=":material/error:")
        return
    bar.done()
    counts = ", ".join(f"{ctx.number_format.number(n)} {t}" for t, n in version.row_counts.items())
    st.session_state["d_published"] = (
        f"Published {version.dataset} version {version.number}: {counts}. The mapping is saved as a template."
    )
    _discard(upload)
    data.clear_caches()
    state.set_value("ds", version.dataset)
    state.clear(frame.FILTER_NAMES)
    st.rerun()


def _show_last_publish() -> None:
    message = st.session_state.pop("d_published", None)
    if message:
        st.success(markdown_text(message), icon=":material/check_circle:")
        st.page_link("app.py", label="See the Overview of the new data", icon=":material/dashboard:")


# -- datasets section ---------------------------------------------------------------------------


@guarded("Datasets")
def render_datasets(ctx: PageContext) -> None:
    """Every dataset with its versions, source files and row counts; activate, rename and delete with confirmation."""
    store, fmt = ctx.store, ctx.number_format
    _upgrade(ctx)
    datasets = store.datasets()
    if datasets.empty:
        st.info("No dataset yet: upload files in the Upload section.", icon=":material/inbox:")
        return
    shown = pd.DataFrame(
        {
            "dataset": datasets["name"],
            "active version": datasets["active_number"].astype("Int64"),
            "versions": datasets["versions"],
            "created": pd.to_datetime(datasets["created_at"]).dt.strftime("%d %b %Y %H:%M"),
        }
    )
    widgets.table(shown)
    names = datasets["name"].tolist()
    chosen = state.choice(
        st.selectbox,
        "Dataset",
        "d_manage",
        names,
        ctx.dataset if ctx.dataset in names else names[0],
    )
    if st.session_state.get("_d_manage_shown") not in (None, chosen):
        state.clear(["d_version"])  # version numbers belong to the dataset they were picked in
    st.session_state["_d_manage_shown"] = chosen
    versions = store.versions(chosen)
    active = store.active_version(chosen)
    rows = []
    for v in versions:
        rows.append(
            {
                "version": v.number,
                "active": "✓" if active and v.version_id == active.version_id else "",
                "published": f"{v.created_at:%d %b %Y %H:%M}",
                **{t: fmt.number(v.row_counts.get(t, 0)) for t in contract.TABLES},
                "files": len(v.source_files),
                "note": v.note,
            }
        )
    widgets.table(pd.DataFrame(rows))
    numbers = [v.number for v in versions]
    pick = state.choice(
        st.selectbox,
        "Version",
        "d_version",
        numbers,
        numbers[0],
        state.INT,
        format_func=lambda n: f"version {n}",
    )
    version = next(v for v in versions if v.number == pick)
    if version.source_files:
        files = pd.DataFrame(
            [
                {
                    "table": f.get("table", ""),
                    "file": f.get("name", ""),
                    "size": file_size(int(f.get("bytes", 0) or 0)),
                    "rows": fmt.number(f.get("rows")) if f.get("rows") is not None else "",
                    "read as": ", ".join(str(f[k]) for k in ("format", "encoding", "delimiter", "sheet") if f.get(k)),
                    "SHA-256": f.get("sha256", ""),
                }
                for f in version.source_files
            ]
        )
        st.caption(f"Source files of version {version.number}")
        widgets.table(files)
    if ctx.presenting or not auth.can(Action.PUBLISH):
        return
    _dataset_actions(ctx, chosen, version, active)


def _upgrade(ctx: PageContext) -> None:
    """How many versions have prepared tables of an older schema; for an admin, the button that rebuilds them, with one
    line per version (name, tables, seconds) as each is done."""
    message = st.session_state.pop("d_upgraded", None)
    if message:
        st.success(message, icon=":material/check_circle:")
    stale = ctx.store.out_of_date()
    if not stale:
        return
    st.warning(
        f"{len(stale)} {'versions have' if len(stale) != 1 else 'version has'} prepared tables built by an older CX Lens: their "
        "pages show nothing until they are rebuilt.",
        icon=":material/update:",
    )
    if ctx.presenting or not auth.can(Action.UPGRADE):
        st.caption("An admin can rebuild them here, or run `python -m dashboard upgrade` on the server.")
        return
    pressed = st.button("Upgrade", key="d_upgrade", icon=":material/update:", help="Rebuild the prepared tables")
    if not pressed or not auth.require(Action.UPGRADE):
        return
    bar = st.progress(0.0, text=f"rebuilding {len(stale)} versions…")
    lines = st.container()

    def progress(done, i: int, n: int) -> None:
        lines.write(markdown_text(f"{done.label}: {done.tables} tables, {done.seconds:.1f} s"))
        bar.progress(i / n, text=f"{i} of {n} versions rebuilt")

    try:
        done = ctx.store.upgrade(progress)
    except StoreError as exc:
        st.error(f"Upgrade stopped: {exc}", icon=":material/error:")
        return
    data.clear_caches()
    said = "; ".join(f"{d.label}: {d.tables} tables, {d.seconds:.1f} s" for d in done)
    st.session_state["d_upgraded"] = markdown_text(f"Rebuilt {len(done)} version{'s' if len(done) != 1 else ''}: {said}.")
    st.rerun()


def _dataset_actions(ctx: PageContext, dataset: str, version, active) -> None:
    store = ctx.store
    a, b, c = st.columns(3)
    is_active = active is not None and version.version_id == active.version_id
    activate = a.button(f"Make version {version.number} active", disabled=is_active, key="d_activate", icon=":material/check:")
    if activate and auth.require(Action.PUBLISH):
        store.activate(dataset, version.version_id)
        data.clear_caches()
        st.rerun()
    if not auth.can(Action.DELETE):
        c.caption(access.refusal(auth.role(), Action.DELETE))
    else:
        if b.button(f"Delete version {version.number}…", key="d_delversion", icon=":material/delete:"):
            st.session_state["d_confirm"] = ("version", dataset, version.version_id, version.number)
        if c.button(f"Delete dataset {markdown_text(dataset)}…", key="d_deldataset", icon=":material/delete_forever:"):
            st.session_state["d_confirm"] = ("dataset", dataset, None, len(store.versions(dataset)))
    with st.form("d_rename_form", border=False):
        new_name = st.text_input("New name", value=dataset, key="d_newname", max_chars=60)
        if st.form_submit_button("Rename", icon=":material/edit:") and auth.require(Action.PUBLISH):
            try:
                store.rename_dataset(dataset, new_name)
            except StoreError as exc:
                st.error(markdown_text(exc), icon=":material/error:")
            else:
                if ctx.dataset == dataset:
                    state.set_value("ds", new_name.strip())
                data.clear_caches()
                st.rerun()
    _confirm_delete(ctx)


def _confirm_delete(ctx: PageContext) -> None:
    pending = st.session_state.get("d_confirm")
    if not pending:
        return
    what, dataset, version_id, number = pending
    if what == "version":
        text = f"Delete version {number} of {dataset}? Its tables are dropped; this cannot be undone."
    else:
        text = f"Delete the dataset {dataset} with its {number} version(s) and settings? This cannot be undone."
    st.warning(markdown_text(text), icon=":material/warning:")
    yes, no = st.columns(2)
    if yes.button("Yes, delete", type="primary", key="d_confirm_yes", icon=":material/delete_forever:"):
        st.session_state.pop("d_confirm", None)
        if not auth.require(Action.DELETE):
            return
        if what == "version":
            ctx.store.delete_version(version_id)
        else:
            ctx.store.delete_dataset(dataset)
            if ctx.dataset == dataset:
                state.clear(["ds", *frame.FILTER_NAMES])
        data.clear_caches()
        st.rerun()
    if no.button("Cancel", key="d_confirm_no"):
        st.session_state.pop("d_confirm", None)
        st.rerun()


# -- templates section --------------------------------------------------------------------------


@guarded("Mapping templates")
def render_templates(ctx: PageContext) -> None:
    """Saved mapping templates: which table and header each is for, when saved; download or delete."""
    saved = templates.all_templates(ctx.store)
    st.caption(
        "A template is saved at every publish, keyed by the file's header row; when a file with the same header is "
        "uploaded again (next month's extract), its mapping is applied automatically."
    )
    if not saved:
        st.info("No template yet: publish an upload and its mapping is saved here.", icon=":material/bookmarks:")
        return
    widgets.table(
        pd.DataFrame(
            [
                {
                    "template": t.name,
                    "table": t.table,
                    "columns in the header": ", ".join(t.headers[:8]) + (" …" if len(t.headers) > 8 else ""),
                    "mapped": ", ".join(t.mapping.targets()),
                    "saved": f"{t.saved_at:%d %b %Y %H:%M}",
                }
                for t in saved
            ]
        ),
    )
    if ctx.presenting:
        return
    names = {t.key: f"{t.name} ({t.table}, {t.saved_at:%d %b %Y})" for t in saved}
    key = st.selectbox("Template", list(names), format_func=names.get, key="d_template")
    template = next(t for t in saved if t.key == key)
    left, right = st.columns(2)
    left.download_button(
        "Download as a mapping file (JSON)",
        json.dumps({template.table: template.mapping.to_json()}, indent=2, ensure_ascii=False).encode("utf-8"),
        file_name=f"cxlens-mapping-{template.table}.json",
        mime="application/json",
        key="d_template_json",
        icon=":material/data_object:",
        on_click="ignore",
    )
    if not auth.can(Action.EDIT):
        return
    if right.button("Delete this template", key="d_template_delete", icon=":material/delete:") and auth.require(Action.EDIT):
        templates.delete(ctx.store, template.key)
        st.rerun()
