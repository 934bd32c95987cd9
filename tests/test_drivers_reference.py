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


def test_a_fit_where_a_full_newton_step_runs_away_still_matches_statsmodels(sample_db_file):
    """Residential customers of January to June 2024 in the sample (11,837, 617 who left, 25 drivers in the model):
    the first full Newton step overshot until every probability was 0 or 1, and the page showed no adjusted odds ratio
    at all. With the step halved until the likelihood does not fall, every driver gets one, equal to statsmodels'
    binomial fit of the same grouped customers to 1 % (the page's ridge of 1e-4 is all that differs)."""
    from datetime import date

    from dashboard.metrics.behaviours import adoption
    from dashboard.metrics.drivers import counts, effects
    from dashboard.metrics.scope import Filters
    from dashboard.store import Store

    store = Store(sample_db_file)
    version = store.active_version("sample")
    filters = Filters(segments=("Residential",), month_from=date(2024, 1, 1), month_to=date(2024, 6, 1))
    spec = drivers.DriverSpec(filters, drivers.DEFECTION, None, adoption.catalogue_for(store, version))
    with store.cursor() as cur:
        table = effects.effects(cur, version, spec).set_index("column")
        found = counts.counts(cur, version, spec)
        sides = [s for s in effects._sides(found) if 0 < effects._on(found, s).customers < found.total.customers]
        groups = model.sample_groups(cur, found.population, found.total.customers, spec.model_rows)
        x, n, hits = model._on_sides(groups, sides)
    store.close()
    assert table.loc["all", "model_rows"] == n.sum() == 11_837
    sums = n @ x
    groups: dict[str, list[int]] = {}
    for j, side in enumerate(sides):
        if side.driver.group:
            groups.setdefault(side.driver.group, []).append(j)
    reference_levels = {max(members, key=lambda j: sums[j]) for members in groups.values()}
    used = [j for j in range(len(sides)) if j not in reference_levels]
    fitted = sm.GLM(np.column_stack([hits, n - hits]), sm.add_constant(x[:, used]), family=sm.families.Binomial()).fit()
    assert len(used) >= 20
    for i, j in enumerate(used, start=1):
        column = sides[j].driver.column
        assert table.loc[column, "adjusted_or"] == pytest.approx(math.exp(fitted.params[i]), rel=0.01), column
