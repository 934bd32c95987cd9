"""Drivers: what goes with defection, low satisfaction and conversion, and what fixing it is worth."""

from dashboard.ui import frame
from dashboard.ui.views import drivers as view

ctx = frame.page(
    "Drivers",
    intro="What goes with defection, low satisfaction or conversion, how strongly once the others are taken into "
    "account, and what fixing it is worth.",
)
view.render_by_outcome(ctx)  # the outcome, what goes with it, adjusted, tipping points, what fixing it is worth
