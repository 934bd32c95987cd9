"""A table's column mapping: the contract's columns, behaviour flags, kept attributes, derived columns, call-log steps."""

from __future__ import annotations

import json

import streamlit as st

from dashboard import contract
from dashboard.escape import markdown_text
from dashboard.ingest import rules, steps
from dashboard.ingest.errors import IngestError
from dashboard.ingest.mapping import TableMapping
from dashboard.ingest.pipeline import Upload
from dashboard.ui import widgets
from dashboard.ui.views.data import join, session, values

NOT_MAPPED = "— not mapped —"


FROM_RULE = "— from a rule —"


def render_mapping(upload: Upload, table: str) -> None:
    """Column mapping, behaviour flags, derived columns, formats and labels of one table."""
    n_files = len(upload.sources.get(table, []))
    st.caption(f"{n_files} file{'s' if n_files != 1 else ''}: " + markdown_text(", ".join(s.name for s in upload.sources[table])))
    join.join_settings(upload, table)
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
    for position, column in enumerate(spec.columns):
        _column_select(upload, table, mapping, column.name, column, headers, samples, grid[position % 2])
    if table == "customers":
        _behaviours(upload, table, headers)
        _attributes(upload, table, headers)
    _derived(upload, table, headers)
    values.date_and_number_formats(upload, table, headers)
    values.anonymous_ids(upload, table)
    _steps(upload, table)
    values.labels(upload, table)
    st.download_button(
        "Download this mapping (JSON, for the command line)",
        json.dumps(upload.mapping.to_json(), indent=2, ensure_ascii=False).encode("utf-8"),
        file_name="cxlens-mapping.json",
        mime="application/json",
        key=session.widget_key(table, "mapjson"),
        icon=":material/data_object:",
        on_click="ignore",
    )


def _column_select(upload, table, mapping: TableMapping, target: str, column, headers, samples, where) -> None:
    """The box that maps one contract column: a file column, a rule, or nothing; with example values below it."""
    rule = next((r for r in mapping.rules if r.target == target), None)
    options = [NOT_MAPPED, *([FROM_RULE] if rule else []), *headers]
    current = FROM_RULE if rule else mapping.columns.get(target, NOT_MAPPED)
    if current not in options:
        current = NOT_MAPPED
    label = f"{target} ✱" if column.required else target
    key = session.widget_key(table, f"map_{target}")

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
    """A value cut to width characters, with an ellipsis when cut."""
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _removable(upload: Upload, table: str, prefix: str, source_markdown) -> None:
    """One line per mapped target named prefix<name>: what it is made from (source_markdown(target), its uploaded text
    escaped) and a Remove button."""
    for target in [t for t in upload.mapping.tables[table].targets() if t.startswith(prefix)]:
        left, right = st.columns([5, 1])
        left.markdown(f"`{target}` = {source_markdown(target)}")
        if right.button("Remove", key=session.widget_key(table, f"rm_{target}"), icon=":material/delete:"):
            _remove_target(upload, table, target)
            st.rerun()


def _behaviours(upload: Upload, table: str, headers: list[str]) -> None:
    """Behaviour flags b_<name>: each with its source and a Remove button, then the form that adds one."""
    mapping = upload.mapping.tables[table]
    st.markdown("**Behaviour flags** · yes/no per customer (e-billing, automatic payment, ...), named b_<name>")
    _removable(upload, table, contract.BEHAVIOUR_PREFIX, lambda target: markdown_text(_source_words(mapping, target)))
    # no box has a default column and the form is not cleared on submit: Enter in the name box must not add a flag bound
    # to the first column, and a refused flag keeps what was typed
    with st.form(session.widget_key(table, "add_flag"), border=True):
        st.caption("Add a behaviour flag")
        name_column, source_column, kind_column, value_column = st.columns([2, 2, 2, 2])
        key = name_column.text_input("Name (lowercase, e.g. e_billing)", key=session.widget_key(table, "flag_key"))
        source = source_column.selectbox(
            "From column", headers, index=None, placeholder="choose a column", key=session.widget_key(table, "flag_source")
        )
        kinds = ["yes_no", *rules.FLAG_KINDS]
        kind = kind_column.selectbox(
            "Rule",
            kinds,
            format_func=lambda flag_kind: "holds yes/no" if flag_kind == "yes_no" else rules.FLAG_KINDS[flag_kind],
            key=session.widget_key(table, "flag_kind"),
        )
        value = value_column.text_input("Value (for comparisons)", key=session.widget_key(table, "flag_value"))
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
                session.renew_mapping_widgets(table)  # a fresh form
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
    _removable(upload, table, contract.ATTRIBUTE_PREFIX, lambda target: f"column '{markdown_text(mapping.columns.get(target, ''))}'")
    with st.form(session.widget_key(table, "add_attribute"), border=True):
        name_column, source_column = st.columns(2)
        key = name_column.text_input("Name (lowercase, e.g. contract)", key=session.widget_key(table, "attr_key"))
        source = source_column.selectbox(
            "From column", headers, index=None, placeholder="choose a column", key=session.widget_key(table, "attr_source")
        )
        if st.form_submit_button("Keep attribute", icon=":material/add:"):
            try:
                if not key.strip() or source is None:
                    raise ValueError("Name the attribute and choose the column it comes from, then press Keep attribute.")
                fresh = upload.mapping.tables[table].copy()
                fresh.columns[contract.attribute_column(key.strip())] = source
                upload.set_mapping(table, fresh.validate())
                session.renew_mapping_widgets(table)
                st.rerun()
            except (ValueError, IngestError) as exc:
                st.error(markdown_text(exc), icon=":material/error:")


def _source_words(mapping: TableMapping, target: str) -> str:
    """Where a behaviour flag comes from, in words: its yes/no column or its rule."""
    if target in mapping.columns:
        return f"column '{mapping.columns[target]}' (yes/no)"
    rule = next(r for r in mapping.rules if r.target == target)
    return rule.describe().split(" = ", 1)[1]


def _remove_target(upload: Upload, table: str, target: str) -> None:
    """Take a target out of the table's mapping (its column and its rule)."""
    fresh = upload.mapping.tables[table].copy()
    fresh.columns.pop(target, None)
    fresh.rules = [r for r in fresh.rules if r.target != target]
    upload.set_mapping(table, fresh)
    session.renew_mapping_widgets(table)


def _derived(upload: Upload, table: str, headers: list[str]) -> None:
    """Derived columns: each rule with a Remove button, then the form that adds one (replacing the column's mapping)."""
    mapping = upload.mapping.tables[table]
    st.markdown(
        "**Derived columns** · computed by a rule, e.g. amount = Quantity × UnitPrice, sign-up = tenure months before a "
        "date, customer_id = the row number (a file without IDs) or two columns joined"
    )
    derived = [r for r in mapping.rules if not r.target.startswith(contract.BEHAVIOUR_PREFIX)]
    for rule in derived:
        left, right = st.columns([5, 1])
        left.markdown(f"`{rule.target}` = {markdown_text(rule.describe().split(' = ', 1)[1])}")
        if right.button("Remove", key=session.widget_key(table, f"rmrule_{rule.target}"), icon=":material/delete:"):
            _remove_target(upload, table, rule.target)
            st.rerun()
    targets = list(contract.TABLES[table].names)  # customer_id too: from the row number or two columns joined
    with st.form(session.widget_key(table, "add_rule"), border=True):
        st.caption("Add a derived column (it replaces the column's mapping)")
        target_column, kind_column, source_column = st.columns(3)
        target = target_column.selectbox(
            "Column", targets, index=None, placeholder="choose a column", key=session.widget_key(table, "rule_target")
        )
        kind = kind_column.selectbox(
            "Rule",
            list(rules.KINDS),
            index=None,
            placeholder="choose a rule",
            format_func=rules.KINDS.get,
            key=session.widget_key(table, "rule_kind"),
        )
        source = source_column.selectbox(
            "From column",
            ["", *headers],
            format_func=lambda header: header or "(none)",
            key=session.widget_key(table, "rule_source"),
        )
        other_column, value_column = st.columns(2)
        other = other_column.selectbox(
            "Second column (for × or joined)",
            ["", *headers],
            format_func=lambda header: header or "(none)",
            key=session.widget_key(table, "rule_other"),
        )
        value = value_column.text_input(
            "Value (text, number, or reference date YYYY-MM-DD)", key=session.widget_key(table, "rule_value")
        )
        if st.form_submit_button("Add rule", icon=":material/add:"):
            try:
                if target is None or kind is None:
                    raise ValueError("Choose the column to fill and the rule, then press Add rule.")
                fresh = upload.mapping.tables[table].copy()
                fresh.columns.pop(target, None)
                fresh.rules = [r for r in fresh.rules if r.target != target]
                fresh.rules.append(rules.Rule(target, kind, source, value, other))
                upload.set_mapping(table, fresh.validate())
                session.renew_mapping_widgets(table)
                st.rerun()
            except (ValueError, IngestError) as exc:
                st.error(markdown_text(exc), icon=":material/error:")


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
    key, error_key = session.widget_key(table, "steps"), session.widget_key(table, "steps_error")

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
