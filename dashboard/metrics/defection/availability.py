"""What a version holds for the Defection page: the as-of day, the fitted models and which figures the data supports."""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pandas as pd

from dashboard import staged
from dashboard.metrics.defection import calibration
from dashboard.metrics.defection.spec import Definition
from dashboard.metrics.scope import as_date
from dashboard.store import Version


def fit_summary(cur: duckdb.DuckDBPyConnection, version: Version, _spec: object = None) -> pd.DataFrame:
    """The as-of day, what the data holds for BG/NBD and Gamma-Gamma, and the fitted parameters (one row)."""
    frame = cur.execute(f"select * from {version.table('df_fit')}").df()
    frame["problems"] = frame["problems"].map(json.loads)
    frame["warnings"] = frame["warnings"].map(json.loads)
    return frame


def availability(cur: duckdb.DuckDBPyConnection, version: Version, _spec: object = None) -> pd.DataFrame:
    """What the page can show for this dataset: one row per need (key, label, available, detail)."""
    fit = fit_summary(cur, version).iloc[0]
    counts = (
        cur.execute(
            f"""
        select count(*) as customers,
               count(*) filter (where churned) as churned,
               count(*) filter (where churned and churn_date is not null) as dated,
               count(*) filter (where churned and churn_reason is not null) as reasons,
               count(*) filter (where purchase_days > 0) as buyers,
               count(*) filter (where start_date is not null) as with_start,
               (select count(*) from {version.table("df_complaints")}) as complaints
        from {version.table("df_customers")}
        """
        )
        .df()
        .iloc[0]
    )
    has_contract = staged.load_profile(cur, version).labels_who_left  # churn labels, or the stage column's off-ramps
    fitted = fit["status"] == "fitted"
    contract = calibration.contract_model(cur, version)
    rows = [
        (
            "contract",
            "Churned flag, churn date or a stage column saying who left",
            has_contract,
            f"{counts['churned']:,} customers have left",
        ),
        ("churn_dates", "Churn dates", bool(counts["dated"]), f"{counts['dated']:,} of the leavers have a churn date"),
        ("reasons", "Churn reasons", bool(counts["reasons"]), f"{counts['reasons']:,} leavers give a reason"),
        ("transactions", "Purchases (transactions)", bool(counts["buyers"]), f"{counts['buyers']:,} customers have bought"),
        (
            "bgnbd",
            "BG/NBD and Gamma-Gamma fit",
            fitted,
            f"{_number(fit['repeat_buyers']):,.0f} repeat buyers over {_number(fit['history_weeks']):,.0f} weeks: "
            f"{fit['status']}",
        ),
        ("sbg", "Contract retention fit (shifted-beta-geometric)", contract.model is not None, contract.describe()),
        (
            "complaints",
            "Complaints (touchpoints at the complaint stage)",
            bool(counts["complaints"]),
            f"{counts['complaints']:,} complaint touchpoints",
        ),
        ("stages", "Relationship stage", version.has("customers", "stage"), "from the customers' stage column"),
        ("behaviours", "Perfect-customer behaviours", bool(version.behaviours), ", ".join(version.behaviours) or "none"),
        ("cohorts", "Signup or first-purchase dates", bool(counts["with_start"]), f"{counts['with_start']:,} customers"),
    ]
    return pd.DataFrame(rows, columns=["key", "label", "available", "detail"])


def contract_model(cur: duckdb.DuckDBPyConnection, version: Version, _spec: object = None) -> pd.DataFrame:
    """One row on the contract lifetime value's sBG fit (calibration.contract_model): available, α, β, period unit,
    customers fitted on, the fit in words (or why there is none)."""
    found = calibration.contract_model(cur, version)
    fitted = found.model is not None
    return pd.DataFrame(
        [
            {
                "available": fitted,
                "alpha": found.model.alpha if fitted else None,
                "beta": found.model.beta if fitted else None,
                "unit": found.unit,
                "customers": found.customers,
                "describe": found.describe(),
            }
        ]
    )


def _number(value: object) -> float:
    """value as a float, 0 when missing."""
    return 0.0 if value is None or pd.isna(value) else float(value)


def default_definition(available: pd.DataFrame) -> Definition:
    """The definition a dataset starts with: the staged definition of defected and at risk (the same on every page);
    the early-warning rules (own-baseline drop, probability alive, badly handled complaint) are the user's to add."""
    has = dict(zip(available["key"], available["available"], strict=True))
    return Definition(
        contract=bool(has["contract"]),
        lapse=bool(has["transactions"]),
        drop=False,
        alive=False,
        complaint=False,
    )


def as_of_day(cur: duckdb.DuckDBPyConnection, version: Version) -> date | None:
    """The day statuses are assessed on: the staged as-of day (the last day with any data), the same on every page."""
    value = cur.execute(f"select as_of from {version.table('df_fit')}").fetchall()[0][0]
    return as_date(value)
