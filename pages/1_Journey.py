"""Journey: where the experience breaks, stage by stage, channel by channel, path by path."""

from dashboard.ui import frame, state
from dashboard.ui.views.journey import controls, paths, service, stages

ctx = frame.page(
    "Journey",
    intro="Touchpoints by journey stage and channel, the paths customers take, and where effort, dissatisfaction, "
    "repeat contacts and slow complaint handling pile up.",
)
if controls.has_touchpoints(ctx):
    controls.missing_notice(ctx)
    spec = controls.controls(ctx)
    stages.render_hotspots(ctx, spec)
    tabs = controls.page_tabs()  # only the open tab runs its queries and draws its charts

    with tabs["Journey map"]:
        if state.is_open(tabs["Journey map"]):
            stages.render_journey_map(ctx, spec)

    with tabs["Service"]:
        if state.is_open(tabs["Service"]):
            service.render_service(ctx, spec)
            service.render_contacts(ctx, spec)
            service.render_waits(ctx)

    with tabs["Stage by channel"]:
        if state.is_open(tabs["Stage by channel"]):
            stages.render_heatmap(ctx, spec)

    with tabs["Paths"]:
        if state.is_open(tabs["Paths"]):
            paths.render_paths_and_drilldown(ctx, spec)
