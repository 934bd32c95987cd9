"""What-if: move each behaviour's adoption towards best-in-class and see the money at once."""

from dashboard.ui import frame
from dashboard.ui.views import behaviours, whatif

ctx = frame.page(
    "What-if",
    intro="Move a slider: the savings are customers × change in adoption × saving per customer. "
    "Presets set every chosen behaviour to today, halfway to best-in-class, or best-in-class.",
)
data = behaviours.behaviour_data(ctx)
whatif.render_interactive(ctx, data)
whatif.render_driver_lever(ctx)
