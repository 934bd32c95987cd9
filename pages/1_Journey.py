"""Journey: where the experience breaks, stage by stage, channel by channel, path by path."""

from dashboard.ui import frame
from dashboard.ui.views import journey as view

ctx = frame.page(
    "Journey",
    intro="Touchpoints by journey stage and channel, the paths customers take, and where effort, dissatisfaction, "
    "repeat contacts and slow complaint handling pile up.",
)
if view.has_touchpoints(ctx):
    view.missing_notice(ctx)
    spec = view.controls(ctx)
    view.render_hotspots(ctx, spec)
    view.render_journey_map(ctx, spec)
    view.render_service(ctx, spec)
    view.render_contacts(ctx, spec)
    view.render_waits(ctx)
    view.render_heatmap(ctx, spec)
    view.render_paths_and_drilldown(ctx, spec)
