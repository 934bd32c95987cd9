"""The Data page through Streamlit's AppTest: upload, map, validate, publish; datasets and templates."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from dashboard.store import Store
from tests.conftest import add_rule, keyed, shown_text
from tests.conftest import data_page as _data_page
from tests.ingest_helpers import TRANSACTIONS_CSV

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
CUSTOMERS, TRANSACTIONS, INTERACTIONS = 0, 1, 2


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _overview_metrics(db: Path) -> dict[str, str]:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    return {m.label: m.value for m in at.metric}


def test_page_renders_with_no_data_and_offers_the_three_uploads(empty_db: Path):
    at = _data_page()
    assert not at.exception
    assert [u.label.split(":")[0] for u in at.file_uploader] == ["Customers", "Transactions", "Interactions"]
    assert "Upload at least one file" in shown_text(at.info)
    assert at.segmented_control[0].value == "Upload"


def test_upload_adjust_a_mapping_and_publish_a_new_dataset(app_tiny_db: Path):
    at = _data_page()
    at.file_uploader[TRANSACTIONS].set_value(("orders.csv", TRANSACTIONS_CSV.encode(), "text/csv")).run()
    assert not at.exception
    assert "Nothing blocks publishing" in shown_text(at.success)
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Rows read"], metrics["To publish"], metrics["Rejected"]) == ("4", "4", "0")
    channel = keyed(at.selectbox, "d_map_channel_transactions")
    assert channel.value == "channel"
    channel.set_value("— not mapped —").run()  # the analyst decides the channel column is not wanted
    assert not at.exception
    product = keyed(at.selectbox, "d_map_product_transactions")
    product.set_value("channel").run()  # ... and maps it to the product instead
    assert keyed(at.selectbox, "d_map_product_transactions").value == "channel"
    at.radio[0].set_value("New dataset").run()
    keyed(at.text_input, "d_newname").input("orders").run()
    _button(at, "Publish").click().run()
    assert not at.exception
    assert "Published orders version 1: 3 customers, 4 transactions, 0 interactions" in shown_text(at.success)
    assert at.query_params["ds"] == ["orders"] or at.query_params["ds"] == "orders"
    store = Store(app_tiny_db)
    try:
        version = store.active_version("orders")
        assert version.columns["transactions"] == ("customer_id", "ts", "amount", "product")
        assert store.dataset_names() == ["orders", "tiny"]
    finally:
        store.close()


def test_telco_through_the_page_then_the_overview_shows_its_churn(empty_db: Path):
    at = _data_page()
    at.file_uploader[CUSTOMERS].set_value(("telco.csv", (FIXTURES / "telco_customer_churn.csv").read_bytes(), "text/csv")).run()
    assert not at.exception
    assert "column 'TotalCharges' holds numbers but 11 rows are blank" in shown_text(at.warning)
    keyed(at.selectbox, "d_map_segment_customers").set_value("Contract").run()
    keyed(at.text_input, "d_newname").input("telco").run()
    _button(at, "Publish").click().run()
    assert not at.exception
    metrics = _overview_metrics(empty_db)
    # the file itself: one row per customer, Churn = Yes for those who left (1,869 of 7,043 = 26.54 %)
    telco = pd.read_csv(FIXTURES / "telco_customer_churn.csv")
    assert metrics["Customers"] == f"{len(telco):,}" == "7,043"
    assert metrics["Churn rate"] == f"{(telco['Churn'] == 'Yes').mean() * 100:.2f} %" == "26.54 %"


def test_a_blocking_problem_disables_publish_until_the_format_is_chosen(empty_db: Path):
    at = _data_page()
    content = b"customer_id,date,amount\nC1,03/04/2024,1\nC2,05/06/2024,2\n"
    at.file_uploader[TRANSACTIONS].set_value(("march.csv", content, "text/csv")).run()
    assert "could be day first or month first" in shown_text(at.error)
    assert _button(at, "Publish").disabled
    keyed(at.selectbox, "d_date_date_transactions").set_value("day-first").run()
    assert not at.exception
    assert not _button(at, "Publish").disabled
    assert "Nothing blocks publishing" in shown_text(at.success)


def test_a_file_that_cannot_be_read_names_itself(empty_db: Path):
    at = _data_page()
    at.file_uploader[TRANSACTIONS].set_value(("orders.csv", b"\x89PNG\r\n\x1a\n" + bytes(100), "text/csv")).run()
    assert not at.exception
    assert "orders.csv is a PNG image, not a data file" in shown_text(at.error)


def test_read_settings_change_the_delimiter_and_read_again(empty_db: Path):
    at = _data_page()
    at.file_uploader[TRANSACTIONS].set_value(("orders.csv", TRANSACTIONS_CSV.encode(), "text/csv")).run()
    keyed(at.selectbox, "d_delim_transactions").set_value(";").run()
    assert not at.exception
    assert "was read with semicolon (;) as delimiter but looks separated by comma (,)" in shown_text(at.error)
    keyed(at.selectbox, "d_delim_transactions").set_value("auto").run()
    assert "Nothing blocks publishing" in shown_text(at.success)


def test_behaviour_flag_and_derived_column_forms(empty_db: Path):
    at = _data_page()
    content = b"id,Paper,Months\nA,Yes,12\nB,No,3\n"
    at.file_uploader[CUSTOMERS].set_value(("c.csv", content, "text/csv")).run()
    keyed(at.text_input, "d_flag_key").input("e_billing")
    keyed(at.selectbox, "d_flag_source").set_value("Paper")
    next(b for b in at.button if b.label == "Add flag").click().run()
    assert not at.exception
    assert any("b_e_billing" in m.value for m in at.markdown)
    add_rule(at, "signup_date", "months_before", "Months", "2024-12-31")
    assert not at.exception
    assert keyed(at.selectbox, "d_map_signup_date_customers").value == "— from a rule —"
    # a bad rule is refused with the reason
    add_rule(at, "region", "product")
    assert "a product gives a number, but region is text" in shown_text(at.error)
    keyed(at.button, "d_rm_b_e_billing").click().run()
    assert not any("b_e_billing" in m.value for m in at.markdown)


def test_discard_forgets_the_upload(empty_db: Path):
    at = _data_page()
    at.file_uploader[TRANSACTIONS].set_value(("orders.csv", TRANSACTIONS_CSV.encode(), "text/csv")).run()
    _button(at, "Discard this upload").click().run()
    assert not at.exception
    assert "Upload at least one file" in shown_text(at.info)


def test_datasets_activate_rename_and_delete_with_confirmation(app_tiny_db: Path):
    from tests.tiny import tiny_tables

    store = Store(app_tiny_db)
    store.publish(
        "tiny",
        tiny_tables(),
        source_files=[{"table": "customers", "name": "c.csv", "bytes": 2048, "sha256": "ab" * 32, "rows": 5}],
    )
    store.close()
    at = _data_page({"d_view": "Datasets"})
    assert not at.exception
    assert at.dataframe[0].value["dataset"].tolist() == ["tiny"]
    versions = at.dataframe[1].value
    assert versions["version"].tolist() == [2, 1] and versions["active"].tolist() == ["✓", ""]
    assert at.dataframe[2].value["file"].tolist() == ["c.csv"]
    keyed(at.selectbox, "w:d_version").set_value(1).run()
    _button(at, "Make version 1 active").click().run()
    assert not at.exception
    assert at.dataframe[1].value["active"].tolist() == ["", "✓"]
    _button(at, "Delete version 1…").click().run()
    assert "Delete version 1 of tiny?" in shown_text(at.warning)
    _button(at, "Cancel").click().run()
    assert not at.warning
    _button(at, "Delete version 1…").click().run()
    _button(at, "Yes, delete").click().run()
    assert at.dataframe[1].value["version"].tolist() == [2]
    keyed(at.text_input, "d_newname").input("tiny shop")
    next(b for b in at.button if b.label == "Rename").click().run()
    assert not at.exception
    assert at.dataframe[0].value["dataset"].tolist() == ["tiny shop"]
    _button(at, "Delete dataset tiny shop…").click().run()
    _button(at, "Yes, delete").click().run()
    assert not at.exception
    assert "No dataset yet" in shown_text(at.info)


def test_templates_are_listed_and_deleted(empty_db: Path):
    at = _data_page()
    at.file_uploader[TRANSACTIONS].set_value(("orders.csv", TRANSACTIONS_CSV.encode(), "text/csv")).run()
    keyed(at.text_input, "d_newname").input("orders").run()
    _button(at, "Publish").click().run()
    at.segmented_control[0].set_value("Templates").run()
    assert not at.exception
    assert at.dataframe[0].value["template"].tolist() == ["transactions of orders"]
    assert at.query_params["d_view"] in ("Templates", ["Templates"])
    _button(at, "Delete this template").click().run()
    assert "No template yet" in shown_text(at.info)
    # the same header again: the template was deleted, so the automatic mapping is used; publishing saves a new one
    at.segmented_control[0].set_value("Upload").run()
    at.file_uploader[TRANSACTIONS].set_value(("orders.csv", TRANSACTIONS_CSV.encode(), "text/csv")).run()
    assert not any("mapping template '" in c.value for c in at.caption)


def test_presentation_mode_leaves_out_uploading(app_tiny_db: Path):
    at = _data_page({"present": "1"})
    assert not at.exception
    assert not at.file_uploader
    assert "leave presentation mode" in shown_text(at.info)


def _all_text(at: AppTest) -> str:
    return shown_text([*at.markdown, *at.warning, *at.info, *at.success, *at.caption])


def test_anonymous_ids_are_proposed_and_edited_on_the_page(empty_db: Path):
    sales = "customer_id,date,amount\nC1,2024-01-05,100\n0,2024-01-06,40\nC2,2024-01-07,60\nunknown,2024-01-08,25\n"
    at = _data_page()
    at.file_uploader[TRANSACTIONS].set_value(("sales.csv", sales.encode(), "text/csv")).run()
    assert not at.exception
    box = keyed(at.text_input, "d_anonymous_transactions")
    assert box.value.startswith("0, blank, anonymous")
    assert "2 rows have an anonymous customer ID" in _all_text(at)
    box.set_value("0").run()  # "unknown" is a real customer's ID here, the analyst says
    assert not at.exception
    assert keyed(at.text_input, "d_anonymous_transactions").value == "0"
    assert "1 row has an anonymous customer ID" in _all_text(at)


def test_a_time_of_day_column_is_proposed_and_can_be_changed(empty_db: Path):
    calls = "Caller,Call date,Call time,Received via\nC1,22-Apr-15,09:15,Phone\nC2,23-Apr-15,2:30 PM,Web form\n"
    at = _data_page()
    at.file_uploader[INTERACTIONS].set_value(("calls.csv", calls.encode(), "text/csv")).run()
    assert not at.exception
    time_box = next(s for s in at.selectbox if s.label == "Time of day for ts")
    assert time_box.value == "Call time"
    assert "Nothing blocks publishing" in shown_text(at.success)
    assert "Two-digit years: 00-68 are read as 2000-2068" in shown_text(at.caption)
    time_box.set_value("").run()
    assert not at.exception
    assert next(s for s in at.selectbox if s.label == "Time of day for ts").value == ""


def test_a_file_without_ids_gets_them_from_the_row_number(empty_db: Path):
    campaign = "Name,Signed up\nAda,2024-01-02\nBen,2024-01-03\n"
    at = _data_page()
    at.file_uploader[CUSTOMERS].set_value(("campaign.csv", campaign.encode(), "text/csv")).run()
    assert "no column is mapped to customer_id" in shown_text(at.error)
    keyed(at.selectbox, "d_rule_target_customers").set_value("customer_id")
    keyed(at.selectbox, "d_rule_kind_customers").set_value("row_number")
    next(b for b in at.button if b.label == "Add rule").click().run()
    assert not at.exception
    assert "Nothing blocks publishing" in shown_text(at.success)
