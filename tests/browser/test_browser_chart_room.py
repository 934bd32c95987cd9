"""Room for the axis labels in a real browser: on every page, normal and in presentation mode, no axis of any chart
needs a margin past the one the server set (charts.room), so plotly.js lays each chart out once instead of laying it
out, measuring its labels and laying it out again. Labels plotly.js turns (when they do not fit side by side) and a
legend of more than two rows under a plot (the Journey map's channels below a 1,280 px window) are not foreseen; they
still get their room, by the second layout."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

import dashboard.metrics.prepared  # noqa: F401  (registers the preparation publish runs)
from tests import shapes
from tests.browser.conftest import wait_for_app, wait_for_charts
from tests.browser.server import AppServer, start_server

pytestmark = pytest.mark.browser

PAGES = ("", "Journey", "Funnel", "Behaviours", "What-if", "Defection", "Drivers")

# Per chart: its margins as drawn and, for every axis, the margin its labels and title need at the figure's edge.
AXIS_NEEDS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(g => {
  const L = g._fullLayout, needs = [];
  for (const [id, push] of Object.entries(L._pushmargin || {})) {
    if (id === 'legend' && push.b && push.b.val < 0) {
      // a legend under the plot of up to two rows (10 px of padding, 20 px a row): it needs its height below y × the
      // plot's height; more rows are left to plotly.js
      if (L.legend._height > 10 + 2 * 20 + 5) continue;
      needs.push([id, 'b', Math.round((push.b.size - push.b.val * L._size.h) * 10) / 10]);
      continue;
    }
    if (!id.endsWith('.automargin')) continue;
    const axis = L[id[0] + 'axis' + id.slice(1, id.indexOf('.'))];
    const angles = Object.values(axis && axis._tickAngles || {});
    if (angles.some(a => a !== 0 && a !== 'auto')) continue;  // turned labels: not foreseen
    for (const [side, edge] of [['l', 0], ['r', 1], ['b', 0], ['t', 1]]) {
      if (push[side] && push[side].val === edge) needs.push([id, side, Math.round(push[side].size * 10) / 10]);
    }
  }
  const m = L.margin;
  return {title: (L.title.text || '').replace(/<[^>]+>/g, '').slice(0, 50), margin: {l: m.l, r: m.r, t: m.t, b: m.b}, needs};
})"""


UNLIKE_THE_SAMPLE = (
    "touchpoints_only",
    "single_month",
    "no_churn_information",
    "leads_and_deals",
    "one_touchpoint_per_customer",
    "huge_and_tiny_segments",
)
"""Shapes whose charts draw empty axes, one month, tiny and huge numbers: two of them once needed more than was set."""


REPEATED_TICKS = """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap((g) => {
  const L = g._fullLayout;
  return Object.keys(L).filter((k) => /^[xy]axis\\d*$/.test(k) && L[k].visible !== false).flatMap((k) => {
    const texts = (L[k]._vals || []).map((t) => t.text);
    const title = (L.title.text || '').replace(/<[^>]+>/g, '');
    return new Set(texts).size < texts.length ? [`'${title}' ${k}: ${texts.join(' | ')}`] : [];
  });
})"""
"""Every axis that writes one tick label twice (whole numbers ticked in 0.2 steps read "0 | 0 | 0 | 1")."""


def _short_margins(page: Page, url: str, paths: tuple[str, ...], dataset: str, present: bool = False) -> tuple[int, list[str]]:
    """(charts drawn, every axis or legend that needed more margin than it had, and every axis that writes a tick
    label twice) over the pages of a dataset."""
    charts, short = 0, []
    for path in paths:
        page.goto(f"{url}/{path}?ds={dataset}" + ("&present=1" if present else ""))
        wait_for_app(page)
        wait_for_charts(page)
        short += [f"{dataset} {path or 'Overview'} repeats a tick label: {axis}" for axis in page.evaluate(REPEATED_TICKS)]
        for chart in page.evaluate(AXIS_NEEDS):
            charts += 1
            short += [
                f"{dataset} {path or 'Overview'} '{chart['title']}' {axis}: needs {side} {need} px, has {chart['margin'][side]}"
                for axis, side, need in chart["needs"]
                if need > chart["margin"][side] + 0.5
            ]
    return charts, short


@pytest.mark.parametrize("present", [False, True], ids=["normal", "presentation"])
def test_every_axis_fits_in_the_margins_the_server_set(sample_server, page: Page, present: bool):
    page.set_viewport_size({"width": 1280, "height": 900})
    charts, short = _short_margins(page, sample_server.url, PAGES, "sample", present)
    assert charts >= 8, f"only {charts} charts drawn"
    assert not short, "margins plotly.js had to grow (a second layout):\n" + "\n".join(short)


@pytest.fixture(scope="module")
def shapes_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    folder = tmp_path_factory.mktemp("room_shapes")
    server = start_server(shapes.publish_all(folder / "shapes.duckdb", folder, list(UNLIKE_THE_SAMPLE)), folder)
    yield server
    server.stop()


def test_every_axis_fits_on_data_shaped_unlike_the_sample(shapes_server, page: Page):
    page.set_viewport_size({"width": 1280, "height": 900})
    charts, short = 0, []
    for dataset in UNLIKE_THE_SAMPLE:
        drawn, missing = _short_margins(page, shapes_server.url, ("", "What-if", "Defection", "Drivers"), dataset)
        charts, short = charts + drawn, short + missing
    assert charts >= 15, f"only {charts} charts drawn"
    assert not short, "margins plotly.js had to grow (a second layout):\n" + "\n".join(short)
