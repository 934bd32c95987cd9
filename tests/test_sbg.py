"""The shifted-beta-geometric retention model and its calibration-then-holdout check, against Fader & Hardie (2007)
and hand-worked answers."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from dashboard import staged
from dashboard.metrics.defection import calibration, clv, sbg
from dashboard.store import Store


def _retention_rates(alpha: float, beta: float, periods: int) -> np.ndarray:
    """r_t = S(t) / S(t−1) = (β + t − 1) / (α + β + t − 1) for t = 1..periods (Fader & Hardie 2007, eq. 4)."""
    t = np.arange(1, periods + 1, dtype=float)
    return (beta + t - 1) / (alpha + beta + t - 1)


REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


@pytest.mark.parametrize(
    ("survivors", "alpha", "beta", "ll"),
    [(REGULAR, 0.704, 1.182, -1680.27), (HIGH_END, 0.668, 3.806, -1611.16)],
)
def test_sbg_reproduces_fader_hardie_2007(survivors, alpha, beta, ll):
    # "How to project customer retention", table 1 and section 3: survivors out of 1,000 over years 0 to 7
    model = sbg.fit(survivors)
    assert (round(model.alpha, 3), round(model.beta, 3), round(model.log_likelihood, 2)) == (alpha, beta, ll)
    assert model.converged and model.customers == 1000 and model.periods == 7
    assert sbg.log_likelihood(model.alpha, model.beta, survivors) == pytest.approx(model.log_likelihood)
    for bump in ([1.01, 1], [0.99, 1], [1, 1.01], [1, 0.99]):
        assert sbg.log_likelihood(model.alpha * bump[0], model.beta * bump[1], survivors) < model.log_likelihood


def test_survival_retention_and_churn_at_alpha_beta_one():
    # θ ~ Beta(1, 1) (uniform): S(t) = 1/(t+1), P(T=t) = 1/(t(t+1)), r_t = t/(t+1)
    assert sbg.survival(1, 1, 3) == pytest.approx([1, 1 / 2, 1 / 3, 1 / 4])
    assert sbg.churn_probabilities(1, 1, 3) == pytest.approx([1 / 2, 1 / 6, 1 / 12])
    assert _retention_rates(1, 1, 3) == pytest.approx([1 / 2, 2 / 3, 3 / 4])


def test_retention_rises_with_tenure_as_the_likely_leavers_go():
    model = sbg.fit(REGULAR)
    rates = _retention_rates(model.alpha, model.beta, 12)
    assert np.all(np.diff(rates) > 0)
    # year-1 retention is β/(α+β) = 1.182/1.886
    assert rates[0] == pytest.approx(model.beta / (model.alpha + model.beta))


def test_derl_hand_worked():
    model = sbg.Sbg(alpha=1.0, beta=1.0, log_likelihood=0.0, customers=0, periods=0)
    # new customer (tenure 0), 2 more periods, no discount: S(1)/S(0) + S(2)/S(0) = 1/2 + 1/3
    assert sbg.derl(model, [0], 0.0, horizon=2)[0] == pytest.approx(5 / 6)
    # after 2 periods: S(3)/S(2) + S(4)/S(2) = 3/4 + 3/5, discounted at 10 %: 0.75/1.1 + 0.6/1.21
    assert sbg.derl(model, [2], 0.1, horizon=2)[0] == pytest.approx(0.75 / 1.1 + 0.6 / 1.21)
    # the closed form (₂F₁) equals the long sum, and customers who stayed longer are worth more
    fitted = sbg.fit(REGULAR)
    closed = sbg.derl(fitted, [0, 1, 5], 0.1)
    assert closed == pytest.approx(sbg.derl(fitted, [0, 1, 5], 0.1, horizon=3000), rel=1e-9)
    assert closed[0] < closed[1] < closed[2]
    with pytest.raises(ValueError, match="infinite"):
        sbg.derl(fitted, [1], 0.0)


def test_tenure_counts_and_kaplan_meier_with_censoring():
    # left in period 1; still after 1; left in period 2; still after 2
    lost, still = sbg.tenure_counts(np.array([1, 1, 2, 2]), np.array([True, False, True, False]))
    assert lost.tolist() == [1, 1] and still.tolist() == [0, 1, 1]
    # period 1: 4 at risk, 1 lost → 3/4; period 2: 2 at risk (one was last seen after 1), 1 lost → 3/4 × 1/2
    assert sbg.kaplan_meier(lost, still) == pytest.approx([1, 0.75, 0.375])


def test_fit_on_customers_equals_fit_on_the_survivor_table():
    counts = np.array(REGULAR)
    periods = np.concatenate([np.repeat(np.arange(1, 8), -np.diff(counts)), np.full(241, 7)])
    left = np.concatenate([np.ones(1000 - 241, bool), np.zeros(241, bool)])
    from_customers = sbg.fit_counts(*sbg.tenure_counts(periods, left))
    assert from_customers.alpha == pytest.approx(0.704, abs=5e-4) and from_customers.beta == pytest.approx(1.182, abs=5e-4)


def _synthetic(alpha: float, beta: float, customers: int, periods: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    theta = rng.beta(alpha, beta, customers)
    lifetime = rng.geometric(theta)  # the period in which each customer leaves, 1, 2, ...
    left = lifetime <= periods
    return sbg.tenure_counts(np.minimum(lifetime, periods), left)


def test_sbg_holdout_recovers_a_known_population_and_predicts_later_periods():
    lost, still = _synthetic(0.8, 2.5, 40_000, 12)
    check = calibration.sbg_holdout(lost, still, split=6, unit="month")
    assert check.model.alpha == pytest.approx(0.8, rel=0.1) and check.model.beta == pytest.approx(2.5, rel=0.1)
    assert check.mape < 3.0
    assert (check.calibration, check.holdout) == ("months 1 to 6", "months 7 to 12")
    assert check.frame["calibration"].sum() == 7 and len(check.frame) == 13


def test_sbg_holdout_error_is_the_mean_over_later_periods():
    still = np.zeros(8)
    still[-1] = 241
    check = calibration.sbg_holdout(-np.diff(REGULAR), still, split=4, unit="year")
    refit = sbg.fit(REGULAR[:5])
    assert check.model.alpha == pytest.approx(refit.alpha) and check.model.beta == pytest.approx(refit.beta)
    predicted = sbg.survival(refit.alpha, refit.beta, 7)[5:]
    actual = np.array(REGULAR[5:]) / 1000
    assert check.mape == pytest.approx(np.mean(np.abs(predicted - actual) / actual) * 100)
    assert 1 < check.mape < 5  # a 3-year projection off by a few per cent, as the paper's figure 3 shows


def test_mape_hand_worked_skips_zero_actuals():
    assert calibration.mape([110, 90, 5], [100, 100, 0]) == pytest.approx(10.0)


def test_data_needs():
    assert sbg.data_needs(np.array(REGULAR)) == []
    problems = sbg.data_needs(np.array([50, 50]))
    assert any("only 50 customers" in p for p in problems)
    assert any("1 periods" in p for p in problems) and any("nobody left" in p for p in problems)


def test_purchase_histories_hand_worked():
    days = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b", "c"],
            "day": ["2024-01-01", "2024-01-08", "2024-01-08", "2024-01-29", "2024-01-15", "2024-03-01"],
        }
    )
    out = calibration.purchase_histories(days, date(2024, 1, 15), date(2024, 2, 12)).set_index("customer_id")
    # a: first 1 Jan, repeat 8 Jan (twice on one day = one purchase), 29 Jan in the holdout; c starts after calibration
    assert out.loc["a"].tolist() == [1.0, 1.0, 2.0, 1.0]
    assert out.loc["b"].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert "c" not in out.index


def test_bgnbd_holdout_on_a_known_population():
    # simulate BG/NBD customers (r 0.25, α 4, a 0.8, b 2.5) over 78 weeks; fit on 39, predict the next 39
    rng = np.random.default_rng(7)
    rows = []
    for i in range(4000):
        lam, p = rng.gamma(0.25, 1 / 4), rng.beta(0.8, 2.5)
        start = rng.uniform(0, 12)
        t, alive = start, True
        rows.append((i, start))
        while alive:
            t += rng.exponential(1 / lam)
            if t > 78:
                break
            rows.append((i, t))
            alive = rng.random() > p
    frame = pd.DataFrame(rows, columns=["customer_id", "week"])
    frame["day"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.floor(frame["week"] * 7), unit="D")
    histories = calibration.purchase_histories(frame, date(2024, 9, 29), date(2024, 12, 29))
    check = calibration.bgnbd_holdout(histories, 13)
    assert check.frame["label"].tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    totals = check.frame["customers"] @ check.frame[["actual", "predicted"]]
    assert totals["predicted"] == pytest.approx(totals["actual"], rel=0.1)
    assert check.mape < 25
    assert isinstance(check.model, clv.BgNbd)


# -- on published versions -------------------------------------------------------------------


def _contract_customers(customers: int = 4000, seed: int = 3) -> pd.DataFrame:
    """Contract customers signing up over two years whose lifetimes in months follow sBG with α 0.8, β 2.5."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 730, customers), unit="D")
    months = np.minimum(rng.geometric(rng.beta(0.8, 2.5, customers)), 100)
    end = start + pd.to_timedelta(months * 30.4375 - rng.uniform(1, 29, customers), unit="D")
    left = end <= pd.Timestamp("2024-12-31")
    return pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(customers)],
            "signup_date": start.date,
            "churned": left,
            "churn_date": np.where(left, end.date, None),
        }
    )


def test_sbg_check_on_a_published_contract_dataset(tmp_path):
    store = Store(tmp_path / "contract.duckdb")
    try:
        version = store.publish("contract", {"customers": _contract_customers()})
        with store.cursor() as cur:
            check = calibration.sbg_check(cur, version)
            no_purchases = calibration.bgnbd_check(cur, version)
    finally:
        store.close()
    assert (check["problem"] == "").all()
    assert check["detail"].iloc[0].startswith("α 0.77, β 2.49 over 4,000 customers by month")
    assert check["period"].iloc[0] == "0" and check["actual"].iloc[0] == 1.0 and check["predicted"].iloc[0] == 1.0
    assert check["mape"].iloc[0] < 15  # the thin tail (few customers at risk beyond 30 months) is noisy
    assert check["fitted_on"].iloc[0] == "months 1 to 17" and check["checked_on"].iloc[0] == "months 18 to 35"
    assert no_purchases["problem"].tolist() == ["the data has no purchases (transactions)"]


def test_checks_say_why_when_the_data_cannot_support_them(sample_db_file):
    store = Store(sample_db_file, read_only=True)
    try:
        version = store.active_version("sample")
        with store.cursor() as cur:
            kind = staged.load_profile(cur, version).kind
            sbg_frame = calibration.sbg_check(cur, version)
            bg_frame = calibration.bgnbd_check(cur, version)
    finally:
        store.close()
    # the bundled sample: contracts joining from 2023 (earlier joiners left out) and purchases (so BG/NBD too)
    assert kind == "contract"
    assert (sbg_frame["problem"] == "").all() and sbg_frame["fitted_on"].iloc[0] == "months 1 to 17"
    assert bg_frame["period"].tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"] and (bg_frame["problem"] == "").all()
    for frame in (sbg_frame, bg_frame):
        assert frame[["actual", "predicted", "mape"]].notna().all().all()


class _Recording:
    """A cursor that runs and remembers every SQL statement it is given."""

    def __init__(self, cur) -> None:
        self._cur, self.statements = cur, []

    def execute(self, sql: str, *args, **kwargs):
        self.statements.append(sql)
        return self._cur.execute(sql, *args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._cur, name)


def test_checks_and_contract_fit_are_read_as_fitted_at_publish(sample_db_file):
    """The page reads both holdout checks and the contract model from the tables publish fitted them into: the same
    frames and model as fitting them now, without a look at the transactions (the BG/NBD check used to read every bill
    again on each first open of the page)."""
    store = Store(sample_db_file, read_only=True)
    try:
        version = store.active_version("sample")
        with store.cursor() as cur:
            recording = _Recording(cur)
            read = {"sbg": calibration.sbg_check(recording, version), "bgnbd": calibration.bgnbd_check(recording, version)}
            model = calibration.contract_model(recording, version)
            fitted = {name: check(cur, version) for name, check in calibration.CHECKS.items()}
            refitted = calibration._fit_contract_model(cur, version)
    finally:
        store.close()
    assert recording.statements and not any("transactions" in text for text in recording.statements)
    for name, frame in read.items():
        pd.testing.assert_frame_equal(frame, fitted[name], check_dtype=False)
    assert model == refitted and model.model is not None


def test_sbg_check_says_why_without_signup_dates(tmp_path):
    store = Store(tmp_path / "nodates.duckdb")
    try:
        customers = _contract_customers(200).drop(columns=["signup_date"])
        version = store.publish("nodates", {"customers": customers})
        with store.cursor() as cur:
            check = calibration.sbg_check(cur, version)
    finally:
        store.close()
    assert check["problem"].tolist() == [
        "customers have no signup date, so how long each was a customer is unknown (map `signup_date`)"
    ]


def test_check_charts_draw_predicted_against_actual():
    from dashboard.charts import calibration as charts

    still = np.zeros(8)
    still[-1] = 241
    check = calibration.sbg_holdout(-np.diff(REGULAR), still, split=4, unit="year")
    fig = charts.survival_check(check.frame.assign(period=check.frame["period"].astype(str)), "year")
    assert [trace.name for trace in fig.data] == ["Actual", "Predicted (sBG)"]
    assert list(fig.data[0].y) == pytest.approx(np.array(REGULAR) / 1000)
    assert fig.layout.shapes[0].x1 == 4  # the calibration years shaded
    bars = charts.purchases_check(
        pd.DataFrame({"period": ["0", "7+"], "actual": [0.2, 3.0], "predicted": [0.25, 2.5], "calibration": False})
    )
    assert [list(trace.x) for trace in bars.data] == [["0", "7+"], ["0", "7+"]]
    assert list(bars.data[1].y) == [0.25, 2.5]


# -- the contract lifetime value (Valuation method "sbg") -----------------------------------------


def test_contract_value_factors_hand_worked():
    """α = β = 1: S(t) = 1 / (1 + t), so S(n + k) / S(n) = (1 + n) / (1 + n + k). Yearly periods, a 2-year horizon,
    50 % margin: n = 0 gives 0.5 × (1/2 + 1/3) = 5/12; n = 1, 0.5 × (2/3 + 2/4) = 7/12; n = 2, 0.5 × (3/4 + 3/5) = 27/40;
    at 10 % a year n = 0 gives 0.5 × (1/2 ÷ 1.1 + 1/3 ÷ 1.21) = 0.365014."""
    model = calibration.ContractModel(sbg.Sbg(1.0, 1.0, 0.0, 100, 3), unit="year", customers=100, periods=2)
    assert model.value_factors(0.5, 0.0, 2) == pytest.approx([5 / 12, 7 / 12, 27 / 40])
    assert model.value_factors(0.5, 0.10, 2)[0] == pytest.approx(0.365014, abs=1e-6)
    monthly = calibration.ContractModel(sbg.Sbg(1.0, 1.0, 0.0, 100, 3), unit="month", customers=100, periods=0)
    # a month is 1/12 of a year: 12 monthly renewals of one month's margin each over a 1-year horizon
    assert monthly.value_factors(1.0, 0.0, 1) == pytest.approx([sum(1 / (1 + k) for k in range(1, 13)) / 12])


def test_the_contract_method_is_offered_only_with_a_contract_fit():
    from dashboard.metrics.defection import status as defection

    assert defection.methods_available({"bgnbd": True, "sbg": True}) == ["simple", "bgnbd", "sbg"]
    assert defection.methods_available({"bgnbd": False, "sbg": True}) == ["simple", "sbg"]
    assert defection.methods_available({"bgnbd": True, "sbg": False}) == ["simple", "bgnbd"]


def test_the_contract_lifetime_value_on_the_sample(sample_db_file):
    """Each customer's value if retained = annual spend × margin × Σ_k S(n+k)/S(n) ÷ 1.1^(k/12) ÷ 12 over the 120 months
    of a 10-year horizon, n their whole months as a customer up to leaving or the as-of day; it feeds the lifetime
    value, revenue at risk and value lost like the other methods."""
    from dashboard.metrics.defection import figures
    from dashboard.metrics.defection import status as defection

    store = Store(sample_db_file, read_only=True)
    try:
        version = store.active_version("sample")
        with store.cursor() as cur:
            available = defection.availability(cur, version).set_index("key")
            fit = calibration.contract_model(cur, version)
            spec = defection.DefectionSpec(valuation=defection.Valuation(method="sbg", margin_pct=30, horizon_years=10))
            sql, params = defection.status_sql(cur, version, spec)
            rows = cur.execute(
                f"select start_date, defect_date, annual_spend, value_if_retained, status from ({sql}) "
                "where annual_spend > 0 and start_date is not null order by customer_id limit 40",
                params,
            ).df()
            as_of = defection.as_of_day(cur, version)
            ltv = figures.lifetime_value(cur, version, spec).iloc[0]
            summary = defection.summary(cur, version, spec)
    finally:
        store.close()
    assert bool(available.loc["sbg", "available"]) and fit.unit == "month"
    survive = sbg.survival(fit.model.alpha, fit.model.beta, fit.periods + 130)
    k = np.arange(1, 121)
    for row in rows.itertuples():
        end = row.defect_date if row.status == "left" and pd.notna(row.defect_date) else as_of
        n = min(int((pd.Timestamp(end) - pd.Timestamp(row.start_date)).days // (365.25 / 12)), fit.periods)
        expected = row.annual_spend * 0.30 / 12 * np.sum(survive[n + k] / survive[n] / 1.1 ** (k / 12))
        assert row.value_if_retained == pytest.approx(expected, rel=1e-9)
    assert ltv["method"] == "sbg" and 0 < ltv["discounted"] < ltv["undiscounted"]
    assert summary["revenue_at_risk"].sum() > 0 and np.isfinite(summary["value_sum"]).all()
