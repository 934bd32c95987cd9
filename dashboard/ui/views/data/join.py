"""How a table's files (or one workbook's sheets) come together: appended, or joined on key columns; the match rates."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import export
from dashboard.escape import markdown_text
from dashboard.ingest.errors import IngestError
from dashboard.ingest.joinspec import JOIN, LOOKUP, JoinFile, JoinSpec
from dashboard.ingest.pipeline import Upload
from dashboard.ui import widgets
from dashboard.ui.views.data import session

APPEND, JOIN_MODE = "Append them (the files hold the same columns)", "Join them on key columns"


HOW_TEXT = {
    JOIN: "join (add its columns)",
    LOOKUP: "lookup (reject rows without a match)",
}


def join_settings(upload: Upload, table: str) -> None:
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
        with st.form(session.widget_key(table, "join"), border=False):
            mode = st.radio(
                "The files of this table", [APPEND, JOIN_MODE], index=1 if spec else 0, key=session.widget_key(table, "join_mode")
            )
            chosen = _join_form_files(upload, table, sources, sheets, spec)
            rules_text = {"block": "a repeated key blocks publishing", "first": "use the first row per key"}
            duplicates = st.selectbox(
                "A key repeated in a joined file",
                list(rules_text),
                index=list(rules_text).index(spec.duplicates) if spec else 0,
                format_func=rules_text.get,
                key=session.widget_key(table, "join_dups"),
            )
            if st.form_submit_button("Apply", icon=":material/join_left:"):
                try:
                    fresh = None if mode == APPEND else _join_spec(chosen, duplicates)
                    upload.set_join(table, fresh)
                    session.renew_mapping_widgets(table)
                    st.rerun()
                except (ValueError, IngestError) as exc:
                    st.error(markdown_text(exc), icon=":material/error:")
        if problem is not None:
            st.error(markdown_text(f"{problem.message} What to do: {problem.action}"), icon=":material/block:")
        _join_result(upload, table)


def _first_file(upload: Upload, table: str, sources) -> None:
    """Which file comes first: a join keeps its rows (the others add columns or are looked up), a template goes by its header."""
    names = [s.name for s in sources]
    key = session.widget_key(table, "join_first")

    def _changed() -> None:
        upload.set_first_file(table, st.session_state[key])
        session.renew_mapping_widgets(table)

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
            key=session.widget_key(table, "join_sheets"),
        )
    first_headers = list(first.headers)
    key_default = spec.key if spec else upload.mapping.tables[table].columns.get("customer_id")
    key = st.selectbox(
        f"Key column of {markdown_text(first.name)}" + (" (the first sheet)" if by_sheet else ""),
        first_headers,
        index=first_headers.index(key_default) if key_default in first_headers else None,
        placeholder="choose the key column",
        key=session.widget_key(table, "join_key"),
    )
    count = max(0, len(picked_sheets) - 1) if by_sheet else len(sources) - 1
    others = [
        _member_boxes(table, sources, picked_sheets, spec, first_headers, key, position) for position in range(1, count + 1)
    ]
    return {"key": key, "others": others, "sheets": picked_sheets, "by_sheet": by_sheet}


def _member_boxes(
    table: str, sources, picked_sheets: list[str], spec: JoinSpec | None, first_headers: list[str], key: str | None, position: int
) -> tuple[str, str | None, str, str]:
    """One file after the first (or sheet, when sheets were picked): its name, its key column, how it comes in, and the
    first file's column it is matched with ("": the key)."""
    member = spec.member(position) if spec else None
    key_column, how_column, on_column = st.columns(3)
    if picked_sheets:
        name = picked_sheets[position]
        their_key = key_column.text_input(
            f"Key column of sheet '{markdown_text(name)}'",
            value=member.key if member else (key or ""),
            key=session.widget_key(table, f"jk{position}"),
        )
    else:
        name = sources[position].name
        headers = list(sources[position].headers)
        guess = member.key if member else next((h for h in headers if key and h.strip().lower() == key.strip().lower()), None)
        their_key = key_column.selectbox(
            f"Key column of {markdown_text(name)}",
            headers,
            index=headers.index(guess) if guess in headers else None,
            placeholder="choose its key column",
            key=session.widget_key(table, f"jk{position}"),
        )
    how = how_column.selectbox(
        "How it comes in",
        list(HOW_TEXT),
        help="join: its columns are added; rows of the first file without a match keep them blank. lookup: rows of "
        "the first file without a match are rejected (listed in the report and the rejected rows).",
        index=list(HOW_TEXT).index(member.how) if member else 0,
        format_func=HOW_TEXT.get,
        key=session.widget_key(table, f"jh{position}"),
    )
    on = on_column.selectbox(
        "Matched with the first file's column",
        ["", *first_headers],
        index=(["", *first_headers].index(member.on) if member and member.on in first_headers else 0),
        format_func=lambda header: header or "its key column (above)",
        key=session.widget_key(table, f"jo{position}"),
    )
    return name, their_key, how, on


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
            key=session.widget_key(table, "unmatched"),
            icon=":material/download:",
            on_click="ignore",
        )
