"""One way to write a query: the Sql block of dashboard/sql.py carries text and parameters together, no code orders
parameters by hand, and DuckDB-only features sit behind its named helpers (preparation code aside, which another
engine must run and is checked on its own)."""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dashboard.sql import (
    Sql,
    days_between,
    group_by_all,
    ident,
    in_list,
    join,
    list_contains,
    list_count,
    list_item,
    list_transform,
    lit,
    month_boundaries,
    select_except,
    sql,
    struct_of,
    unnest,
    with_ctes,
)

ROOT = Path(__file__).resolve().parent.parent
BUILDER = "dashboard/sql.py"
PREPARATION = ("dashboard/staged/", "dashboard/metrics/prepared.py")
"""Preparation SQL (staged tables, prepare functions, *_prepare modules) is kept portable on its own terms."""


def _library() -> list[tuple[str, ast.Module]]:
    return [(p.relative_to(ROOT).as_posix(), ast.parse(p.read_text())) for p in sorted(ROOT.glob("dashboard/**/*.py"))]


def _named_params(node: ast.AST) -> bool:
    return (isinstance(node, ast.Name) and "params" in node.id) or (isinstance(node, ast.Attribute) and "params" in node.attr)


def _hand_ordered(rel: str, tree: ast.Module) -> list[str]:
    """Places in tree that order parameters by hand: `params +=`, `params.append/extend/insert`, `[*params, value]`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add) and _named_params(node.target):
            found.append(f"{rel}:{node.lineno} +=")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("append", "extend", "insert")
            and _named_params(node.func.value)
        ):
            found.append(f"{rel}:{node.lineno} .{node.func.attr}")
        elif isinstance(node, ast.List | ast.Tuple) and any(
            isinstance(e, ast.Starred) and _named_params(e.value) for e in node.elts
        ):
            found.append(f"{rel}:{node.lineno} [*params, ...]")
    return found


def test_no_code_orders_parameters_by_hand():
    """Parameters follow the text they belong to: nowhere in the library is a parameter list kept in step by hand."""
    assert [site for rel, tree in _library() for site in _hand_ordered(rel, tree)] == []


def test_the_check_sees_each_way_of_ordering_by_hand():
    code = "params = []\nparams += [1]\nwhere_params.append(2)\nx = [*relation.params, 3]\nok = [a, b]\n"
    assert _hand_ordered("x.py", ast.parse(code)) == ["x.py:2 +=", "x.py:3 .append", "x.py:4 [*params, ...]"]


def test_one_carrier_of_sql_and_parameters():
    """Only dashboard/sql.py's Sql holds parameters as a field: StagedSql, SqlSource and the like stay gone."""
    carriers = []
    for rel, tree in _library():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                fields = {s.target.id for s in node.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)}
                if "params" in fields or "parameters" in fields:
                    carriers.append(f"{rel}:{node.name}")
    # the Spark engine's Step is a record of a statement the publishing cursor already received (its text and the
    # values it was given, to translate them for Spark), not a way of building one: the one exception, by name
    assert sorted(carriers) == sorted(["dashboard/staged/engine.py:Step", f"{BUILDER}:Sql"])


DUCKDB_ONLY = re.compile(r"group by all|\blist_[a-z_]+\(|\bdate_?diff\(|\bunnest\(|\bexclude \(", re.IGNORECASE)


def _preparation(rel: str) -> bool:
    return rel.startswith(PREPARATION) or rel.endswith("/prepare.py")


def _sql_texts(tree: ast.Module) -> list[tuple[int, str]]:
    """String constants of tree (f-string pieces included) outside docstrings and functions named prepare."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "prepare":
            skipped.update(id(n) for n in ast.walk(node))
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skipped.add(id(first.value))
    return [
        (n.lineno, n.value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in skipped
    ]


def _inline_features(rel: str, tree: ast.Module) -> list[str]:
    return [f"{rel}:{line} {m.group(0)}" for line, text in sorted(_sql_texts(tree)) if (m := DUCKDB_ONLY.search(text))]


def test_duckdb_only_features_sit_behind_the_helpers():
    """`group by all`, list functions, date_diff, unnest and `* exclude` are written in dashboard/sql.py only."""
    inline = [
        site for rel, tree in _library() if rel != BUILDER and not _preparation(rel) for site in _inline_features(rel, tree)
    ]
    assert inline == []


def test_the_check_sees_inline_features_but_not_words():
    code = (
        'def f():\n    """Counts with group by all."""\n    return f"select a from t group by all"\n'
        'def prepare():\n    return "select unnest(x)"\n'
        'def g():\n    return "len(list_filter(x, lambda y: y > 1))"\n'
    )
    assert _inline_features("m.py", ast.parse(code)) == ["m.py:3 group by all", "m.py:7 list_filter("]


# -- the block itself, on hand-worked answers -------------------------------------------------------------------------


def test_named_parts_repeat_their_values_in_text_order():
    block = sql("a = {x} or b = {x} and c = {}", lit(3), x=lit(1))
    assert block.text == "a = ? or b = ? and c = ?"
    assert block.params == (1, 1, 3)
    text, params = block
    assert (text, params) == ("a = ? or b = ? and c = ?", [1, 1, 3])


def test_a_block_runs_as_it_unpacks():
    first = sql("select {} as v", lit(2))
    second = sql("select v * {} as w from first", lit(5))
    query = with_ctes({"first": first, "second": second}, sql("select w + {} from second", lit(0.5)))
    with duckdb.connect() as con:
        assert con.execute(*query).fetchall() == [(10.5,)]


def test_parameters_never_reach_an_f_string():
    with pytest.raises(TypeError):
        f"{lit(1)}"
    assert f"{group_by_all()}" == "group by all"
    with pytest.raises(TypeError):
        sql("{}", ("select ?", [1]))  # a bare (text, params) pair is not a part


def test_templates_name_every_part():
    with pytest.raises(ValueError):
        sql("{} and {}", "a")
    with pytest.raises(ValueError):
        sql("{missing}")
    with pytest.raises(ValueError):
        ident('x"; drop table y; --')
    assert (Sql("a") + lit(1) + " b").params == (1,)
    assert join(["x", lit(2), lit(3)], " + ").text == "x + ? + ?"
    assert in_list("c", []).text == "false"


def test_helpers_answer_as_worked_by_hand():
    with duckdb.connect() as con:

        def one(block: Sql) -> object:
            return con.execute(*sql("select {}", block)).fetchall()[0][0]

        days = lit([3, 8, 1, 9, 4])
        assert one(list_count(days, "x", sql("x > {}", lit(3)))) == 3  # 8, 9, 4
        assert one(list_contains(days, lit(9))) is True
        assert one(list_item(days, lit(2))) == 8  # counting from 1
        assert one(list_transform(days, "x", "x * 2")) == [6, 16, 2, 18, 8]
        assert one(days_between(lit(date(2024, 2, 27)), lit(date(2024, 3, 2)))) == 4  # leap year: 27, 28, 29 Feb, 1 Mar
        assert one(month_boundaries(lit(date(2024, 1, 31)), lit(date(2024, 3, 1)))) == 2
        assert one(sql("{}.b", struct_of(a=lit(1), b=lit("two")))) == "two"
        assert con.execute(*sql("select count(*) from (select {} as v)", unnest(days))).fetchall() == [(5,)]
        rows = con.execute(
            *sql("select {} from (select 1 as k, 2 as v) {}", select_except(["k"]), Sql("")),
        ).fetchall()
        assert rows == [(2,)]
        grouped = con.execute(*sql("select k % 2 as odd, count(*) from range(5) t(k) {} order by 1", group_by_all())).fetchall()
        assert grouped == [(0, 3), (1, 2)]
