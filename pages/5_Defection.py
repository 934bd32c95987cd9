"""Defection: who is leaving, why, and what it costs."""

from dashboard.ui import frame
from dashboard.ui.views import defection as view

ctx = frame.page(
    "Defection",
    intro="Define defection for your business, then see who has left or is about to, why, and what it costs in lifetime value.",
)
choices = view.controls(ctx)
view.save_bar(ctx, choices)
view.render_data_needs(ctx, choices)
view.render_headline(ctx, choices)
view.render_who_is_leaving(ctx, choices)
view.render_why(ctx, choices)
view.render_reasons_over_time(ctx, choices)
view.render_what_it_costs(ctx, choices)
view.render_at_risk_list(ctx, choices)
view.render_retention(ctx, choices)
view.render_model_check(ctx, choices)
