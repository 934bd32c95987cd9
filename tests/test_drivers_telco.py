"""The telco proof: the IBM telco file's documented churn gaps come out of Drivers, contract and payment kept at upload."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.metrics.behaviours import adoption as bh
from dashboard.metrics.drivers import effects
from dashboard.metrics.drivers.spec import DriverSpec
from dashboard.store import Store
from tests.conftest import TELCO, data_page, use_copy

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def telco(telco_db_file):
    store = Store(telco_db_file, read_only=True)
    yield store, store.active_version("telco")
    store.close()


def test_contract_and_payment_method_are_kept_with_the_customers(telco):
    store, version = telco
    assert {"a_contract", "a_payment_method", "b_autopay", "b_e_billing"} <= set(version.columns["customers"])
    with store.cursor() as cur:
        levels = cur.execute(f"select a_contract, count(*) from {version.table('customers')} group by all order by 1").fetchall()
    # the file's 7,043 contracts: 3,875 month-to-month, 1,473 one year, 1,695 two year
    assert levels == [("Month-to-month", 3875), ("One year", 1473), ("Two year", 1695)]


def test_the_documented_churn_gaps_to_two_decimals(telco):
    store, version = telco
    spec = DriverSpec(catalogue=bh.catalogue_for(store, version))  # as the Drivers page builds it
    with store.cursor() as cur:
        table = effects.effects(cur, version, spec).set_index("driver")

    def pct(driver: str, side: str = "rate_with") -> float:
        return round(100 * float(table.loc[driver, side]), 2)

    # 1,655 of 3,875 month-to-month left (42.71 %); 166 of 1,473 one year (11.27 %); 48 of 1,695 two year (2.83 %)
    assert pct("contract is Month-to-month") == 42.71
    assert pct("contract is One year") == 11.27
    assert pct("contract is Two year") == 2.83
    # each level is read against the rest: month-to-month's rest is 214 of 3,168 (6.76 %)
    assert pct("contract is Month-to-month", "rate_without") == 6.76
    # automatic payment: 490 of 3,066 left (15.98 %) against 1,379 of 3,977 paying by hand (34.67 %)
    assert (pct("no automatic payment"), pct("no automatic payment", "rate_without")) == (34.67, 15.98)
    # paperless billing: 1,400 of 4,171 (33.57 %) against 469 of 2,872 on paper (16.33 %)
    assert (pct("no E-billing"), pct("no E-billing", "rate_without")) == (16.33, 33.57)
    # every payment method stands on its own too: electronic check 1,071 of 2,365 (45.29 %)
    assert pct("payment method is Electronic check") == 45.29
    assert pct("payment method is Credit card (automatic)") == 15.24


def test_a_kept_attribute_is_a_driver_and_a_churn_category_is_not(tmp_path):
    customers = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D"],
            "churned": [True, True, False, False],
            "churn_category": ["Price", "Price", None, None],  # known only for those who left: no driver
            "a_plan": ["Basic", "Basic", "Basic", "Premium"],
        }
    )
    store = Store(tmp_path / "kept.duckdb")
    try:
        version = store.publish("kept", {"customers": customers})
        with store.cursor() as cur:
            table = effects.effects(cur, version, DriverSpec()).set_index("driver")
    finally:
        store.close()
    assert not [d for d in table.index if "churn category" in d]
    # Basic: 2 of 3 left (66.67 %) against 0 of 1 on Premium
    assert round(100 * float(table.loc["plan is Basic", "rate_with"]), 2) == 66.67
    assert float(table.loc["plan is Basic", "rate_without"]) == 0.0


def test_the_drivers_page_shows_the_contract_gap(telco_db_file, tmp_path, monkeypatch):
    use_copy(telco_db_file, tmp_path, monkeypatch)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.switch_page("pages/6_Drivers.py")
    at.query_params["ds"] = "telco"
    at.run()
    assert not at.exception, at.exception
    table = next(f.value for f in at.dataframe if list(f.value.columns)[:2] == ["Driver", "Rate with"]).set_index("Driver")
    shown = {lvl: table.loc[f"contract is {lvl}", "Rate with"] for lvl in ("Month-to-month", "One year", "Two year")}
    assert shown == {"Month-to-month": "42.7 %", "One year": "11.3 %", "Two year": "2.8 %"}
    assert table.loc["contract is Month-to-month", "Kind"] == "attribute"


def test_the_data_page_lists_kept_attributes_and_keeps_another(tmp_path, monkeypatch):
    Store(tmp_path / "empty.duckdb").close()
    use_copy(tmp_path / "empty.duckdb", tmp_path, monkeypatch)
    at = data_page()
    at.file_uploader[0].set_value(("telco.csv", TELCO.read_bytes(), "text/csv")).run()
    assert not at.exception, at.exception

    def kept() -> list[str]:
        return [m.value for m in at.markdown if m.value.startswith("`a_")]

    assert kept() == [
        "`a_contract` = column 'Contract'",
        "`a_internet_service` = column 'InternetService'",
        "`a_payment_method` = column 'PaymentMethod'",
    ]
    next(b for b in at.button if str(b.key).startswith("d_rm_a_internet_service_customers")).click().run()
    next(w for w in at.text_input if str(w.key).startswith("d_attr_key_customers")).input("gender")
    next(w for w in at.selectbox if str(w.key).startswith("d_attr_source_customers")).set_value("gender")
    next(b for b in at.button if b.label == "Keep attribute").click().run()
    assert not at.exception, at.exception
    assert kept() == [
        "`a_contract` = column 'Contract'",
        "`a_gender` = column 'gender'",
        "`a_payment_method` = column 'PaymentMethod'",
    ]


def test_the_telco_snapshot_gets_a_contract_lifetime_model_and_its_holdout_check(telco):
    """The telco file flags who left in its last month without dates: each leaver leaves in the month of their tenure.
    Month 1: 380 of the 7,032 customers with a tenure of at least one month left, so 1 − 380 / 7,032 = 94.60 % stay."""
    from dashboard.metrics.defection import calibration
    from dashboard.metrics.defection import status as dfn

    store, version = telco
    with store.cursor() as cur:
        model = calibration.contract_model(cur, version)
        check = calibration.sbg_check(cur, version)
        available = dfn.availability(cur, version).set_index("key")["available"]
    assert model.model is not None and (model.unit, model.customers, model.periods) == ("month", 7043, 72)
    assert bool(available["sbg"]) and dfn.methods_available(available.to_dict()) == ["simple", "sbg"]
    assert (check["problem"] == "").all()
    assert check.loc[check["period"] == "1", "actual"].iloc[0] == pytest.approx(1 - 380 / 7032)
    assert (check["fitted_on"].iloc[0], check["checked_on"].iloc[0]) == ("months 1 to 36", "months 37 to 72")
    assert check["mape"].iloc[0] < 10
