"""Portable preparation SQL: every query the preparation runs parses in DuckDB's dialect and falls into none of the
traps two engines compute differently; the traps are caught; values reach Spark as literals, never as SQL."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
import sqlglot
from sqlglot.tokens import TokenType

from dashboard.metrics import prepared
from dashboard.staged import engine, portable
from dashboard.store import Store
from tests import shapes

SHAPES = ["contacts_with_several_steps", "transactions_only", "contract_snapshot_with_churn_flag", "orders_with_due_dates"]


class Recording:
    """A cursor that keeps the text of every statement it runs."""

    def __init__(self, cur: duckdb.DuckDBPyConnection, seen: list[str]) -> None:
        self.cur, self.seen = cur, seen

    def __getattr__(self, name: str):
        return getattr(self.cur, name)

    def execute(self, sql: str, params=None):
        self.seen.append(sql)
        return self.cur.execute(sql, params)


@pytest.fixture(scope="module")
def statements(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Every SQL statement the preparation runs over four tiny shapes (contacts with steps, purchases, churn labels,
    due dates)."""
    folder = tmp_path_factory.mktemp("portable")
    store = Store(shapes.publish_all(folder / "p.duckdb", folder, SHAPES))
    seen: list[str] = []
    try:
        for name in SHAPES:
            version = store.active_version(name)
            store.rebuild_prepared(version.version_id, lambda cur, v: prepared.build_all(Recording(cur, seen), v))
    finally:
        store.close()
    return seen


def test_every_preparation_query_is_portable(statements: list[str]) -> None:
    steps = [s for s in statements if s.lstrip().lower().startswith(("create table", "create or replace table"))]
    assert len(steps) >= 30  # staged, overview, journey, funnel, behaviours, defection and drivers tables
    trapped = {}
    for sql in statements:
        step = engine.step_of(sql)
        key = step.name if step else sql.strip()[:60]
        if portable.traps(sql):
            trapped[key] = portable.traps(sql)
    # only the steps kept on DuckDB by name (with their reason) may use DuckDB-only constructs
    assert trapped == {"fn_customers": ["ordered list"], "dr_customers": ["enum"]}
    assert set(trapped) <= set(engine.KEEP_ON_DUCKDB)


def test_calendar_day_counts_are_rejected_elapsed_time_is_not() -> None:
    # 23:00 to 01:00 next day: DuckDB counts one day boundary, two hours elapsed; Spark counts elapsed days (0)
    boundary = duckdb.sql("select date_diff('day', timestamp '2024-01-01 23:00', timestamp '2024-01-02 01:00')").fetchall()[0]
    assert boundary == (1,)
    assert portable.traps("select date_diff('day', a.ts, b.ts) from t a, t b") == ["date_diff"]
    assert portable.traps("select datediff('second', a, b) from t") == ["date_diff"]
    assert portable.traps("select b.ts > a.ts + interval 7 day from t a, t b") == []
    assert portable.traps("select date_diff('day', cast(a as date), cast(b as date)) from t") == []


def test_other_traps_are_named() -> None:
    assert portable.traps("select cast(cast(x as varchar) as enum('a', 'b')) as x from t") == ["enum"]
    assert portable.traps("select list(x) from t") == ["unordered list"]
    assert portable.traps("select list(x order by y) from t") == ["ordered list"]
    assert portable.traps("select string_agg(x, ',') from t") == ["unordered list"]
    assert portable.traps("select random(), 7 // 2, approx_count_distinct(x) from t") == [
        "approximate",
        "integer division",
        "random",
    ]
    assert portable.traps("select strftime(ts, '%Y') from t") == ["strftime"]
    with pytest.raises(sqlglot.ParseError):
        portable.traps("select from where")


def test_values_reach_spark_as_typed_literals() -> None:
    hostile = "x'); drop table customers; --"
    text = portable.to_spark(
        'select ? as a, \'what?\' as q, cast(? as date) as d, ? as l, ? as n, ? as f from "v3"."customers" c',
        [hostile, date(2024, 2, 29), ["it's", "b"], 7, True],
        {'"v3"."customers"': "v3__customers"},
    )
    tree = sqlglot.parse_one(text, read="spark")
    assert [s.alias for s in tree.expressions] == ["a", "q", "d", "l", "n", "f"]
    assert tree.expressions[0].this.this == hostile  # one string literal, quote escaped, nothing run
    assert tree.expressions[1].this.this == "what?"  # a ? inside a string is no parameter
    assert "CAST('2024-02-29' AS DATE)" in text
    assert "ARRAY('it\\'s', 'b')" in text
    assert tree.find(sqlglot.exp.Table).name == "v3__customers"


def test_durations_keep_their_fraction_of_a_second() -> None:
    text = portable.to_spark("select epoch(b.ts - a.ts) / 3600 as s, list_position(?, x) as p from t a, t b", [["p", "q"]])
    seconds = "((UNIX_MICROS(CAST(b.ts AS TIMESTAMP)) / 1000000.0) - (UNIX_MICROS(CAST(a.ts AS TIMESTAMP)) / 1000000.0))"
    assert f"{seconds} / 3600 AS s" in text  # the whole difference is divided, not its second term
    assert "NULLIF(ARRAY_POSITION(ARRAY('p', 'q'), x), 0)" in text  # DuckDB: NULL for a value not in the list
    finite = portable.to_spark("select sum(cost) filter (where isfinite(cost)) from t")
    assert "(NOT ISNAN(cost) AND ABS(cost) < CAST('Infinity' AS DOUBLE))" in finite  # neither NaN nor infinite


def test_every_preparation_value_is_bound_by_the_sql_block(statements: list[str]) -> None:
    """One way of binding values: preparation passes `?` parameters built by dashboard/sql.py's Sql block, as the rest
    of the library does, never DuckDB's `$name` parameters (a second style the Spark translation had to know)."""

    def binds_by_name(statement: str) -> bool:
        return any(t.token_type == TokenType.PARAMETER for t in sqlglot.tokenize(statement, read="duckdb"))

    named = [s.strip()[:60] for s in statements if binds_by_name(s)]
    assert named == []
    with pytest.raises(KeyError):  # a named parameter has no value to reach Spark with
        portable.to_spark("select $as_of as d", [date(2024, 1, 1)])
