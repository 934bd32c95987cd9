"""Behaviours charts: adoption against best-in-class, savings potential, adoption by segment, behaviours and satisfaction.

Every figure is built from plain dicts (theme.built): they are all redrawn on every filter change, and building them
through plotly's checked properties was most of the page's own time (tests/test_behaviours_charts.py validates them).
"""

from __future__ import annotations

import copy
import functools

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.charts.theme import BAD, GOOD, GREY, INK, PALETTE, built, draws_data_as_text, note
from dashboard.formatting import NumberFormat

CURRENT, BEST = PALETTE[0], PALETTE[1]
ESTIMATE_COLOUR = "#9DC3E6"
SMALL_COLOUR = "#C8C8C8"

ADOPTION_PANELS = ("Adoption today and best-in-class", "Savings potential a year at best-in-class")
COUNT_PANELS = ("Mean satisfaction (95 % confidence interval)", "Churn rate during the period")


def behaviour_colours(keys: list[str] | tuple[str, ...]) -> dict[str, str]:
    """One colour per behaviour key, by catalogue order, the same on every behaviour and what-if chart."""
    return {key: PALETTE[i % len(PALETTE)] for i, key in enumerate(keys)}


def _height(rows: int, per_row: int = 46, extra: int = 150) -> int:
    return max(300, extra + per_row * rows)


def _numbers(values: pd.Series | list) -> np.ndarray:
    """values as a float array (missing as NaN), as plotly's checked properties would have stored them."""
    return np.asarray(pd.Series(values, dtype="float64"))


@functools.cache
def _panels(titles: tuple[str, str], widths: tuple[float, float] | None, spacing: float, shared_y: bool) -> dict:
    """The layout of two side-by-side panels (axes' domains and anchors, the panels' titles), as make_subplots lays
    them out: worked out once per arrangement."""
    grid = make_subplots(
        rows=1, cols=2, shared_yaxes=shared_y, column_widths=list(widths) if widths else None, horizontal_spacing=spacing,
        subplot_titles=titles,
    )  # fmt: skip
    return grid.layout.to_plotly_json()


def _two_panels(titles: tuple[str, str], widths: tuple[float, float] | None, spacing: float, shared_y: bool) -> dict:
    """A fresh copy of _panels' layout, to add to."""
    return copy.deepcopy(_panels(titles, widths, spacing, shared_y))


@draws_data_as_text
def adoption_and_potential(adoption: pd.DataFrame, number_format: NumberFormat = NumberFormat()) -> go.Figure:
    """Left: adoption today (bar) against best-in-class (diamond); right: savings potential a year. Largest money on top.

    Estimated adoptions are pale; savings resting on assumed figures are hatched and labelled "assumption".
    """
    fmt = number_format
    rows = adoption[adoption["current"].notna()].iloc[::-1]
    names = [n + (" (estimate)" if s == "estimate" else "") for n, s in zip(rows["behaviour"], rows["status"], strict=True)]
    data = [
        _adoption_bars(rows, names, fmt),
        _best_in_class_marks(rows, names),
        _label_text(adoption_labels(rows, names, fmt)),
        _potential_bars(rows, names, fmt),
    ]
    potential = rows["potential"]
    top = float(potential.max()) if potential.notna().any() else 0.0
    layout = _two_panels(ADOPTION_PANELS, (0.56, 0.44), 0.03, True)
    for title in layout["annotations"]:
        title["font"] = {"size": 17}
    layout["xaxis"].update(
        title={"text": "Share of customers in scope"},
        range=[0, 128],
        tickvals=[0, 20, 40, 60, 80, 100],
        ticktext=[f"{v} %" for v in (0, 20, 40, 60, 80, 100)],
    )
    layout["xaxis2"].update(
        title={"text": f"{fmt.currency} a year"}, tickprefix=fmt.currency, range=[0, top * 1.6 if top > 0 else 1]
    )
    layout["yaxis"]["automargin"] = layout["yaxis2"]["automargin"] = True
    # the legend on its own line under the title, as on every titled chart (theme.legend_under_title): under the plot
    # it ran into the axis' labels when one or two behaviours make the chart short
    layout.update(barmode="overlay", bargap=0.3)
    return built(data, layout, title="Where the money is: adoption gaps priced", height=_height(len(rows), 52, 170))


INSIDE_LABEL_FROM = 0.25
"""Adoption from which a bar holds its figure inside (about 75 px at 1,280 px wide); a shorter bar's figure goes after it."""
NEAR_BEST = 0.25
"""A short bar's figure this near its best-in-class diamond (a share) joins the diamond's label, not sitting under it."""


def _adoption_bars(rows: pd.DataFrame, names: list[str], fmt: NumberFormat) -> dict:
    """Adoption today per behaviour, in the left panel (estimates pale); a bar holds its figure when wide enough."""
    return {
        "type": "bar",
        "y": names,
        "x": _numbers(rows["current"]) * 100,
        "orientation": "h",
        "name": "Adoption today",
        "marker": {"color": [ESTIMATE_COLOUR if s == "estimate" else CURRENT for s in rows["status"]]},
        "text": [fmt.pct(v) if v >= INSIDE_LABEL_FROM else "" for v in rows["current"]],
        "textposition": "inside",
        "textangle": 0,
        "insidetextanchor": "end",
        "insidetextfont": {"color": "white", "size": 15},
        "hovertemplate": "%{y}<br>Adoption today %{x:.1f} %<extra></extra>",
        "xaxis": "x",
        "yaxis": "y",
    }


def _best_in_class_marks(rows: pd.DataFrame, names: list[str]) -> dict:
    """Best-in-class per behaviour that has one, as a diamond, in the left panel."""
    has_best = rows["best_in_class"].notna()
    return {
        "type": "scatter",
        "y": [n for n, b in zip(names, has_best, strict=True) if b],
        "x": _numbers(rows.loc[has_best, "best_in_class"]) * 100,
        "mode": "markers",
        "name": "Best-in-class",
        "marker": {"symbol": "diamond", "size": 17, "color": BEST, "line": {"color": INK, "width": 1}},
        "hovertemplate": "%{y}<br>Best-in-class %{x:.1f} %<extra></extra>",
        "xaxis": "x",
        "yaxis": "y",
    }


def adoption_labels(rows: pd.DataFrame, names: list[str], fmt: NumberFormat) -> list[tuple[str, float, str]]:
    """(row, x in %, text) of every label drawn after a bar or a diamond, so that none sits under another mark: the
    gap after whichever of the bar and the diamond ends further right; a short bar's figure after the bar, or, when
    its diamond is near (NEAR_BEST), in the diamond's label ("7.4 % today · gap 12.6 pts")."""
    labels = []
    for name, current, best, gap in zip(names, rows["current"], rows["best_in_class"], rows["gap"], strict=True):
        short = current < INSIDE_LABEL_FROM
        if pd.isna(best):
            if short:
                labels.append((name, current * 100, fmt.pct(current)))
            continue
        gap_text = _gap_text(gap, fmt)
        if short and best - current < NEAR_BEST:
            labels.append((name, max(current, best) * 100, f"{fmt.pct(current)} today · {gap_text}"))
            continue
        if short:
            labels.append((name, current * 100, fmt.pct(current)))
        labels.append((name, max(current, best) * 100, gap_text))
    return labels


def _label_text(labels: list[tuple[str, float, str]]) -> dict:
    """adoption_labels as one text trace in the left panel; its clear markers, the diamonds' size, keep each text
    clear of the diamond or bar end it follows."""
    return {
        "type": "scatter",
        "y": [name for name, _, _ in labels],
        "x": _numbers([x for _, x, _ in labels]),
        "mode": "markers+text",
        "marker": {"size": 17, "opacity": 0},
        "text": [text for _, _, text in labels],
        "textposition": "middle right",
        "textfont": {"size": 14, "color": INK},
        "cliponaxis": False,
        "hoverinfo": "skip",
        "showlegend": False,
        "xaxis": "x",
        "yaxis": "y",
    }


def _potential_bars(rows: pd.DataFrame, names: list[str], fmt: NumberFormat) -> dict:
    """Savings potential a year per behaviour, in the right panel (hatched where it rests on assumptions)."""
    potential = rows["potential"]
    pattern = {
        "shape": ["/" if a else "" for a in rows["assumption"]],
        "fillmode": "overlay",
        "fgcolor": "white",
        "fgopacity": 0.7,
        "solidity": 0.3,
    }
    return {
        "type": "bar",
        "y": names,
        "x": np.nan_to_num(_numbers(potential), nan=0.0),
        "orientation": "h",
        "name": "Savings potential a year",
        "marker": {"color": GOOD, "pattern": pattern},
        "text": [_potential_text(v, a, fmt) for v, a in zip(potential, rows["assumption"], strict=True)],
        "textposition": "outside",
        "cliponaxis": False,
        "textfont": {"size": 14},
        "hovertemplate": f"%{{y}}<br>{fmt.currency}%{{x:,.0f}} a year<extra></extra>",
        "showlegend": False,
        "xaxis": "x2",
        "yaxis": "y2",
    }


def _gap_text(gap: float, fmt: NumberFormat) -> str:
    if pd.isna(gap):
        return ""
    return f"gap {fmt.number(gap * 100, 1)} pts" if gap > 0 else "at or above"


def _potential_text(value: float, assumption: bool, fmt: NumberFormat) -> str:
    if pd.isna(value):
        return "no best-in-class"
    return fmt.money(value) + (" · assumption" if assumption else "")


@draws_data_as_text
def adoption_heatmap(by_group: pd.DataFrame, dimension: str, number_format: NumberFormat = NumberFormat()) -> go.Figure:
    """Adoption today per behaviour (rows) and segment or region (columns), as a heatmap with the share in each cell."""
    groups = list(dict.fromkeys(by_group["group"]))
    behaviours = list(dict.fromkeys(by_group["behaviour"]))
    table = by_group.pivot_table(index="behaviour", columns="group", values="current", aggfunc="first", sort=False)
    table = table.reindex(index=behaviours[::-1], columns=groups)
    text = [[number_format.pct(v) for v in row] for row in table.to_numpy()]
    cells = {
        "type": "heatmap",
        "z": table.to_numpy(dtype="float64") * 100,
        "x": groups,
        "y": list(table.index),
        "text": text,
        "texttemplate": "%{text}",
        "textfont": {"size": 15},
        "colorscale": [[0, "#F7FBFF"], [1, CURRENT]],
        "zmin": 0,
        "zmax": 100,
        "colorbar": {"title": {"text": "Adoption"}, "ticksuffix": " %"},
        "hovertemplate": "%{y}<br>%{x}: %{text}<extra></extra>",
    }
    layout = {"yaxis": {"automargin": True}}
    return built([cells], layout, title=f"Adoption today by {dimension}", height=_height(len(behaviours), 44, 170))


@draws_data_as_text
def potential_by_group(
    by_group: pd.DataFrame, dimension: str, keys: list[str], number_format: NumberFormat = NumberFormat()
) -> go.Figure:
    """Savings potential a year per segment or region, stacked by behaviour; the group with most money first."""
    fmt = number_format
    colours = behaviour_colours(keys)
    groups = list(dict.fromkeys(by_group["group"]))
    data = []
    for key, rows in by_group.groupby("key", sort=False):
        rows = rows.set_index("group").reindex(groups)
        data.append(
            {
                "type": "bar",
                "x": groups,
                "y": np.nan_to_num(_numbers(rows["potential"]), nan=0.0),
                "name": rows["behaviour"].dropna().iloc[0],
                "marker": {"color": colours.get(key, GREY)},
                "hovertemplate": f"%{{x}}<br>%{{fullData.name}}: {fmt.currency}%{{y:,.0f}} a year<extra></extra>",
            }
        )
    totals = by_group.groupby("group", sort=False)["potential"].sum().reindex(groups)
    data.append(
        {
            "type": "scatter",
            "x": groups,
            "y": _numbers(totals),
            "mode": "text",
            "text": [fmt.money(v) for v in totals],
            "textposition": "top center",
            "textfont": {"size": 15},
            "showlegend": False,
            "hoverinfo": "skip",
        }
    )
    top = float(totals.max()) if len(totals) else 0.0
    layout = {
        "barmode": "stack",
        "legend": {"orientation": "v", "y": 1, "yanchor": "top", "x": 1.02, "xanchor": "left"},
        "yaxis": {
            "title": {"text": f"Savings potential a year ({fmt.currency})"},
            "tickprefix": fmt.currency,
            "range": [0, top * 1.15 or 1],
        },
    }
    return built(data, layout, title=f"Savings potential a year by {dimension}, if each reached best-in-class", height=480)


@draws_data_as_text
def count_groups(groups: pd.DataFrame, scale: str = "", number_format: NumberFormat = NumberFormat()) -> go.Figure:
    """Mean satisfaction (with its 95 % confidence interval) and churn rate by number of behaviours shown.

    Groups of fewer than 30 customers are grey and labelled.
    """
    fmt = number_format
    x = [str(n) for n in groups["behaviours"]]
    small = groups["small"].astype(bool)
    has_sat = groups["mean_satisfaction"].notna().any()
    has_churn = groups["churn_rate"].notna().any()
    data = []
    if has_sat:
        data.append(_satisfaction_bars(x, groups, small, fmt))
    if has_churn:
        data.append(_churn_bars(x, groups, small, fmt))
    layout = _two_panels(COUNT_PANELS, None, 0.1, False)
    for title in layout["annotations"]:
        title["font"] = {"size": 16}
    for axis in ("xaxis", "xaxis2"):
        layout[axis].update(title={"text": "Number of behaviours shown"}, type="category")
    layout["yaxis"]["title"] = {"text": f"Mean satisfaction{f' ({scale})' if scale else ''}"}
    top_churn = float((groups["churn_rate"] * 100).max()) if has_churn else 1.0
    layout["yaxis2"].update(title={"text": "Churn rate"}, ticksuffix=" %", range=[0, top_churn * 1.25 or 1])
    if not has_sat:
        layout["annotations"].append(note("No satisfaction scores in this dataset", domain="x domain"))
    if not has_churn:
        layout["annotations"].append(note("No churn in this dataset: map churned or churn_date", domain="x2 domain"))
    if small.any():
        layout["annotations"].append(
            {
                "text": "Grey: fewer than 30 customers, too few to read",
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": -0.2,
                "showarrow": False,
                "xanchor": "left",
                "font": {"size": 14, "color": GREY},
            }
        )
    return built(data, layout, title="Satisfaction and churn by number of behaviours shown", height=470)


def _satisfaction_bars(x: list[str], groups: pd.DataFrame, small: pd.Series, fmt: NumberFormat) -> dict:
    """The mean satisfaction per group with its confidence interval, in the left panel."""
    mean = groups["mean_satisfaction"]
    upper = (groups["ci_high"] - mean).fillna(0.0)
    lower = (mean - groups["ci_low"]).fillna(0.0)
    error = {"type": "data", "array": _numbers(upper), "arrayminus": _numbers(lower)}
    return {
        "type": "bar",
        "x": x,
        "y": _numbers(mean),
        "marker": {"color": [SMALL_COLOUR if s else CURRENT for s in small]},
        "error_y": {**error, "color": INK, "thickness": 1.5, "width": 6},
        "text": [_sat_text(m, s, fmt) for m, s in zip(mean, small, strict=True)],
        "textposition": "inside",
        "insidetextanchor": "start",
        "textfont": {"size": 14},
        "name": "Mean satisfaction",
        "customdata": [list(row) for row in zip(groups["customers"], groups["ci_low"], groups["ci_high"], strict=True)],
        "hovertemplate": "%{x} behaviours<br>mean %{y:.2f} (%{customdata[1]:.2f} to %{customdata[2]:.2f})"
        "<br>%{customdata[0]:,} customers<extra></extra>",
        "showlegend": False,
        "xaxis": "x",
        "yaxis": "y",
    }


def _churn_bars(x: list[str], groups: pd.DataFrame, small: pd.Series, fmt: NumberFormat) -> dict:
    """The churn rate per group, in the right-hand panel."""
    return {
        "type": "bar",
        "x": x,
        "y": _numbers(groups["churn_rate"]) * 100,
        "marker": {"color": [SMALL_COLOUR if s else BAD for s in small]},
        "text": [
            (fmt.pct(c) if pd.notna(c) else "") + ("<br>n < 30" if s else "")
            for c, s in zip(groups["churn_rate"], small, strict=True)
        ],
        "textposition": "outside",
        "cliponaxis": False,
        "textfont": {"size": 14},
        "name": "Churn rate",
        "customdata": groups["customers"].to_numpy(),
        "hovertemplate": "%{x} behaviours<br>churn %{y:.1f} %<br>%{customdata:,} customers<extra></extra>",
        "showlegend": False,
        "xaxis": "x2",
        "yaxis": "y2",
    }


def _sat_text(mean: float, small: bool, fmt: NumberFormat) -> str:
    if pd.isna(mean):
        return ""
    return fmt.number(mean, 2) + ("<br>n < 30" if small else "")


@draws_data_as_text
def churn_with_without(churn: pd.DataFrame, number_format: NumberFormat = NumberFormat()) -> go.Figure:
    """Churn rate of customers with and without each behaviour, side by side."""
    fmt = number_format
    rows = churn.iloc[::-1]
    names = list(rows["behaviour"])
    data = [
        {
            "type": "bar",
            "y": names,
            "x": _numbers(rows[column]) * 100,
            "orientation": "h",
            "name": name,
            "marker": {"color": colour},
            "text": [fmt.pct(v, 2) for v in rows[column]],
            "textposition": "outside",
            "cliponaxis": False,
            "textfont": {"size": 14},
            "hovertemplate": f"%{{y}}<br>{name}: %{{x:.2f}} %<extra></extra>",
        }
        for column, name, colour in (("churn_without", "Without it", BAD), ("churn_with", "With it", GOOD))
    ]
    top = float((churn[["churn_with", "churn_without"]].max().max() or 0) * 100) if len(churn) else 1.0
    layout = {
        "barmode": "group",
        "bargap": 0.25,
        "legend": {"traceorder": "reversed"},
        "xaxis": {"title": {"text": "Churn rate during the period"}, "ticksuffix": " %", "range": [0, (top or 1) * 1.3]},
        "yaxis": {"automargin": True},
    }
    title = "Share who left during the period, with and without each behaviour"
    return built(data, layout, title=title, height=_height(len(rows), 60))
