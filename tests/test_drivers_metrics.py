"""Drivers metrics: hand-worked 2×2 tables, Holm's correction, the logistic regression on cases worked by hand, a
pandas reference for the headline table on the sample, and the money on a driver."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from dashboard.metrics.behaviours import adoption as behaviours
from dashboard.metrics.drivers import counts, customers, effects, model, money, tipping
from dashboard.metrics.drivers import spec as drivers
from dashboard.metrics.drivers.prepare import pain_select
from dashboard.metrics.scope import Filters
from dashboard.sql import Sql, sql
from dashboard.store import Store


def test_a_two_by_two_table_worked_by_hand():
    # 100 exposed, 20 with the outcome; 100 not exposed, 10 with it
    got = effects.two_by_two(20, 80, 10, 90)
    assert got["rate_with"] == 0.2 and got["rate_without"] == 0.1
    assert got["difference"] == pytest.approx(0.1)
    # Wilson 95 %: 20 of 100 -> 0.13337 to 0.28883; 10 of 100 -> 0.05523 to 0.17437 (centre (p + z²/2n) ÷ (1 + z²/n))
    assert effects.wilson(20, 100) == pytest.approx((0.1333669, 0.2888292), abs=1e-7)
    assert effects.wilson(10, 100) == pytest.approx((0.0552291, 0.1743657), abs=1e-7)
    # Newcombe: 0.1 - sqrt((0.2 - 0.13337)² + (0.17437 - 0.1)²) = 0.00015; 0.1 + sqrt((0.28883 - 0.2)² + (0.1 - 0.05523)²)
    assert got["difference_low"] == pytest.approx(0.000149, abs=1e-6)
    assert got["difference_high"] == pytest.approx(0.199474, abs=1e-6)
    # odds ratio 20 × 90 / (80 × 10) = 2.25; Woolf se of its log = sqrt(1/20 + 1/80 + 1/10 + 1/90) = 5/12
    assert got["odds_ratio"] == pytest.approx(2.25)
    assert got["or_low"] == pytest.approx(2.25 * math.exp(-1.959964 * 5 / 12), rel=1e-6)
    assert got["or_high"] == pytest.approx(2.25 * math.exp(1.959964 * 5 / 12), rel=1e-6)
    assert (round(got["or_low"], 2), round(got["or_high"], 2)) == (0.99, 5.09)
    # z = ln 2.25 ÷ (5/12) = 1.9462, two-sided p = 0.0516
    assert got["p"] == pytest.approx(0.0516, abs=1e-4)


@pytest.mark.parametrize("table", [(20, 80, 10, 90), (1, 2, 2, 1), (0, 3, 3, 0), (0, 10, 0, 10), (5, 0, 1, 4), (7, 993, 0, 12)])
def test_the_difference_interval_is_newcombes_and_stays_within_100_points(table):
    """statsmodels' Newcombe interval as the reference; on few customers with a rate of 0 % or 100 % the Wald interval
    ran past ±100 points (seen: -108.8 to 42.1 points, 3 customers a side) or had no width at all."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    a, b, c, d = table
    got = effects.two_by_two(*table)
    low, high = confint_proportions_2indep(a, a + b, c, c + d, method="newcomb", compare="diff")
    assert (got["difference_low"], got["difference_high"]) == pytest.approx((low, high), abs=1e-9)
    assert -1 <= got["difference_low"] <= got["difference"] <= got["difference_high"] <= 1
    assert got["difference_low"] < got["difference_high"]  # some width, even at 0 of 10 against 0 of 10


def test_an_empty_cell_gets_haldanes_half_in_every_cell():
    # nobody exposed has the outcome: 0.5 × 5.5 / (10.5 × 5.5) = 1/21, se = sqrt(1/0.5 + 1/10.5 + 2/5.5)
    got = effects.two_by_two(0, 10, 5, 5)
    assert got["rate_with"] == 0.0 and got["rate_without"] == 0.5
    assert got["odds_ratio"] == pytest.approx(1 / 21)
    se = math.sqrt(2 + 1 / 10.5 + 2 / 5.5)
    assert got["or_high"] == pytest.approx(math.exp(math.log(1 / 21) + 1.959964 * se), rel=1e-6)
    assert all(math.isfinite(got[k]) for k in ("odds_ratio", "or_low", "or_high", "p"))


def test_holm_multiplies_the_k_th_smallest_p_by_m_minus_k_plus_one_and_keeps_the_order():
    # sorted: .005 × 4 = .02; .01 × 3 = .03; .03 × 2 = .06; .04 × 1 = .04, raised to .06 to keep the order
    assert effects.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert effects.holm([0.5, 0.9]) == [1.0, 1.0]
    assert effects.holm([]) == []


def test_the_regression_on_one_driver_gives_the_tables_odds_ratio_and_woolf_interval():
    x = np.array([1] * 100 + [0] * 100, dtype=float)[:, None]
    y = np.array([1] * 20 + [0] * 80 + [1] * 10 + [0] * 90, dtype=float)
    beta, se = model.logistic(x, y)
    assert math.exp(beta[1]) == pytest.approx(2.25, rel=1e-3)
    assert se[1] == pytest.approx(5 / 12, rel=1e-3)
    assert math.exp(beta[0]) == pytest.approx(10 / 90, rel=1e-3)  # the odds without the driver


def test_the_regression_finds_no_link_where_there_is_none_and_recovers_a_known_effect():
    # perfect independence: 30 % with the outcome whether exposed or not
    x = np.array([1] * 100 + [0] * 100, dtype=float)[:, None]
    y = np.array(([1] * 30 + [0] * 70) * 2, dtype=float)
    beta, _ = model.logistic(x, y)
    assert math.exp(beta[1]) == pytest.approx(1.0, abs=1e-6)
    # a synthetic effect: log-odds = -1 + 0.8 x1 - 0.5 x2, x1 and x2 correlated
    rng = np.random.default_rng(7)
    x1 = rng.random(40_000) < 0.4
    x2 = rng.random(40_000) < np.where(x1, 0.6, 0.3)
    eta = -1 + 0.8 * x1 - 0.5 * x2
    y = (rng.random(40_000) < 1 / (1 + np.exp(-eta))).astype(float)
    beta, se = model.logistic(np.column_stack([x1, x2]).astype(float), y)
    assert beta[1] == pytest.approx(0.8, abs=3 * se[1]) and beta[2] == pytest.approx(-0.5, abs=3 * se[2])
    assert se[1] < 0.04


def effects_of_frame(frame: pd.DataFrame, found: list[drivers.Driver]) -> pd.DataFrame:
    """The driver table of per-customer rows given as a frame (outcome, cost, one boolean column per driver), counted by
    the same grouped SQL as the page's."""
    con = duckdb.connect()
    con.register("people", frame)
    rows = Sql("select *, row_number() over () as row_order, 'all' as segment_key from people")
    population = customers.Population(rows, tuple(found))
    return effects.effects_of(con, counts.counted(con, population))


def _frame(rows: list[tuple[bool, bool, bool]]) -> tuple[pd.DataFrame, list[drivers.Driver]]:
    frame = pd.DataFrame(rows, columns=["outcome", "pain_complaint", "pain_repeat"])
    frame["cost"] = np.nan
    return frame, [
        drivers.Driver("pain_complaint", "made a complaint", drivers.PAIN),
        drivers.Driver("pain_repeat", "r", drivers.PAIN),
    ]


def test_the_table_leaves_out_a_driver_everyone_shows_and_puts_the_population_first():
    # 4 complainers, 3 of whom left; 6 others, 1 of whom left; everyone repeated (cannot split)
    rows = [(True, True, True)] * 3 + [(False, True, True)] + [(True, False, True)] + [(False, False, True)] * 5
    table = effects_of_frame(*_frame(rows))
    assert list(table["driver"]) == ["all customers", "made a complaint"]
    total, row = table.iloc[0], table.iloc[1]
    assert (total["customers"], total["outcomes"], total["rate_with"]) == (10, 4, 0.4)
    assert (row["exposed"], row["prevalence"], row["rate_with"]) == (4, 0.4, 0.75)
    assert row["rate_without"] == pytest.approx(1 / 6)
    assert row["odds_ratio"] == pytest.approx(3 * 5 / (1 * 1))
    assert row["p_holm"] == pytest.approx(row["p"])  # one driver tested
    assert row["adjusted_or"] == pytest.approx(15, rel=0.02)  # alone in the model: the crude odds ratio


def test_money_on_a_driver_is_customers_times_the_gap_times_lifetime_value():
    table = pd.DataFrame(
        [
            {"driver": "all customers", "kind": "all", "exposed": 1000, "difference": None, "cost_with": 5.0},
            {
                "driver": "made a complaint",
                "kind": drivers.PAIN,
                "exposed": 200,
                "rate_with": 0.3,
                "rate_without": 0.1,
                "difference": 0.2,
                "cost_with": 40.0,
                "cost_without": 10.0,
            },
            {
                "driver": "segment is Home",
                "kind": drivers.ATTRIBUTE,
                "exposed": 500,
                "rate_with": 0.3,
                "rate_without": 0.1,
                "difference": 0.2,
                "cost_with": 9.0,
                "cost_without": 9.0,
            },
            {
                "driver": "no E-billing",
                "kind": drivers.BEHAVIOUR,
                "exposed": 300,
                "rate_with": 0.1,
                "rate_without": 0.2,
                "difference": -0.1,
                "cost_with": 9.0,
                "cost_without": 9.0,
            },
        ]
    )
    worth = money.worth(table, 7000.0)
    # 200 complainers × 20 points × $7,000 = $280,000; an attribute is no lever; a protective side is worth nothing
    assert list(worth["driver"]) == ["made a complaint"]
    assert worth.loc[0, "extra_defectors"] == pytest.approx(40)
    assert worth.loc[0, "worth"] == pytest.approx(280_000)
    assert worth.loc[0, "cost_difference"] == pytest.approx(30)


@pytest.fixture
def sample_cursor(sample_db_file: Path):
    store = Store(sample_db_file)
    version = store.active_version("sample")
    with store.cursor() as cur:
        yield cur, version, behaviours.catalogue_for(store, version)
    store.close()


def test_the_headline_table_agrees_with_a_pandas_reference_on_the_sample(sample_cursor):
    cur, version, catalogue = sample_cursor
    table = effects.effects(cur, version, drivers.DriverSpec(catalogue=catalogue)).set_index("driver")
    people = cur.execute(f"select customer_id, counts_as_customer, defected from {version.table('stg_customers')}").df()
    contacts = cur.execute(
        f"select customer_id, is_complaint, repeat, resolved_at_first_contact from {version.table('stg_contacts')}"
    ).df()
    customers = people[people["counts_as_customer"]].copy()
    customers["left"] = customers["defected"].fillna(False).astype(bool)
    complaints = contacts[contacts["is_complaint"].fillna(False).astype(bool)]
    unresolved = complaints[complaints["resolved_at_first_contact"].eq(False)]
    repeats = contacts[contacts["repeat"].fillna(False).astype(bool)]
    for name, who in (
        ("made a complaint", complaints),
        ("a complaint not resolved at first contact", unresolved),
        ("a repeat contact", repeats),
    ):
        exposed = customers["customer_id"].isin(set(who["customer_id"]))
        row = table.loc[name]
        assert row["customers"] == len(customers)
        assert row["exposed"] == exposed.sum()
        assert row["rate_with"] == pytest.approx(customers.loc[exposed, "left"].mean())
        assert row["rate_without"] == pytest.approx(customers.loc[~exposed, "left"].mean())
    assert table.loc["all customers", "rate_with"] == pytest.approx(customers["left"].mean())
    significant = table[table["p_holm"] < 0.05]
    assert "a complaint not resolved at first contact" in significant.index


def test_a_months_filter_sums_the_prepared_months_to_what_a_recount_of_their_touchpoints_gives(sample_cursor):
    """Journey pain per customer for March to August 2024, summed from dr_pain_months, against the touchpoints of those
    months counted again: contacts and complaints on their first step, complaints not resolved at first contact,
    repeats, the slowest complaint's days and whether two channels or more were contacted on."""
    cur, version, _catalogue = sample_cursor
    filters = Filters(month_from=date(2024, 3, 1), month_to=date(2024, 8, 1))
    people = version.table("bh_customers")
    query = sql(f"select b.customer_id, p.* from ({{}}) p join {people} b using (cid)", pain_select(version, filters))
    summed = cur.execute(*query).df()
    recounted = cur.execute(
        f"""
        select customer_id,
               count(*) filter (where is_contact and first_step) as contacts,
               count(*) filter (where is_complaint and first_step) as complaints,
               count(*) filter (where is_complaint and not resolved_at_first_contact) as complaints_not_fcr,
               max(epoch(resolved_ts - ts) / 86400.0) filter (where is_complaint and resolved_ts >= ts) as resolve_days,
               count(*) filter (where repeat) as repeats,
               count(distinct lower(trim(channel))) filter (where is_contact and first_step) >= 2 as switched
        from {version.table("stg_contacts")}
        where ts >= timestamp '2024-03-01' and ts < timestamp '2024-09-01'
        group by customer_id
        """
    ).df()
    both = summed.merge(recounted, on="customer_id", how="outer", suffixes=("", "_recount"), indicator=True)
    assert len(recounted) > 1000 and (both["_merge"] == "both").all()
    for column in ("contacts", "complaints", "complaints_not_fcr", "repeats"):
        assert (both[column] == both[f"{column}_recount"]).all(), column
    assert both["switched"].fillna(False).astype(bool).equals(both["switched_recount"].astype(bool))
    np.testing.assert_allclose(both["resolve_days"].astype(float), both["resolve_days_recount"].astype(float))


def test_low_satisfaction_reads_the_scale_and_conversion_counts_leads(sample_cursor):
    cur, version, catalogue = sample_cursor
    low = effects.effects(cur, version, drivers.DriverSpec(outcome=drivers.LOW_SATISFACTION, catalogue=catalogue))
    assert low.loc[0, "threshold"] == 2.0  # a 1-5 scale
    scores = cur.execute(
        f"""select c.satisfaction from {version.table("customers")} c
            join {version.table("stg_customers")} s using (customer_id)
            where s.counts_as_customer and c.satisfaction is not null"""
    ).df()["satisfaction"]
    assert low.loc[0, "customers"] == len(scores)
    assert low.loc[0, "rate_with"] == pytest.approx((scores <= 2).mean())
    conversion = effects.effects(cur, version, drivers.DriverSpec(outcome=drivers.CONVERSION, catalogue=catalogue))
    people = cur.execute(f"select counts_as_customer from {version.table('stg_customers')}").df()["counts_as_customer"]
    assert conversion.loc[0, "customers"] == len(people)
    assert conversion.loc[0, "rate_with"] == pytest.approx(people.mean())
    assert not conversion["driver"].str.startswith("main product").any(), "leads buy no product: no driver of buying"


@pytest.mark.parametrize("outcome", [drivers.DEFECTION, drivers.LOW_SATISFACTION, drivers.CONVERSION])
def test_a_segment_filter_summed_from_the_count_of_every_segment_is_the_count_of_its_customers(
    sample_cursor, outcome, monkeypatch
):
    """The page answers a segment filter from the count over every segment (kept): per driver, level and measure value
    the same customers and outcomes as counting the filtered customers themselves, and the same costs (to 1e-9: sums
    in another order), and so the same table."""
    cur, version, catalogue = sample_cursor
    segments = [r[0] for r in cur.execute(f"select distinct segment from {version.table('customers')} order by 1").fetchall()]
    assert len(segments) >= 3
    for picked in ([segments[0]], segments[1:3], ["no such segment"]):
        counts.clear_kept()
        spec = drivers.DriverSpec(Filters(segments=tuple(picked)), outcome, catalogue=catalogue).validate()
        counts.counts(cur, version, spec.in_every_segment())  # the page opened on every segment first
        with monkeypatch.context() as patched:
            patched.setattr(counts, "cube", lambda *a: pytest.fail("a segment filter counted the customers again"))
            summed = counts.counts(cur, version, spec)
        direct = counts.counted(cur, customers.population(cur, version, spec))
        assert summed.has_cost == direct.has_cost
        for got, want in ((summed.by_value, direct.by_value), ({"": {"": summed.total}}, {"": {"": direct.total}})):
            assert {c: {v: (x.hits, x.misses) for v, x in cells.items()} for c, cells in got.items()} == {
                c: {v: (x.hits, x.misses) for v, x in cells.items()} for c, cells in want.items()
            }
            costs = {(c, v): x.cost for c, cells in want.items() for v, x in cells.items()}
            assert {(c, v): x.cost for c, cells in got.items() for v, x in cells.items()} == pytest.approx(costs, rel=1e-9)
        if picked != ["no such segment"]:
            assert (
                0
                < summed.total.customers
                < counts.counted(cur, customers.population(cur, version, spec.in_every_segment())).total.customers
            )
    counts.clear_kept()


@pytest.mark.parametrize("model_rows", [drivers.MODEL_ROWS, 700])
def test_a_one_segment_filter_fits_its_model_on_the_customers_it_would_sample_itself_without_reading_them_again(
    sample_cursor, model_rows, monkeypatch
):
    """The count over every segment keeps each segment's model sample (drawn as that segment alone draws it): a
    one-segment filter's adjusted odds ratios and model rows are those of fitting its own customers (all of them under
    the row limit, else its own sample), with no query for the model's customers."""
    cur, version, catalogue = sample_cursor
    segments = [r[0] for r in cur.execute(f"select distinct segment from {version.table('customers')} order by 1").fetchall()]
    for segment in segments[:3]:
        counts.clear_kept()
        spec = replace(drivers.DriverSpec(Filters(segments=(segment,)), catalogue=catalogue), model_rows=model_rows).validate()
        counts.counts(cur, version, spec.in_every_segment())
        summed = counts.counts(cur, version, spec)
        with monkeypatch.context() as patched:
            patched.setattr(model, "sample_groups", lambda *a: pytest.fail("the model's customers were read again"))
            table = effects.effects_of(cur, summed, model_rows).set_index("column")
        direct = effects.effects_of(cur, counts.counted(cur, customers.population(cur, version, spec), model_rows), model_rows)
        direct = direct.set_index("column")
        n = int(table.loc["all", "customers"])
        fitted = int(table.loc["all", "model_rows"])
        assert fitted == direct.loc["all", "model_rows"] and (fitted == n) == (n <= model_rows), (segment, fitted, n)
        adjusted = ["adjusted_or", "adjusted_low", "adjusted_high"]
        assert table[adjusted].notna().sum().sum() > 6
        pd.testing.assert_frame_equal(table[adjusted].astype(float), direct.loc[table.index, adjusted].astype(float), rtol=1e-9)
    counts.clear_kept()


@pytest.mark.parametrize("outcome", [drivers.DEFECTION, drivers.LOW_SATISFACTION, drivers.CONVERSION])
def test_the_pages_default_period_the_whole_span_counts_as_no_period_with_the_same_answers(sample_cursor, outcome):
    """The sidebar's default period is the data's span; it holds every date the drivers read, so it is counted as no
    period (journey pain read whole, not summed by month): the same customers, outcomes and costs as counting the
    months, while a period one month shorter is kept as a period and counts fewer contacts."""
    cur, version, catalogue = sample_cursor
    span = cur.execute(
        f"select min(month), max(month) from (select month from {version.table('ov_tx_monthly')} "
        f"union all select month from {version.table('ov_ix_monthly')})"
    ).fetchone()
    first, last = (date(d.year, d.month, 1) for d in span)
    whole = drivers.DriverSpec(Filters(month_from=first, month_to=last), outcome, catalogue=catalogue)
    assert customers.without_whole_period(cur, version, whole).filters == Filters()
    counts.clear_kept()
    read = counts.counts(cur, version, whole)
    by_month = counts.counted(cur, customers.population(cur, version, whole.validate()))
    assert "dr_pain_months" in by_month.population.rows.text and "dr_pain_months" not in read.population.rows.text
    assert (read.total.hits, read.total.misses) == (by_month.total.hits, by_month.total.misses)
    assert read.total.cost == pytest.approx(by_month.total.cost, rel=1e-9) and read.total.customers > 100
    assert {c: {v: (x.hits, x.misses) for v, x in cells.items()} for c, cells in read.by_value.items()} == {
        c: {v: (x.hits, x.misses) for v, x in cells.items()} for c, cells in by_month.by_value.items()
    }
    assert read.by_measure.keys() == by_month.by_measure.keys() and read.by_measure
    for column, frame in read.by_measure.items():
        pd.testing.assert_frame_equal(
            frame.sort_values("value", ignore_index=True), by_month.by_measure[column].sort_values("value", ignore_index=True)
        )
    shorter = drivers.DriverSpec(
        Filters(month_from=first, month_to=date(last.year - 1, last.month, 1)), outcome, catalogue=catalogue
    )
    assert customers.without_whole_period(cur, version, shorter).filters.month_to is not None
    if outcome != drivers.CONVERSION:
        contacts = {
            c: _contacts(counts.counts(cur, version, s).by_measure["n_contacts"])
            for c, s in (("whole", whole), ("shorter", shorter))
        }
        assert contacts["shorter"] < contacts["whole"]
    counts.clear_kept()


def _contacts(by_value: pd.DataFrame) -> float:
    """Contacts in all, from customers per number of contacts."""
    return float((by_value["value"].fillna(0) * by_value["customers"]).sum())


def test_the_model_on_a_sample_reads_about_that_many_customers_the_same_ones_every_time(sample_cursor):
    """Above the model's row limit the adjusted odds ratios are fitted on a sample: about model_rows customers (each
    kept with probability model_rows / customers, so within five standard deviations), the same on every call, with
    the adjusted odds ratio of the strongest driver within its interval of the fit on everyone."""
    cur, version, catalogue = sample_cursor
    everyone = effects.effects(cur, version, drivers.DriverSpec(catalogue=catalogue)).set_index("driver")
    n = int(everyone.loc["all customers", "customers"])
    assert everyone.loc["all customers", "model_rows"] == n  # under the limit: everyone
    limit = 5000
    assert n > 2 * limit
    spec = drivers.DriverSpec(catalogue=catalogue, model_rows=limit)
    first = effects.effects(cur, version, spec).set_index("driver")
    counts.clear_kept()
    again = effects.effects(cur, version, spec).set_index("driver")
    fitted = int(first.loc["all customers", "model_rows"])
    p = limit / n
    assert abs(fitted - limit) < 5 * math.sqrt(n * p * (1 - p))
    assert fitted == again.loc["all customers", "model_rows"]
    pd.testing.assert_series_equal(first["adjusted_or"], again["adjusted_or"])
    strongest = everyone.drop("all customers")["adjusted_or"].dropna().map(lambda v: abs(math.log(v))).idxmax()
    sampled = first.loc[strongest, "adjusted_or"]
    # the sample's estimate lies within the full fit's interval widened by the sample's larger error (sqrt(n / fitted))
    low, high = (math.log(everyone.loc[strongest, c]) for c in ("adjusted_low", "adjusted_high"))
    centre, half = (low + high) / 2, (high - low) / 2 * math.sqrt(n / fitted)
    assert centre - half < math.log(sampled) < centre + half


def test_the_tipping_point_is_the_split_where_the_rate_changes_most():
    # 50 customers without contacts (5 leave), 20 with one (2 leave), 30 with three (18 leave):
    # at least 1: 40 % against 10 % (30 points); at least 3: 60 % against 7/70 = 10 % (50 points) -> 3
    counts = pd.DataFrame(
        [("contacts", 0.0, 50, 5), ("contacts", 1.0, 20, 2), ("contacts", 3.0, 30, 18)],
        columns=["measure", "value", "customers", "outcomes"],
    )
    tips = tipping.tipping_from(counts)
    assert list(tips["measure"]) == ["contacts"]
    row = tips.iloc[0]
    assert (row["threshold"], row["beyond"], row["share_beyond"]) == (3.0, 30, 0.3)
    assert (row["rate_beyond"], row["rate_below"]) == pytest.approx((0.6, 0.1))
    assert row["npv"] == pytest.approx(0.9)
    assert row["sensitivity"] == pytest.approx(18 / 25)
    # fewer than MIN_SIDE customers on a side: no tipping point
    assert tipping.tipping_from(counts.iloc[[0, 1]]).empty


def test_a_tipping_point_past_the_cuts_reads_quantiles_of_every_customer_and_customers_without_a_value_are_below():
    # 100 distinct positive days (1 to 100, one customer each, those past 50 all leave) and 40 customers with none:
    # more values than MAX_CUTS, so the cuts are quantiles of the 100 customers' days
    counts = pd.DataFrame(
        [("days", float(v), 1, int(v > 50)) for v in range(1, 101)] + [("days", None, 40, 0)],
        columns=["measure", "value", "customers", "outcomes"],
    )
    row = tipping.tipping_from(counts).iloc[0]
    # cut k of 60 is 1 + 99 k / 59: none falls between 50 and 51; cut 30 = 51.34 leaves 52 to 100 beyond (49, all
    # leave) and 1 leaver of 91 below (40 + 51): 98.9 points, more than cut 29 = 49.66 (50 of 51 against 0 of 89)
    assert row["threshold"] == pytest.approx(1 + 99 * 30 / 59)
    assert (row["beyond"], row["share_beyond"]) == (49, 49 / 140)
    assert (row["rate_beyond"], row["rate_below"]) == pytest.approx((1.0, 1 / 91))


def test_a_driver_that_decides_the_outcome_alone_gets_no_adjusted_odds_ratio_and_a_finite_crude_one():
    # every complainer left and nobody else did: the regression cannot estimate it (separation)
    rows = [(True, True, False)] * 40 + [(False, False, True)] * 40 + [(False, False, False)] * 20
    table = effects_of_frame(*_frame(rows)).set_index("driver")
    row = table.loc["made a complaint"]
    assert row["rate_with"] == 1.0 and row["rate_without"] == 0.0
    assert row["odds_ratio"] == pytest.approx(40.5 * 60.5 / (0.5 * 0.5))  # Haldane's half in every cell
    assert pd.isna(row["adjusted_or"])


def test_a_driver_as_a_lever_keeps_customers_on_it_times_share_fixed_times_the_gap():
    # 200 customers on it, half fixed, 20 points more defection among them: 20 kept, × $7,000 = $140,000
    assert money.lever(200, 0.2, 0.5, 7000.0) == pytest.approx({"kept": 20.0, "value": 140_000.0})
    assert money.lever(200, -0.1, 1.0, 7000.0) == {"kept": 0.0, "value": 0.0}  # the bad side leaves less: no lever


def test_the_steps_of_one_call_are_one_contact_on_one_channel(store):
    """The tiny call log: C1 makes calls A (IVR, queue, agent) and B (IVR, queue), C2 call C (IVR, queue, agent), every
    call starting at the IVR. Per contact: C1 2 contacts, C2 1, each on one channel (ivr), so nobody "contacted on two
    channels or more". Counted per step (no contact id): 5 and 3, and both on ivr and phone."""
    from tests.journey_contacts_tiny import call_log

    people = pd.DataFrame({"customer_id": ["C1", "C2"]})
    for name, log, contacts, switched in (
        ("per contact", call_log(), [2, 1], [False, False]),
        ("per step", call_log().drop(columns=["contact_id"]), [5, 3], [True, True]),
    ):
        version = store.publish(name, {"customers": people, "interactions": log})
        with store.cursor() as cur:
            population = customers.population(cur, version, drivers.DriverSpec())
            rows = cur.execute(*sql("select n_contacts, pain_switch from ({}) r order by row_order", population.rows)).fetchall()
        assert len(rows) == 2  # one row per customer, in customer order: C1, C2
        assert [n for n, _ in rows] == contacts, name
        assert [switch for _, switch in rows] == switched, name
        assert "pain_switch" in {d.column for d in population.flags}


def test_each_behaviour_driver_names_both_sides_without_a_double_negation():
    assert drivers.behaviour_sides("No call-centre contact") == ("call-centre contact", "no call-centre contact")
    assert drivers.behaviour_sides("Automatic payment") == ("no automatic payment", "automatic payment")
    assert drivers.behaviour_sides("Never  late") == ("late", "never late")
    assert drivers.behaviour_sides("SMS reminders") == ("no SMS reminders", "SMS reminders")


def test_a_sample_of_a_period_sums_journey_pain_for_the_sample_only_with_the_same_fit(sample_cursor):
    """With a period, the model's sample condition reaches the journey pain summed over its months (so the sample
    reads its share of dr_pain_months): the same customers and adjusted odds ratios as sampling the whole rows, and as
    the sample drawn with the counts from their scratch table, which the driver table uses."""
    cur, version, catalogue = sample_cursor
    counts.clear_kept()
    spec = drivers.DriverSpec(Filters(month_from=date(2024, 3, 1), month_to=date(2024, 8, 1)), catalogue=catalogue)
    spec = replace(spec, model_rows=3000)
    found = counts.counts(cur, version, spec)
    assert found.sample is not None and found.sample.rows == 3000
    table = effects.effects_of(cur, found, 3000).set_index("column")
    assert "dr_pain_months" in found.population.rows.text
    sides = [s for s in effects._sides(found) if 0 < effects._on(found, s).customers < found.total.customers]
    n = found.total.customers
    pushed = model.adjusted(cur, found.population, sides, n, 3000)
    filtered = model.adjusted(cur, replace(found.population, rows_of=None), sides, n, 3000)
    assert 1000 < pushed[1] < n and pushed[1] == filtered[1]
    assert pushed[0].keys() == filtered[0].keys() and len(pushed[0]) > 3
    for column, (ratio, low, high) in pushed[0].items():
        assert (ratio, low, high) == pytest.approx(filtered[0][column], rel=1e-9), column
        assert table.loc[column, ["adjusted_or", "adjusted_low", "adjusted_high"]].tolist() == pytest.approx(
            [ratio, low, high], rel=1e-9
        )
    assert table.loc["all", "model_rows"] == pushed[1]
    counts.clear_kept()


def test_a_period_in_some_segments_and_regions_sums_journey_pain_for_their_customers_only_with_the_same_rows(
    sample_cursor,
):
    """With a period and a segment and region chosen, journey pain is summed for those customers only: their rows
    equal their rows among every customer of the period, and they are every such customer of that segment and region."""
    cur, version, catalogue = sample_cursor
    months = {"month_from": date(2024, 3, 1), "month_to": date(2024, 8, 1)}
    segment, region = cur.execute(
        f"select segment, region from {version.table('bh_customers')} group by all order by count(*) desc limit 1"
    ).fetchone()
    narrow = drivers.DriverSpec(Filters(segments=(segment,), regions=(region,), **months), catalogue=catalogue)
    wide = drivers.DriverSpec(Filters(**months), catalogue=catalogue)
    found = customers.population(cur, version, narrow)
    assert "dr_pain_months" in found.rows.text
    rows = cur.execute(*found.rows).df().set_index("row_order").sort_index()
    everyone = cur.execute(*customers.population(cur, version, wide).rows).df().set_index("row_order")
    theirs = cur.execute(
        f"select cid from {version.table('bh_customers')} where segment = ? and region = ?", [segment, region]
    ).df()["cid"]
    expected = everyone[everyone.index.isin(theirs)].sort_index()
    assert len(rows) > 100 and rows["n_contacts"].notna().sum() > 50
    pd.testing.assert_frame_equal(rows, expected)
