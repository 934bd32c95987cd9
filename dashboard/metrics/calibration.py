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

import numpy as np
import pandas as pd

from dashboard.metrics import clv, sbg

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
        f"{len(x):,} customers' purchases up to week {float(T.max()):,.0f} of the cohort",
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
