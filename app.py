"""Overview: where we stand, for the active dataset and filters."""

from dashboard.ui import frame
from dashboard.ui.views import overview

ctx = frame.page("Overview", intro="Headline figures for the chosen dataset, segments, regions and months.")
overview.render_kpis(ctx)
overview.render_trend(ctx)
