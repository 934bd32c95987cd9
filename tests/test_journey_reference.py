"""The Journey SQL agrees with plain pandas (benchmarks/reference/journey.py) on the bundled sample."""

from __future__ import annotations

from datetime import date

import pytest

from benchmarks.reference import journey as reference
from dashboard.metrics.journey import lanes as journey
from dashboard.metrics.journey import paths as journey_paths
from dashboard.metrics.journey import service as journey_service
from dashboard.metrics.journey.lanes import JourneySpec
from dashboard.metrics.journey.paths import PathSpec, VariantSpec
from dashboard.metrics.scope import Filters
from dashboard.store import Store

SCOPES = {
    "everyone": Filters(),
    "small business, north and east, 2024": Filters(("Small business",), ("North", "East"), date(2024, 1, 1), date(2024, 12, 1)),
    "from July 2025": Filters(month_from=date(2025, 7, 1)),
}


@pytest.fixture(scope="module")
def sample_version(sample_db_file):
    store = Store(sample_db_file, read_only=True)
    yield store, store.active_version("sample")
    store.close()


def run(sample_version, fn, spec):
    store, version = sample_version
    with store.cursor() as cur:
        return fn(cur, version, spec)


@pytest.mark.parametrize("scope", list(SCOPES))
@pytest.mark.parametrize("days", [1, 7, 30])
def test_first_contact_resolution_agrees(sample_version, sample_tables, scope, days):
    filters = SCOPES[scope]
    m = run(sample_version, journey_service.measures, JourneySpec(filters, repeat_days=days)).set_index("key")
    ref = reference.service(sample_tables, filters, days)
    assert m.loc["repeat_rate", "denominator"] == ref["contacts"]
    assert m.loc["repeat_rate", "numerator"] == ref["repeats"]
    assert (m.loc["fcr", "numerator"], m.loc["fcr", "denominator"]) == (ref["first_time"], ref["judged"])
    assert m.loc["channel_switching", "numerator"] == ref["switches"]
    assert (m.loc["customer_started", "numerator"], m.loc["customer_started", "denominator"]) == (
        ref["customer_started"],
        ref["initiator_known"],
    )


@pytest.mark.parametrize("scope", list(SCOPES))
def test_complaint_measures_agree(sample_version, sample_tables, scope):
    filters = SCOPES[scope]
    m = run(sample_version, journey_service.measures, JourneySpec(filters, repeat_days=7, sla_days=3)).set_index("key")
    ref = reference.complaints(sample_tables, filters, 7, 3)
    assert m.loc["complaints", "value"] == ref["complaints"]
    assert m.loc["resolution_median", "value"] == pytest.approx(ref["median_days"], rel=1e-9)
    assert m.loc["resolution_p90", "value"] == pytest.approx(ref["p90_days"], rel=1e-9)
    assert (m.loc["within_sla", "numerator"], m.loc["within_sla", "denominator"]) == (ref["within_sla"], ref["known_outcome"])
    assert m.loc["unresolved", "numerator"] == ref["unresolved"]


@pytest.mark.parametrize("scope", list(SCOPES))
@pytest.mark.parametrize(("steps", "nodes"), [(5, "stage"), (3, "channel"), (4, "both")])
def test_path_counts_agree(sample_version, sample_tables, scope, steps, nodes):
    filters = SCOPES[scope]
    ref = reference.path_counts(sample_tables, filters, steps, nodes)
    frame = run(sample_version, journey_paths.sankey, PathSpec(filters, steps, nodes, top_links=50))
    links = frame[frame["kind"] == "link"]
    got = {(int(r.step), r.source, r.target): int(r.customers) for r in links.itertuples(index=False)}
    for step in range(1, steps):
        # folding moves customers between links, never loses one: each step carries the customers who go on
        assert sum(n for key, n in got.items() if key[0] == step) == sum(n for key, n in ref["links"].items() if key[0] == step)
    # at step 1 nothing is folded yet on the source side: every link kept with a real target has its exact count,
    # and they are the 50 biggest
    kept = {key: n for key, n in got.items() if key[0] == 1 and key[2] != "Other"}
    assert kept and all(ref["links"][key] == n for key, n in kept.items())
    step_one = sorted((n for key, n in ref["links"].items() if key[0] == 1), reverse=True)
    assert sorted(kept.values(), reverse=True) == step_one[: len(kept)]
    assert len(kept) == min(50, len(step_one))
    first = frame[(frame["kind"] == "node") & (frame["step"] == 1)]["customers"].sum()
    assert first == ref["customers"]
    variants = run(sample_version, journey_paths.variants, VariantSpec(filters, steps, nodes, limit=15))
    for variant, customers in zip(variants["variant"], variants["customers"], strict=True):
        assert ref["variants"][variant] == customers
    top = sorted(ref["variants"].values(), reverse=True)[:15]
    assert sorted(variants["customers"].tolist(), reverse=True) == top


@pytest.mark.parametrize("scope", list(SCOPES))
def test_stage_figures_agree(sample_version, sample_tables, scope):
    filters = SCOPES[scope]
    lanes = run(sample_version, journey.stage_lanes, JourneySpec(filters)).set_index("stage")
    ref = reference.stages(sample_tables, filters)
    assert sorted(lanes.index) == sorted(ref.index)
    for stage, row in ref.iterrows():
        assert lanes.loc[stage, "touchpoints"] == row["touchpoints"]
        assert lanes.loc[stage, "customers"] == row["customers"]
        if row["satisfaction"] == row["satisfaction"]:
            assert lanes.loc[stage, "satisfaction"] == pytest.approx(row["satisfaction"], rel=1e-9)
