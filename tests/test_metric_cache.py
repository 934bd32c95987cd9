"""What a filter change recomputes: a dataset-wide answer (what the data can tell, its span, its definitions in words) is
worked out once per version, not again for every segment, region or month chosen."""

from __future__ import annotations

from collections import Counter

import pytest

from dashboard.metrics.defection import availability, status
from dashboard.metrics.drivers import spec as drivers
from dashboard.ui import cache
from tests.conftest import open_page

FILTERS = (
    {},
    {"segment": "Home"},
    {"segment": "Business", "region": "North"},
    {"segment": "Business", "region": "North", "period": "2024-02..2024-03"},
)


def test_reads_spec_tells_dataset_wide_metrics_by_their_ignored_spec():
    assert not cache.reads_spec(availability.availability)
    assert not cache.reads_spec(drivers.availability)
    assert cache.reads_spec(status.summary)


@pytest.mark.parametrize("page", ["Drivers", "Defection", "Funnel", "Journey"])
def test_a_filter_change_does_not_work_out_the_dataset_wide_answers_again(app_tiny_db, monkeypatch, page: str):
    computed: Counter[str] = Counter()
    resolve = cache._resolve

    def counted(fn_path: str):
        computed[fn_path] += 1  # _resolve runs only when a cached metric is worked out (a cache miss)
        return resolve(fn_path)

    monkeypatch.setattr(cache, "_resolve", counted)
    for filters in FILTERS:
        at = open_page(page, {"ds": "tiny", **filters})
        assert not at.exception, at.exception
    dataset_wide = {path for path in computed if not cache.reads_spec(resolve(path))}
    assert dataset_wide, "the page reads at least one dataset-wide answer"
    assert {path: computed[path] for path in dataset_wide} == dict.fromkeys(dataset_wide, 1)
    # and the filtered answers are worked out again for each filter, as they must be
    assert max(computed.values()) >= len(FILTERS)
