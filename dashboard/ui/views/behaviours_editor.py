"""The Behaviours page's catalogue editor: the scope, add, change and delete a behaviour, restore the default catalogue.

It is one fragment: opening a behaviour or changing a field reruns the editor alone; a saved change reruns the page,
whose figures it moves.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from dashboard import contract
from dashboard.access import Action
from dashboard.escape import markdown_text
from dashboard.metrics.behaviours.catalogue import (
    DERIVED,
    ESTIMATE,
    FLAG,
    MEASURE_KINDS,
    NO_CONTACT,
    RULE,
    RULE_OPERATORS,
    SCOPES,
    SELF_SERVICE,
    Behaviour,
    Catalogue,
    CatalogueError,
    Measure,
    key_for,
    load_catalogue,
    reset_catalogue,
    save_catalogue,
    unused_flags,
    with_data_flags,
)
from dashboard.ui import auth, state
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import action, guarded
from dashboard.ui.views.behaviours import BehaviourData

_NEW = "__new__"
_KEY = "bh_edit_"
"""The prefix of the editor's session-state keys."""
_SAVED = f"{_KEY}saved"
"""Set by an action that saved the catalogue: the editor's fragment then reruns the whole page."""


def _editor_defaults(behaviour: Behaviour | None, data: BehaviourData) -> dict[str, object]:
    """The editor's field values for behaviour (or a new behaviour with no data behind it)."""
    if behaviour is None:
        return {
            "name": "",
            "kind": ESTIMATE,
            "flag_column": data.flag_columns[0] if data.flag_columns else "",
            "rule_column": "",
            "rule_operator": "equals",
            "rule_value": "",
            "channels": ["phone"],
            "months": 12,
            "max_contacts": 0,
            "min_share_pct": 50.0,
            "saving": 0.0,
            "bic_known": True,
            "bic_pct": 50.0,
            "bic_source": "",
            "saving_source": "",
            "assumption": True,
            "use_estimate": True,
            "estimate_pct": 10.0,
        }
    m = behaviour.measure
    return {
        "name": behaviour.name,
        "kind": m.kind,
        "flag_column": m.column if m.kind == FLAG else (data.flag_columns[0] if data.flag_columns else ""),
        "rule_column": m.column if m.kind == RULE else "",
        "rule_operator": m.operator or "equals",
        "rule_value": m.value,
        "channels": list(m.channels) or ["phone"],
        "months": m.months,
        "max_contacts": m.max_contacts,
        "min_share_pct": m.min_share * 100,
        "saving": behaviour.saving,
        "bic_known": behaviour.best_in_class is not None,
        "bic_pct": (behaviour.best_in_class or 0.0) * 100,
        "bic_source": behaviour.best_in_class_source,
        "saving_source": behaviour.saving_source,
        "assumption": behaviour.assumption,
        "use_estimate": behaviour.estimated_adoption is not None,
        "estimate_pct": (behaviour.estimated_adoption or 0.0) * 100,
    }


@action("Open the behaviour")
def _load_editor(data: BehaviourData) -> None:
    pick = st.session_state.get(f"{_KEY}pick", _NEW)
    behaviour = data.catalogue.get(pick) if pick in data.catalogue.keys else None
    for name, value in _editor_defaults(behaviour, data).items():
        st.session_state[f"{_KEY}{name}"] = value
    st.session_state[f"{_KEY}loaded"] = pick


def _field(name: str) -> object:
    return st.session_state.get(f"{_KEY}{name}")


def _behaviour_from_editor(catalogue: Catalogue) -> Behaviour:
    """The behaviour the editor's fields describe (not yet checked)."""
    pick = st.session_state.get(f"{_KEY}pick", _NEW)
    kind = str(_field("kind"))
    name = str(_field("name") or "").strip()
    key = pick if pick in catalogue.keys else key_for(name, catalogue.keys)
    column = {FLAG: _field("flag_column"), RULE: _field("rule_column")}.get(kind, "")
    measure = Measure(
        kind,
        column=str(column or ""),
        operator=str(_field("rule_operator") or "") if kind == RULE else "",
        value=str(_field("rule_value") or "") if kind == RULE else "",
        channels=tuple(_field("channels") or ()) if kind in DERIVED else (),
        months=int(_field("months") or 0) if kind in DERIVED else 12,
        max_contacts=int(_field("max_contacts") or 0) if kind == NO_CONTACT else 0,
        min_share=float(_field("min_share_pct") or 0) / 100 if kind == SELF_SERVICE else 0.5,
    )
    use_estimate = kind == ESTIMATE or bool(_field("use_estimate"))
    previous = catalogue.get(pick) if pick in catalogue.keys else None
    return Behaviour(
        key,
        name,
        measure,
        saving=float(_field("saving") or 0.0),
        best_in_class=float(_field("bic_pct") or 0.0) / 100 if _field("bic_known") else None,
        best_in_class_source=str(_field("bic_source") or ""),
        saving_source=str(_field("saving_source") or ""),
        assumption=bool(_field("assumption")),
        estimated_adoption=float(_field("estimate_pct") or 0.0) / 100 if use_estimate else None,
        description=previous.description if previous else "",
    )


def _forget_whatif(keys: list[str] | tuple[str, ...]) -> None:
    """Drop What-if values kept for these behaviours, so the What-if page starts from the new catalogue."""
    state.clear([*(f"w_{part}_{key}" for key in keys for part in ("t", "s")), "w_pre"])


def _saved(changed: list[str] | tuple[str, ...], pick: str, message: str) -> None:
    """After a saved change to the catalogue: What-if forgets the changed behaviours, the editor shows pick afresh and
    says message."""
    _forget_whatif(changed)
    st.session_state[f"{_KEY}pick"] = pick
    st.session_state[f"{_KEY}loaded"] = None
    st.session_state[f"{_KEY}message"] = ("success", message)
    st.session_state[_SAVED] = True


@action("Save the behaviour")
def _save(ctx: PageContext, data: BehaviourData) -> None:
    if not auth.require(Action.EDIT):
        return
    catalogue = load_catalogue(ctx.store, ctx.dataset, data.flag_columns)
    try:
        behaviour = _behaviour_from_editor(catalogue)
        saved = save_catalogue(ctx.store, ctx.dataset, catalogue.upsert(behaviour))
    except (CatalogueError, ValueError) as exc:
        st.session_state[f"{_KEY}message"] = ("error", str(exc))
        return
    _saved([behaviour.key], behaviour.key, f"Saved “{saved.get(behaviour.key).name}”.")


@action("Delete the behaviour")
def _delete(ctx: PageContext, data: BehaviourData) -> None:
    if not auth.require(Action.EDIT):
        return
    pick = st.session_state.get(f"{_KEY}pick", _NEW)
    catalogue = load_catalogue(ctx.store, ctx.dataset, data.flag_columns)
    if pick not in catalogue.keys:
        return
    name = catalogue.get(pick).name
    save_catalogue(ctx.store, ctx.dataset, catalogue.without(pick))
    _saved([pick], _NEW, f"Deleted “{name}”.")


@action("Reset the catalogue")
def _reset(ctx: PageContext, data: BehaviourData) -> None:
    if not auth.require(Action.EDIT):
        return
    reset_catalogue(ctx.store, ctx.dataset)
    _saved(data.catalogue.keys, _NEW, "The default catalogue applies again.")


@action("Add the data's flags")
def _add_flags(ctx: PageContext, data: BehaviourData) -> None:
    if not auth.require(Action.EDIT):
        return
    catalogue = load_catalogue(ctx.store, ctx.dataset, data.flag_columns)
    grown = save_catalogue(ctx.store, ctx.dataset, with_data_flags(catalogue, data.flag_columns))
    added = [b.name for b in grown.behaviours if b.key not in catalogue.keys]
    st.session_state[f"{_KEY}message"] = ("success", f"Added {', '.join(added)}: enter their savings and best-in-class.")
    st.session_state[_SAVED] = True


@action("Save the scope")
def _save_scope(ctx: PageContext, data: BehaviourData) -> None:
    if not auth.require(Action.EDIT):
        return
    catalogue = load_catalogue(ctx.store, ctx.dataset, data.flag_columns)
    save_catalogue(ctx.store, ctx.dataset, replace(catalogue, scope=st.session_state[f"{_KEY}scope"]))
    _forget_whatif(catalogue.keys)
    st.session_state[_SAVED] = True


@guarded("Behaviour catalogue")
def render_catalogue_editor(ctx: PageContext, data: BehaviourData) -> None:
    """Edit the dataset's behaviour catalogue: scope, add, change, delete, restore the default. Saved at once."""
    if auth.can(Action.EDIT):
        _editor(ctx, data)


EDITOR_KEY = "b_edit"
"""The URL parameter keeping the catalogue editor open (true)."""


@state.fragment
def _editor(ctx: PageContext, data: BehaviourData) -> None:
    """The editor as a fragment: a change that is not saved yet reruns only the editor; a saved one, the whole page.
    Its fields run only while its expander is open (b_edit): about 25 widgets sent and drawn on every filter change
    were a fifth of the page's wait (a Behaviours filter at 1,000,000 customers: 502 ms with them, 411 to 441 without).
    It opens by itself on an empty catalogue and after a change it reports."""
    if st.session_state.pop(_SAVED, False):
        st.rerun()  # the catalogue changed: every figure above moves with it
    st.subheader("The behaviour catalogue")
    message = st.session_state.pop(f"{_KEY}message", None)
    if message:
        (st.success if message[0] == "success" else st.error)(markdown_text(message[1]))
    state.draw_expander(
        "Edit the catalogue: add your own behaviours, replace the assumptions",
        EDITOR_KEY,
        lambda: _editor_body(ctx, data),
        icon=":material/edit_note:",
        expanded=message is not None or not data.catalogue.keys,
    )


def _editor_body(ctx: PageContext, data: BehaviourData) -> None:
    """The catalogue's notes, the flags no behaviour measures, the scope, the behaviour picked, its fields, the buttons."""
    for note in data.catalogue.notes:
        st.caption(markdown_text(note))
    unused = unused_flags(data.catalogue, data.flag_columns)
    if unused:
        st.info(f"Flag columns in the data that no behaviour measures: {markdown_text(', '.join(unused))}.")
        st.button("Add them as behaviours", key=f"{_KEY}add_flags", on_click=_add_flags, args=(ctx, data))
    st.session_state[f"{_KEY}scope"] = data.catalogue.scope
    st.radio(
        "Customers in scope for adoption",
        list(SCOPES),
        format_func=lambda s: SCOPES[s][0].upper() + SCOPES[s][1:],
        key=f"{_KEY}scope",
        on_change=_save_scope,
        args=(ctx, data),
    )
    _pick(data)
    _editor_fields(ctx, data)
    _buttons(ctx, data)


def _pick(data: BehaviourData) -> None:
    """The behaviour being edited (or a new one); its fields are loaded when the choice changes."""
    options = [_NEW, *data.catalogue.keys]
    if st.session_state.get(f"{_KEY}pick") not in options:
        st.session_state[f"{_KEY}pick"] = _NEW
    names = {b.key: b.name for b in data.catalogue.behaviours}
    st.selectbox(
        "Behaviour",
        options,
        format_func=lambda k: "+ New behaviour" if k == _NEW else names.get(k, k),
        key=f"{_KEY}pick",
        on_change=_load_editor,
        args=(data,),
    )
    if st.session_state.get(f"{_KEY}loaded") != st.session_state[f"{_KEY}pick"]:
        _load_editor(data)


def _buttons(ctx: PageContext, data: BehaviourData) -> None:
    """Save the behaviour, delete it, or restore the default catalogue."""
    save, delete, reset = st.columns(3)
    save.button("Save behaviour", type="primary", icon=":material/save:", on_click=_save, args=(ctx, data), key=f"{_KEY}save")
    delete.button(
        "Delete behaviour",
        icon=":material/delete:",
        on_click=_delete,
        args=(ctx, data),
        key=f"{_KEY}delete",
        disabled=st.session_state[f"{_KEY}pick"] == _NEW,
    )
    reset.button(
        "Restore the default catalogue", icon=":material/restart_alt:", on_click=_reset, args=(ctx, data), key=f"{_KEY}reset"
    )


def _editor_fields(ctx: PageContext, data: BehaviourData) -> None:
    """The behaviour's fields: its name, how it is measured, its money and benchmark figures and their sources."""
    st.text_input("Name", key=f"{_KEY}name", max_chars=80, placeholder="e.g. Reports meter readings online")
    kind = st.selectbox(
        "How it is measured",
        list(MEASURE_KINDS),
        format_func=lambda k: MEASURE_KINDS[k][0].upper() + MEASURE_KINDS[k][1:],
        key=f"{_KEY}kind",
    )
    _measure_fields(ctx, data, kind)
    _figure_fields(ctx, kind)


def _measure_fields(ctx: PageContext, data: BehaviourData, kind: str) -> None:
    """The fields of the measure kind: a flag column, a rule on a customer column, or the contacts counted."""
    customer_columns = [c for c in ctx.version.columns.get("customers", ()) if c != "customer_id"]
    if kind == FLAG:
        options = list(dict.fromkeys([*data.flag_columns, str(_field("flag_column") or "")]))
        options = [o for o in options if o]
        if not options:
            st.info("This dataset has no b_ flag columns; choose a rule or a derived measure instead.")
        else:
            st.selectbox("Flag column", options, key=f"{_KEY}flag_column")
    elif kind == RULE:
        options = list(dict.fromkeys([*customer_columns, str(_field("rule_column") or "")]))
        options = [o for o in options if o]
        if st.session_state.get(f"{_KEY}rule_column") not in options and options:
            st.session_state[f"{_KEY}rule_column"] = options[0]
        c1, c2, c3 = st.columns(3)
        c1.selectbox("Column", options, key=f"{_KEY}rule_column")
        operators_help = "; ".join(f"{k}: {v}" for k, v in RULE_OPERATORS.items())
        c2.selectbox("Rule", list(RULE_OPERATORS), key=f"{_KEY}rule_operator", help=operators_help)
        c3.text_input(
            "Value",
            key=f"{_KEY}rule_value",
            max_chars=200,
            help="Text, a number, a date like 2024-01-31, or comma-separated values for 'one of'.",
        )
    elif kind in DERIVED:
        channel_options = list(dict.fromkeys([*contract.CHANNELS.labels, *(_field("channels") or [])]))
        c1, c2, c3 = st.columns(3)
        c1.multiselect("Channels" if kind == NO_CONTACT else "Self-service channels", channel_options, key=f"{_KEY}channels")
        c2.number_input(
            "Months looked back (0 = all history)",
            min_value=0,
            max_value=120,
            step=1,
            key=f"{_KEY}months",
            help="Calendar months up to the customer's last month as a customer within the period.",
        )
        if kind == NO_CONTACT:
            c3.number_input("Most contacts allowed", min_value=0, max_value=10_000, step=1, key=f"{_KEY}max_contacts")
        else:
            c3.number_input(
                "Least share of own contacts (%)", min_value=1.0, max_value=100.0, step=5.0, key=f"{_KEY}min_share_pct"
            )


def _figure_fields(ctx: PageContext, kind: str) -> None:
    """The saving, best-in-class and estimated adoption, their sources, and whether they are assumptions."""
    c1, c2, c3 = st.columns(3)
    c1.number_input(
        f"Saving per adopting customer a year ({ctx.number_format.currency})",
        min_value=0.0,
        max_value=1e7,
        step=1.0,
        format="%.2f",
        key=f"{_KEY}saving",
    )
    c2.checkbox("Best-in-class is known", key=f"{_KEY}bic_known")
    c2.number_input(
        "Best-in-class adoption (%)",
        min_value=0.0,
        max_value=100.0,
        step=1.0,
        key=f"{_KEY}bic_pct",
        disabled=not _field("bic_known"),
    )
    c3.checkbox(
        "Use an estimated adoption when the data cannot measure it" if kind != ESTIMATE else "Estimated adoption",
        key=f"{_KEY}use_estimate",
        disabled=kind == ESTIMATE,
    )
    c3.number_input(
        "Estimated adoption today (%)",
        min_value=0.0,
        max_value=100.0,
        step=1.0,
        key=f"{_KEY}estimate_pct",
        disabled=kind != ESTIMATE and not _field("use_estimate"),
    )
    c1, c2 = st.columns(2)
    c1.text_input("Source of the best-in-class figure", key=f"{_KEY}bic_source", max_chars=300)
    c2.text_input("Source of the saving", key=f"{_KEY}saving_source", max_chars=300)
    st.checkbox("These figures are assumptions to replace (marked on screen)", key=f"{_KEY}assumption")
