"""Calibration-then-holdout checks of the lifetime-value models: fit on the earlier part of the data, predict the later
part, and compare with what happened (Fader, Hardie & Lee 2005, section 4; Fader & Hardie 2007, section 4).

- BG/NBD: each customer's repeat purchases in the holdout weeks given their calibration history (x, t_x, T), summed
  by the number of repeat purchases in calibration (0, 1, ..., 7+).
- sBG: the share of customers still there after each later period, against the Kaplan-Meier share actually there.

The error figure is the mean absolute percentage error (MAPE) over the compared points: mean of |predicted − actual|
÷ actual × 100, over the points whose actual is above zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from dashboard import staged
from dashboard.metrics.defection import clv, sbg
from dashboard.sql import days_between, group_by_all
from dashboard.staged.profile import CONTRACT
from dashboard.staged.sql import day_total
from dashboard.store import Version

TOP_GROUP = 7
"""Calibration repeat purchases of 7 or more are one group (as in Fader, Hardie & Lee 2005, figure 4)."""


def mape(predicted: np.ndarray, actual: np.ndarray) -> float:
    """Mean of |predicted − actual| ÷ actual × 100 over the points whose actual is above zero (NaN when none)."""
    predicted, actual = np.asarray(predicted, float), np.asarray(actual, float)
    keep = actual > 0
    if not keep.any():
        return float("nan")
    return float(np.mean(np.abs(predicted[keep] - actual[keep]) / actual[keep]) * 100)


@dataclass(frozen=True)
class Holdout:
    """The comparison frame, the error figure and the model fitted on the calibration part."""

    frame: pd.DataFrame
    mape: float
    model: object
    calibration: str
    holdout: str


# -- BG/NBD ----------------------------------------------------------------------------------


def purchase_histories(days: pd.DataFrame, calibration_end: date, holdout_end: date) -> pd.DataFrame:
    """Per customer whose first purchase is on or before calibration_end: x (repeat purchase days in calibration),
    t_x and T in weeks from the first purchase (T up to calibration_end), and holdout (purchase days after
    calibration_end up to holdout_end). `days` has one row per customer_id and purchase day."""
    frame = days[["customer_id", "day"]].drop_duplicates()
    frame = frame.assign(day=pd.to_datetime(frame["day"]))
    end, stop = pd.Timestamp(calibration_end), pd.Timestamp(holdout_end)
    first = frame.groupby("customer_id")["day"].min()
    first = first[first <= end]
    frame = frame[frame["customer_id"].isin(first.index)]
    cal = frame[frame["day"] <= end].groupby("customer_id")["day"].agg(["count", "max"])
    later = frame[(frame["day"] > end) & (frame["day"] <= stop)].groupby("customer_id").size()
    out = pd.DataFrame(
        {
            "x": (cal["count"] - 1).astype(float),
            "t_x": (cal["max"] - first).dt.days / 7.0,
            "T": (end - first).dt.days / 7.0,
            "holdout": later.reindex(first.index, fill_value=0).astype(float),
        }
    )
    return out.rename_axis("customer_id").reset_index()


def bgnbd_holdout(histories: pd.DataFrame, holdout_weeks: float) -> Holdout:
    """Fit BG/NBD on the calibration histories and compare mean holdout purchases per customer, by calibration repeat
    purchases 0..7+; the error figure is the MAPE over those groups."""
    x, t_x, T = (histories[k].to_numpy(float) for k in ("x", "t_x", "T"))
    model = clv.fit_bgnbd(x, t_x, T)
    predicted = clv.expected_purchases(model, holdout_weeks, x, t_x, T)
    group = np.minimum(x, TOP_GROUP).astype(int)
    frame = (
        pd.DataFrame({"group": group, "actual": histories["holdout"].to_numpy(float), "predicted": predicted})
        .groupby("group")
        .agg(customers=("actual", "size"), actual=("actual", "mean"), predicted=("predicted", "mean"))
        .reset_index()
    )
    frame["label"] = [f"{g}+" if g == TOP_GROUP else str(g) for g in frame["group"]]
    return Holdout(
        frame,
        mape(frame["predicted"], frame["actual"]),
        model,
        f"purchases in the first {float(T.max()):,.0f} weeks",
        f"the next {holdout_weeks:,.0f} weeks",
    )


# -- sBG -------------------------------------------------------------------------------------


def sbg_holdout(lost: np.ndarray, still: np.ndarray, split: int, unit: str = "period") -> Holdout:
    """Fit sBG on periods 1..split (everyone there after `split` periods counts as still there) and compare the share
    still a customer after each period 0..N with the Kaplan-Meier share; the error figure is the MAPE over the
    holdout periods split+1..N."""
    lost, still = np.asarray(lost, float), np.asarray(still, float)
    periods = len(lost)
    if not 1 <= split < periods:
        raise ValueError("the split must leave at least one period on each side")
    cal_lost = lost[:split]
    cal_still = np.concatenate([still[:split], [still[split:].sum() + lost[split:].sum()]])
    model = sbg.fit_counts(cal_lost, cal_still)
    actual = sbg.kaplan_meier(lost, still)
    predicted = sbg.survival(model.alpha, model.beta, periods)
    period = np.arange(periods + 1)
    frame = pd.DataFrame({"period": period, "actual": actual, "predicted": predicted, "calibration": period <= split})
    frame = frame[frame["actual"].notna()].reset_index(drop=True)
    later = frame[~frame["calibration"]]
    return Holdout(
        frame,
        mape(later["predicted"], later["actual"]),
        model,
        f"{unit}s 1 to {split}",
        f"{unit}s {split + 1} to {int(frame['period'].max())}",
    )


# -- on a published version ------------------------------------------------------------------

DAYS_PER_MONTH = 365.25 / 12
MAX_MONTHS = 120
"""Tenures up to this many months are counted in months; longer histories in years."""
SAMPLE_CUSTOMERS = 50_000
"""The BG/NBD check is fitted on a seeded sample of this many buyers when there are more (a check, not the valuation)."""
CHECK_COLUMNS = ["period", "actual", "predicted", "calibration", "mape", "fitted_on", "checked_on", "detail", "problem"]


def _problem(text: str) -> pd.DataFrame:
    """A check frame of one row that only says why the check cannot be made."""
    return pd.DataFrame([{c: (text if c == "problem" else None) for c in CHECK_COLUMNS}])


def _frame(check: Holdout, detail: str, x_name: str, rows: pd.DataFrame) -> pd.DataFrame:
    """The check frame: the compared points (x_name as period) with the error figure and the wording beside them."""
    out = pd.DataFrame(
        {
            "period": rows[x_name].astype(str).to_numpy(),
            "actual": rows["actual"].to_numpy(float),
            "predicted": rows["predicted"].to_numpy(float),
            "calibration": rows["calibration"].to_numpy(bool),
        }
    )
    return out.assign(mape=check.mape, fitted_on=check.calibration, checked_on=check.holdout, detail=detail, problem="")


def contract_tenures(cur: duckdb.DuckDBPyConnection, version: Version) -> tuple[np.ndarray, np.ndarray, str, int]:
    """Each contract customer's whole periods as a customer and whether they left, the period unit, and how many
    leavers have no churn date (left out: when they left is unknown). A leaver's period is the one their churn date
    falls in (at least 1); a customer still there counts the whole periods from the start to the as-of day. Customers
    who joined before the data starts are left out (their early periods are not in the data), as on the retention
    curves. A snapshot (leavers flagged but none dated, as the telco file's Churn = left within the last month) counts
    each leaver as leaving by the as-of day, and every tenure in whole periods rounded to the nearest."""
    until = "cast(coalesce(case when defected then defected_since end, as_of) as date)"  # dates: elapsed days on any engine
    rows = cur.execute(
        f"""
        select {days_between("cast(start_date as date)", until)} as days,
               coalesce(defected, false) as left_, defected and defected_since is null as undated
        from {version.table("df_customers")}, (select as_of, history_start from {version.table("df_fit")})
        where start_date is not null and defected is not null
          and (history_start is null or start_date >= history_start)
        """
    ).fetchnumpy()
    days, left, undated = (np.asarray(rows[k]) for k in ("days", "left_", "undated"))
    undated = undated.astype(bool)
    snapshot = bool(undated.any()) and not bool((left.astype(bool) & ~undated).any())
    keep = (~undated | snapshot) & (days >= 0)
    days, left = days[keep].astype(float), left[keep].astype(bool)
    unit, length = ("month", DAYS_PER_MONTH)
    if len(days) and days.max() / DAYS_PER_MONTH > MAX_MONTHS:
        unit, length = ("year", 365.25)
    if snapshot:  # tenure in whole periods (e.g. a tenure column in months): rounding undoes the calendar's uneven months
        periods = np.where(left, np.maximum(np.round(days / length), 1), np.round(days / length)).astype(int)
        return periods, left, unit, 0
    periods = np.where(left, np.maximum(np.ceil(days / length), 1), np.floor(days / length)).astype(int)
    return periods, left, unit, int(undated.sum())


def _sbg_check(cur: duckdb.DuckDBPyConnection, version: Version) -> pd.DataFrame:
    """The sBG calibration-then-holdout check on a contract version: share still a customer after each period, fitted
    on the first half of the periods (at least MIN_PERIODS), predicted and Kaplan-Meier actual; or one row saying why
    the data cannot support it."""
    found = staged.load_profile(cur, version)
    if found.kind != CONTRACT:
        return _problem(f"the data is {found.kind}, not contracts with churn labels, so the contract model does not apply")
    if not version.has("customers", "signup_date"):
        return _problem("customers have no signup date, so how long each was a customer is unknown (map `signup_date`)")
    periods, left, unit, undated = contract_tenures(cur, version)
    if not len(periods):
        return _problem("no customer has both a start date and a known status")
    lost, still = sbg.tenure_counts(periods, left)
    survivors = sbg.kaplan_meier(lost, still) * len(periods)
    survivors = survivors[~np.isnan(survivors)]
    problems = sbg.data_needs(survivors)
    if len(survivors) - 1 < 2 * sbg.MIN_PERIODS:
        problems.append(f"the check needs {2 * sbg.MIN_PERIODS} {unit}s of tenure, {sbg.MIN_PERIODS} to fit and as many to check")
    if undated and undated * 2 > int(left.sum()) + undated:
        problems.append(f"{undated:,} leavers have no churn date, most of them; map `churn_date`")
    if problems:
        return _problem("; ".join(problems))
    last = len(survivors) - 1
    try:
        check = sbg_holdout(
            lost[:last], np.concatenate([still[:last], [still[last:].sum()]]), max(sbg.MIN_PERIODS, last // 2), unit
        )
    except ValueError as err:
        return _problem(str(err))
    if np.isnan(check.mape):
        return _problem("nobody is left to observe in the later periods, so there is nothing to check against")
    note = f"; {undated:,} leavers without a churn date left out" if undated else ""
    alpha, beta = (f"{v:,.2f}" if v < 1000 else f"{v:,.0f}" for v in (check.model.alpha, check.model.beta))
    detail = f"α {alpha}, β {beta} over {len(periods):,} customers by {unit}{note}"
    return _frame(check, detail, "period", check.frame)


@dataclass(frozen=True)
class ContractModel:
    """The sBG model fitted on every contract customer's tenure (the Contract lifetime value), or why there is none."""

    model: sbg.Sbg | None
    unit: str = "month"
    customers: int = 0
    periods: int = 0
    """The longest tenure in the table, in periods: later tenures are valued as this one."""
    problem: str = ""

    @property
    def period_years(self) -> float:
        """Length of one period in years."""
        return 1 / 12 if self.unit == "month" else 1.0

    def value_factors(self, margin: float, discount: float, horizon_years: int) -> list[float]:
        """For tenure n = 0..periods: margin × period length in years × DERL(n), the renewals still to come within
        horizon_years, each discounted at the yearly rate turned per period, (1 + rate)^(period in years) − 1; times
        annual spend, a retained customer's lifetime value."""
        if self.model is None:
            raise ValueError(self.problem or "no contract model")
        rate = (1 + discount) ** self.period_years - 1
        horizon = max(1, round(horizon_years / self.period_years))
        derl = sbg.derl(self.model, np.arange(self.periods + 1), rate, horizon)
        return [float(v) for v in margin * self.period_years * derl]

    def describe(self) -> str:
        """The fit in a few words."""
        if self.model is None:
            return self.problem
        alpha, beta = (f"{v:,.2f}" if v < 1000 else f"{v:,.0f}" for v in (self.model.alpha, self.model.beta))
        return f"α {alpha}, β {beta} over {self.customers:,} customers by {self.unit}"


def _fit_contract_model(cur: duckdb.DuckDBPyConnection, version: Version) -> ContractModel:
    """The sBG fit on every contract customer's whole periods (contract_tenures); a model of None with the problem in
    words where the data cannot support it."""
    found = staged.load_profile(cur, version)
    if found.kind != CONTRACT:
        return ContractModel(None, problem=f"the data is {found.kind}, not contracts with churn labels")
    if not version.has("customers", "signup_date"):
        return ContractModel(None, problem="customers have no signup date, so how long each was a customer is unknown")
    periods, left, unit, undated = contract_tenures(cur, version)
    if not len(periods):
        return ContractModel(None, unit, problem="no customer has both a start date and a known status")
    lost, still = sbg.tenure_counts(periods, left)
    survivors = sbg.kaplan_meier(lost, still) * len(periods)
    problems = sbg.data_needs(survivors[~np.isnan(survivors)])
    if undated and undated * 2 > int(left.sum()) + undated:
        problems.append(f"{undated:,} leavers have no churn date, most of them")
    if problems:
        return ContractModel(None, unit, len(periods), problem="; ".join(problems))
    try:
        model = sbg.fit_counts(lost, still)
    except ValueError as err:
        return ContractModel(None, unit, len(periods), problem=str(err))
    if not model.converged:
        return ContractModel(None, unit, len(periods), problem="the shifted-beta-geometric fit did not settle")
    return ContractModel(model, unit, len(periods), int(periods.max()))


def purchase_days(cur: duckdb.DuckDBPyConnection, version: Version) -> pd.DataFrame:
    """One row per sampled buyer and purchase day (a day whose amounts add up to more than zero), up to the as-of day."""
    return cur.execute(
        f"""
        with days as (
            select customer_id, cast(ts as date) as day
            from {version.table("transactions")}
            where customer_id is not null and amount is not null
            {group_by_all()} having {day_total()} > 0
        ),
        chosen as (
            select customer_id from (select distinct customer_id from days)
            using sample reservoir({SAMPLE_CUSTOMERS} rows) repeatable (7)
        )
        select d.customer_id, d.day from days d join chosen using (customer_id)
        where d.day <= (select as_of from {version.table("df_fit")})
        """
    ).df()


def _bgnbd_check(cur: duckdb.DuckDBPyConnection, version: Version) -> pd.DataFrame:
    """The BG/NBD calibration-then-holdout check: fitted on the first half of the purchase history, mean repeat purchases
    per customer in the second half by calibration repeat purchases 0..7+, predicted and actual; or one row saying why
    the data cannot support it."""
    if not version.has("transactions"):
        return _problem("the data has no purchases (transactions)")
    days = purchase_days(cur, version)
    if days.empty:
        return _problem("no customer has a purchase day")
    first, last = pd.Timestamp(days["day"].min()), pd.Timestamp(days["day"].max())
    split = first + (last - first) / 2
    histories = purchase_histories(days, split.date(), last.date())
    holdout_weeks = (last - split.normalize()).days / 7
    problems = clv.data_needs(histories["x"].to_numpy(), float(histories["T"].max()))
    if problems:
        return _problem("fitted on the first half of the history, " + "; ".join(problems))
    check = bgnbd_holdout(histories, holdout_weeks)
    if not check.model.converged:
        return _problem("the BG/NBD fit on the first half of the history did not settle")
    if np.isnan(check.mape):
        return _problem("nobody bought in the second half of the history, so there is nothing to check against")
    rows = check.frame.assign(calibration=False)
    sampled = f" (a sample of {SAMPLE_CUSTOMERS:,} buyers)" if len(histories) >= SAMPLE_CUSTOMERS else ""
    detail = (
        f"history split on {split.date():%d %b %Y}; {int(rows['customers'].sum()):,} customers who had bought by then{sampled}"
    )
    return _frame(check, detail, "label", rows)


# -- fitted at publish, read by the page --------------------------------------------------------

CHECKS_TABLE, CONTRACT_TABLE = "df_checks", "df_contract"
CHECKS = {"sbg": _sbg_check, "bgnbd": _bgnbd_check}


def prepare(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    """Fit the contract model and both holdout checks once at publish (df_contract: one row; df_checks: each check's
    compared points, or its one row saying why there is none), so the page reads them instead of re-scanning bills."""
    checks = pd.concat([check(cur, version).assign(model=name) for name, check in CHECKS.items()], ignore_index=True).assign(
        ord=lambda frame: range(len(frame))
    )
    found = _fit_contract_model(cur, version)
    fitted = found.model
    contract = pd.DataFrame(
        [
            {
                "alpha": fitted.alpha if fitted else None,
                "beta": fitted.beta if fitted else None,
                "log_likelihood": fitted.log_likelihood if fitted else None,
                "fit_customers": fitted.customers if fitted else None,
                "fit_periods": fitted.periods if fitted else None,
                "unit": found.unit,
                "customers": found.customers,
                "periods": found.periods,
                "problem": found.problem,
            }
        ]
    )
    cur.execute(
        f"""
        create table {version.table(CHECKS_TABLE)} (
            model varchar, ord integer, period varchar, actual double, predicted double, calibration boolean,
            mape double, fitted_on varchar, checked_on varchar, detail varchar, problem varchar
        )
        """
    )
    cur.execute(
        f"""
        create table {version.table(CONTRACT_TABLE)} (
            alpha double, beta double, log_likelihood double, fit_customers bigint, fit_periods bigint, unit varchar,
            customers bigint, periods bigint, problem varchar
        )
        """
    )
    for table, frame in ((CHECKS_TABLE, checks), (CONTRACT_TABLE, contract)):
        cur.register("_df_rows", frame)
        cur.execute(f"insert into {version.table(table)} by name select * from _df_rows")
        cur.unregister("_df_rows")


def _check(cur: duckdb.DuckDBPyConnection, version: Version, model: str) -> pd.DataFrame:
    """One holdout check as fitted at publish (the columns of CHECK_COLUMNS)."""
    return cur.execute(
        f"select {', '.join(CHECK_COLUMNS)} from {version.table(CHECKS_TABLE)} where model = ? order by ord", [model]
    ).df()


def sbg_check(cur: duckdb.DuckDBPyConnection, version: Version, _spec: object = None) -> pd.DataFrame:
    """The sBG calibration-then-holdout check (fitted at publish, see _sbg_check): share still a customer after each
    period, predicted and Kaplan-Meier actual; or one row saying why the data cannot support it."""
    return _check(cur, version, "sbg")


def bgnbd_check(cur: duckdb.DuckDBPyConnection, version: Version, _spec: object = None) -> pd.DataFrame:
    """The BG/NBD calibration-then-holdout check (fitted at publish, see _bgnbd_check): mean repeat purchases per
    customer in the second half of the history by calibration repeat purchases 0..7+; or one row saying why."""
    return _check(cur, version, "bgnbd")


def contract_model(cur: duckdb.DuckDBPyConnection, version: Version) -> ContractModel:
    """The sBG fit on every contract customer's whole periods, as fitted at publish (_fit_contract_model); a model of
    None with the problem in words where the data cannot support it."""
    row = cur.execute(f"select * from {version.table(CONTRACT_TABLE)}").df().iloc[0]
    model = None
    if pd.notna(row["alpha"]):
        model = sbg.Sbg(
            float(row["alpha"]),
            float(row["beta"]),
            float(row["log_likelihood"]),
            int(row["fit_customers"]),
            int(row["fit_periods"]),
        )
    return ContractModel(model, str(row["unit"]), int(row["customers"]), int(row["periods"]), str(row["problem"]))
