"""What fixing a driver of defection is worth: customers exposed × difference in defection rate × lifetime value per
customer; an association, not a proven cause."""

from __future__ import annotations

import pandas as pd

from dashboard.metrics.drivers.spec import FIXABLE


def worth(table: pd.DataFrame, lifetime_value: float) -> pd.DataFrame:
    """Per fixable driver whose bad side goes with more defection: customers exposed × difference in defection rate ×
    lifetime value per customer (worth), and the difference in cost to serve per customer (None without costs);
    largest worth first."""
    rows = table[(table["kind"].isin(FIXABLE)) & (table["difference"] > 0)].copy()
    if "against" not in rows:
        rows["against"] = [f"not {d}" for d in rows["driver"]]
    rows["worth"] = rows["exposed"] * rows["difference"] * lifetime_value
    rows["extra_defectors"] = rows["exposed"] * rows["difference"]
    rows["cost_difference"] = rows["cost_with"] - rows["cost_without"] if rows["cost_with"].notna().any() else None
    return rows.sort_values(["worth", "driver"], ascending=[False, True]).reset_index(drop=True)[
        [
            "driver",
            "against",
            "kind",
            "exposed",
            "rate_with",
            "rate_without",
            "difference",
            "extra_defectors",
            "worth",
            "cost_difference",
        ]
    ]


def lever(exposed: float, difference: float, share: float, lifetime_value: float) -> dict[str, float]:
    """A driver fixed for a share of the customers on it, if the association held: customers kept = customers on it ×
    share fixed × difference in defection rate (none when the bad side goes with less defection); value = customers kept
    × lifetime value per customer."""
    kept = exposed * share * max(difference, 0.0)
    return {"kept": kept, "value": kept * lifetime_value}
