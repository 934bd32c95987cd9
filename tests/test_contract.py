"""The data contract: tables, synonyms, vocabularies and yes/no parsing."""

from __future__ import annotations

import pytest

from dashboard import contract


def test_three_tables_with_their_required_columns():
    assert set(contract.TABLES) == {"customers", "transactions", "interactions"}
    assert contract.CUSTOMERS.required == ("customer_id",)
    assert contract.TRANSACTIONS.required == ("customer_id", "ts", "amount")
    assert contract.INTERACTIONS.required == ("customer_id", "ts", "channel")
    assert contract.CUSTOMERS.column("churned").sql_type == "boolean"


@pytest.mark.parametrize("header", ["customerID", "cust_id", "CustomerID", "Customer ID", "customer_id", "Account Number"])
def test_customer_id_synonyms(header: str):
    assert contract.auto_map("customers", ["other", header]) == {"customer_id": header}


@pytest.mark.parametrize("header", ["InvoiceDate", "order_date", "date", "Timestamp"])
def test_timestamp_synonyms(header: str):
    assert contract.auto_map("transactions", [header, "x"])["ts"] == header


def test_real_headers_map_as_an_analyst_expects():
    retail = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
    assert contract.auto_map("transactions", retail) == {
        "customer_id": "CustomerID",
        "ts": "InvoiceDate",
        "transaction_id": "InvoiceNo",
        "product": "StockCode",
    }
    cdnow = ["customer_id", "date", "number_of_cds", "dollar_value"]
    assert contract.auto_map("transactions", cdnow) == {"customer_id": "customer_id", "ts": "date", "amount": "dollar_value"}
    telco = ["customerID", "gender", "tenure", "Contract", "PaperlessBilling", "PaymentMethod", "TotalCharges", "Churn"]
    assert contract.auto_map("customers", telco) == {"customer_id": "customerID", "churned": "Churn"}


def test_exact_name_wins_over_synonym_and_each_header_is_used_once():
    mapping = contract.auto_map("interactions", ["date", "ts", "customer", "channel", "reason"])
    assert mapping["ts"] == "ts"
    assert mapping["customer_id"] == "customer"
    assert len(set(mapping.values())) == len(mapping)


def test_vocabularies():
    assert contract.CHANNELS.map_label("Call Centre") == "phone"
    assert contract.CHANNELS.map_label("E-mail") == "email"
    assert contract.CHANNELS.map_label("carrier pigeon") is None
    assert contract.JOURNEY_STAGES.map_label("Complaints") == "complaint"
    assert contract.RELATIONSHIP_STAGES.labels == (
        "prospect",
        "first purchase",
        "repeat",
        "loyal",
        "advocate",
        "at risk",
        "defected",
    )
    assert contract.RELATIONSHIP_STAGES.map_label("Lead") == "prospect"


@pytest.mark.parametrize(("raw", "expected"), [("Yes", True), ("n", False), (1, True), ("0", False), ("TRUE", True), (" ", None)])
def test_parse_bool(raw, expected):
    assert contract.parse_bool(raw) is expected


def test_parse_bool_refuses_other_text():
    with pytest.raises(ValueError, match="yes/no"):
        contract.parse_bool("maybe")


def test_behaviour_keys_are_checked():
    assert contract.behaviour_column("e_billing") == "b_e_billing"
    with pytest.raises(ValueError):
        contract.behaviour_column('x"; drop')
