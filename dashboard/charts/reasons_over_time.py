"""When each defection reason bites: cumulative incidence per reason by months since the customer started."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.charts import palettes
from dashboard.charts.theme import PALETTE, draws_data_as_text, styled
from dashboard.metrics.defection.reasons import NO_REASON, OTHER

DAYS_PER_MONTH = 365.25 / 12


def reason_colours(reasons: list[str]) -> dict[str, str]:
    """A colour per reason: the categorical palette in order of the lines, grey for pooled or missing reasons."""
    named = [r for r in reasons if r not in (OTHER, NO_REASON)]
    colours = {r: PALETTE[i % len(PALETTE)] for i, r in enumerate(named)}
    return {**colours, OTHER: palettes.GREY, NO_REASON: palettes.GREY}


MAX_POINTS = 600
"""Points a reason's line sends at most: about one per two pixels of a full-width chart."""


def steps_only(rows: pd.DataFrame, max_points: int = MAX_POINTS) -> pd.DataFrame:
    """rows (one reason's curve by time, sorted) with only the first point, the points where its share changes and
    the last: drawn as steps ("hv"), the line is the same, and a reason's line no longer sends a point for every day on
    which any other reason lost a customer (535 kB of the Defection page at 20,000 customers, most of its page). When
    more than max_points remain (a large customer base changes the share nearly every day), the line is read at
    max_points evenly spaced times from the first to the last: each point is the share at that time exactly, a step
    is drawn at most one spacing late (about a week over ten years), and the last point is the curve's last."""
    cif = rows["cif"].to_numpy()
    keep = np.ones(len(rows), dtype=bool)
    if len(rows) > 2:
        keep[1:-1] = cif[1:-1] != cif[:-2]
    changes = rows[keep]
    if len(changes) <= max_points:
        return changes
    times = changes["time"].to_numpy(dtype=float)
    grid = np.linspace(times[0], times[-1], max_points)
    at = np.searchsorted(times, grid, side="right") - 1  # the last change at or before each grid time
    return changes.iloc[at].assign(time=grid)


@draws_data_as_text
def cumulative_incidence(frame: pd.DataFrame) -> go.Figure:
    """One step line per reason: the share of customers who have left for it k months after starting (competing
    risks: the lines add up to the share who have left for any reason)."""
    fig = go.Figure()
    reasons = list(dict.fromkeys(frame["reason"]))
    colours = reason_colours(reasons)
    for reason in reasons:
        rows = steps_only(frame[frame["reason"] == reason].sort_values("time", kind="stable"))
        fig.add_scatter(
            x=rows["time"] / DAYS_PER_MONTH,
            y=rows["cif"],
            name=str(reason),
            mode="lines",
            line={"shape": "hv", "width": 2.5, "color": colours[reason], "dash": "dot" if reason == NO_REASON else "solid"},
            hovertemplate="%{fullData.name}<br>%{x:.0f} months after starting<br>%{y:.1%} had left for it<extra></extra>",
        )
    fig.update_xaxes(title_text="Months since the customer started", rangemode="tozero")
    fig.update_yaxes(title_text="Share of customers who left for it", tickformat=".0%", rangemode="tozero")
    fig = styled(fig, title="When each reason bites (cumulative incidence)", height=480)
    return fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.3, "xanchor": "left", "x": 0})
