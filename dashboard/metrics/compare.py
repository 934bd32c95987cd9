"""Compared with when: the earlier period a page's headline figures are set against, and the change in each figure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

import pandas as pd

from dashboard.formatting import NumberFormat, shown
from dashboard.metrics.scope import Filters, as_date, month_start

MODES: dict[str, str] = {
    "previous": "Previous period of the same length",
    "year": "Same months a year earlier",
    "pick": "Months I pick",
    "none": "No comparison",
}
"""The comparisons a user can pick (kept in the URL as vs), in the order offered; the first is the default."""
DEFAULT_MODE = "previous"


def add_months(day: date, months: int) -> date:
    """The first day of the month months after (before, when negative) day's month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_count(first: date, last: date) -> int:
    """Months from first's month to last's month, both counted (Jan to Mar = 3)."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


def _month(day: date) -> str:
    return f"{day:%b} {day.year:04d}"


def period_words(first: date, last: date) -> str:
    """A month range in words: "Mar 2024", or "Jan 2024 to Mar 2024"."""
    return _month(first) if (first.year, first.month) == (last.year, last.month) else f"{_month(first)} to {_month(last)}"


def short_period(first: date, last: date) -> str:
    """A month range as short as it reads: "Mar 2024", "Jul–Sep 2025", "Dec 2024–Feb 2025" (fits under a tile)."""
    if (first.year, first.month) == (last.year, last.month):
        return _month(first)
    if first.year == last.year:
        return f"{first:%b}–{_month(last)}"
    return f"{_month(first)}–{_month(last)}"


@dataclass(frozen=True)
class Comparison:
    """The earlier period the figures are compared with: its Filters (same segments and regions, earlier months), or
    None with one line saying why there is no comparison."""

    mode: str = DEFAULT_MODE
    filters: Filters | None = None
    why_not: str = ""
    why_not_short: str = ""
    """why_not in a few words, for the context line."""

    @property
    def label(self) -> str:
        """Short text for a tile's change: "vs Oct–Dec 2023"; empty when there is no comparison."""
        if self.filters is None or self.filters.month_from is None or self.filters.month_to is None:
            return ""
        return "vs " + short_period(self.filters.month_from, self.filters.month_to)

    def describe(self) -> str:
        """The comparison in words, for the context line and exports."""
        if self.mode == "none":
            return "no comparison"
        if self.filters is None or self.filters.month_from is None or self.filters.month_to is None:
            return f"no comparison ({self.why_not_short or 'none possible'})"
        return "compared with " + period_words(self.filters.month_from, self.filters.month_to)


_NOT_BACK = "the data does not reach back that far"


def earlier_period(
    filters: Filters,
    first_month: object,
    last_month: object,
    mode: str = DEFAULT_MODE,
    picked: tuple[date, date] | None = None,
) -> Comparison:
    """The period to compare filters' months with: the months just before, as many as are chosen ("previous"), the
    same months twelve months earlier ("year") or the months picked ("pick", any length inside the data); no
    comparison when the data has no dates or does not reach back to every month of that earlier period (a
    part-covered period would show a fake fall)."""
    if mode not in MODES:
        raise ValueError(f"unknown comparison {mode!r}")
    if mode == "none":
        return Comparison("none")
    first, last = as_date(first_month), as_date(last_month)
    if first is None or last is None:
        return Comparison(mode, None, "No change shown: the data has no dates, so there is no earlier period.", "no dates")
    if mode == "pick":
        if picked is None or not (month_start(first) <= month_start(picked[0]) <= month_start(picked[1]) <= last):
            return Comparison(mode, None, "No change shown: pick months inside the data under Compare with.", "none picked")
        return Comparison(mode, replace(filters, month_from=picked[0], month_to=picked[1]).validate())
    lo = month_start(filters.month_from or first)
    hi = month_start(filters.month_to or last)
    shift = month_count(lo, hi) if mode == "previous" else 12
    try:
        earlier_lo, earlier_hi = add_months(lo, -shift), add_months(hi, -shift)
    except ValueError:  # before year 1: dates that look wrong (the month filter says so)
        return Comparison(mode, None, f"No change shown: the data starts in {_month(first)}, with nothing before it.", _NOT_BACK)
    if earlier_lo < month_start(first):
        return Comparison(
            mode,
            None,
            f"No change shown: the data starts in {_month(first)}, so it does not cover {period_words(earlier_lo, earlier_hi)}.",
            _NOT_BACK,
        )
    return Comparison(mode, replace(filters, month_from=earlier_lo, month_to=earlier_hi).validate())


@dataclass(frozen=True)
class Change:
    """One figure's change against the earlier period: the text for the tile, its description and how it is coloured:
    "normal" (up is good, green), "inverse" (down is good) or "off" (neither: grey)."""

    text: str
    description: str
    colour: str = "normal"


def change_text(now: object, before: object, kind: str, number_format: NumberFormat) -> str | None:
    """now − before written by kind with its sign ("+$1.20K", "-3", "+1.50 pts" for shares), "0" when unchanged;
    None when either value is missing or not finite (never a fake 0)."""
    if not (shown(now) and shown(before)):
        return None
    change = float(now) - float(before)
    if change == 0:
        return "0"
    sign = "+" if change > 0 else "-"
    size = abs(change)
    if kind == "pct":
        return f"{sign}{number_format.number(size * 100, 2)} pts"
    if kind == "money":
        return sign + number_format.money(size)
    if kind == "count":
        return sign + number_format.number(size, 0)
    if kind == "days":
        return f"{sign}{number_format.number(size, 1)} days"
    return sign + number_format.number(size, 2)


def _value(row: pd.Series) -> object:
    return row["value"]


def changes(
    current: pd.DataFrame,
    earlier: pd.DataFrame,
    comparison: Comparison,
    number_format: NumberFormat,
    lower_is_better: frozenset[str] = frozenset(),
    neutral: frozenset[str] = frozenset(),
    figure: Callable[[pd.Series], object] = _value,
    only: frozenset[str] | None = None,
) -> dict[str, Change]:
    """Per KPI key (frames with key, kind and the figure shown, value unless figure picks another column, as the
    metrics return them; only these keys when given): the change from earlier to current, left out where either
    figure is missing."""
    before = {row["key"]: figure(row) for _, row in earlier.iterrows()}
    out = {}
    for _, row in current.iterrows():
        if only is not None and row["key"] not in only:
            continue
        text = change_text(figure(row), before.get(row["key"]), row["kind"], number_format)
        if text is not None:
            key = row["key"]
            colour = "off" if key in neutral else "inverse" if key in lower_is_better else "normal"
            out[key] = Change(text, comparison.label, colour)
    return out


OVERVIEW_LOWER_IS_BETTER = frozenset({"churn_rate", "contacts_per_customer", "cost_to_serve"})
"""Overview KPIs where a fall is good news (the change is coloured green when it goes down)."""


NO_COMPARISON = Comparison("none")
"""No comparison chosen: figures are shown without a change."""


JOURNEY_LOWER_IS_BETTER = frozenset(
    {"repeat_rate", "channel_switching", "complaints", "resolution_median", "resolution_p90", "unresolved"}
)
"""Journey service measures where a fall is good news."""
JOURNEY_NEUTRAL = frozenset({"customer_started"})
"""Journey service measures that are neither better nor worse when they move."""

DEFECTION_PERIOD_FIGURES = frozenset({"defection_rate", "defected", "value_lost"})
"""Defection tiles that belong to the chosen months (at risk and lifetime value are as of the last day: no change)."""
