"""The Defection breakdowns use the Funnel's stage of each customer and the Behaviours page's count of behaviours."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from dashboard.metrics.behaviours import adoption as behaviours
from dashboard.metrics.behaviours.catalogue import Catalogue
from dashboard.metrics.defection import sources as defection_sources
from dashboard.metrics.defection import status as d
from dashboard.metrics.funnel import stage_sql, stages
from dashboard.store import Store, StoreError
from tests import defection_paths
from tests.tiny_defection import defection_tables


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("sources") / "tiny.duckdb")
    version = store.publish("tiny", defection_tables())
    yield store, version
    store.close()


def test_each_customer_gets_the_funnel_stage_and_the_behaviours_count(tiny):
    store, version = tiny
    model = stages.load_model(store, "tiny")
    catalogue = behaviours.catalogue_for(store, version)
    spec = d.DefectionSpec(
        definition=d.Definition(alive=False),
        stage_source=defection_sources.stage_source(version, model),
        behaviour_source=defection_sources.behaviour_source(version, catalogue),
    )
    with store.cursor() as cur:
        sql, params = d.scoped_sql(cur, version, spec, groups=True)
        scoped = cur.execute(f"select customer_id, stage, behaviours from ({sql})", params).df().set_index("customer_id")
        stage_query, stage_params = stage_sql.customer_stage_sql(version, model)
        funnel = dict(cur.execute(stage_query, stage_params).fetchall())
        count_sql, count_params = behaviours.customer_behaviours_sql(version, catalogue)
        counted = {row[0]: row[1] for row in cur.execute(count_sql, count_params).fetchall()}
        rows = defection_paths.breakdown(cur, version, spec)
    assert len(scoped) == 7
    # worked out from tests/tiny_defection.py under the default stage rules and the default catalogue; C's stage
    # column says repeat, but at risk is the staged answer every page reads (no purchase for 107 days > 90)
    assert scoped["stage"].to_dict() == {
        "A": "loyal",
        "B": "defected",
        "C": "at risk",
        "D": "repeat",
        "E": "first purchase",
        "F": "defected",
        "G": "advocate",
    }
    assert scoped["stage"].to_dict() == {c: funnel[c] for c in scoped.index}
    assert set(funnel.values()) <= set(model.names)
    assert scoped["behaviours"].to_dict() == {c: counted[c] for c in scoped.index}
    by_stage = rows[rows["dimension"] == "stage"].set_index("value")["customers"]
    assert by_stage.sum() == len(scoped)


def test_no_behaviour_source_when_the_catalogue_measures_nothing(tiny):
    _, version = tiny
    assert defection_sources.behaviour_source(version, Catalogue(())) is None


def test_a_source_kept_as_a_table_gives_the_same_breakdown_and_is_built_once(tiny):
    store, version = tiny
    source = defection_sources.stage_source(version, stages.load_model(store, "tiny"))
    kept = defection_sources.keep(store, version, source, "stage")
    assert defection_sources.keep(store, version, source, "stage") == kept  # found, not built again
    assert kept.key == "customer_key"
    live = d.DefectionSpec(definition=d.Definition(alive=False), stage_source=source)
    from_table = d.DefectionSpec(definition=d.Definition(alive=False), stage_source=kept)
    with store.cursor() as cur:
        by_live = defection_paths.breakdown(cur, version, live)
        by_kept = defection_paths.breakdown(cur, version, from_table)
        tables = cur.execute(
            "select count(*) from duckdb_tables() where schema_name = ? and table_name like 'df_stage_%'", [version.schema]
        ).fetchall()[0][0]
    assert tables == 1
    pd.testing.assert_frame_equal(by_live, by_kept)
    with pytest.raises(StoreError):
        store.materialise(version, "Bad-name; drop", source.query)


def test_the_page_takes_stages_a_year_before_and_names_those_who_joined_since(tmp_path):
    tables = defection_tables()
    tables["customers"] = tables["customers"].drop(columns=["stage"])  # stages then come from the Funnel's rules
    store = Store(tmp_path / "rules.duckdb")
    version = store.publish("rules", tables)
    stage, counted, day = defection_sources.page_sources(store, version, "rules")
    # as of 31 Dec 2024 (A's last purchase): stages on 1 Jan 2024, when only A-D (joining that day) and G had joined
    assert day == date(2024, 1, 1)
    assert counted is not None and stage.key == "customer_key"
    with store.cursor() as cur:
        spec = d.DefectionSpec(definition=d.Definition(alive=False), stage_source=stage)
        sql, params = d.scoped_sql(cur, version, spec, groups=True)
        stages_then = dict(cur.execute(f"select customer_id, stage from ({sql})", params).fetchall())
        known = dict(cur.execute(*stage_sql.customer_stage_sql(version, stages.load_model(store, "rules"), day)).fetchall())
        now = dict(cur.execute(*stage_sql.customer_stage_sql(version, stages.load_model(store, "rules"))).fetchall())
    store.close()
    assert set(stages_then) == set("ABCDEFG")
    for customer, stage_then in stages_then.items():
        assert stage_then == known.get(customer, defection_sources.NOT_YET)
    assert stages_then["E"] == stages_then["F"] == defection_sources.NOT_YET  # joined in 2024, after 1 Jan
    assert "defected" not in stages_then.values()  # nobody had left a year before
    # A-D signed up that day with no purchase yet; G (joined June 2023, monthly buyer) had bought more than once
    assert [stages_then[c] for c in "ABCDG"] == ["prospect"] * 4 + ["repeat"]
    assert now["B"] == "defected"  # whereas today B (who left) is in the stage "defected"


def test_a_stage_column_gives_stages_as_they_stand(tiny):
    store, version = tiny
    stage, _, day = defection_sources.page_sources(store, version, "tiny")
    assert day is None
    with store.cursor() as cur:
        spec = d.DefectionSpec(definition=d.Definition(alive=False), stage_source=stage)
        sql, params = d.scoped_sql(cur, version, spec, groups=True)
        assert dict(cur.execute(f"select customer_id, stage from ({sql})", params).fetchall())["B"] == "defected"
