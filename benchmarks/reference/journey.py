"""The Journey page's headline figures computed with plain pandas from the raw tables (what most dashboards do).

Same definitions as dashboard/metrics/journey*.py: touchpoints ordered per customer by time, ties by row
order in the file; touchpoints sharing a contact_id are one contact (its first step); repeats = next contact of the
same customer and reason within N days; paths = each customer's first N touchpoints in the period.
"""

from __future__ import annotations

import pandas as pd

from dashboard.metrics.scope import NOT_SET, Filters

DAY = pd.Timedelta(days=1)


def touchpoints(tables: dict[str, pd.DataFrame], filters: Filters) -> pd.DataFrame:
    """In-scope touchpoints (segment, region; all months) with a file row number, in per-customer order (time, then row)."""
    ix = tables["interactions"].reset_index(drop=True)
    ix = ix[ix["customer_id"].notna() & ix["ts"].notna()].copy()
    ix["row"] = ix.index
    dims = tables["customers"].drop_duplicates("customer_id")[["customer_id", "segment", "region", "churned", "churn_date"]]
    ix = ix.merge(dims, on="customer_id", how="left")
    ix["segment"] = ix["segment"].fillna(NOT_SET)
    ix["region"] = ix["region"].fillna(NOT_SET)
    keep = pd.Series(True, index=ix.index)
    if filters.segments:
        keep &= ix["segment"].isin(filters.segments)
    if filters.regions:
        keep &= ix["region"].isin(filters.regions)
    ix = ix[keep].copy()
    ix["defected"] = ix["churned"].fillna(False).astype(bool) | ix["churn_date"].notna()
    ix["ts"] = pd.to_datetime(ix["ts"])
    return ix.sort_values(["customer_id", "ts", "row"], kind="stable").reset_index(drop=True)


def _in_period(frame: pd.DataFrame, filters: Filters) -> pd.Series:
    keep = pd.Series(True, index=frame.index)
    if filters.month_from:
        keep &= frame["ts"] >= pd.Timestamp(filters.month_from)
    if filters.month_to:
        keep &= frame["ts"] < pd.Timestamp(filters.period_end)
    return keep


def first_steps(ix: pd.DataFrame) -> pd.DataFrame:
    """One row per contact: touchpoints sharing a customer and a contact_id are one contact, read at its first step
    (time, then row) with the first reason given, resolved when any step says so, the latest resolution time, the
    earliest due date and every step's on-time flag; without contact_id, ix itself."""
    if "contact_id" not in ix.columns:
        return ix
    ix = ix.copy()
    ix["key"] = ix["contact_id"].where(ix["contact_id"].notna() & (ix["contact_id"].astype(str).str.strip() != ""))
    ix["key"] = ("=" + ix["key"].astype(str)).where(ix["key"].notna(), "#" + ix["row"].astype(str))
    ordered = ix.sort_values(["customer_id", "key", "ts", "row"], kind="stable")
    group = ordered.groupby(["customer_id", "key"], sort=False)
    first = group.head(1).set_index(["customer_id", "key"])
    first["reason"] = group["reason"].first()
    first["resolved"] = group["resolved"].agg(lambda v: v.dropna().any() if v.notna().any() else pd.NA)
    if "resolved_ts" in ix.columns:
        first["resolved_ts"] = group["resolved_ts"].max()
    return first.reset_index().sort_values(["customer_id", "ts", "row"], kind="stable").reset_index(drop=True)


def _contacts(ix: pd.DataFrame) -> pd.DataFrame:
    """Customer-started contacts with a reason, with the gap to the previous and next one of the same customer and reason."""
    ix = first_steps(ix)
    contacts = ix[(ix["initiated_by"].str.lower() == "customer") & ix["reason"].notna()].copy()
    contacts = contacts.sort_values(["customer_id", "reason", "ts", "row"], kind="stable")
    group = contacts.groupby(["customer_id", "reason"], sort=False)
    contacts["next_gap"] = group["ts"].shift(-1) - contacts["ts"]
    contacts["prev_gap"] = contacts["ts"] - group["ts"].shift(1)
    contacts["next_channel"] = group["channel"].shift(-1)
    return contacts


def service(tables: dict[str, pd.DataFrame], filters: Filters, repeat_days: int) -> dict[str, int]:
    """Contacts, repeats within N days, resolved at first contact (resolved and not repeated) of those whose resolution
    is known, channel switches, customer-started and initiator-known touchpoints."""
    filters = filters.validate()
    ix = touchpoints(tables, filters)
    contacts = _contacts(ix)
    contacts = contacts[_in_period(contacts, filters)]
    repeated = contacts["next_gap"] <= repeat_days * DAY
    switched = repeated & (contacts["next_channel"] != contacts["channel"])
    timed = pd.Series(pd.array([True if t else pd.NA for t in pd.to_datetime(contacts["resolved_ts"]).notna()], "boolean"))
    resolved = contacts["resolved"].astype("boolean").fillna(timed.set_axis(contacts.index))
    period = ix[_in_period(ix, filters)]
    initiator = period["initiated_by"].str.lower()
    return {
        "contacts": len(contacts),
        "repeats": int(repeated.sum()),
        "switches": int(switched.sum()),
        "first_time": int((resolved.fillna(False) & ~repeated).sum()),
        "judged": int(resolved.notna().sum()),
        "customer_started": int((initiator == "customer").sum()),
        "initiator_known": int(initiator.notna().sum()),
    }


def complaints(tables: dict[str, pd.DataFrame], filters: Filters, repeat_days: int, sla_days: int) -> dict[str, float]:
    """Complaints opening a case, median and p90 resolution days, resolved within the SLA, known outcomes, unresolved."""
    filters = filters.validate()
    ix = touchpoints(tables, filters)
    gaps = _contacts(ix)[["row", "prev_gap", "next_gap"]]
    cases = ix[ix["stage"] == "complaint"].merge(gaps, on="row", how="left")
    cases = cases[_in_period(cases, filters)]
    cases = cases[cases["prev_gap"].isna() | (cases["prev_gap"] > repeat_days * DAY)]
    days = (pd.to_datetime(cases["resolved_ts"]) - cases["ts"]) / DAY
    days = days.clip(lower=0)
    resolved = cases["resolved"].astype("boolean").fillna(pd.to_datetime(cases["resolved_ts"]).notna())
    return {
        "complaints": len(cases),
        "median_days": float(days.median()),
        "p90_days": float(days.quantile(0.9)),
        "within_sla": int((days <= sla_days).sum()),
        "known_outcome": int((days.notna() | ~resolved).sum()),
        "unresolved": int((~resolved).sum()),
    }


def _labels(frame: pd.DataFrame, nodes: str) -> pd.Series:
    stage = frame["stage"].fillna("(no stage)")
    channel = frame["channel"].fillna("(no channel)")
    if nodes == "stage":
        return stage
    if nodes == "channel":
        return channel
    return stage + " · " + channel


def paths(tables: dict[str, pd.DataFrame], filters: Filters, steps: int, nodes: str) -> pd.DataFrame:
    """One row per customer in scope: the labels of their first `steps` touchpoints in the period (None after the last)."""
    filters = filters.validate()
    ix = touchpoints(tables, filters)
    ix = ix[_in_period(ix, filters)].copy()
    ix["label"] = _labels(ix, nodes)
    ix["step"] = ix.groupby("customer_id", sort=False).cumcount() + 1
    first = ix[ix["step"] <= steps]
    wide = first.pivot(index="customer_id", columns="step", values="label")
    wide = wide.reindex(columns=range(1, steps + 1))
    wide.columns = [f"x{k}" for k in wide.columns]
    return wide.reset_index()


def path_counts(tables: dict[str, pd.DataFrame], filters: Filters, steps: int, nodes: str) -> dict[str, object]:
    """Customers per variant (labels joined by " → ") and customers per link (step, source, target), unfolded."""
    wide = paths(tables, filters, steps, nodes)
    columns = [f"x{k}" for k in range(1, steps + 1)]
    variants = wide[columns].apply(lambda row: " → ".join(v for v in row if isinstance(v, str)), axis=1)
    links: dict[tuple, int] = {}
    for k in range(1, steps):
        pairs = wide[wide[f"x{k + 1}"].notna()].groupby([f"x{k}", f"x{k + 1}"]).size()
        for (source, target), n in pairs.items():
            links[(k, source, target)] = int(n)
    return {"customers": len(wide), "variants": variants.value_counts().to_dict(), "links": links}


def stages(tables: dict[str, pd.DataFrame], filters: Filters) -> pd.DataFrame:
    """Per journey stage: touchpoints, distinct customers and mean satisfaction in scope."""
    filters = filters.validate()
    ix = touchpoints(tables, filters)
    ix = ix[_in_period(ix, filters)]
    grouped = ix.groupby(ix["stage"].fillna("(no stage)"))
    return pd.DataFrame(
        {
            "touchpoints": grouped.size(),
            "customers": grouped["customer_id"].nunique(),
            "satisfaction": grouped["satisfaction"].mean(),
        }
    )


def waits(tables: dict[str, pd.DataFrame], filters: Filters, over_s: float) -> dict[str, float]:
    """Median and P90 wait, waits over over_s of waits, abandoned of flagged, median handling: every touchpoint in the
    period (anonymous ones too; segment and region filters leave them out unless "(not set)" is chosen)."""
    filters = filters.validate()
    ix = tables["interactions"]
    ix = ix[ix["ts"].notna()].copy()
    ix["ts"] = pd.to_datetime(ix["ts"])
    dims = tables["customers"].drop_duplicates("customer_id")[["customer_id", "segment", "region"]]
    ix = ix.merge(dims, on="customer_id", how="left")
    for dim, chosen in (("segment", filters.segments), ("region", filters.regions)):
        ix[dim] = ix[dim].fillna(NOT_SET)
        if chosen:
            ix = ix[ix[dim].isin(chosen)]
    ix = ix[_in_period(ix, filters)]
    wait = ix["wait_s"].where(ix["wait_s"] >= 0).dropna() if "wait_s" in ix else pd.Series(dtype=float)
    handle = ix["handle_s"].where(ix["handle_s"] >= 0).dropna() if "handle_s" in ix else pd.Series(dtype=float)
    flags = ix["abandoned"].dropna().astype(bool) if "abandoned" in ix else pd.Series(dtype=bool)
    return {
        "wait_median": float(wait.median()),
        "wait_p90": float(wait.quantile(0.9)),
        "waited_over": int((wait > over_s).sum()),
        "waited": len(wait),
        "abandoned": int(flags.sum()),
        "flagged": len(flags),
        "handle_median": float(handle.median()),
    }
