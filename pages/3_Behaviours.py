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
# only the open tab draws its charts and tables
state.draw_tabs(
    view.page_tabs(),
    {
        "Adoption": lambda: view.render_adoption(ctx, data),
        "By segment or region": lambda: view.render_by_group(ctx, data),
        "By number of behaviours": lambda: view.render_count_groups(ctx, data),
        "Churn": lambda: view.render_churn(ctx, data),
    },
)
if not ctx.presenting:
    editor.render_catalogue_editor(ctx, data)
