"""Lifetime value: the simple formula by hand, BG/NBD and Gamma-Gamma against the published CDNOW fits."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special, stats
from scipy.optimize import OptimizeResult

from dashboard.metrics.defection import clv
from dashboard.metrics.defection import status as defection
from dashboard.metrics.defection.spec import Valuation
from dashboard.sql import lit, sql


def _expected_purchases_new_customer(model: clv.BgNbd, t: float) -> float:
    """Expected purchases of a new customer in (0, t], Fader, Hardie & Lee (2005) eq. 7:
    (a+b−1)/(a−1) · [1 − (α/(α+t))^r ₂F₁(r, b; a+b−1; t/(α+t))]."""
    r, alpha, a, b = model.r, model.alpha, model.a, model.b
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * special.hyp2f1(r, b, a + b - 1, t / (alpha + t)))


FIXTURES = Path(__file__).resolve().parent / "fixtures"


def sig(value: float, figures: int = 3) -> float:
    """value rounded to `figures` significant figures."""
    return float(f"{value:.{figures}g}")


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    """The 2,357-customer CDNOW cohort: frequency (repeat purchases), recency and T in weeks."""
    return pd.read_csv(FIXTURES / "cdnow_customers_summary.csv")


@pytest.fixture(scope="module")
def cdnow_fit(cdnow) -> clv.BgNbd:
    return clv.fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])


# -- simple lifetime value -------------------------------------------------------------------


def _simple_value(annual_margin: float, years: float, discount_pct: float) -> float:
    """A customer's value if retained as the Defection page computes it (defection._value_sql, simple method)."""
    if_retained, _ = defection._value_sql(Valuation(margin_pct=100.0, years=years, discount_pct=discount_pct))
    query = sql("select {} from (select {} as annual_spend)", if_retained, lit(annual_margin))
    return duckdb.connect().execute(*query).fetchall()[0][0]


def test_a_regular_is_worth_7000_over_ten_years():
    # the article's restaurant regular: $700 of margin a year for ten years, undiscounted: 700 × 10 = 7,000
    assert _simple_value(700.0, 10, 0.0) == pytest.approx(7000.0)


def test_discounting_pays_each_year_at_its_end():
    # at 10 %: 700 × (1 − 1.1^−10) / 0.1 = 700 × 6.144567 = 4,301.20
    assert clv.annuity_factor(10, 0.10) == pytest.approx(6.1445671, abs=1e-7)
    assert _simple_value(700.0, 10, 10.0) == pytest.approx(4301.197, abs=1e-3)
    # one year at 10 %: 1 / 1.1; half a year undiscounted: 0.5
    assert clv.annuity_factor(1, 0.10) == pytest.approx(1 / 1.1)
    assert clv.annuity_factor(0.5, 0.0) == 0.5
    with pytest.raises(ValueError):
        clv.annuity_factor(-1, 0.1)


# -- BG/NBD on CDNOW -------------------------------------------------------------------------


def test_bgnbd_reproduces_the_published_cdnow_parameters(cdnow_fit):
    # Fader, Hardie & Lee (2005), "Counting your customers the easy way": r 0.243, α 4.414, a 0.793, b 2.426, LL −9,582.4
    assert cdnow_fit.customers == 2357
    assert (sig(cdnow_fit.r), sig(cdnow_fit.alpha), sig(cdnow_fit.a), sig(cdnow_fit.b)) == (0.243, 4.41, 0.793, 2.43)
    assert round(cdnow_fit.alpha, 3) == 4.414 and round(cdnow_fit.b, 3) == 2.426
    assert round(cdnow_fit.log_likelihood, 1) == -9582.4
    assert cdnow_fit.converged and not cdnow_fit.on_edge


def test_the_fit_maximises_the_likelihood(cdnow, cdnow_fit):
    best = clv.bgnbd_log_likelihood((cdnow_fit.r, cdnow_fit.alpha, cdnow_fit.a, cdnow_fit.b), *_cdnow_arrays(cdnow)).sum()
    assert best == pytest.approx(cdnow_fit.log_likelihood)
    for bump in np.eye(4) * 0.01:
        moved = np.array([cdnow_fit.r, cdnow_fit.alpha, cdnow_fit.a, cdnow_fit.b]) * (1 + bump)
        assert clv.bgnbd_log_likelihood(moved, *_cdnow_arrays(cdnow)).sum() < best


def _cdnow_arrays(cdnow: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return cdnow["frequency"].to_numpy(float), cdnow["recency"].to_numpy(float), cdnow["T"].to_numpy(float)


def _p_alive_by_integration(model: clv.BgNbd, x: int, t_x: float, T: float) -> float:
    """P(alive) from the model's own story, integrating over λ ~ Gamma(r, α) and p ~ Beta(a, b) numerically."""
    rate = stats.gamma(model.r, scale=1 / model.alpha)
    drop = stats.beta(model.a, model.b)
    lam_T = integrate.quad(lambda lam: lam**x * math.exp(-lam * T) * rate.pdf(lam), 0, np.inf)[0]
    lam_tx = integrate.quad(lambda lam: lam**x * math.exp(-lam * t_x) * rate.pdf(lam), 0, np.inf)[0]
    survive = integrate.quad(lambda p: (1 - p) ** x * drop.pdf(p), 0, 1)[0]
    dropped = integrate.quad(lambda p: p * (1 - p) ** (x - 1) * drop.pdf(p), 0, 1)[0] if x > 0 else 0.0
    alive = survive * lam_T
    return alive / (alive + dropped * lam_tx)


def test_probability_alive_and_expected_purchases_of_a_cdnow_customer(cdnow_fit):
    # customer 1 of the cohort: 2 repeat purchases, the last at week 30.43, observed for 38.86 weeks
    x, t_x, T = np.array([2.0]), np.array([30.43]), np.array([38.86])
    alive = clv.p_alive(cdnow_fit, x, t_x, T)[0]
    assert alive == pytest.approx(_p_alive_by_integration(cdnow_fit, 2, 30.43, 38.86), rel=1e-6)
    assert round(alive, 3) == 0.727
    # FHL 2005: this customer is expected to make 1.226 purchases in the next 39 weeks
    assert round(clv.expected_purchases(cdnow_fit, 39, x, t_x, T)[0], 3) == 1.226
    # a customer without repeat purchases is alive for sure (the model only lets customers drop after a purchase)
    assert clv.p_alive(cdnow_fit, np.array([0.0]), np.array([0.0]), np.array([38.86]))[0] == 1.0


def test_expected_purchases_closed_form_matches_numerical_integration(cdnow, cdnow_fit):
    x, _, T = _cdnow_arrays(cdnow)
    for weeks in (1, 39, 520):
        closed = clv.expected_purchases_if_alive(cdnow_fit, weeks, x, T)
        numeric = clv._expected_if_alive_by_quadrature(cdnow_fit, weeks, x, T)
        assert np.allclose(closed, numeric, rtol=1e-9, atol=1e-12)
    # a new customer's expected purchases: the unconditional formula equals the conditional one at x = 0, T = 0
    assert _expected_purchases_new_customer(cdnow_fit, 39) == pytest.approx(
        clv.expected_purchases_if_alive(cdnow_fit, 39, np.array([0.0]), np.array([0.0]))[0]
    )


def test_compressed_fit_equals_the_fit_on_every_row(cdnow):
    x, t_x, T = _cdnow_arrays(cdnow)
    once = clv.fit_bgnbd(x, t_x, T)
    twice = clv.fit_bgnbd(np.tile(x, 2), np.tile(t_x, 2), np.tile(T, 2))
    assert twice.customers == 2 * once.customers
    assert twice.r == pytest.approx(once.r, rel=1e-5) and twice.b == pytest.approx(once.b, rel=1e-5)
    assert twice.log_likelihood == pytest.approx(2 * once.log_likelihood, rel=1e-9)


def test_regular_buyers_fit_at_the_edge_and_still_tell_who_has_gone():
    # 200 customers who buy every 4 weeks; 100 stopped a year ago
    weeks = np.arange(0, 104, 4.0)
    x = np.full(200, len(weeks) - 1.0)
    t_x = np.where(np.arange(200) < 100, weeks[-1], weeks[-1] - 52)
    x[100:] -= 13
    T = np.full(200, weeks[-1] + 2)
    model = clv.fit_bgnbd(x, t_x, T)
    assert model.converged and model.on_edge
    alive = clv.p_alive(model, x, t_x, T)
    assert alive[:100].min() > 0.9 and alive[100:].max() < 0.01
    assert np.all(np.isfinite(clv.expected_purchases_if_alive(model, 52, x, T)))


def test_bad_histories_are_refused():
    with pytest.raises(ValueError, match="between 0 and T"):
        clv.fit_bgnbd(np.array([1.0]), np.array([5.0]), np.array([4.0]))
    with pytest.raises(ValueError, match="whole numbers"):
        clv.fit_bgnbd(np.array([1.5]), np.array([1.0]), np.array([4.0]))


# -- Gamma-Gamma on CDNOW --------------------------------------------------------------------


def test_gamma_gamma_reproduces_the_published_cdnow_parameters():
    # Fader, Hardie & Lee (2005), "RFM and CLV": p 6.25, q 3.74, γ 15.44 on the 946 repeat buyers
    data = pd.read_csv(FIXTURES / "cdnow_customers_summary_with_transactions.csv")
    repeat = data[data["x"] > 0]
    model = clv.fit_gamma_gamma(repeat["x"], repeat["zbar"])
    assert model.customers == 946
    assert (sig(model.p), sig(model.q), sig(model.gamma)) == (6.25, 3.74, 15.4)
    # expected spend of a customer with 2 repeat purchases averaging $22.35: p(γ + x·z̄)/(px + q − 1)
    spend = clv.expected_spend(model, np.array([2.0]), np.array([22.35]))[0]
    assert spend == pytest.approx(model.p * (model.gamma + 2 * 22.35) / (model.p * 2 + model.q - 1))
    # with no repeat purchase the population mean pγ/(q − 1) applies
    assert clv.expected_spend(model, np.array([0.0]), np.array([0.0]))[0] == pytest.approx(model.mean_spend)


def test_gamma_gamma_needs_repeat_buyers_with_a_positive_spend():
    with pytest.raises(ValueError, match="repeat buyers"):
        clv.fit_gamma_gamma(np.array([0.0, 1.0]), np.array([10.0, 12.0]))
    with pytest.raises(ValueError, match="no repeat buyers"):
        clv.fit_gamma_gamma(np.array([]), np.array([]))


# -- probabilistic lifetime value and data needs ----------------------------------------------


def test_probabilistic_ltv_multiplies_alive_purchases_spend_and_margin(cdnow_fit):
    gg = clv.GammaGamma(6.25, 3.74, 15.44, 0.0, 946)
    x, t_x, T, zbar = np.array([2.0]), np.array([30.43]), np.array([38.86]), np.array([22.35])
    cumulative = clv.yearly_expected_purchases_if_alive(cdnow_fit, 2, x, T, clv.WEEKS_PER_YEAR)
    # year 1 and year 2 purchases, each discounted at 10 % to today
    year1, year2 = cumulative[0, 0], cumulative[0, 1] - cumulative[0, 0]
    by_hand = clv.p_alive(cdnow_fit, x, t_x, T)[0] * (year1 / 1.1 + year2 / 1.21) * clv.expected_spend(gg, x, zbar)[0] * 0.3
    # the page's own expression (defection._value_sql) over the columns the prepare step stores for this customer
    valuation = Valuation(method="bgnbd", margin_pct=30.0, discount_pct=10.0, horizon_years=2)
    _, expected_value = defection._value_sql(valuation)
    row = {"p_alive": clv.p_alive(cdnow_fit, x, t_x, T)[0], "gg_spend": clv.expected_spend(gg, x, zbar)[0]}
    # bg_expected holds the cumulative purchases by the end of year k at index k (DuckDB lists count from 1)
    listed = [float(cumulative[0, 0]), float(cumulative[0, 1])]
    query = sql(
        "select {} from (select {} as p_alive, {} as gg_spend, cast({} as double[]) as bg_expected)",
        expected_value,
        lit(float(row["p_alive"])),
        lit(float(row["gg_spend"])),
        lit(listed),
    )
    value = duckdb.connect().execute(*query).fetchall()[0][0]
    assert value == pytest.approx(by_hand)


def test_data_needs_say_what_is_missing():
    # 99 repeat buyers over 20 weeks: both needs fail, each in words
    problems = clv.data_needs(np.r_[np.ones(99), np.zeros(50)], 20.0)
    assert len(problems) == 2
    assert "only 99 customers bought more than once" in problems[0]
    assert "20 weeks" in problems[1]
    assert clv.data_needs(np.ones(100), 26.0) == []
    # nobody or one person bought again: said in words, not "only 0 customers"
    assert clv.data_needs(np.zeros(5), 30.0)[0].startswith("no customer bought more than once;")
    assert clv.data_needs(np.r_[1.0, 0.0], 30.0)[0].startswith("only 1 customer bought more than once;")


def test_a_gamma_gamma_fit_whose_line_search_stops_at_the_optimum_is_kept():
    # every repeat buyer of the full CDNOW master file (x, mean repeat spend) in the order publishing reads them:
    # L-BFGS-B reaches q = 3.998 and then reports "ABNORMAL" (no step lowers a flat optimum), which once threw the fit
    # away with "q must exceed 1" and switched off the probability-alive rule and the probabilistic lifetime value
    data = pd.read_csv(FIXTURES / "cdnow_master_repeat_spend.csv")
    model = clv.fit_gamma_gamma(data["x"].to_numpy(float), data["zbar"].to_numpy(float))
    assert model.customers == 11_513
    assert round(model.q, 3) == 3.998 and round(model.p, 2) == 5.09 and round(model.gamma, 2) == 21.26
    assert model.converged and not model.on_edge
    assert model.mean_spend == pytest.approx(model.p * model.gamma / (model.q - 1))  # finite: q > 1


def test_a_fit_far_from_flat_is_not_settled():
    def result(success: bool, jac: list[float]) -> OptimizeResult:
        return OptimizeResult(x=np.zeros(3), fun=1.0, jac=np.array(jac), success=success)

    assert clv.settled(result(True, [1.0, 0.0, 0.0]), on_edge=False)
    assert clv.settled(result(False, [1e-8, -1e-8, 1e-9]), on_edge=False)  # stopped at a flat optimum
    assert not clv.settled(result(False, [1e-2, 0.0, 0.0]), on_edge=False)  # stopped on a slope
    assert not clv.settled(OptimizeResult(x=np.zeros(3), fun=np.inf, jac=np.zeros(3), success=True), on_edge=False)
