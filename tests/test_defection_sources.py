"""The Defection breakdowns use the Funnel's stage of each customer and the Behaviours page's count of behaviours."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.metrics import behaviours, defection_sources, stages
from dashboard.metrics import defection as d
from dashboard.metrics import defection_figures as f
from dashboard.metrics.behaviour_catalogue import Catalogue
from dashboard.store import Store, StoreError
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
        stage_sql, stage_params = stages.customer_stage_sql(version, model)
        funnel = dict(cur.execute(stage_sql, stage_params).fetchall())
        count_sql, count_params = behaviours.customer_behaviours_sql(version, catalogue)
        counted = {row[0]: row[1] for row in cur.execute(count_sql, count_params).fetchall()}
        rows = f.breakdown(cur, version, spec)
    assert len(scoped) == 7
    # worked out from tests/tiny_defection.py under the default stage rules and the default catalogue
    assert scoped["stage"].to_dict() == {
        "A": "loyal",
        "B": "defected",
        "C": "repeat",
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
        by_live = f.breakdown(cur, version, live)
        by_kept = f.breakdown(cur, version, from_table)
        tables = cur.execute(
            "select count(*) from duckdb_tables() where schema_name = ? and table_name like 'df_stage_%'", [version.schema]
        ).fetchall()[0][0]
    assert tables == 1
    pd.testing.assert_frame_equal(by_live, by_kept)
    with pytest.raises(StoreError):
        store.materialise(version, "Bad-name; drop", source.sql, source.params)
