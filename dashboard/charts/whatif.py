"""What-if charts: the waterfall by behaviour, the multi-year projection, scenarios compared."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.behaviours import behaviour_colours
from dashboard.charts.theme import GOOD, INK, PALETTE, built, draws_data_as_text, note, styled
from dashboard.escape import plotly_text
from dashboard.formatting import NumberFormat
from dashboard.metrics import whatif


def _money_ticks(top: float) -> str:
    """The tick format of a money axis running to about top: "$200k", "$1.5M" from a thousand up; below, the amount
    itself ("$0.5", "$250"), never an SI prefix under one ("$500m" would read as half a million)."""
    return ".3~s" if top >= 1000 else ",.2~f"


@draws_data_as_text
def waterfall(frame: pd.DataFrame, number_format: NumberFormat = NumberFormat()) -> go.Figure:
    """Annual savings built up behaviour by behaviour (largest first, from the top) to the total: bars across, so
    every behaviour's name reads in full on its own line at any width (upright, eight names ran into each other)."""
    fmt = number_format
    moved = frame[frame["annual_saving"] > 0].sort_values("annual_saving", ascending=False)
    names = [str(n) for n in moved["behaviour"]]
    total = whatif.total_saving(frame)
    values = [float(v) for v in moved["annual_saving"]] + [float(total)]
    bars = {
        "type": "waterfall",
        "orientation": "h",
        "y": [*names, "Total"],
        "x": values,
        "measure": ["relative"] * len(moved) + ["total"],
        "text": [whatif.money_headline(v, fmt) for v in values],
        "textposition": "outside",
        "textfont": {"size": 16},
        "cliponaxis": False,
        "connector": {"line": {"color": "#BBBBBB", "dash": "dot"}},
        "increasing": {"marker": {"color": GOOD}},
        "totals": {"marker": {"color": INK}},
        "hovertemplate": f"%{{y}}<br>{fmt.currency}%{{x:,.0f}} a year<extra></extra>",
    }
    money_axis = {
        "title": {"text": f"Savings a year ({fmt.currency})"},
        "tickprefix": fmt.currency,
        "tickformat": _money_ticks(total),
        "range": [0, max(total, 1) * 1.25],
    }
    if total <= 0:
        # no money yet: one $0 tick, not fractions of a dollar in SI units ($800m)
        money_axis.update(tickvals=[0], ticktext=[f"{fmt.currency}0"])
    layout = {"xaxis": money_axis, "yaxis": {"autorange": "reversed"}, "showlegend": False}
    if moved.empty:
        layout["annotations"] = [note("Move a slider above today's adoption to see savings", size=18)]
    # as tall as every behaviour moved would need, whichever are: the page does not move under a slider being dragged
    return built([bars], layout, title="Annual savings by behaviour", height=max(300, 120 + 44 * (len(frame) + 1)))


@draws_data_as_text
def projection(proj: pd.DataFrame, ramp_years: int, number_format: NumberFormat = NumberFormat()) -> go.Figure:
    """Savings per year while adoption ramps up to the targets (bars, labelled), with the running total as a line.

    The split by behaviour is the waterfall's job; one bar series keeps this chart quick to draw on every slider move.
    """
    fmt = number_format
    years, saving, cumulative, reached = _by_year(proj)
    bars = {
        "type": "bar",
        "x": years,
        "y": saving,
        "name": "Savings in the year",
        "marker": {"color": GOOD},
        "text": [whatif.money_headline(float(f"{v:.3g}"), fmt) for v in saving],
        "textposition": "outside",
        "constraintext": "none",  # never shrunk to the bar's width: three figures fit over a bar half a page wide
        "cliponaxis": False,
        "textfont": {"size": 14},
        "customdata": [round(r * 100) for r in reached],
        "hovertemplate": f"Year %{{x}}: {fmt.currency}%{{y:,.0f}} (%{{customdata}} % of the change reached)<extra></extra>",
    }
    line = {
        "type": "scatter",
        "x": years,
        "y": cumulative,
        "name": "Running total (right axis)",
        "mode": "lines+markers",
        "line": {"color": INK, "width": 3, "dash": "dot"},
        "marker": {"size": 9},
        "yaxis": "y2",
        "hovertemplate": f"Year %{{x}}<br>running total {fmt.currency}%{{y:,.0f}}<extra></extra>",
    }
    top = max(cumulative, default=0.0)
    layout = _projection_layout(max(saving, default=0.0), top, ramp_years, fmt)
    if not years:
        layout["annotations"] = [note("Nothing to project: no behaviour with a saving is measured in this dataset")]
        return built([bars, line], layout, title="Year by year", height=500)
    title = f"Year by year: {whatif.money_headline(top, fmt)} over {len(years)} years"
    return built([bars, line], layout, title=title, height=500)


RUNNING_TOTAL_HEADROOM = 1.45
"""The running total's axis runs to this times its end, so its line stays below the bars' figures."""


def _projection_layout(top_year: float, top: float, ramp_years: int, fmt: NumberFormat) -> dict:
    """The projection's axes: savings in the year on the left, the running total on the right, the years below."""
    layout = {
        "yaxis": {
            "title": {"text": f"Savings in the year ({fmt.currency})"},
            "tickprefix": fmt.currency,
            "tickformat": _money_ticks(top_year),
            "range": [0, max(top_year, 1) * 1.2],
        },
        "yaxis2": {
            "title": {"text": "Running total"},
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "tickprefix": fmt.currency,
            "tickformat": _money_ticks(top),
            # the running total ends under the tallest bar's top (1 / 1.45 of the height against 1 / 1.2), never
            # through the figure written over the last bar
            "range": [0, max(top, 1) * RUNNING_TOTAL_HEADROOM],
        },
        "legend": {"orientation": "h", "y": -0.18, "yanchor": "top", "x": 0, "xanchor": "left"},
        "xaxis": {
            "title": {"text": f"Year (targets reached {'at once' if ramp_years <= 1 else f'in year {ramp_years}'})"},
            "dtick": 1,
        },
    }
    if top <= 0:
        zero = {"tickvals": [0], "ticktext": [f"{fmt.currency}0"]}
        layout["yaxis"].update(zero)
        layout["yaxis2"].update(zero, range=[0, 1])
    return layout


def _by_year(proj: pd.DataFrame) -> tuple[list[int], list[float], list[float], list[float]]:
    """Per projected year (ascending): the savings in the year (summed over behaviours), the running total and the
    share of the change reached (both the same for every behaviour of a year), as plain lists."""
    totals: dict[int, list[float]] = {}
    for year, saving, cumulative, reached in zip(proj["year"], proj["saving"], proj["cumulative"], proj["reached"], strict=True):
        if int(year) not in totals:
            totals[int(year)] = [0.0, float(cumulative), float(reached)]
        totals[int(year)][0] += float(saving)
    years = sorted(totals)
    return years, [totals[y][0] for y in years], [totals[y][1] for y in years], [totals[y][2] for y in years]


@draws_data_as_text
def compare(scenarios: list[whatif.Scenario], keys: list[str], number_format: NumberFormat = NumberFormat()) -> go.Figure:
    """Total annual savings per saved scenario, stacked by behaviour, with the total above each bar."""
    fmt = number_format
    colours = behaviour_colours(keys)
    names = [plotly_text(s.name) for s in scenarios]  # scenarios are objects: their text is escaped here
    frames = [s.frame().set_index("key") for s in scenarios]
    fig = go.Figure()
    seen: list[tuple[str, str]] = []
    for frame in frames:
        for key, row in frame.iterrows():
            if (key, row["behaviour"]) not in seen:
                seen.append((key, row["behaviour"]))
    for i, (key, behaviour) in enumerate(seen):
        values = [float(f.at[key, "annual_saving"]) if key in f.index else 0.0 for f in frames]
        if not any(v > 0 for v in values):
            continue
        fig.add_bar(
            x=names,
            y=values,
            name=plotly_text(behaviour),
            marker_color=colours.get(key, PALETTE[i % len(PALETTE)]),
            hovertemplate=f"%{{x}}<br>%{{fullData.name}}: {fmt.currency}%{{y:,.0f}} a year<extra></extra>",
        )
    totals = [whatif.total_saving(f) for f in frames]
    fig.add_scatter(
        x=names,
        y=totals,
        mode="text",
        text=[whatif.money_headline(v, fmt) for v in totals],
        textposition="top center",
        textfont={"size": 17},
        showlegend=False,
        hoverinfo="skip",
    )
    fig.update_layout(barmode="stack", legend={"orientation": "h", "y": -0.15, "yanchor": "top", "x": 0, "xanchor": "left"})
    fig.update_yaxes(title_text=f"Savings a year ({fmt.currency})", tickprefix=fmt.currency, range=[0, max([*totals, 1]) * 1.18])
    return styled(fig, title="Scenarios side by side: annual savings", height=480)
