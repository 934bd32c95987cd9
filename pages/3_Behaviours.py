"""Behaviours: perfect-customer behaviours against best-in-class, what closing the gap is worth, and who shows them."""

from dashboard.ui import frame, state
from dashboard.ui.views import behaviours as view
from dashboard.ui.views import behaviours_editor as editor

ctx = frame.page(
    "Behaviours",
    intro="Behaviours that make customers cheaper to serve: adoption today against best-in-class, the money in the gap, "
    "and how customers with more of them feel and stay.",
)
data = view.behaviour_data(ctx)
view.render_scope(ctx, data)
tabs = view.page_tabs()  # only the open tab draws its charts and tables

with tabs["Adoption"]:
    if state.is_open(tabs["Adoption"]):
        view.render_adoption(ctx, data)

with tabs["By segment or region"]:
    if state.is_open(tabs["By segment or region"]):
        view.render_by_group(ctx, data)

with tabs["By number of behaviours"]:
    if state.is_open(tabs["By number of behaviours"]):
        view.render_count_groups(ctx, data)

with tabs["Churn"]:
    if state.is_open(tabs["Churn"]):
        view.render_churn(ctx, data)

if not ctx.presenting:
    editor.render_catalogue_editor(ctx, data)
