"""The Drivers headline figures computed with plain pandas from the raw tables: per behaviour and segment, the
defection rate of the customers of the period on the driver's bad side and of the rest (dashboard.metrics.drivers)."""

from __future__ import annotations

import pandas as pd

from benchmarks.reference import behaviours
from dashboard.metrics.behaviours.catalogue import Catalogue
from dashboard.metrics.scope import Filters


def rates(tables: dict[str, pd.DataFrame], catalogue: Catalogue, filters: Filters = Filters()) -> dict[str, tuple]:
    """Driver key (b_<behaviour> for "no <behaviour>", segment:<level>) -> (customers on it, defection rate with it,
    defection rate without it), over the customers of the period."""
    flags = behaviours.customer_flags(tables, catalogue, filters)
    out: dict[str, tuple] = {}
    y = flags["defected"].astype(bool)

    def split(exposed: pd.Series) -> tuple:
        n = int(exposed.sum())
        return n, float(y[exposed].mean()) if n else None, float(y[~exposed].mean()) if n < len(y) else None

    for column in [c for c in flags.columns if c.startswith("b_")]:
        out[column] = split(~flags[column].astype(bool))
    for level in flags["segment"].dropna().unique():
        out[f"segment:{level}"] = split(flags["segment"] == level)
    return out
