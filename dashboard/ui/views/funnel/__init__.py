"""The Funnel page's sections: the stage funnel, breakdown, cohorts, sales funnel, movement, time in stage, economics,
the five checks, drill-downs, and the editor of stage names, order and rules. Each tab's page-local controls rerun
only a fragment of it (the sidebar's filters rerun the page)."""

from dashboard.ui.views.funnel.common import page_tabs, stage_model
from dashboard.ui.views.funnel.economics import render_economics_tab
from dashboard.ui.views.funnel.editor import render_rules_tab
from dashboard.ui.views.funnel.movement import render_movement_tab
from dashboard.ui.views.funnel.sales import render_sales_funnel
from dashboard.ui.views.funnel.stages_tab import render_details, render_rules_in_words, render_stage_funnel

__all__ = [
    "page_tabs",
    "render_details",
    "render_economics_tab",
    "render_movement_tab",
    "render_rules_in_words",
    "render_rules_tab",
    "render_sales_funnel",
    "render_stage_funnel",
    "stage_model",
]
