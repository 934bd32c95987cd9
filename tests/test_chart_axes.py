"""Every value axis a chart titles (counts, money, days) prints its ticks with thousands grouped or as percentages.

Plotly's default prints 1500 as "1500" and 12000 as "12k"; in front of a room "12,000" reads at a glance.
"""

from __future__ import annotations

import pytest

from tests.test_chart_colours import FIGURES


def _titled_value_axes(fig) -> list[tuple[str, str | None]]:
    """(axis name, tick format) of every titled, non-category, non-log axis of fig."""
    axes = []
    for key in fig.layout:
        if not key.startswith(("xaxis", "yaxis")):
            continue
        axis = fig.layout[key]
        if axis.title.text and axis.type not in ("category", "log", "date"):
            axes.append((f"{key} '{axis.title.text}'", axis.tickformat))
    return axes


@pytest.mark.parametrize("name", list(FIGURES))
def test_value_axes_group_thousands(name: str):
    bare = [axis for axis, fmt in _titled_value_axes(FIGURES[name]) if not fmt or not ("," in fmt or "%" in fmt)]
    assert not bare, f"{name}: axes print raw numbers: {bare}"
