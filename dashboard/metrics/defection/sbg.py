"""Shifted-beta-geometric (sBG) retention for contracts (Fader & Hardie 2007, "How to project customer retention",
Journal of Interactive Marketing 21(1)).

Each customer renews at the end of every period with a fixed probability 1 − θ until they leave; θ varies over
customers as Beta(α, β). Period 1 is the first period after the start, so P(leave in period t) =
B(α+1, β+t−1) / B(α, β) and the share still a customer after t periods is S(t) = B(α, β+t) / B(α, β).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, digamma

MIN_STARTERS = 100
"""Fewest customers at the start of the survivor table for which CX Lens fits the sBG model."""
MIN_PERIODS = 3
"""Fewest observed periods after the start for which CX Lens fits the sBG model (two parameters need at least three)."""


@dataclass(frozen=True)
class Sbg:
    """Fitted sBG parameters, the log-likelihood at them, and the table they were fitted on (customers, periods)."""

    alpha: float
    beta: float
    log_likelihood: float
    customers: int
    periods: int
    converged: bool = True


def check_survivors(survivors: np.ndarray) -> np.ndarray:
    """The survivor counts as floats; ValueError unless they start above zero, never rise and never go below zero."""
    counts = np.asarray(survivors, float)
    if counts.ndim != 1 or len(counts) < 2:
        raise ValueError("survivors need the count at the start and at least one later period")
    if not np.all(np.isfinite(counts)) or counts[0] <= 0 or np.any(counts < 0):
        raise ValueError("survivors must be finite, at least 0, and more than 0 at the start")
    if np.any(np.diff(counts) > 0):
        raise ValueError("survivors cannot rise from one period to the next")
    return counts


def churn_probabilities(alpha: float, beta: float, periods: int) -> np.ndarray:
    """P(T = t) for t = 1..periods: B(α+1, β+t−1) / B(α, β)."""
    t = np.arange(1, periods + 1, dtype=float)
    return np.exp(betaln(alpha + 1, beta + t - 1) - betaln(alpha, beta))


def survival(alpha: float, beta: float, periods: int) -> np.ndarray:
    """S(t) for t = 0..periods: the share of a starting cohort still a customer after t periods, B(α, β+t) / B(α, β)."""
    t = np.arange(0, periods + 1, dtype=float)
    return np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))


def log_likelihood(alpha: float, beta: float, survivors: np.ndarray) -> float:
    """Σ_t (n_{t−1} − n_t) ln P(T = t) + n_last ln S(last): those who left in each period and those still there."""
    counts = check_survivors(survivors)
    periods = len(counts) - 1
    lost = -np.diff(counts)
    p = churn_probabilities(alpha, beta, periods)
    return float(np.dot(lost, np.log(p)) + counts[-1] * np.log(survival(alpha, beta, periods)[-1]))


def _objective(log_params: np.ndarray, lost: np.ndarray, still: np.ndarray, total: float) -> tuple[float, np.ndarray]:
    """Minus the mean log-likelihood and its gradient in (ln α, ln β); lost[t−1] left in period t = 1..N, still[t]
    were last seen still a customer after t = 0..N periods."""
    alpha, beta = np.exp(log_params)
    t = np.arange(1, len(lost) + 1, dtype=float)
    n = np.arange(0, len(still), dtype=float)
    ab = digamma(alpha + beta)
    log_p = betaln(alpha + 1, beta + t - 1) - betaln(alpha, beta)
    log_s = betaln(alpha, beta + n) - betaln(alpha, beta)
    ll = np.dot(lost, log_p) + np.dot(still, log_s)
    dp_a = digamma(alpha + 1) - digamma(alpha + beta + t) - digamma(alpha) + ab
    dp_b = digamma(beta + t - 1) - digamma(alpha + beta + t) - digamma(beta) + ab
    ds_a = ab - digamma(alpha + beta + n)
    ds_b = digamma(beta + n) - digamma(alpha + beta + n) - digamma(beta) + ab
    grad = np.array([np.dot(lost, dp_a) + np.dot(still, ds_a), np.dot(lost, dp_b) + np.dot(still, ds_b)])
    return -float(ll) / total, -grad * np.array([alpha, beta]) / total


def fit(survivors: np.ndarray) -> Sbg:
    """α and β by maximum likelihood from the survivors of one starting cohort at periods 0, 1, 2, ..."""
    counts = check_survivors(survivors)
    still = np.zeros(len(counts))
    still[-1] = counts[-1]
    return fit_counts(-np.diff(counts), still)


def fit_counts(lost: np.ndarray, still: np.ndarray) -> Sbg:
    """α and β by maximum likelihood from customers who left in periods 1..N (lost) and customers still there when
    last seen after 0..N periods (still): several cohorts observed for different lengths (L-BFGS-B on
    log-parameters, analytic gradient, best of a few starts)."""
    lost, still = np.asarray(lost, float), np.asarray(still, float)
    if len(still) != len(lost) + 1 or np.any(lost < 0) or np.any(still < 0):
        raise ValueError("lost covers periods 1..N and still periods 0..N, both counts of at least 0")
    total = float(lost.sum() + still.sum())
    if lost.sum() == 0:
        raise ValueError("nobody left: the sBG model cannot be fitted")
    fits = [
        minimize(
            _objective,
            np.log(start),
            args=(lost, still, total),
            jac=True,
            method="L-BFGS-B",
            bounds=[(-12.0, 12.0)] * 2,
            options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10},
        )
        for start in ([1.0, 1.0], [0.5, 3.0], [3.0, 10.0])
    ]
    best = min(fits, key=lambda f: f.fun)
    alpha, beta = (float(v) for v in np.exp(best.x))
    settled = bool(np.isfinite(best.fun) and (best.success or np.max(np.abs(best.jac)) < 1e-6))
    return Sbg(alpha, beta, -best.fun * total, int(total), len(lost), settled)


def tenure_counts(periods: np.ndarray, left: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lost, still) for fit_counts from each customer's whole periods and whether they left: a customer who left
    counts as lost in their period (at least 1), one still there as still after their periods."""
    periods, left = np.asarray(periods, int), np.asarray(left, bool)
    if np.any(periods < 0) or np.any(left & (periods < 1)):
        raise ValueError("periods must be at least 0, and at least 1 for a customer who left")
    top = int(periods.max()) if len(periods) else 0
    lost = np.bincount(periods[left], minlength=top + 1)[1:].astype(float)
    still = np.bincount(periods[~left], minlength=top + 1).astype(float)
    return lost, still


def kaplan_meier(lost: np.ndarray, still: np.ndarray) -> np.ndarray:
    """Share still a customer after 0..N periods, the Kaplan-Meier way: at period t the customers at risk are those
    not yet lost and not last seen before t; equals survivors ÷ starters for one cohort seen for all periods."""
    lost, still = np.asarray(lost, float), np.asarray(still, float)
    at_risk = lost[::-1].cumsum()[::-1] + still[::-1].cumsum()[::-1][1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        kept = np.where(at_risk > 0, 1 - lost / np.where(at_risk > 0, at_risk, 1), np.nan)
    out = np.concatenate([[1.0], np.cumprod(kept)])
    return out


def derl(model: Sbg, tenure: np.ndarray, discount_rate: float, horizon: int | None = None) -> np.ndarray:
    """Discounted expected residual lifetime of customers still there after `tenure` periods: Σ_{k≥1} of
    S(tenure+k)/S(tenure) ÷ (1+d)^k, i.e. the renewals still to come, each discounted (Fader & Hardie 2010).

    Without a horizon the sum runs forever, in closed form ₂F₁(1, β+n; α+β+n; 1/(1+d)) − 1; that needs d > 0
    (or α > 1). With a horizon it stops after `horizon` further periods.
    """
    from scipy.special import hyp2f1

    n = np.asarray(tenure, float)
    if np.any(n < 0) or not np.all(np.isfinite(n)):
        raise ValueError("tenure must be finite and at least 0")
    if discount_rate < 0:
        raise ValueError("the discount rate cannot be negative")
    a, b = model.alpha, model.beta
    if horizon is None:
        if discount_rate == 0 and a <= 1:
            raise ValueError("with α ≤ 1 the undiscounted residual lifetime is infinite; give a horizon or a rate")
        return hyp2f1(1.0, b + n, a + b + n, 1 / (1 + discount_rate)) - 1
    k = np.arange(1, horizon + 1, dtype=float)
    # S(n+k)/S(n) = Π_{j=1..k} (β+n+j−1)/(α+β+n+j−1), computed per distinct tenure
    distinct, inverse = np.unique(n, return_inverse=True)
    ratio = np.cumprod((b + distinct[:, None] + k[None, :] - 1) / (a + b + distinct[:, None] + k[None, :] - 1), axis=1)
    values = ratio @ (1 + discount_rate) ** -k
    return values[inverse.ravel()]


def data_needs(survivors: np.ndarray) -> list[str]:
    """What a survivor table lacks for a trustworthy sBG fit, in words; empty when it is enough."""
    counts = np.asarray(survivors, float)
    problems = []
    start = int(counts[0]) if len(counts) else 0
    if start < MIN_STARTERS:
        problems.append(f"only {start:,} customers start the survivor table; the model needs at least {MIN_STARTERS:,}")
    if len(counts) - 1 < MIN_PERIODS:
        problems.append(f"the table covers {max(len(counts) - 1, 0)} periods; the model needs at least {MIN_PERIODS}")
    if len(counts) > 1 and counts[-1] == counts[0]:
        problems.append("nobody left during the table, so the model has no departures to learn from")
    return problems
