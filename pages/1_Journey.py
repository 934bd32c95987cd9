"""Journey: where the experience breaks, stage by stage, channel by channel, path by path."""

from dashboard.ui import frame
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
    stages.render_journey_map(ctx, spec)
    service.render_service(ctx, spec)
    service.render_contacts(ctx, spec)
    service.render_waits(ctx)
    stages.render_heatmap(ctx, spec)
    paths.render_paths_and_drilldown(ctx, spec)
