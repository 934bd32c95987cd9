"""The lifetime value the What-if offers for retained revenue: the Defection page's, by the dataset's saved definition
and valuation over the same customers (the shared filters), never the Defection page's unsaved controls."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from dashboard.metrics import whatif
from dashboard.metrics.defection import figures as defection_figures
from dashboard.metrics.defection import status as defection
from dashboard.ui.frame import PageContext
from dashboard.ui.views.defection import definition as defection_controls


@dataclass(frozen=True)
class LifetimeValue:
    """The lifetime value offered as default and where it comes from."""

    value: float
    source: str
    from_defection: bool


def lifetime_value_default(ctx: PageContext) -> LifetimeValue:
    """Lifetime value per current customer in scope (the shared filters) by the Defection page's saved definition and
    valuation, the dataset's one margin and the expected years from the data: the figure the Defection page shows
    once its definition is saved; the article's $7,000, marked as an assumption, when the data have no purchases."""
    if ctx.version is not None and ctx.version.has("transactions", "amount"):
        saved = defection_controls.saved_money(ctx)
        spec = defection.DefectionSpec(ctx.filters, saved.definition, saved.valuation)
        every_segment = defection_figures.value_spec(spec)
        row = ctx.derived(
            defection_figures.lifetime_value_in, defection.summary, every_segment, spec.valuation, spec.filters.segments
        ).iloc[0]
        value = row["discounted"]
        if value is not None and pd.notna(value) and math.isfinite(float(value)):
            return LifetimeValue(round(float(value), 2), _source(saved, int(row["customers"])), True)
    return LifetimeValue(
        whatif.ARTICLE_LIFETIME_VALUE,
        "assumption: the article's regular customer worth $7,000 over ten years (this dataset has no purchases to value)",
        False,
    )


def _source(saved: defection_controls.SavedMoney, customers: int) -> str:
    """Where the lifetime value comes from, in words."""
    valuation, margin = saved.valuation, saved.margin
    years = (
        f"{valuation.years:g} years ({saved.years_source(valuation.years)})"
        if valuation.method == "simple"
        else f"BG/NBD over {valuation.horizon_years} years"
        if valuation.method == "bgnbd"
        else f"contract retention (shifted-beta-geometric) over {valuation.horizon_years} years"
    )
    return (
        f"the Defection page's saved valuation, mean over {customers:,} current customers in scope: annual spend "
        f"× {margin.pct:g} % margin ({margin.source()}) × {years}, discounted at {valuation.discount_pct:g} % a year"
    )
