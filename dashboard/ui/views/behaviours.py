"""Behaviours page sections: adoption against best-in-class, by segment, behaviours and satisfaction, the catalogue editor."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st

from dashboard import contract, staged
from dashboard.access import Action
from dashboard.charts import behaviours as charts
from dashboard.escape import markdown_text
from dashboard.formatting import NumberFormat
from dashboard.metrics import compare
from dashboard.metrics.behaviours import adoption as bh
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
from dashboard.ui import auth, settings, state, widgets
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import action, guarded


@dataclass(frozen=True)
class BehaviourData:
    """Everything the Behaviours and What-if pages show, for the active version, filters and catalogue."""

    catalogue: Catalogue
    summary: pd.DataFrame
    adoption: pd.DataFrame
    churn: pd.DataFrame
    groups: pd.DataFrame
    scope_text: str
    base: float
    customers: float
    has_churn: bool
    has_satisfaction: bool
    flag_columns: tuple[str, ...]


NO_CHURN = "No churn figures: this dataset does not say which customers left (map a `churned` flag or a `churn_date`)."


@guarded("Behaviour figures")
def behaviour_data(ctx: PageContext) -> BehaviourData:
    """The catalogue of the active dataset and its figures (one cached query per version, filters and measures)."""
    version = ctx.version
    flag_columns = bh.flag_columns(version)
    catalogue = load_catalogue(ctx.store, ctx.dataset, flag_columns)
    summary = ctx.metric(bh.summary, bh.BehaviourSpec.of(catalogue, ctx.filters))
    total = summary[summary["dimension"] == "all"]
    has_churn = ctx.metric(staged.load_profile).tells_defection
    churn, groups = bh.churn_by_behaviour(summary, catalogue), bh.behaviour_count_groups(summary, churn_known=has_churn)
    if not has_churn:  # nobody is known to have left: churn is unknown, not 0
        churn = churn.assign(churn_with=float("nan"), churn_without=float("nan"), churn_gap=float("nan"))
        groups = groups.assign(churn_rate=float("nan"))
    return BehaviourData(
        catalogue=catalogue,
        summary=summary,
        adoption=bh.adoption_table(summary, catalogue, version),
        churn=churn,
        groups=groups,
        scope_text=bh.scope_text(catalogue.scope, version),
        base=bh.in_scope(summary),
        customers=float(total["customers"].iloc[0]) if len(total) else 0.0,
        has_churn=has_churn,
        has_satisfaction=version.has("customers", "satisfaction"),
        flag_columns=flag_columns,
    )


# -- read-only sections -------------------------------------------------------------------------------------------


@guarded("Scope")
def render_scope(ctx: PageContext, data: BehaviourData) -> None:
    """KPI tiles (customers in scope, behaviours measured, savings potential) and the scope in words."""
    fmt = ctx.number_format
    for problem in data.catalogue.problems:
        st.warning(problem, icon=":material/warning:")
    measured = int((data.adoption["status"] == "measured").sum()) if len(data.adoption) else 0
    headline = bh.headline(data.adoption, data.base)
    potential = headline.set_index("key").loc["savings_potential", "value"]
    changes = headline_changes(ctx, data, headline)
    left, middle, right = st.columns(3)
    left.metric(
        "Customers in scope",
        fmt.number(data.base),
        help=f"Adoption is measured over {markdown_text(data.scope_text)}, in the selected segments, regions and months. "
        "Prospects never count. Change the scope in the catalogue editor below.",
        border=True,
        **widgets.delta(changes.get("customers_in_scope")),
    )
    middle.metric(
        "Behaviours measured in the data",
        f"{measured} of {len(data.adoption)}",
        help="Behaviours whose adoption the data can measure (a flag, a rule on a customer column, or touchpoints). "
        "The others use an estimated adoption, or are not priced until one is entered.",
        border=True,
    )
    right.metric(
        "Savings potential a year",
        fmt.money(potential) if pd.notna(potential) else "—",
        help="Sum over behaviours of customers in scope × (best-in-class − adoption today, when positive) × saving "
        "per adopting customer per year. Figures marked as assumptions are placeholders to replace.",
        border=True,
        **widgets.delta(changes.get("savings_potential")),
    )
    if ctx.comparison.why_not:
        st.caption(ctx.comparison.why_not)
    st.caption(
        "Adoption = customers showing the behaviour ÷ customers in scope: "
        f"{markdown_text(data.scope_text)}; {markdown_text(ctx.filters.describe())}."
    )


def headline_changes(ctx: PageContext, data: BehaviourData, headline: pd.DataFrame) -> dict[str, compare.Change]:
    """The headline's change against the comparison period: the same catalogue and scope over the earlier months (a
    smaller savings potential is good news: the gap has narrowed)."""
    earlier_filters = ctx.earlier()
    if earlier_filters is None:
        return {}
    summary = ctx.metric(bh.summary, bh.BehaviourSpec.of(data.catalogue, earlier_filters))
    earlier = bh.headline(bh.adoption_table(summary, data.catalogue, ctx.version), bh.in_scope(summary))
    return compare.changes(
        headline,
        earlier,
        ctx.comparison,
        ctx.number_format,
        lower_is_better=frozenset({"savings_potential"}),
        neutral=frozenset({"customers_in_scope"}),
    )


def adoption_display(adoption: pd.DataFrame, fmt: NumberFormat) -> pd.DataFrame:
    """The adoption table as the page shows it: figures written out, the figures' source or "assumption"."""
    rows = []
    for r in adoption.itertuples(index=False):
        current = "—" if pd.isna(r.current) else fmt.pct(r.current, 2) + (" (estimate)" if r.status == "estimate" else "")
        rows.append(
            {
                "Behaviour": r.behaviour,
                "Adoption today": current,
                "Best-in-class": "—" if pd.isna(r.best_in_class) else fmt.pct(r.best_in_class, 1),
                "Gap": "—" if pd.isna(r.gap) else f"{fmt.number(r.gap * 100, 1)} pts",
                "Saving per customer a year": fmt.money(r.saving, 2),
                "Savings potential a year": "—" if pd.isna(r.potential) else fmt.money(r.potential, 0),
                "Figures": "Assumption: replace" if r.assumption else _source(r),
                "How it is measured": r.how_measured if r.status == "measured" else r.note,
            }
        )
    return pd.DataFrame(rows)


def _source(row: object) -> str:
    sources = [s for s in (row.best_in_class_source, row.saving_source) if s]
    return "Source: " + (" · ".join(dict.fromkeys(sources)) if sources else "entered by the team")


def adoption_export(adoption: pd.DataFrame) -> pd.DataFrame:
    """The adoption table for download: raw numbers (percentages as 0-100) with their sources."""
    out = adoption[
        ["behaviour", "status", "how_measured", "note", "customers_in_scope", "adopters", "current", "best_in_class", "gap"]
    ].copy()
    for col in ("current", "best_in_class", "gap"):
        out[col] = out[col].astype(float) * 100
    out["saving per customer a year"] = adoption["saving"]
    out["savings potential a year"] = adoption["potential"]
    out["assumption"] = adoption["assumption"]
    out["best-in-class source"] = adoption["best_in_class_source"]
    out["saving source"] = adoption["saving_source"]
    return out.rename(columns={"current": "adoption today %", "best_in_class": "best-in-class %", "gap": "gap (points)"})


@guarded("Adoption against best-in-class")
def render_adoption(ctx: PageContext, data: BehaviourData) -> None:
    """Adoption today against best-in-class, the gap and the savings potential, sorted by money."""
    fmt = ctx.number_format
    st.subheader("Adoption today against best-in-class")
    if data.adoption.empty:
        st.info("The catalogue is empty: add a behaviour in the catalogue editor below.")
        return
    if data.adoption["current"].notna().any():
        widgets.chart(charts.adoption_and_potential(data.adoption, fmt), key="b_adoption_chart")
    widgets.table(
        adoption_display(data.adoption, fmt),
        width="stretch",
        key="b_adoption_table",
        column_config={
            "Behaviour": st.column_config.TextColumn(width="medium"),
            "Figures": st.column_config.TextColumn(width="medium"),
            "How it is measured": st.column_config.TextColumn(width="large"),
        },
    )
    if data.adoption["assumption"].any():
        st.caption(
            "Figures marked **Assumption** are placeholders from the default utility catalogue: replace them with "
            "your own cost data and benchmarks in the catalogue editor below. Only e-billing's \\$11 and 84 % come "
            "from the article."
        )
    widgets.download_buttons(
        adoption_export(data.adoption), "behaviour_adoption", key="b_adoption_dl", label="Adoption table", deferred=True
    )


@guarded("Adoption by group")
def render_by_group(ctx: PageContext, data: BehaviourData) -> None:
    """Adoption and savings potential by segment or region."""
    fmt = ctx.number_format
    st.subheader("By segment or region")
    dimension = state.widget(
        st.segmented_control,
        "Break down by",
        "b_by",
        "segment",
        state.TEXT,
        valid=_valid_dimension,
        value_arg="default",
        options=["segment", "region"],
        format_func=str.capitalize,
        selection_mode="single",
        required=True,
    )
    by_group = bh.adoption_by(data.summary, data.catalogue, dimension)
    if by_group.empty:
        st.info("No behaviour is measured in the data, so there is nothing to break down.")
        return
    if by_group["group"].nunique() < 2:
        st.caption(f"Every customer in scope has the same {dimension} ({markdown_text(by_group['group'].iloc[0])}).")
    widgets.chart(charts.adoption_heatmap(by_group, dimension, fmt), key="b_group_heatmap")
    widgets.chart(charts.potential_by_group(by_group, dimension, list(data.catalogue.keys), fmt), key="b_group_potential")
    table = by_group.assign(
        current=by_group["current"].astype(float) * 100, best_in_class=by_group["best_in_class"].astype(float) * 100
    ).rename(
        columns={
            "group": dimension,
            "current": "adoption today %",
            "best_in_class": "best-in-class %",
            "potential": "savings potential a year",
            "group_potential": f"{dimension} savings potential a year",
        }
    )
    widgets.download_buttons(
        table.drop(columns=["key"]), f"behaviours_by_{dimension}", key="b_group_dl", label="By " + dimension, deferred=True
    )


def _valid_dimension(value: str) -> str:
    if value not in ("segment", "region"):
        raise ValueError(value)
    return value


@guarded("Customers by number of behaviours")
def render_count_groups(ctx: PageContext, data: BehaviourData) -> None:
    """Customers grouped by the number of behaviours they show: mean satisfaction with its interval, churn rate."""
    fmt = ctx.number_format
    st.subheader("Customers by number of behaviours")
    groups = data.groups
    if groups.empty:
        st.info("No customers in the selected segments, regions and months.")
        return
    scale = settings.stored(ctx.store, ctx.dataset, "satisfaction_scale", "")
    widgets.chart(charts.count_groups(groups, scale, fmt), key="b_count_chart")
    display = pd.DataFrame(
        {
            "Behaviours shown": groups["behaviours"],
            "Customers": [fmt.number(v) for v in groups["customers"]],
            "Mean satisfaction": [fmt.number(v, 2) for v in groups["mean_satisfaction"]],
            "95 % interval": [
                "—" if pd.isna(lo) else f"{fmt.number(lo, 2)} to {fmt.number(hi, 2)}"
                for lo, hi in zip(groups["ci_low"], groups["ci_high"], strict=True)
            ],
            **({"Churn rate": [fmt.pct(v, 2) for v in groups["churn_rate"]]} if data.has_churn else {}),
            "Note": ["Fewer than 30 customers: too few to read" if s else "" for s in groups["small"]],
        }
    )
    widgets.table(display, width="stretch", key="b_count_table")
    st.caption(
        f"Over the {fmt.number(data.customers)} customers of the period (those who left during it included), counting "
        "the behaviours measured in the data. Satisfaction: the customer's score; interval: mean ± Student's t × "
        "standard deviation ÷ √n. Churn rate: customers who defected during the period ÷ customers."
        + ("" if data.has_satisfaction else " This dataset has no satisfaction scores.")
        + ("" if data.has_churn else f" {NO_CHURN}")
    )


@guarded("Behaviours and churn")
def render_churn(ctx: PageContext, data: BehaviourData) -> None:
    """Churn rate and satisfaction with and without each behaviour."""
    fmt = ctx.number_format
    st.subheader("Churn with and without each behaviour")
    churn = data.churn
    if churn.empty:
        st.info("No behaviour is measured in the data.")
        return
    ctx.show_definitions("defected")
    if not data.has_churn:
        st.info(NO_CHURN)
        return
    display = pd.DataFrame(
        {
            "Behaviour": churn["behaviour"],
            "Customers with it": [fmt.number(v) for v in churn["with"]],
            "Share with it": [fmt.pct(v, 2) for v in churn["share_with"]],
            "Churn with it": [fmt.pct(v, 2) for v in churn["churn_with"]],
            "Churn without it": [fmt.pct(v, 2) for v in churn["churn_without"]],
            "Churn gap": ["—" if pd.isna(v) else f"{fmt.number(v * 100, 2)} pts" for v in churn["churn_gap"]],
            "Satisfaction with / without": [
                f"{fmt.number(a, 2)} / {fmt.number(b, 2)}"
                for a, b in zip(churn["satisfaction_with"], churn["satisfaction_without"], strict=True)
            ],
        }
    )
    widgets.chart(charts.churn_with_without(churn, fmt), key="b_churn_chart")
    widgets.table(display, width="stretch", key="b_churn_table")
    st.caption(
        "Over the customers of the period. Churn with it = customers showing the behaviour who defected during the "
        "period ÷ customers showing it; without it likewise. Churn gap = without − with: an association, not proof "
        "that the behaviour keeps customers."
    )
    widgets.download_buttons(
        churn.drop(columns=["key"]), "churn_by_behaviour", key="b_churn_dl", label="Churn table", deferred=True
    )


# -- the catalogue editor -----------------------------------------------------------------------------------------

_NEW = "__new__"
_E = "bh_edit_"


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
    pick = st.session_state.get(f"{_E}pick", _NEW)
    behaviour = data.catalogue.get(pick) if pick in data.catalogue.keys else None
    for name, value in _editor_defaults(behaviour, data).items():
        st.session_state[f"{_E}{name}"] = value
    st.session_state[f"{_E}loaded"] = pick


def _field(name: str) -> object:
    return st.session_state.get(f"{_E}{name}")


def _behaviour_from_editor(catalogue: Catalogue) -> Behaviour:
    """The behaviour the editor's fields describe (not yet checked)."""
    pick = st.session_state.get(f"{_E}pick", _NEW)
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


@action("Save the behaviour")
def _save(ctx: PageContext, data: BehaviourData) -> None:
    if not auth.require(Action.EDIT):
        return
    catalogue = load_catalogue(ctx.store, ctx.dataset, data.flag_columns)
    try:
        behaviour = _behaviour_from_editor(catalogue)
        saved = save_catalogue(ctx.store, ctx.dataset, catalogue.upsert(behaviour))
    except (CatalogueError, ValueError) as exc:
        st.session_state[f"{_E}message"] = ("error", str(exc))
        return
    _forget_whatif([behaviour.key])
    st.session_state[f"{_E}pick"] = behaviour.key
    st.session_state[f"{_E}loaded"] = None
    st.session_state[f"{_E}message"] = ("success", f"Saved “{saved.get(behaviour.key).name}”.")


@action("Delete the behaviour")
def _delete(ctx: PageContext, data: BehaviourData) -> None:
    if not auth.require(Action.EDIT):
        return
    pick = st.session_state.get(f"{_E}pick", _NEW)
    catalogue = load_catalogue(ctx.store, ctx.dataset, data.flag_columns)
    if pick not in catalogue.keys:
        return
    name = catalogue.get(pick).name
    save_catalogue(ctx.store, ctx.dataset, catalogue.without(pick))
    _forget_whatif([pick])
    st.session_state[f"{_E}pick"] = _NEW
    st.session_state[f"{_E}loaded"] = None
    st.session_state[f"{_E}message"] = ("success", f"Deleted “{name}”.")


@action("Reset the catalogue")
def _reset(ctx: PageContext, data: BehaviourData) -> None:
    if not auth.require(Action.EDIT):
        return
    reset_catalogue(ctx.store, ctx.dataset)
    _forget_whatif(data.catalogue.keys)
    st.session_state[f"{_E}pick"] = _NEW
    st.session_state[f"{_E}loaded"] = None
    st.session_state[f"{_E}message"] = ("success", "The default catalogue applies again.")


@action("Add the data's flags")
def _add_flags(ctx: PageContext, data: BehaviourData) -> None:
    if not auth.require(Action.EDIT):
        return
    catalogue = load_catalogue(ctx.store, ctx.dataset, data.flag_columns)
    grown = save_catalogue(ctx.store, ctx.dataset, with_data_flags(catalogue, data.flag_columns))
    added = [b.name for b in grown.behaviours if b.key not in catalogue.keys]
    st.session_state[f"{_E}message"] = ("success", f"Added {', '.join(added)}: enter their savings and best-in-class.")


@action("Save the scope")
def _save_scope(ctx: PageContext, data: BehaviourData) -> None:
    if not auth.require(Action.EDIT):
        return
    catalogue = load_catalogue(ctx.store, ctx.dataset, data.flag_columns)
    save_catalogue(ctx.store, ctx.dataset, replace(catalogue, scope=st.session_state[f"{_E}scope"]))
    _forget_whatif(catalogue.keys)


@guarded("Behaviour catalogue")
def render_catalogue_editor(ctx: PageContext, data: BehaviourData) -> None:
    """Edit the dataset's behaviour catalogue: scope, add, change, delete, restore the default. Saved at once."""
    if not auth.can(Action.EDIT):
        return
    st.subheader("The behaviour catalogue")
    message = st.session_state.pop(f"{_E}message", None)
    if message:
        (st.success if message[0] == "success" else st.error)(markdown_text(message[1]))
    with st.expander("Edit the catalogue: add your own behaviours, replace the assumptions", expanded=message is not None):
        for note in data.catalogue.notes:
            st.caption(markdown_text(note))
        unused = unused_flags(data.catalogue, data.flag_columns)
        if unused:
            st.info(f"Flag columns in the data that no behaviour measures: {markdown_text(', '.join(unused))}.")
            st.button("Add them as behaviours", key=f"{_E}add_flags", on_click=_add_flags, args=(ctx, data))
        st.session_state[f"{_E}scope"] = data.catalogue.scope
        st.radio(
            "Customers in scope for adoption",
            list(SCOPES),
            format_func=lambda s: SCOPES[s][0].upper() + SCOPES[s][1:],
            key=f"{_E}scope",
            on_change=_save_scope,
            args=(ctx, data),
        )
        options = [_NEW, *data.catalogue.keys]
        if st.session_state.get(f"{_E}pick") not in options:
            st.session_state[f"{_E}pick"] = _NEW
        names = {b.key: b.name for b in data.catalogue.behaviours}
        st.selectbox(
            "Behaviour",
            options,
            format_func=lambda k: "+ New behaviour" if k == _NEW else names.get(k, k),
            key=f"{_E}pick",
            on_change=_load_editor,
            args=(data,),
        )
        if st.session_state.get(f"{_E}loaded") != st.session_state[f"{_E}pick"]:
            _load_editor(data)
        _editor_fields(ctx, data)
        save, delete, reset = st.columns(3)
        save.button("Save behaviour", type="primary", icon=":material/save:", on_click=_save, args=(ctx, data), key=f"{_E}save")
        delete.button(
            "Delete behaviour",
            icon=":material/delete:",
            on_click=_delete,
            args=(ctx, data),
            key=f"{_E}delete",
            disabled=st.session_state[f"{_E}pick"] == _NEW,
        )
        reset.button(
            "Restore the default catalogue", icon=":material/restart_alt:", on_click=_reset, args=(ctx, data), key=f"{_E}reset"
        )


def _editor_fields(ctx: PageContext, data: BehaviourData) -> None:
    customer_columns = [c for c in ctx.version.columns.get("customers", ()) if c != "customer_id"]
    st.text_input("Name", key=f"{_E}name", max_chars=80, placeholder="e.g. Reports meter readings online")
    kind = st.selectbox(
        "How it is measured",
        list(MEASURE_KINDS),
        format_func=lambda k: MEASURE_KINDS[k][0].upper() + MEASURE_KINDS[k][1:],
        key=f"{_E}kind",
    )
    if kind == FLAG:
        options = list(dict.fromkeys([*data.flag_columns, str(_field("flag_column") or "")]))
        options = [o for o in options if o]
        if not options:
            st.info("This dataset has no b_ flag columns; choose a rule or a derived measure instead.")
        else:
            st.selectbox("Flag column", options, key=f"{_E}flag_column")
    elif kind == RULE:
        options = list(dict.fromkeys([*customer_columns, str(_field("rule_column") or "")]))
        options = [o for o in options if o]
        if st.session_state.get(f"{_E}rule_column") not in options and options:
            st.session_state[f"{_E}rule_column"] = options[0]
        c1, c2, c3 = st.columns(3)
        c1.selectbox("Column", options, key=f"{_E}rule_column")
        operators_help = "; ".join(f"{k}: {v}" for k, v in RULE_OPERATORS.items())
        c2.selectbox("Rule", list(RULE_OPERATORS), key=f"{_E}rule_operator", help=operators_help)
        c3.text_input(
            "Value",
            key=f"{_E}rule_value",
            max_chars=200,
            help="Text, a number, a date like 2024-01-31, or comma-separated values for 'one of'.",
        )
    elif kind in DERIVED:
        channel_options = list(dict.fromkeys([*contract.CHANNELS.labels, *(_field("channels") or [])]))
        c1, c2, c3 = st.columns(3)
        c1.multiselect("Channels" if kind == NO_CONTACT else "Self-service channels", channel_options, key=f"{_E}channels")
        c2.number_input(
            "Months looked back (0 = all history)",
            min_value=0,
            max_value=120,
            step=1,
            key=f"{_E}months",
            help="Calendar months up to the customer's last month as a customer within the period.",
        )
        if kind == NO_CONTACT:
            c3.number_input("Most contacts allowed", min_value=0, max_value=10_000, step=1, key=f"{_E}max_contacts")
        else:
            c3.number_input("Least share of own contacts (%)", min_value=1.0, max_value=100.0, step=5.0, key=f"{_E}min_share_pct")
    c1, c2, c3 = st.columns(3)
    c1.number_input(
        f"Saving per adopting customer a year ({ctx.number_format.currency})",
        min_value=0.0,
        max_value=1e7,
        step=1.0,
        format="%.2f",
        key=f"{_E}saving",
    )
    c2.checkbox("Best-in-class is known", key=f"{_E}bic_known")
    c2.number_input(
        "Best-in-class adoption (%)",
        min_value=0.0,
        max_value=100.0,
        step=1.0,
        key=f"{_E}bic_pct",
        disabled=not _field("bic_known"),
    )
    c3.checkbox(
        "Use an estimated adoption when the data cannot measure it" if kind != ESTIMATE else "Estimated adoption",
        key=f"{_E}use_estimate",
        disabled=kind == ESTIMATE,
    )
    c3.number_input(
        "Estimated adoption today (%)",
        min_value=0.0,
        max_value=100.0,
        step=1.0,
        key=f"{_E}estimate_pct",
        disabled=kind != ESTIMATE and not _field("use_estimate"),
    )
    c1, c2 = st.columns(2)
    c1.text_input("Source of the best-in-class figure", key=f"{_E}bic_source", max_chars=300)
    c2.text_input("Source of the saving", key=f"{_E}saving_source", max_chars=300)
    st.checkbox("These figures are assumptions to replace (marked on screen)", key=f"{_E}assumption")
