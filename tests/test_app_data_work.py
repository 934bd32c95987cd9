"""The Data page keeps the analyst's work (issue 14, item 8) and joins a table's files on a key (item 1), through AppTest."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import add_rule, data_page, keyed, page_text
from tests.ingest_helpers import TRANSACTIONS_CSV

CUSTOMERS, TRANSACTIONS = 0, 1
STATUS = b"customerID,Contract,Churn\nC1,Month-to-month,Yes\nC2,One year,No\nC3,Two year,No\n"
SERVICES = b"CustID,PaperlessBilling\nC1,Yes\nC3,No\nC9,Yes\n"


def test_upload_then_datasets_then_upload_keeps_the_files_and_the_mapping(empty_db: Path) -> None:
    at = data_page()
    at.file_uploader[TRANSACTIONS].set_value(("orders.csv", TRANSACTIONS_CSV.encode(), "text/csv")).run()
    keyed(at.selectbox, "d_map_product_transactions").set_value("channel").run()
    at.segmented_control[0].set_value("Datasets").run()
    assert not at.exception
    at.segmented_control[0].set_value("Upload").run()
    assert not at.exception
    assert "Kept from before: orders.csv" in page_text(at)
    assert keyed(at.selectbox, "d_map_product_transactions").value == "channel"  # the analyst's choice, not a fresh guess
    assert "Nothing blocks publishing" in page_text(at)
    assert not next(b for b in at.button if b.label == "Publish").disabled


def test_the_chosen_table_tab_is_kept_when_its_mapping_changes(empty_db: Path) -> None:
    at = data_page()
    at.file_uploader[CUSTOMERS].set_value(("status.csv", STATUS, "text/csv")).run()
    at.file_uploader[TRANSACTIONS].set_value(("orders.csv", TRANSACTIONS_CSV.encode(), "text/csv")).run()
    assert [t.label for t in at.tabs] == ["Customers", "Transactions"]  # labels that do not change with the files
    at.session_state["d_tab"] = "Transactions"  # what a click on the tab leaves (AppTest cannot click a tab)
    at.run()
    keyed(at.selectbox, "d_map_product_transactions").set_value("channel").run()
    assert not at.exception
    assert at.session_state["d_tab"] == "Transactions"
    assert at.query_params["d_tab"] in (["Transactions"], "Transactions")


def test_enter_in_the_flag_name_adds_nothing_and_keeps_the_name(empty_db: Path) -> None:
    at = data_page()
    at.file_uploader[CUSTOMERS].set_value(("status.csv", STATUS, "text/csv")).run()
    keyed(at.text_input, "d_flag_key").input("e_billing")
    next(b for b in at.button if b.label == "Add flag").click().run()  # what Enter in the name box does: submit the form
    assert not at.exception
    assert "Name the flag and choose the column it comes from" in page_text(at)
    assert not any("b_e_billing" in m.value for m in at.markdown)  # no flag bound to a column nobody chose
    assert keyed(at.text_input, "d_flag_key").value == "e_billing"


def test_a_rule_needs_its_column_and_kind_chosen(empty_db: Path) -> None:
    at = data_page()
    at.file_uploader[CUSTOMERS].set_value(("status.csv", STATUS, "text/csv")).run()
    keyed(at.text_input, "d_rule_value").input("2024-12-31")
    next(b for b in at.button if b.label == "Add rule").click().run()
    assert "Choose the column to fill and the rule" in page_text(at)
    assert keyed(at.text_input, "d_rule_value").value == "2024-12-31"


def test_a_rule_whose_values_are_all_unreadable_blocks_publishing(empty_db: Path) -> None:
    at = data_page()
    content = b"customer_id,Tenure\nA,long\nB,short\n"
    at.file_uploader[CUSTOMERS].set_value(("c.csv", content, "text/csv")).run()
    if keyed(at.selectbox, "d_map_signup_date_customers").value != "— from a rule —":
        add_rule(at, "signup_date", "months_before", "Tenure", "2024-12-31")
    assert not at.exception
    text = page_text(at)
    assert "c.csv: not one of the 2 values of rule" in text
    assert "Pick another column or rule for signup_date, or remove it" in text
    assert next(b for b in at.button if b.label == "Publish").disabled


def test_two_customer_files_joined_on_the_page(empty_db: Path) -> None:
    at = data_page()
    at.file_uploader[CUSTOMERS].set_value([("status.csv", STATUS, "text/csv"), ("services.csv", SERVICES, "text/csv")]).run()
    assert not at.exception
    keyed(at.radio, "d_join_mode_customers").set_value("Join them on key columns")
    assert keyed(at.selectbox, "d_join_key_customers").value == "customerID"  # the column mapped to customer_id
    keyed(at.selectbox, "d_jk1_customers").set_value("CustID")
    next(b for b in at.button if b.label == "Apply").click().run()
    assert not at.exception
    text = page_text(at)
    assert "services.csv joined to status.csv on customerID = CustID: 2 rows of 3 of status.csv matched (66.7%)" in text
    assert "b_e_billing = column 'PaperlessBilling' (yes/no)" in text.replace("`", "")  # the joined column, suggested
    labels = [b.label for b in at.get("download_button")]
    assert "Download the 2 unmatched rows (CSV)" in labels
    assert "Nothing blocks publishing" in text


def test_a_templates_join_with_one_file_says_so_and_can_be_taken_back(empty_db: Path) -> None:
    from dashboard.ingest import templates
    from dashboard.ingest.joinspec import JoinFile, JoinSpec
    from dashboard.ingest.mapping import TableMapping
    from dashboard.store import Store

    store = Store(empty_db)
    try:
        joined = TableMapping("customers", {"customer_id": "customerID"}, join=JoinSpec("customerID", (JoinFile("CustID"),)))
        templates.save(store, "customers", ["customerID", "Contract", "Churn"], joined, "telco")
    finally:
        store.close()
    at = data_page()
    at.file_uploader[CUSTOMERS].set_value(("status.csv", STATUS, "text/csv")).run()
    assert not at.exception
    assert "customers: the mapping joins files on 'customerID' but only status.csv came" in page_text(at)
    assert next(b for b in at.button if b.label == "Publish").disabled
    keyed(at.radio, "d_join_mode_customers").set_value("Append them (the files hold the same columns)")
    next(b for b in at.button if b.label == "Apply").click().run()
    assert not at.exception
    assert "only status.csv came" not in page_text(at)
    assert "Nothing blocks publishing" in page_text(at)


def test_the_analyst_chooses_which_file_comes_first(empty_db: Path) -> None:
    at = data_page()
    at.file_uploader[CUSTOMERS].set_value([("services.csv", SERVICES, "text/csv"), ("status.csv", STATUS, "text/csv")]).run()
    keyed(at.selectbox, "d_join_first_customers").set_value("status.csv").run()
    assert not at.exception
    keyed(at.radio, "d_join_mode_customers").set_value("Join them on key columns")
    keyed(at.selectbox, "d_join_key_customers").set_value("customerID")
    keyed(at.selectbox, "d_jk1_customers").set_value("CustID")
    next(b for b in at.button if b.label == "Apply").click().run()
    assert not at.exception
    assert "services.csv joined to status.csv on customerID = CustID: 2 rows of 3 of status.csv matched" in page_text(at)
