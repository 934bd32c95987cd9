"""The Drivers page's lever under the What-if, worked out only when opened."""

from __future__ import annotations

from dashboard.ui import state
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import guarded
from dashboard.ui.views import drivers

LEVER_KEY = "w_lever"
"""The expander's key and URL name: a link made with the lever open opens it."""
LEVER_NAMES = ("wd_driver", "wd_share")
"""The lever's own URL names: a link that carries one was made with the lever open."""


@guarded("A driver as a lever")
def render_driver_lever(ctx: PageContext) -> None:
    """The driver lever (drivers.render_lever) in an expander whose content runs only while it is open: fitting the
    drivers of defection over the customers in scope is the slowest part of the page's first open (most of it at
    1,000,000 customers), for a section below the scenarios that a slider move never needs."""
    state.draw_expander(
        "A driver as a lever: what fixing a driver of defection keeps",
        LEVER_KEY,
        lambda: drivers.render_lever(ctx),
        icon=":material/build:",
        opened_by=LEVER_NAMES,
    )
