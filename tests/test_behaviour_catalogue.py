"""The behaviour catalogue: the default utility catalogue, checks with clear messages, storage per dataset."""

from __future__ import annotations

import json

import pytest

from dashboard.metrics.behaviours import catalogue as bc
from dashboard.store import Store


def test_the_default_catalogue_holds_the_articles_eight_behaviours():
    catalogue = bc.default_catalogue()
    assert catalogue.keys == (
        "no_call_centre",
        "self_service",
        "autopay",
        "e_billing",
        "budget_billing",
        "load_control",
        "smart_meter",
        "efficient_equipment",
    )
    e_billing = catalogue.get("e_billing")
    assert (e_billing.saving, e_billing.best_in_class, e_billing.assumption) == (11.0, 0.84, False)
    assert "Article" in e_billing.best_in_class_source and "Article" in e_billing.saving_source
    others = [b for b in catalogue.behaviours if b.key != "e_billing"]
    assert all(b.assumption for b in others), "every figure but e-billing's is marked as an assumption"
    assert catalogue.get("no_call_centre").measure == bc.Measure("no_contact", channels=("phone",), months=12, max_contacts=0)
    assert catalogue.get("self_service").measure.channels == ("app", "ivr", "web")
    assert catalogue.notes, "the file says where its figures come from"
    assert catalogue.scope == "auto"


def test_descriptions_say_how_each_behaviour_is_measured():
    catalogue = bc.default_catalogue()
    no_call = catalogue.get("no_call_centre").measure.describe()
    assert no_call == "no customer-started contact on phone in the last 12 months as a customer"
    assert catalogue.get("self_service").measure.describe() == "at least 50 % of own contacts on app, ivr, web (all history)"
    assert catalogue.get("e_billing").measure.describe() == "flag b_e_billing is yes"
    rule = bc.Measure("rule", column="referrals", operator=">=", value="1")
    assert rule.describe() == 'rule: referrals >= "1"'


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        (bc.Behaviour("Bad Key", "X"), "lowercase"),
        (bc.Behaviour("x", ""), "name"),
        (bc.Behaviour("x", "X", saving=-1), "saving"),
        (bc.Behaviour("x", "X", best_in_class=1.2, estimated_adoption=0.1), "best-in-class"),
        (bc.Behaviour("x", "X", measure=bc.Measure("estimate")), "estimated current adoption"),
        (bc.Behaviour("x", "X", measure=bc.Measure("flag", column="paperless")), "b_ column"),
        (bc.Behaviour("x", "X", measure=bc.Measure("rule", column="segment", operator="equals")), "needs a value"),
        (bc.Behaviour("x", "X", measure=bc.Measure("rule", column="a; drop", operator="is set")), "not a column name"),
        (bc.Behaviour("x", "X", measure=bc.Measure("rule", column="segment", operator="like", value="a")), "operator"),
        (bc.Behaviour("x", "X", measure=bc.Measure("no_contact", channels=())), "at least one channel"),
        (bc.Behaviour("x", "X", measure=bc.Measure("self_service", channels=("web",), min_share=0)), "share"),
        (bc.Behaviour("x", "X", measure=bc.Measure("no_contact", channels=("phone",), months=500)), "months"),
        (bc.Behaviour("x", "X", measure=bc.Measure("teleport")), "kind"),
    ],
)
def test_bad_entries_are_refused_with_a_message_naming_the_field(behaviour, message):
    with pytest.raises(bc.CatalogueError, match=message):
        behaviour.validate()


def test_duplicates_are_refused():
    one = bc.Behaviour("a", "Same", estimated_adoption=0.1, measure=bc.Measure("estimate"))
    with pytest.raises(bc.CatalogueError, match="key"):
        bc.Catalogue((one, one)).validate()
    with pytest.raises(bc.CatalogueError, match="name"):
        bc.Catalogue((one, bc.Behaviour("b", "same", estimated_adoption=0.1, measure=bc.Measure("estimate")))).validate()


def test_json_round_trip_keeps_only_the_measures_parameters():
    catalogue = bc.default_catalogue()
    stored = catalogue.to_json()
    assert stored["behaviours"][3]["measure"] == {"kind": "flag", "column": "b_e_billing"}
    assert bc.catalogue_from_json(json.loads(json.dumps(stored))) == catalogue
    with pytest.raises(bc.CatalogueError):
        bc.catalogue_from_json({"behaviours": "no"})


def test_upsert_and_without():
    catalogue = bc.default_catalogue()
    new = bc.Behaviour("reads_meter", "Reads its own meter", bc.Measure("estimate"), saving=3.0, estimated_adoption=0.2)
    grown = catalogue.upsert(new)
    assert grown.keys[-1] == "reads_meter"
    changed = grown.upsert(bc.Behaviour("e_billing", "E-billing", bc.Measure("flag", column="b_e_billing"), saving=12.0))
    assert changed.get("e_billing").saving == 12.0 and changed.keys == grown.keys
    assert "reads_meter" not in changed.without("reads_meter").keys


def test_keys_are_made_from_names():
    assert bc.key_for("Reads its own meter!") == "reads_its_own_meter"
    assert bc.key_for("E-billing", ("e_billing",)) == "e_billing_2"
    assert bc.key_for("24/7 app") == "b_24_7_app"
    assert bc.key_for("???") == "behaviour"


def test_flags_of_the_data_missing_from_the_catalogue_are_added():
    catalogue = bc.with_data_flags(bc.default_catalogue(), ["b_e_billing", "b_paperless_statements"])
    added = catalogue.get("paperless_statements")
    assert added.name == "Paperless statements"
    assert added.measure == bc.Measure("flag", column="b_paperless_statements")
    assert (added.saving, added.best_in_class, added.assumption) == (0.0, None, True)
    assert len(catalogue.behaviours) == 9
    assert bc.unused_flags(bc.default_catalogue(), ["b_e_billing", "b_paperless_statements", "segment"]) == [
        "b_paperless_statements"
    ]


def test_each_dataset_keeps_its_own_catalogue(tmp_path):
    store = Store(tmp_path / "c.duckdb")
    assert bc.load_catalogue(store, "a") == bc.default_catalogue()
    mine = bc.default_catalogue().without("smart_meter")
    bc.save_catalogue(store, "a", mine)
    # a saved catalogue is kept as saved: the unused b_smart_meter flag is not added back
    assert bc.load_catalogue(store, "a", ["b_smart_meter"]).keys == mine.keys
    assert bc.load_catalogue(store, "new", ["b_smart_meter", "b_x"]).keys[-1] == "x"
    assert bc.load_catalogue(store, "b").keys == bc.default_catalogue().keys
    store.set_setting("b", bc.SETTING, {"behaviours": [{"key": "BAD"}]})
    broken = bc.load_catalogue(store, "b")
    assert broken.keys == bc.default_catalogue().keys and "could not be read" in broken.problems[0]
    bc.reset_catalogue(store, "a")
    assert bc.load_catalogue(store, "a") == bc.default_catalogue()
    store.close()
