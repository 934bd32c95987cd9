"""How a table's values are read: date and number formats, times of day, anonymous IDs, labels, the satisfaction scale."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import contract
from dashboard.escape import markdown_text
from dashboard.ingest import formats, rules, vocab
from dashboard.ingest.mapping import SATISFACTION_SCALES
from dashboard.ingest.pipeline import Upload
from dashboard.ui.views.data import session

KEEP_LABEL = "(keep as is)"


def date_and_number_formats(upload: Upload, table: str, headers: list[str]) -> None:
    """How the table's text dates are written (day or month first, time of day apart) and its decimal separator."""
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
        key = session.widget_key(table, f"date_{header}")

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
            format_func=lambda order: session.DETECT if order == "auto" else formats.DATE_ORDERS[order],
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
        _decimal_separator(upload, table, columns[len(text_dates)] if len(text_dates) < len(columns) else columns[-1])


def _decimal_separator(upload: Upload, table: str, where) -> None:
    """The box for the table's decimal separator (detected, or dot or comma as chosen), with what was detected."""
    mapping, plan = upload.mapping.tables[table], upload.plans.get(table)
    decimals = ["auto", ".", ","]
    key = session.widget_key(table, "decimal")

    def _decimal_changed() -> None:
        upload.set_mapping(table, upload.mapping.tables[table].copy(decimal=st.session_state[key]))

    where.selectbox(
        "Decimal separator",
        decimals,
        index=decimals.index(mapping.decimal),
        format_func=lambda decimal: session.DETECT if decimal == "auto" else {".": "dot (12.50)", ",": "comma (12,50)"}[decimal],
        key=key,
        on_change=_decimal_changed,
    )
    if plan and plan.files and mapping.decimal == "auto":
        where.caption(f"Detected: {'dot (12.50)' if plan.number.decimal == '.' else 'comma (12,50)'}")


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
    key = session.widget_key(table, f"time_{target}")

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
        format_func=lambda header: header or "in the same column",
        key=key,
        on_change=_changed,
    )


def anonymous_ids(upload: Upload, table: str) -> None:
    """The customer IDs that name nobody (0, unknown, blank): their rows count in totals, not as customers."""
    mapping = upload.mapping.tables[table]
    if table == "customers" or "customer_id" not in mapping.columns:
        return
    key = session.widget_key(table, "anonymous")
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


def labels(upload: Upload, table: str) -> None:
    """Per label column: the file's labels with their row counts and the CX Lens label each is published as (editable)."""
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
            key=session.widget_key(table, f"labels_{target}"),
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


def satisfaction_scale(upload: Upload) -> None:
    """The scale satisfaction scores are on (CSAT 1-5 or NPS 0-10), suggested from the values."""
    if not any(
        "satisfaction" in upload.mapping.tables[t].targets() for t in upload.tables() if t in ("customers", "interactions")
    ):
        return
    scales = list(SATISFACTION_SCALES)
    current = upload.mapping.satisfaction_scale or upload.suggested_scale()
    if not upload.mapping.satisfaction_scale:
        upload.set_satisfaction_scale(current)
    key = f"d_scale_{session.generation()}"

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
