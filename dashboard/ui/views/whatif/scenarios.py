"""Saved what-if scenarios: save the sliders under a name; list, compare side by side, load, delete and export."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from dashboard.access import Action
from dashboard.charts import whatif as charts
from dashboard.escape import markdown_text
from dashboard.metrics import whatif
from dashboard.ui import auth, state, widgets
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import action, guarded
from dashboard.ui.views.whatif.controls import WhatIf, stored_target


@action("Load the scenario")
def _load_scenario(scenario: whatif.Scenario, items: tuple[whatif.Lever, ...]) -> None:
    targets = dict(scenario.targets)
    stored_savings = {lever.key: lever.saving for lever in scenario.levers}
    for lever in items:
        target = targets.get(lever.key)
        state.set_value(f"w_t_{lever.key}", stored_target(lever, whatif.clip_target(lever, target)))
        saving = stored_savings.get(lever.key)
        state.set_value(f"w_s_{lever.key}", None if saving is None or saving == lever.saving else saving)
    state.set_value("w_base", scenario.base if scenario.base_overridden else None)
    state.set_value("w_years", scenario.years)
    state.set_value("w_ramp", scenario.ramp_years)
    state.set_value("w_ret", scenario.include_retained)
    if scenario.lifetime_value is not None:
        state.set_value("w_ltv", scenario.lifetime_value)
    st.session_state["w_scn_message"] = ("success", f"Loaded “{scenario.name}” into the sliders.")


@action("Save the scenario")
def _save_current(ctx: PageContext, current: whatif.Scenario) -> None:
    if not auth.require(Action.EDIT):
        return
    name = str(st.session_state.get("w_scn_name") or "").strip()
    try:
        whatif.save_scenario(ctx.store, ctx.dataset, replace(current, name=name, saved_at=""))
    except ValueError as exc:
        st.session_state["w_scn_message"] = ("error", str(exc))
        return
    st.session_state["w_scn_message"] = ("success", f"Saved “{' '.join(name.split())}”.")
    st.session_state["w_scn_name"] = ""


@action("Delete the scenario")
def _delete(ctx: PageContext, name: str) -> None:
    if not auth.require(Action.EDIT):
        return
    whatif.delete_scenario(ctx.store, ctx.dataset, name)
    st.session_state["w_scn_message"] = ("success", f"Deleted “{name}”.")


def _compare_display(table: pd.DataFrame, fmt) -> pd.DataFrame:
    out = table.copy()
    for col in out.columns[1:]:
        values = []
        for figure, value in zip(out["figure"], table[col], strict=True):
            if value is None or pd.isna(value):
                values.append("—")
            elif figure.endswith("target adoption %"):
                values.append(f"{fmt.number(value, 1)} %")
            elif figure in ("Customer base", "Years projected"):
                values.append(fmt.number(value))
            else:
                values.append(fmt.money(value, 0))
        out[col] = values
    return out.rename(columns={"figure": "Figure"})


@guarded("Saved scenarios")
def render_scenarios(ctx: PageContext, current: WhatIf, catalogue_keys: tuple[str, ...] | list[str] = ()) -> None:
    """Save the sliders as a named scenario; list, compare side by side, load, delete and export scenarios.

    catalogue_keys (the behaviour catalogue's order) give each behaviour the colour it has on the Behaviours page.
    """
    st.subheader("Scenarios")
    message = st.session_state.pop("w_scn_message", None)
    if message:
        (st.success if message[0] == "success" else st.error)(markdown_text(message[1]))
    editing = not ctx.presenting and auth.can(Action.EDIT)
    if editing:
        name_col, save_col = st.columns([3, 1], vertical_alignment="bottom")
        name_col.text_input("Scenario name", key="w_scn_name", max_chars=60, placeholder="e.g. Halfway on e-billing")
        save_col.button(
            "Save scenario",
            key="w_scn_save",
            type="primary",
            icon=":material/bookmark_add:",
            on_click=_save_current,
            args=(ctx, current.scenario),
            width="stretch",
        )
    widgets.download_buttons(
        lambda: whatif.scenario_table(current.scenario),
        "whatif_current",
        key="w_current_dl",
        label="These sliders",
        deferred=True,
    )
    scenarios = whatif.load_scenarios(ctx.store, ctx.dataset)
    if not scenarios:
        st.caption("No saved scenarios yet for this dataset.")
        return
    _listing(ctx, scenarios)
    _compared(ctx, scenarios, catalogue_keys)
    _picked(ctx, scenarios, current, editing)


def _listing(ctx: PageContext, scenarios: list[whatif.Scenario]) -> None:
    """The saved scenarios in a table: name, when, base, annual savings, years and ramp-up, what they were saved with."""
    fmt = ctx.number_format
    listing = pd.DataFrame(
        {
            "Scenario": [s.name for s in scenarios],
            "Saved": [s.saved_at.replace("T", " ") for s in scenarios],
            "Customer base": [fmt.number(s.base) for s in scenarios],
            "Annual savings": [whatif.money_full(whatif.total_saving(s.frame()), fmt) for s in scenarios],
            "Years · ramp-up": [f"{s.years} · {s.ramp_years}" for s in scenarios],
            "Saved with": [s.context for s in scenarios],
        }
    )
    widgets.table(listing, width="stretch", key="w_scn_list")


def _compared(ctx: PageContext, scenarios: list[whatif.Scenario], catalogue_keys: tuple[str, ...] | list[str]) -> None:
    """The scenarios chosen side by side: a table, a stacked chart and their export."""
    names = [s.name for s in scenarios]
    chosen = state.widget(
        st.multiselect,
        "Compare scenarios side by side",
        "w_cmp",
        [],
        state.TEXTS,
        valid=lambda v: [n for n in v if n in names],
        value_arg="default",
        options=names,
        placeholder="Choose two or more",
    )
    picked = [s for s in scenarios if s.name in chosen]
    if not picked:
        return
    if len(picked) == 1:
        st.caption("Choose one more scenario to compare side by side.")
    widgets.table(_compare_display(whatif.compare(picked), ctx.number_format), width="stretch", key="w_cmp_table")
    keys = list(dict.fromkeys([*catalogue_keys, *(lever.key for s in picked for lever in s.levers)]))
    widgets.chart(charts.compare(picked, keys, ctx.number_format), key="w_cmp_chart")
    widgets.download_buttons(
        lambda: pd.concat([whatif.scenario_table(s) for s in picked], ignore_index=True),
        "whatif_scenarios",
        key="w_cmp_dl",
        label="Compared scenarios",
        deferred=True,
    )


def _picked(ctx: PageContext, scenarios: list[whatif.Scenario], current: WhatIf, editing: bool) -> None:
    """One saved scenario: load it into the sliders, delete it, export it."""
    names = [s.name for s in scenarios]
    pick_col, load_col, delete_col = st.columns([3, 1, 1], vertical_alignment="bottom")
    selected_name = pick_col.selectbox("Saved scenario", names, key="w_scn_pick")
    selected = next(s for s in scenarios if s.name == selected_name)
    load_col.button(
        "Load into the sliders",
        key="w_scn_load",
        icon=":material/upload:",
        on_click=_load_scenario,
        args=(selected, current.items),
        width="stretch",
    )
    if editing:
        delete_col.button(
            "Delete scenario",
            key="w_scn_delete",
            icon=":material/delete:",
            on_click=_delete,
            args=(ctx, selected.name),
            width="stretch",
        )
    widgets.download_buttons(
        lambda: whatif.scenario_table(selected),
        "whatif_scenario",
        key="w_scn_dl",
        label=f"“{markdown_text(selected.name)}”",
        deferred=True,
    )
