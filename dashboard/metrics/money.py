"""Money you can defend: the one margin per dataset, the expected lifetime taken from the data, and the bound on
revenue at risk. Funnel, Defection and What-if read these; none keeps a margin or a lifetime of its own.

- Margin: a share of spend, saved per dataset (setting `money.margin`); 30 % until the analyst sets theirs.
- Expected lifetime: 1 ÷ the annual defection rate observed in the data (dated defections per customer-year), capped
  at MAX_YEARS; DEFAULT_YEARS, said to be an assumption, when the data show no dated defection.
- Revenue at risk of a customer ≤ P(leaving) × annual margin × min(expected lifetime, MAX_YEARS): what they could
  plausibly still bring in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dashboard.store import Store

SETTING_MARGIN = "money.margin"
"""The dataset's margin on spend, a share from 0 to 1 (JSON number)."""
LEGACY_MARGIN_SETTINGS = ("funnel.gross_margin",)
"""Where the Funnel page saved the margin before it was shared: read when money.margin is not set."""
DEFAULT_MARGIN = 0.30
MAX_YEARS = 10.0
"""The longest expected lifetime used for a customer (the article's regular customer stays ten years)."""
DEFAULT_YEARS = 5.0
"""Expected lifetime assumed when the data show no dated defection to measure it from."""
MIN_YEARS = 0.1


@dataclass(frozen=True)
class Margin:
    """The dataset's margin on spend (share) and whether the analyst saved it (else the default)."""

    share: float = DEFAULT_MARGIN
    saved: bool = False

    @property
    def pct(self) -> float:
        """The margin in percent."""
        return self.share * 100

    def source(self) -> str:
        """Where the margin comes from, in words."""
        if self.saved:
            return "saved for this dataset"
        return f"default {DEFAULT_MARGIN * 100:g} %, not yet set for this dataset"

    def describe(self) -> str:
        """The margin and its source, e.g. "30 % margin (default 30 %, not yet set for this dataset)"."""
        return f"{self.pct:g} % margin ({self.source()})"


def valid_margin(value: object) -> float:
    """value as a margin share from 0 to 1; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("the margin must be a number")
    share = float(value)  # type: ignore[arg-type]
    if not (math.isfinite(share) and 0 < share <= 1):
        raise ValueError("the margin must be above 0 % and at most 100 % of spend")
    return share


def load_margin(store: Store, dataset: str | None) -> Margin:
    """The dataset's saved margin (money.margin, else the Funnel's earlier setting), or the default."""
    if not dataset:
        return Margin()
    for key in (SETTING_MARGIN, *LEGACY_MARGIN_SETTINGS):
        value = store.get_setting(dataset, key)
        if value is None:
            continue
        try:
            return Margin(valid_margin(value), True)
        except (TypeError, ValueError):
            continue
    return Margin()


def save_margin(store: Store, dataset: str, share: float) -> Margin:
    """Store share as the dataset's margin (ValueError when out of range) and return it."""
    margin = Margin(valid_margin(share), True)
    store.set_setting(dataset, SETTING_MARGIN, margin.share)
    for key in LEGACY_MARGIN_SETTINGS:
        store.delete_setting(dataset, key)
    return margin


def reset_margin(store: Store, dataset: str) -> Margin:
    """Forget the dataset's margin: the default applies again."""
    for key in (SETTING_MARGIN, *LEGACY_MARGIN_SETTINGS):
        store.delete_setting(dataset, key)
    return Margin()


@dataclass(frozen=True)
class Lifetime:
    """Expected years as a customer: the figure used, what the data measured (None when nothing) and its source."""

    years: float
    measured: float | None
    annual_rate: float | None
    source: str

    @property
    def from_data(self) -> bool:
        """Whether the years were measured in the data (possibly capped)."""
        return self.measured is not None


def expected_lifetime(annual_rate: float | None) -> Lifetime:
    """Expected years = 1 ÷ annual defection rate (dated defections per customer-year), capped at MAX_YEARS and at
    least MIN_YEARS; DEFAULT_YEARS, stated as an assumption, when no rate is measured."""
    if annual_rate is None or not math.isfinite(annual_rate) or annual_rate <= 0:
        return Lifetime(
            DEFAULT_YEARS,
            None,
            None,
            f"assumption: {DEFAULT_YEARS:g} years, because the data show no dated defection to measure it from",
        )
    measured = 1 / annual_rate
    years = round(min(max(measured, MIN_YEARS), MAX_YEARS), 1)
    words = f"measured: customers defect at {annual_rate * 100:.1f} % a year, so 1 ÷ {annual_rate:.3f} = {measured:.1f} years"
    if measured > MAX_YEARS:
        words += f", capped at {MAX_YEARS:g}"
    return Lifetime(years, measured, annual_rate, words)
