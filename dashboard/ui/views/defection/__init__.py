"""The Defection page: its controls (the definition and lifetime-value settings) and its sections: who is leaving, why,
what it costs, who to call, retention, data needs.

Each render function draws one section from a PageContext and the DefectionView that `controls` returns, so
the workshop Story page can reuse them: `view = controls(ctx)` then any `render_*(ctx, view)`.
"""

from __future__ import annotations

from dashboard.ui import report, state
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import guarded
from dashboard.ui.views.defection.call_list import export_frame, render_at_risk_list
from dashboard.ui.views.defection.costs import render_what_it_costs
from dashboard.ui.views.defection.definition import controls, save_bar
from dashboard.ui.views.defection.headline import render_data_needs, render_headline, render_money_basis
from dashboard.ui.views.defection.retention import render_model_check, render_retention
from dashboard.ui.views.defection.why import render_reasons_over_time, render_who_is_leaving, render_why

__all__ = [
    "controls",
    "export_frame",
    "render_at_risk_list",
    "render_by_definition",
    "render_data_needs",
    "render_headline",
    "render_model_check",
    "render_money_basis",
    "render_reasons_over_time",
    "render_retention",
    "render_what_it_costs",
    "render_who_is_leaving",
    "render_why",
    "save_bar",
]


@state.fragment
@guarded("Defection")
def render_by_definition(ctx: PageContext) -> None:
    """The definition editor and every section drawn by it, as one fragment: a change of the definition or of a
    section's own control reruns only this part of the page (not the sidebar, not the model checks below, which no
    control of the page changes)."""
    report.fragment_part("defection")
    choices = controls(ctx)
    save_bar(ctx, choices)
    render_data_needs(ctx, choices)
    render_headline(ctx, choices)
    render_who_is_leaving(ctx, choices)
    render_why(ctx, choices)
    render_reasons_over_time(ctx, choices)
    render_what_it_costs(ctx, choices)
    render_at_risk_list(ctx, choices)
    render_retention(ctx, choices)
