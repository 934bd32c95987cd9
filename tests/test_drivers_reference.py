"""The Drivers page's multivariable logistic regression against statsmodels' unpenalised Logit on the same data.

statsmodels is a test-only dependency (requirements.txt, "Tests and tooling"); the page fits with numpy and scipy.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from dashboard.metrics.drivers import model
from dashboard.metrics.drivers import spec as drivers
from tests.test_drivers_metrics import effects_of_frame

TRUE_LOG_ODDS = np.array([-1.2, 0.9, -0.6, 0.0, 0.45])
"""Intercept and four drivers: a strong bad side, a protective one, one without effect, a mild one."""


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    """3,000 customers with four correlated yes/no drivers and an outcome drawn from TRUE_LOG_ODDS (seeded)."""
    rng = np.random.default_rng(16)
    n = 3_000
    base = rng.random(n)
    x = np.column_stack(
        [
            base < 0.35,
            rng.random(n) < 0.5,
            (base < 0.25) | (rng.random(n) < 0.2),  # overlaps the first driver: adjusted differs from crude
            rng.random(n) < 0.15,
        ]
    ).astype(float)
    eta = TRUE_LOG_ODDS[0] + x @ TRUE_LOG_ODDS[1:]
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    return x, y


@pytest.fixture(scope="module")
def reference(data):
    """statsmodels' maximum-likelihood fit (no penalty) of the same design."""
    x, y = data
    return sm.Logit(y, sm.add_constant(x)).fit(disp=0, method="newton", tol=1e-12)


def test_coefficients_and_standard_errors_match_statsmodels(data, reference):
    """Log-odds within 1e-3 and standard errors within 0.1 % of statsmodels (the page's ridge of 1e-4 is negligible)."""
    x, y = data
    beta, se = model.logistic(x, y)
    np.testing.assert_allclose(beta, reference.params, atol=1e-3)
    np.testing.assert_allclose(se, reference.bse, rtol=1e-3)
    # and the fit found the effects it was drawn from: strong bad side up, protective one down, the null one near 0
    assert beta[1] > 0.6 and beta[2] < -0.3 and abs(beta[3]) < 0.25


def test_the_tables_adjusted_odds_ratios_and_intervals_match_statsmodels(data, reference):
    """The driver table's adjusted odds ratio and 95 % interval are exp(β) and exp(β ± 1.96 se) of statsmodels' fit,
    to 0.1 %; the crude odds ratio of the overlapping driver differs from its adjusted one."""
    x, y = data
    columns = [f"d{j}" for j in range(x.shape[1])]
    frame = pd.DataFrame(x.astype(bool), columns=columns).assign(outcome=y.astype(bool), cost=np.nan)
    found = [drivers.Driver(c, f"driver {c}", drivers.PAIN) for c in columns]
    table = effects_of_frame(frame, found).set_index("column")
    ci = np.asarray(reference.conf_int(alpha=0.05))
    for j, column in enumerate(columns, start=1):
        row = table.loc[column]
        assert row["adjusted_or"] == pytest.approx(math.exp(reference.params[j]), rel=1e-3)
        assert row["adjusted_low"] == pytest.approx(math.exp(ci[j, 0]), rel=1e-3)
        assert row["adjusted_high"] == pytest.approx(math.exp(ci[j, 1]), rel=1e-3)
    assert table.loc["all", "model_rows"] == len(y)
    assert abs(math.log(table.loc["d2", "odds_ratio"]) - reference.params[3]) > 0.2
