"""The Journey page by stage: the hotspot tiles, the journey map and the stage × channel heatmap."""

from __future__ import annotations

import streamlit as st

from dashboard.charts import journey as charts
from dashboard.escape import markdown_text
from dashboard.metrics.journey import lanes as journey
from dashboard.metrics.journey.lanes import HEATMAP_METRICS, JourneySpec
from dashboard.ui import state, widgets
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import guarded


@guarded("Hotspots")
def render_hotspots(ctx: PageContext, spec: JourneySpec) -> None:
    """Four tiles naming where the experience breaks: lowest satisfaction, highest effort, most repeats, most SLA
    breaches; each also names the next worst stage, so a stage that is worst on every measure leaves them something
    to say."""
    spots = ctx.derived(journey.hotspots, journey.stage_lanes, spec, spec.min_base)  # worked out once per filter
    nf = ctx.number_format
    named = [s for s in spots["stage"] if s is not None]
    if len(named) > 1 and len(set(named)) == 1:
        st.markdown(
            f"**{markdown_text(named[0])}** is the worst stage on every measure below; each tile also names the next worst."
        )
    for column, spot in zip(st.columns(len(spots)), spots.itertuples(index=False), strict=True):
        with column.container(border=True, height="stretch"):
            why = f"Worst journey stage with at least {spec.min_base} behind it. " + _hotspot_help(spot.key, spec)
            st.caption(spot.label, help=why)
            if spot.stage is None:
                st.markdown("#### —")
                st.caption("Not enough ratings, contacts or cases for these filters, or not in this dataset.")
                continue
            st.markdown(f"#### :red[{markdown_text(spot.stage)}]")
            unit = " / 5" if spot.key in ("satisfaction", "effort") and spot.value <= 5 else ""
            overall = _spot_value(spot.key, spot.overall, nf)
            st.markdown(f"**{_spot_value(spot.key, spot.value, nf)}**{unit} · all stages {overall}")
            if isinstance(spot.runner_up, str):
                st.markdown(f"Next worst: **{markdown_text(spot.runner_up)}** {_spot_value(spot.key, spot.runner_up_value, nf)}")
            else:
                st.caption(f"No other stage has {spec.min_base} or more behind it to compare.")


def _spot_value(key: str, value: float | None, nf) -> str:
    """A hotspot's figure: a mean score to one decimal, a rate as a whole percentage."""
    return nf.number(value, 1) if key in ("satisfaction", "effort") else nf.pct(value, 0)


def _hotspot_help(key: str, spec: JourneySpec) -> str:
    return {
        "satisfaction": "Mean satisfaction of the stage's rated touchpoints.",
        "effort": "Mean effort score of the stage's rated touchpoints (higher is harder).",
        "repeat_rate": f"Customer-started contacts followed by another with the same reason within {spec.repeat_days} days.",
        "sla_breach_share": f"Cases not resolved within {spec.sla_days} days (unresolved included), of cases opened.",
    }[key]


@guarded("Journey map")
def render_journey_map(ctx: PageContext, spec: JourneySpec) -> None:
    """The computed journey map: a column per stage, lanes underneath."""
    labels = ctx.metric(journey.labels)
    st.subheader("Journey map", anchor=False)
    if not journey.has_stages(labels):
        st.info(
            "The touchpoints carry no journey stage (`stage`), so there is no map by stage; the Paths tab draws paths by channel."
        )
        return
    lanes = ctx.metric(journey.stage_lanes, spec)
    if lanes.empty:
        st.info("No touchpoints for these filters.")
        return
    st.caption(
        "One column per journey stage. **Touchpoints** and customers with one; **channel mix** of the stage's "
        "touchpoints; the **emotion line**: mean satisfaction (green ≥ 3.75, amber, red < 3) and mean effort (dashed, "
        "higher is harder) of rated touchpoints; **median time** from entering a stage to the next stage; **cost per "
        f"contact**; the **top pain point**: the worst of low satisfaction, repeat contacts (within {spec.repeat_days} "
        f"days) and SLA breaches ({spec.sla_days} days), with at least {spec.min_base} ratings, contacts or cases behind it."
    )
    mix = ctx.metric(journey.channel_mix, spec)
    widgets.chart(charts.journey_map(lanes, mix, ctx.number_format), key="j_map")


@guarded("Stage by channel heatmap")
def render_heatmap(ctx: PageContext, spec: JourneySpec) -> None:
    """Stage × channel heatmap with a metric picker."""
    st.subheader("Touchpoints by stage and channel", anchor=False)
    keys = list(HEATMAP_METRICS)
    metric = state.choice(
        st.columns([1, 2])[0].selectbox,
        "Colour the cells by",
        "j_metric",
        keys,
        "touchpoints",
        format_func=lambda k: HEATMAP_METRICS[k][0],
    )
    cells = ctx.metric(journey.cells, spec)
    if cells.empty:
        st.info("No touchpoints for these filters.")
        return
    widgets.chart(charts.heatmap(cells, metric, ctx.number_format, min_base=spec.min_base), key="j_heatmap")
    st.caption(
        f"Means and rates are left blank where fewer than {spec.min_base} ratings or contacts stand behind them. "
        f"Repeat-contact rate: contacts followed by one with the same reason within {spec.repeat_days} days."
    )
