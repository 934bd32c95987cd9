"""One colour per channel, journey stage and relationship stage on every chart that shows one (theme.colour_for).

Each view's chart builders get small frames naming the same channels and stages; every trace that colours a label by
identity (a legend entry, a bar or funnel segment per label, a Sankey node) must use colour_for's colour for it.
"""

from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard.charts import defection, funnel, journey, journey_service, palettes
from dashboard.charts.theme import BAD, GREY, colour_for
from dashboard.contract import CHANNELS, JOURNEY_STAGES, RELATIONSHIP_STAGES
from dashboard.metrics.funnel.stages import DEFAULT_NAMES

CHANNEL_PALETTE = frozenset(c.upper() for c in (*palettes.CHANNEL_COLOURS.values(), *palettes.CHANNEL_EXTRA)) - {GREY}
"""Every colour a channel can be drawn in, grey excepted."""
STAGE_PALETTE = frozenset(
    c.upper()
    for c in (*palettes.JOURNEY_STAGE_COLOURS.values(), *palettes.RELATIONSHIP_STAGE_COLOURS.values(), *palettes.STAGE_EXTRA)
) - {GREY}
"""Every colour a journey or relationship stage can be drawn in, grey excepted."""
KINDS = {
    **{label: "channel" for label in CHANNELS.labels},
    **{label: "journey_stage" for label in JOURNEY_STAGES.labels},
    **{label: "relationship_stage" for label in RELATIONSHIP_STAGES.labels},
}
STAGES = ["awareness", "purchase", "billing", "complaint"]
CHANNELS_SHOWN = ["phone", "web", "email", "app"]
ROLES = list(DEFAULT_NAMES)


def _lanes() -> pd.DataFrame:
    n = len(STAGES)
    return pd.DataFrame(
        {
            "stage": STAGES,
            "touchpoints": [100, 80, 60, 40],
            "customers": [50, 40, 30, 20],
            "satisfaction": [4.2, 3.9, 3.1, 2.5],
            "effort": [1.5, 2.0, 2.5, 3.5],
            "sat_n": [30] * n,
            "effort_n": [30] * n,
            "cost_per_contact": [1.0, 2.0, 3.0, 4.0],
            "days_to_next": [3.0, 5.0, 7.0, None],
            "pain": ["repeat_contacts", "low_satisfaction", None, "sla_breaches"],
            "pain_value": [0.1, 0.2, None, 0.4],
            "repeat_rate": [0.05, 0.1, 0.2, 0.4],
            "repeat_base": [100, 80, 60, 40],
            "repeats": [5, 8, 12, 16],
        }
    )


def _mix() -> pd.DataFrame:
    rows = [
        {"stage": s, "channel": c, "channel_code": CHANNELS.labels.index(c), "share": 0.25, "touchpoints": 10}
        for s in STAGES
        for c in CHANNELS_SHOWN
    ]
    return pd.DataFrame(rows)


def _sankey(kind: str) -> pd.DataFrame:
    labels = CHANNELS_SHOWN if kind == "channel" else STAGES
    vocab = CHANNELS if kind == "channel" else JOURNEY_STAGES
    nodes = [
        {"kind": "node", "step": step, "source_code": vocab.labels.index(lbl), "source": lbl, "customers": 10, "target_code": -1}
        for step in (1, 2)
        for lbl in labels
    ]
    code = vocab.labels.index
    links = [
        {"kind": "link", "step": 1, "source_code": code(a), "source": a, "customers": 5, "target_code": code(b)}
        for a, b in zip(labels, labels[1:] + labels[:1], strict=True)
    ]
    return pd.DataFrame(nodes + links)


def _events() -> pd.DataFrame:
    ts = pd.date_range("2024-01-01", periods=len(STAGES) * 2, freq="D")
    return pd.DataFrame(
        {
            "kind": ["touchpoint"] * len(ts),
            "ts": ts,
            "stage": STAGES * 2,
            "channel": CHANNELS_SHOWN * 2,
            "satisfaction": [4.0] * len(ts),
            "effort": [2.0] * len(ts),
            "step": range(1, len(ts) + 1),
            "reason": ["billing question"] * len(ts),
            "amount": [None] * len(ts),
        }
    )


def _stage_rows(**columns) -> pd.DataFrame:
    return pd.DataFrame({"role": ROLES, "stage": [DEFAULT_NAMES[r] for r in ROLES], **columns})


def _figures() -> dict[str, go.Figure]:
    n = len(ROLES)
    counts = _stage_rows(
        kind=["ladder"] * n, reached=range(n * 10, 0, -10), of_first=[1.0] * n, of_previous=[1.0] * n, customers=[10] * n
    )
    counts["share"] = 1 / n
    breakdown = pd.concat([_stage_rows(value=[v] * n, share=[1 / n] * n, customers=[5] * n) for v in ("Home", "Business")])
    groups = pd.DataFrame(
        {
            "dimension": ["stage"] * n,
            "value": [DEFAULT_NAMES[r] for r in ROLES],
            "rate": [0.1] * n,
            "defected": [1] * n,
            "customers": [10] * n,
            "at_risk_share": [0.05] * n,
            "at_risk": [1] * n,
            "customers_now": [9] * n,
        }
    )
    months = pd.DataFrame({"month": pd.date_range("2024-01-01", periods=3, freq="MS"), "defected": [3, 4, 5], "rate": [0.01] * 3})
    options = pd.concat(
        [
            pd.DataFrame({"kind": "stage", "label": STAGES, "customers": 10, "touchpoints": 20}),
            pd.DataFrame({"kind": "channel", "label": CHANNELS_SHOWN, "customers": 10, "touchpoints": 20}),
        ]
    )
    switched_to = CHANNELS_SHOWN[1:] + CHANNELS_SHOWN[:1]
    pairs = pd.DataFrame({"stage": "billing", "from_channel": CHANNELS_SHOWN, "to_channel": switched_to, "switches": 5})
    pairs["rate"] = 0.1
    return {
        "journey map": journey.journey_map(_lanes(), _mix()),
        "sankey by channel": journey.sankey(_sankey("channel"), "channel"),
        "sankey by stage": journey.sankey(_sankey("stage"), "stage"),
        "channel switches": journey_service.switches(pairs),
        "drill by stage": journey_service.drill_bars(options, "stage"),
        "drill by channel": journey_service.drill_bars(options, "channel"),
        "customer timeline": journey_service.timeline(_events(), STAGES),
        "stage funnel": funnel.stage_funnel(counts),
        "stages now": funnel.stages_now(counts),
        "stages by segment": funnel.breakdown_bars(breakdown, "segment"),
        "time in stage": funnel.time_in_stage_bars(_stage_rows(median_days=[10.0] * n, spells=[5] * n, measure=["m"] * n)),
        "stage economics": funnel.economics_bars(_stage_rows(customers=[10] * n, margin=[100.0] * n, marketing_cost=[20.0] * n)),
        "defection by stage": defection.rates_by_group(groups, "stage"),
        "defection by month": defection.monthly_rates(months),
    }


def _label(text: object) -> str:
    """The channel or stage a label names: "phone #2" (a Sankey step) is phone; "billing: phone → web" (a switch) is web."""
    text = str(text).rsplit("→", 1)[-1]
    return re.sub(r" #\d+$", "", text).strip().lower()


def identity_colours(fig: go.Figure) -> list[tuple[str, str]]:
    """(label, colour) for every label a trace colours by identity: Sankey nodes, per-bar colours, named traces."""
    found = []
    for trace in fig.data:
        if trace.type == "sankey":
            found += [(_label(lbl), col) for lbl, col in zip(trace.node.label, trace.node.color, strict=True)]
            continue
        colour = getattr(trace.marker, "color", None) if hasattr(trace, "marker") else None
        if isinstance(colour, str) and trace.name:
            found.append((_label(trace.name), colour))
        elif colour is not None and not isinstance(colour, str) and trace.type in ("bar", "funnel"):
            # per-bar colours name the bar's label; per-point colours on lines and markers encode a value (good/bad)
            horizontal = trace.type == "funnel" or getattr(trace, "orientation", None) == "h"
            labels = trace.y if horizontal else trace.x
            found += [(_label(lbl), col) for lbl, col in zip(labels, colour, strict=True)]
    return [(lbl, col) for lbl, col in found if lbl in KINDS]


FIGURES = _figures()


@pytest.mark.parametrize("name", list(FIGURES))
def test_each_label_has_its_colour(name: str):
    pairs = identity_colours(FIGURES[name])
    assert pairs, f"{name}: no channel or stage coloured (the test frame does not exercise it)"
    wrong = {(lbl, col) for lbl, col in pairs if col.upper() != colour_for(lbl, KINDS[lbl]).upper()}
    assert not wrong, f"{name}: {sorted(wrong)}"


def test_a_label_shown_on_several_charts_has_one_colour():
    seen: dict[str, set[str]] = {}
    for fig in FIGURES.values():
        for lbl, col in identity_colours(fig):
            seen.setdefault(lbl, set()).add(col.upper())
    shared = {lbl for lbl in seen if sum(lbl in dict(identity_colours(f)) for f in FIGURES.values()) > 1}
    assert {"phone", "web", "billing", "complaint", "loyal", "defected"} <= shared
    assert all(len(seen[lbl]) == 1 for lbl in shared), {lbl: seen[lbl] for lbl in shared if len(seen[lbl]) > 1}


def test_highlight_charts_use_no_identity_colour():
    """Repeat contacts by stage marks the worst stage and greys the rest: it never gives a stage another stage's colour."""
    fig = journey_service.repeat_by_stage(_lanes())
    colours = {c.upper() for trace in fig.data for c in trace.marker.color}
    assert colours <= {GREY.upper(), BAD.upper()}


def test_channels_outside_the_vocabulary_are_told_apart_and_keep_their_colour():
    """Two channels a company added ("kiosk", "whatsapp") get different, stable, non-grey colours; "other" stays grey."""
    added = ["kiosk", "whatsapp", "partner portal"]
    colours = [colour_for(c, "channel") for c in added]
    assert len(set(colours)) == len(added) and GREY not in colours
    assert colours == [colour_for(c.upper(), "channel") for c in added]  # the same on every chart and every run
    assert not set(colours) & {colour_for(c, "channel") for c in CHANNELS_SHOWN}
    assert colour_for("", "channel") == GREY and colour_for("not yet a customer", "relationship_stage") == GREY


def test_no_colour_is_both_a_channel_and_a_stage():
    """The same colour was a channel on one chart and a stage on the next (issue 15): the palettes share only grey."""
    assert not CHANNEL_PALETTE & STAGE_PALETTE
    drawn_channels = {colour_for(c, "channel").upper() for c in [*CHANNELS.labels, "kiosk", "whatsapp", "partner portal"]}
    drawn_stages = {colour_for(s, "journey_stage").upper() for s in [*JOURNEY_STAGES.labels, "moving house", "dispute"]}
    drawn_stages |= {colour_for(s, "relationship_stage").upper() for s in RELATIONSHIP_STAGES.labels}
    assert drawn_channels & drawn_stages <= {GREY.upper()}
    # within a kind every label has its own colour ("other" is the grey of unknown)
    named_channels = [colour_for(c, "channel") for c in CHANNELS.labels if c != "other"]
    assert len(set(named_channels)) == len(named_channels) and GREY not in named_channels
    assert len({colour_for(s, "journey_stage") for s in JOURNEY_STAGES.labels}) == len(JOURNEY_STAGES.labels)
    assert len({colour_for(s, "relationship_stage") for s in RELATIONSHIP_STAGES.labels}) == len(RELATIONSHIP_STAGES.labels)


def test_every_chart_draws_channels_and_stages_from_their_own_palettes():
    for name, fig in FIGURES.items():
        for label, colour in identity_colours(fig):
            allowed = CHANNEL_PALETTE if KINDS[label] == "channel" else STAGE_PALETTE
            assert colour.upper() in allowed | {GREY.upper()}, (name, label, colour)
