"""Real public data through the same path as a user's upload: the figures in ../shared/data/README.md reproduced.

The files are copies in tests/fixtures (sources and licences in tests/fixtures/README.md).
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from dashboard.metrics import overview
from dashboard.metrics.scope import Filters
from dashboard.store import Store
from tests.ingest_helpers import problems, run_upload

FIXTURES = Path(__file__).resolve().parent / "fixtures"
pytestmark = pytest.mark.slow


def _kpis(store: Store, version) -> dict[str, float]:
    with store.cursor() as cur:
        frame = overview.kpis(cur, version, Filters())
    return dict(zip(frame["key"], frame["value"], strict=True))


def _query(store: Store, sql: str) -> list[tuple]:
    with store.cursor() as cur:
        return cur.execute(sql).fetchall()


def test_telco_churn_behaviours_and_blank_total_charges(store: Store, tmp_path: Path):
    upload, report = run_upload(store, tmp_path, {"customers": [FIXTURES / "telco_customer_churn.csv"]})
    try:
        mapping = upload.mapping.tables["customers"]
        # what the automatic mapping found, as a user sees it on the Data page
        assert mapping.columns == {
            "customer_id": "customerID",
            "churned": "Churn",
            "b_e_billing": "PaperlessBilling",
            # kept with the customer as attributes (a handful of text values each), for the Drivers page
            "a_contract": "Contract",
            "a_internet_service": "InternetService",
            "a_payment_method": "PaymentMethod",
        }
        assert [r.describe() for r in mapping.rules] == [
            "b_autopay = PaymentMethod ends with '(automatic)'",
            "signup_date = 2025-06-30 minus tenure months",
        ]
        # the analyst adds the contract type as the segment (the defection view shows churn by contract)
        upload.set_mapping("customers", mapping.copy(columns={**mapping.columns, "segment": "Contract"}))
        report = upload.check()
        assert report.ok
        blanks = problems(report, "customers")["unmapped_blank"]
        assert blanks.count == 11 and blanks.column == "TotalCharges" and not blanks.blocking
        assert [e.row for e in blanks.examples] == [490, 755, 938, 1084, 1342]  # file rows, header = row 1
        assert report.tables["customers"].read == 7043 and report.tables["customers"].rejected == 0
        version = upload.publish("telco")
    finally:
        upload.close()
    kpis = _kpis(store, version)
    assert kpis["customers"] == 7043
    assert kpis["churn_rate"] == pytest.approx(1869 / 7043)
    assert round(kpis["churn_rate"] * 100, 2) == 26.54
    customers = version.table("customers")
    rows = _query(
        store,
        f"""
        select count(*) filter (where b_e_billing), count(*) filter (where b_autopay),
               avg(churned::int) filter (where b_e_billing), avg(churned::int) filter (where not b_e_billing),
               avg(churned::int) filter (where b_autopay), avg(churned::int) filter (where not b_autopay)
        from {customers}
        """,
    )[0]
    assert rows[:2] == (4171, 3066)
    assert [round(x * 100, 2) for x in rows[2:]] == [33.57, 16.33, 15.98, 34.67]
    by_contract = dict(_query(store, f"select segment, round(100 * avg(churned::int), 2) from {customers} group by 1"))
    assert by_contract == {"Month-to-month": 42.71, "One year": 11.27, "Two year": 2.83}
    # tenure 0 (the 11 blank TotalCharges) signs up on the reference date; tenure 72 six years before it
    assert _query(store, f"select min(signup_date), max(signup_date) from {customers}")[0] == (
        pd.Timestamp("2019-06-30").date(),
        pd.Timestamp("2025-06-30").date(),
    )


def test_online_retail_customers_identifiers_and_rejected_rows(store: Store, tmp_path: Path):
    upload, report = run_upload(store, tmp_path, {"transactions": [FIXTURES / "online_retail.parquet"]})
    try:
        table = report.tables["transactions"]
        assert (table.read, table.rejected, table.published) == (541_909, 135_080, 406_829)
        found = problems(report, "transactions")
        assert found["blank_id"].count == 135_080 and not found["blank_id"].blocking
        assert found["blank_id"].message.startswith(
            "online_retail.parquet: 135,080 rows have no customer ID (column 'CustomerID')"
        )
        assert found["negative_amounts"].count == 8_905  # cancellations of customers, kept as negative amounts
        assert problems(report, "customers")["built_customers"].count == 4_372
        rejected = upload.rejected("transactions")
        version = upload.publish("retail")
    finally:
        upload.close()
    assert version.row_counts == {"customers": 4_372, "transactions": 406_829, "interactions": 0}
    # the Overview counts customers who bought: 38 of the 4,372 IDs only ever got refunds (see test_defection_real)
    assert _kpis(store, version)["customers"] == 4_334
    tx = version.table("transactions")
    assert _query(store, f"select count(*) from {tx} where customer_id like '%.%'")[0][0] == 0
    assert _query(store, f"select count(*) from {tx} where customer_id = '17850'")[0][0] == 312
    cancelled = _query(store, f"select count(*), max(amount) from {tx} where transaction_id like 'C%'")[0]
    assert cancelled[1] <= 0  # every cancellation line is kept, as a negative (or zero) amount
    # nothing silently dropped: published amounts + the rejected rows' Quantity × UnitPrice = the README's total
    published_total = _query(store, f"select sum(amount) from {tx}")[0][0]
    rejected_total = (pd.to_numeric(rejected["Quantity"]) * pd.to_numeric(rejected["UnitPrice"])).sum()
    assert len(rejected) == 135_080
    assert rejected["problem"].unique().tolist() == ["no customer ID ('CustomerID')"]
    assert published_total + rejected_total == pytest.approx(9_747_747.93, abs=0.01)
    assert cancelled[0] + rejected["InvoiceNo"].str.startswith("C").sum() == 9_288


def test_cdnow_whitespace_file_with_compact_dates(store: Store, tmp_path: Path):
    path = FIXTURES / "cdnow_master_head5000.txt"
    upload, report = run_upload(store, tmp_path, {"transactions": [path]})
    try:
        assert upload.mapping.tables["transactions"].columns == {
            "customer_id": "customer_id",
            "ts": "date",
            "amount": "dollar_value",
        }
        version = upload.publish("cdnow")
    finally:
        upload.close()
    reference = pd.read_csv(io.StringIO(path.read_text()), sep=r"\s+", dtype={"customer_id": str, "date": str})
    assert version.row_counts["transactions"] == len(reference) == 5000
    assert version.row_counts["customers"] == reference["customer_id"].nunique()
    tx = version.table("transactions")
    total, first, last, ids = _query(store, f"select sum(amount), min(ts), max(ts), min(customer_id) from {tx}")[0]
    assert total == pytest.approx(reference["dollar_value"].sum())
    assert (first.date(), last.date()) == (
        pd.to_datetime(reference["date"], format="%Y%m%d").min().date(),
        pd.to_datetime(reference["date"], format="%Y%m%d").max().date(),
    )
    assert ids == "00001"  # leading zeros kept: identifiers are text
    assert report.tables["transactions"].files[0].details == "UTF-8, spaces (aligned columns) separated"
