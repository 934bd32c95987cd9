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
    # only the open tab runs its queries and draws its charts
    state.draw_tabs(
        controls.page_tabs(),
        {
            "Journey map": lambda: stages.render_journey_map(ctx, spec),
            "Service": lambda: service.render_service_tab(ctx, spec),
            "Stage by channel": lambda: stages.render_heatmap(ctx, spec),
            "Paths": lambda: paths.render_paths_and_drilldown(ctx, spec),
        },
    )
