"""Value conversions on their own: identifiers, text, numbers, yes/no and dates, as the staging SQL reads them."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from dashboard import contract
from dashboard.ingest import formats
from dashboard.ingest.guess import style_for


def _convert(values: list, target: str, duckdb_type: str = "VARCHAR", **styles) -> list:
    con = duckdb.connect()
    converted = formats.convert(
        "x",
        formats.kind_of(duckdb_type),
        target,
        number=styles.get("number", formats.NumberStyle()),
        date=styles.get("date", formats.DateStyle()),
        identifier=styles.get("identifier", False),
    )
    rows = con.execute(
        f"select {converted.value.text}, {converted.blank.text} from (select cast(unnest(?) as {duckdb_type}) as x)",
        [*converted.value.params, *converted.blank.params, values],
    ).fetchall()
    return rows


def test_identifiers_are_text_without_float_noise_or_spaces():
    rows = _convert([" 17850.0 ", "17850.00", "-3.0", "1.5", "00001", "A B", "  ", "", None], contract.TEXT, identifier=True)
    assert rows == [
        ("17850", False),
        ("17850", False),
        ("-3", False),
        ("1.5", False),  # not a whole number: kept as written
        ("00001", False),  # leading zeros kept
        ("A B", False),
        (None, True),
        (None, True),
        (None, True),
    ]
    assert _convert([17850.0, 1.5], contract.TEXT, "DOUBLE", identifier=True) == [("17850", False), ("1.5", False)]
    assert _convert([42], contract.TEXT, "BIGINT", identifier=True) == [("42", False)]


def test_numbers_in_every_style():
    plain = _convert(["12.5", " 7 ", "$1,5", "1e3", "abc", ""], contract.NUMBER)
    assert plain == [(12.5, False), (7.0, False), (None, False), (1000.0, False), (None, False), (None, True)]
    european = _convert(["1.234,56", "-3,5", "€ 12,00"], contract.NUMBER, number=formats.NumberStyle(",", "."))
    assert [v for v, _ in european] == [1234.56, -3.5, 12.0]
    spaced = _convert(["1 234,5", "1\u00a0000,25"], contract.NUMBER, number=formats.NumberStyle(",", " "))
    assert [v for v, _ in spaced] == [1234.5, 1000.25]
    assert _convert(["3", "3.5"], contract.INTEGER) == [(3, False), (None, False)]


def test_yes_no_values():
    rows = _convert(["Yes", " no ", "Y", "0", "TRUE", "maybe", None], contract.BOOLEAN)
    assert rows == [(True, False), (False, False), (True, False), (False, False), (True, False), (None, False), (None, True)]
    assert _convert([1, 0, 2], contract.BOOLEAN, "BIGINT") == [(True, False), (False, False), (None, False)]


@pytest.mark.parametrize(
    ("order", "values", "expected"),
    [
        (
            "iso",
            ["2024-03-01", " 2024-03-01 10:30:00 ", "2024-03-01T10:30:00"],
            [datetime(2024, 3, 1), datetime(2024, 3, 1, 10, 30)],
        ),
        ("day-first", ["01/03/2024", "1.3.2024 10:30"], [datetime(2024, 3, 1), datetime(2024, 3, 1, 10, 30)]),
        ("month-first", ["03/01/2024", "3/1/2024 10:30 AM"], [datetime(2024, 3, 1), datetime(2024, 3, 1, 10, 30)]),
        ("compact", ["20240301", "20240301103000"], [datetime(2024, 3, 1), datetime(2024, 3, 1, 10, 30)]),
    ],
)
def test_dates_in_each_order(order: str, values: list[str], expected: list[datetime]):
    rows = _convert(values, contract.TIMESTAMP, date=style_for(order))
    assert {v for v, _ in rows} == set(expected)


def test_kinds_of_duckdb_types():
    assert [
        formats.kind_of(t)
        for t in ("VARCHAR", "BIGINT", "DECIMAL(10,2)", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP_NS", "STRUCT(a INTEGER)")
    ] == [
        "text",
        "integer",
        "float",
        "float",
        "bool",
        "date",
        "timestamp",
        "other",
    ]
