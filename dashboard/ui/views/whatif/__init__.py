"""What-if page sections: sliders and presets, the money figure with its formula, waterfall, projection, retained
revenue and saved scenarios. A slider change runs no query: the adoption figures come from the cache.

controls: the URL-bound inputs and what they hold; lifetime: the lifetime value offered for retained revenue;
sliders: the money and the sliders (the fragment a slider move reruns); money: the headline, charts and retained
revenue; preview: what the browser needs to draw the money as a slider moves (money_preview.js); scenarios: saved
scenarios; lever: the Drivers page's lever, worked out when opened.
"""

from dashboard.ui.views.whatif.controls import MAX_BASE, MAX_LIFETIME_VALUE, MAX_SAVING, WhatIf, inputs_from_state
from dashboard.ui.views.whatif.lever import render_driver_lever
from dashboard.ui.views.whatif.lifetime import LifetimeValue, lifetime_value_default
from dashboard.ui.views.whatif.scenarios import render_scenarios
from dashboard.ui.views.whatif.sliders import render_interactive, render_whatif

__all__ = [
    "MAX_BASE",
    "MAX_LIFETIME_VALUE",
    "MAX_SAVING",
    "LifetimeValue",
    "WhatIf",
    "inputs_from_state",
    "lifetime_value_default",
    "render_driver_lever",
    "render_interactive",
    "render_scenarios",
    "render_whatif",
]
