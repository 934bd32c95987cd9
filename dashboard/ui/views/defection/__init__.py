"""The Defection page: its controls (the definition and lifetime-value settings) and its sections: who is leaving, why,
what it costs, who to call, retention, data needs, and whether the lifetime value predicts; the sections below the
headline sit in tabs of which only the open one runs.

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

TABS = ("Who is leaving", "Why they leave", "What it costs", "Who to call", "Retention", "Model check")
"""The page's tabs under the headline, in the order a room walks them; the open one is kept in the URL as d_tab."""
TAB_KEY = "d_tab"


@guarded("Defection tabs", stop=True)
def page_tabs() -> dict[str, object]:
    """The page's tabs by label; only the open one runs its queries and draws its charts, so a definition change
    redraws the headline and one tab, not every chart of the page."""
    return dict(zip(TABS, state.tabs(list(TABS), TAB_KEY), strict=True))


@state.fragment
@guarded("Defection")
def render_by_definition(ctx: PageContext) -> None:
    """The definition editor, the headline and the tabs of sections drawn by it, as one fragment: a change of the
    definition, of a section's own control or of the open tab reruns only this part of the page (not the sidebar)."""
    report.fragment_part("defection")
    choices = controls(ctx)
    save_bar(ctx, choices)
    render_data_needs(ctx, choices)
    render_headline(ctx, choices)
    state.draw_tabs(
        page_tabs(),
        {
            "Who is leaving": lambda: render_who_is_leaving(ctx, choices),
            "Why they leave": lambda: (render_why(ctx, choices), render_reasons_over_time(ctx, choices)),
            "What it costs": lambda: render_what_it_costs(ctx, choices),
            "Who to call": lambda: render_at_risk_list(ctx, choices),
            "Retention": lambda: render_retention(ctx, choices),
            "Model check": lambda: render_model_check(ctx),  # no control of the page changes it
        },
    )
