"""Customer lifetime value as pure functions on arrays: simple (margin × years) and BG/NBD with Gamma-Gamma spend.

BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way", Marketing Science 24(2)): while
alive a customer buys at a Poisson rate λ ~ Gamma(r, α); after each purchase they drop out with probability
p ~ Beta(a, b). A customer's history is x repeat purchases, the time t_x of the last one and the time T
observed, both counted from the first purchase. Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV",
Journal of Marketing Research 42(4)): the mean spend z̄ of a customer's x repeat purchases has a
Gamma(px, νx) law with ν ~ Gamma(q, γ), independent of the purchase process.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import OptimizeResult, minimize
from scipy.special import betaln, digamma, gammaln, hyp2f1, roots_jacobi

WEEKS_PER_YEAR = 365.25 / 7
MIN_REPEAT_BUYERS = 100
"""Fewest customers with a repeat purchase for which CX Lens fits BG/NBD or Gamma-Gamma."""
MIN_HISTORY_WEEKS = 26.0
"""Shortest span from the first purchase in the data to the as-of day for which CX Lens fits BG/NBD."""
LOG_BOUND = 12.0
"""Fitted parameters are searched between e^-12 and e^12; a result within EDGE of that limit is reported (`on_edge`)."""
EDGE = 0.1
SETTLED_GRADIENT = 1e-6
"""A fit has settled when the largest gradient of the mean log-likelihood (in log-parameters) is below this, even if
the line search then gave up: near the optimum L-BFGS-B often stops with "ABNORMAL" because no step lowers a value
already flat to the last bits."""


# -- simple lifetime value -----------------------------------------------------------------


def annuity_factor(years: float, discount_rate: float) -> float:
    """Present value of 1 a year received at the end of each year for `years` years at discount_rate (years when 0)."""
    if years < 0 or discount_rate < 0:
        raise ValueError("years and the discount rate cannot be negative")
    if discount_rate == 0:
        return float(years)
    return (1 - (1 + discount_rate) ** -years) / discount_rate


# -- data preparation ----------------------------------------------------------------------


@dataclass(frozen=True)
class Compressed:
    """Identical (x, t_x, T) histories counted once with their weight, so a fit costs per distinct history."""

    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    weight: np.ndarray


def compress(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> Compressed:
    """Distinct (x, t_x, T) rows of the inputs with how many customers share each."""
    stacked = np.column_stack([np.asarray(x, float), np.asarray(t_x, float), np.asarray(T, float)])
    unique, counts = np.unique(stacked, axis=0, return_counts=True)
    return Compressed(unique[:, 0], unique[:, 1], unique[:, 2], counts.astype(float))


def check_history(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> None:
    """ValueError unless every history has x ≥ 0 whole purchases and 0 ≤ t_x ≤ T."""
    x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
    if not (len(x) == len(t_x) == len(T)):
        raise ValueError("x, t_x and T must have the same length")
    if np.any(~np.isfinite(x)) or np.any(~np.isfinite(t_x)) or np.any(~np.isfinite(T)):
        raise ValueError("x, t_x and T must be finite numbers")
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("x (repeat purchases) must be whole numbers ≥ 0")
    if np.any(t_x < 0) or np.any(t_x > T + 1e-9):
        raise ValueError("t_x must lie between 0 and T")
    if np.any((x == 0) & (t_x > 0)):
        raise ValueError("a customer without repeat purchases has t_x = 0")


# -- BG/NBD --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BgNbd:
    """Fitted BG/NBD parameters (time in the unit of t_x and T) and the log-likelihood at them."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int
    converged: bool = True
    on_edge: bool = False
    """A parameter reached the search limit: the optimum lies at infinity (e.g. every customer buys at one rate)."""


def bgnbd_log_likelihood(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Each customer's BG/NBD log-likelihood at params = (r, α, a, b) (Fader, Hardie & Lee 2005, eq. 6)."""
    r, alpha, a, b = (float(v) for v in params)
    x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    a4 = np.full_like(x, -np.inf)
    a4[repeat] = np.log(a) - np.log(b + x[repeat] - 1) - (r + x[repeat]) * np.log(alpha + t_x[repeat])
    return a1 + a2 + np.logaddexp(a3, a4)


def _bgnbd_objective(log_params: np.ndarray, data: Compressed, total: float) -> tuple[float, np.ndarray]:
    """Minus the mean log-likelihood and its gradient in log-parameters."""
    r, alpha, a, b = np.exp(log_params)
    x, t_x, T, w = data.x, data.t_x, data.T, data.weight
    repeat = x > 0
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(b + x) - gammaln(a + b + x) - gammaln(b) + gammaln(a + b)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.full_like(x, -np.inf)
    xb = np.where(repeat, b + x - 1, 1.0)
    a4[repeat] = np.log(a) - np.log(xb[repeat]) - (r + x[repeat]) * np.log(alpha + t_x[repeat])
    mix = np.logaddexp(a3, a4)
    ll = a1 + a2 + mix
    share4 = np.exp(a4 - mix)  # weight of the "dropped out after the last purchase" term
    share3 = 1 - share4
    d_r = digamma(r + x) - digamma(r) + np.log(alpha) - share3 * np.log(alpha + T)
    d_r -= np.where(repeat, share4 * np.log(alpha + t_x), 0.0)
    d_alpha = r / alpha - share3 * (r + x) / (alpha + T) - np.where(repeat, share4 * (r + x) / (alpha + t_x), 0.0)
    d_a = digamma(a + b) - digamma(a + b + x) + np.where(repeat, share4 / a, 0.0)
    d_b = digamma(b + x) - digamma(a + b + x) - digamma(b) + digamma(a + b) - np.where(repeat, share4 / xb, 0.0)
    grad = np.array([np.dot(w, d) for d in (d_r, d_alpha, d_a, d_b)]) * np.array([r, alpha, a, b])
    return -float(np.dot(w, ll)) / total, -grad / total


def _best_fit(objective, starts: tuple[list[float], ...], args: tuple) -> OptimizeResult:
    """The lowest of L-BFGS-B minimisations of objective (value and gradient over log-parameters) from each start."""
    fits = [
        minimize(
            objective,
            np.log(start),
            args=args,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-LOG_BOUND, LOG_BOUND)] * len(start),
            options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10},
        )
        for start in starts
    ]
    return min(fits, key=lambda fit: fit.fun)


def settled(fit: OptimizeResult, on_edge: bool) -> bool:
    """Whether a minimisation reached a usable optimum: a finite value and either scipy's own success, a parameter at the
    search limit, or a gradient below SETTLED_GRADIENT on the parameters inside the limits."""
    if not np.isfinite(fit.fun):
        return False
    if fit.success or on_edge:
        return True
    inside = np.abs(np.asarray(fit.x)) < LOG_BOUND - EDGE
    gradient = np.asarray(fit.jac, float)[inside]
    return bool(np.all(np.isfinite(gradient)) and np.max(np.abs(gradient), initial=0.0) <= SETTLED_GRADIENT)


def fit_bgnbd(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> BgNbd:
    """BG/NBD parameters by maximum likelihood (L-BFGS-B on log-parameters, analytic gradient)."""
    check_history(x, t_x, T)
    data = compress(x, t_x, T)
    total = float(data.weight.sum())
    if total == 0:
        raise ValueError("no customers to fit")
    scale = max(float(np.mean(T)), 1e-6)
    best = _best_fit(_bgnbd_objective, ([1.0, scale, 1.0, 1.0], [0.5, scale / 2, 0.5, 2.0]), (data, total))
    r, alpha, a, b = (float(v) for v in np.exp(best.x))
    on_edge = bool(np.any(np.abs(best.x) >= LOG_BOUND - EDGE))
    return BgNbd(r, alpha, a, b, -best.fun * total, int(total), settled(best, on_edge), on_edge)


def p_alive(model: BgNbd, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Probability each customer is still alive at T: 1 / (1 + [x>0] · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))."""
    x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
    repeat = x > 0
    log_odds = np.full_like(x, -np.inf)
    log_odds[repeat] = (
        np.log(model.a)
        - np.log(model.b + x[repeat] - 1)
        + (model.r + x[repeat]) * (np.log(model.alpha + T[repeat]) - np.log(model.alpha + t_x[repeat]))
    )
    return 1 / (1 + np.exp(log_odds))


def expected_purchases_if_alive(model: BgNbd, t: float, x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Expected purchases in (T, T+t] of a customer known to be alive at T.

    (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x; a+b+x−1; z)], z = t/(α+T+t) (FHL 2005, eq. 10
    without P(alive)), computed through Euler's transformation ₂F₁(A,B;C;z) = (1−z)^(C−A−B) ₂F₁(C−A, C−B; C; z).
    Where that series cannot be evaluated (parameters at the search limit), the same expectation is integrated
    numerically: E over p ~ Beta(a, b+x) of [1 − ((α+T)/(α+T+pt))^(r+x)] / p.
    """
    x, T = np.asarray(x, float), np.asarray(T, float)
    r, alpha, b = model.r, model.alpha, model.b
    a = model.a if abs(model.a - 1) > 1e-7 else 1 + 1e-7  # the formula has a removable singularity at a = 1
    if t <= 0:
        return np.zeros_like(x)
    z = t / (alpha + T + t)
    c = a + b + x - 1
    with np.errstate(all="ignore"):
        tail = np.exp((a - 1) * np.log1p(-z)) * hyp2f1(a + b - 1 - r, a - 1, c, z)
        result = c / (a - 1) * (1 - tail)
    bad = ~np.isfinite(result) | (result < 0)
    if np.any(bad):
        result[bad] = _expected_if_alive_by_quadrature(model, t, x[bad], T[bad])
    return result


QUADRATURE_NODES = 96


def _expected_if_alive_by_quadrature(model: BgNbd, t: float, x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """E over p ~ Beta(a, b+x) of [1 − ((α+T)/(α+T+pt))^(r+x)] / p by Gauss-Jacobi quadrature, grouped by x."""
    out = np.empty_like(x)
    for value in np.unique(x):
        rows = x == value
        nodes, weights = roots_jacobi(QUADRATURE_NODES, model.b + value - 1, model.a - 1)
        p = (1 + nodes) / 2  # from [-1, 1] to [0, 1]
        base = model.alpha + T[rows][:, None]
        survive = np.exp(-(model.r + value) * np.log1p(p[None, :] * t / base))
        out[rows] = ((1 - survive) / p[None, :]) @ weights / weights.sum()
    return out


def expected_purchases(model: BgNbd, t: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Expected purchases in (T, T+t] given the history: P(alive) × expected purchases if alive (FHL 2005, eq. 10)."""
    return p_alive(model, x, t_x, T) * expected_purchases_if_alive(model, t, x, T)


# -- Gamma-Gamma spend ---------------------------------------------------------------------


@dataclass(frozen=True)
class GammaGamma:
    """Fitted Gamma-Gamma spend parameters and the log-likelihood at them."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    customers: int
    converged: bool = True
    on_edge: bool = False
    """A parameter reached the search limit: the optimum lies at infinity (e.g. spend hardly varies within a customer)."""

    @property
    def mean_spend(self) -> float:
        """Population mean spend per purchase: pγ/(q−1) (infinite when q ≤ 1)."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else math.inf


def gamma_gamma_log_likelihood(params: np.ndarray, x: np.ndarray, zbar: np.ndarray) -> np.ndarray:
    """Each repeat buyer's log-density of mean spend zbar over x purchases at params = (p, q, γ)."""
    p, q, g = (float(v) for v in params)
    x, zbar = np.asarray(x, float), np.asarray(zbar, float)
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(g)
        + (px - 1) * np.log(zbar)
        + px * np.log(x)
        - (px + q) * np.log(g + x * zbar)
    )


def _gg_objective(log_params: np.ndarray, x: np.ndarray, zbar: np.ndarray) -> tuple[float, np.ndarray]:
    p, q, g = np.exp(log_params)
    ll = gamma_gamma_log_likelihood((p, q, g), x, zbar)
    px = p * x
    spend = np.log(g + x * zbar)
    d_p = x * (digamma(px + q) - digamma(px) + np.log(zbar) + np.log(x) - spend)
    d_q = digamma(px + q) - digamma(q) + np.log(g) - spend
    d_g = q / g - (px + q) / (g + x * zbar)
    n = len(x)
    grad = np.array([d_p.sum(), d_q.sum(), d_g.sum()]) * np.array([p, q, g])
    return -float(ll.sum()) / n, -grad / n


def fit_gamma_gamma(x: np.ndarray, zbar: np.ndarray) -> GammaGamma:
    """Gamma-Gamma parameters by maximum likelihood on repeat buyers (x ≥ 1, mean spend zbar > 0)."""
    x, zbar = np.asarray(x, float), np.asarray(zbar, float)
    if len(x) != len(zbar):
        raise ValueError("x and zbar must have the same length")
    if len(x) == 0:
        raise ValueError("no repeat buyers to fit")
    if np.any(x < 1) or np.any(~(zbar > 0)):
        raise ValueError("Gamma-Gamma needs repeat buyers (x ≥ 1) with a positive mean spend")
    scale = float(np.mean(zbar))
    best = _best_fit(_gg_objective, ([1.0, 2.0, scale], [5.0, 3.0, scale * 2]), (x, zbar))
    p, q, g = (float(v) for v in np.exp(best.x))
    on_edge = bool(np.any(np.abs(best.x) >= LOG_BOUND - EDGE))
    return GammaGamma(p, q, g, -best.fun * len(x), len(x), settled(best, on_edge), on_edge)


def expected_spend(model: GammaGamma, x: np.ndarray, zbar: np.ndarray) -> np.ndarray:
    """Expected spend per purchase given x repeat purchases of mean zbar: p(γ + x·zbar) / (px + q − 1)."""
    x, zbar = np.asarray(x, float), np.nan_to_num(np.asarray(zbar, float))
    return model.p * (model.gamma + x * zbar) / (model.p * x + model.q - 1)


# -- probabilistic lifetime value ----------------------------------------------------------


def yearly_expected_purchases_if_alive(
    model: BgNbd, years: int, x: np.ndarray, T: np.ndarray, unit_per_year: float
) -> np.ndarray:
    """Cumulative expected purchases if alive over the next 1, 2, ..., years years: shape (customers, years).

    The expectation depends on (x, T) only, so it is computed once per distinct pair.
    """
    x, T = np.asarray(x, float), np.asarray(T, float)
    if len(x) == 0:
        return np.zeros((0, years))
    pairs, inverse = np.unique(np.column_stack([x, T]), axis=0, return_inverse=True)
    distinct = np.column_stack(
        [expected_purchases_if_alive(model, k * unit_per_year, pairs[:, 0], pairs[:, 1]) for k in range(1, years + 1)]
    )
    return distinct[inverse.ravel()]


# -- data needs ----------------------------------------------------------------------------


def data_needs(x: np.ndarray, history_weeks: float) -> list[str]:
    """What the data lacks for a trustworthy BG/NBD and Gamma-Gamma fit, in words; empty when it is enough."""
    x = np.asarray(x, float)
    problems = []
    repeaters = int(np.sum(x > 0))
    if repeaters < MIN_REPEAT_BUYERS:
        who = {0: "no customer", 1: "only 1 customer"}.get(repeaters, f"only {repeaters:,} customers")
        problems.append(f"{who} bought more than once; the models need at least {MIN_REPEAT_BUYERS:,} repeat buyers")
    if history_weeks < MIN_HISTORY_WEEKS:
        problems.append(
            f"the purchase history covers {history_weeks:,.0f} weeks; the models need at least {MIN_HISTORY_WEEKS:,.0f} weeks"
        )
    return problems
