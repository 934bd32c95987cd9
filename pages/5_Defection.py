"""Defection: who is leaving, why, and what it costs."""

from dashboard.ui import frame
from dashboard.ui.views import defection as view

ctx = frame.page(
    "Defection",
    intro="Define defection for your business, then see who has left or is about to, why, and what it costs in lifetime value.",
)
view.render_by_definition(ctx)  # the definition and headline, then tabs: who is leaving, why, costs, who to call, ...
