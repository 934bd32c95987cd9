"""What a person waits: every page's main actions timed in headless Chromium against `streamlit run`.

For each action: the time from the action (a click or key press) until the app is idle again with the changed
figures drawn (Streamlit's script state back to notRunning after a run, then two animation frames), the time from the
browser's rerun request (the first websocket frame it sends) to the same point, the bytes the server sent over the
websocket for it, and the server process's CPU time (user + system, from /proc) spent on it. Medians of --repeat.

Each repeat starts from a different region filter (North, South, ...), so a "first open" or "filter change" finds
nothing cached; the "cached" case repeats the same change in a new session, so every answer comes from the cache.

    python -m benchmarks.browser --customers 20000 100000 --repeat 5 --workdir /tmp/bench
    python -m benchmarks.browser --customers 20000 --repeat 3 --engine spark   # the same pages, prepared on Spark
    python -m benchmarks.browser --customers 1000000 --repeat 3 --pages What-if Defection   # only these pages

Not a test: nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from benchmarks import harness
from dashboard import sample
from dashboard.metrics import prepared
from dashboard.staged import engine as prep_engine
from dashboard.store import Store
from tests.browser.server import CHROMIUM, CHROMIUM_ARGS, AppServer

DATASET = "bench"
REGIONS = ("North", "South", "West", "East", "Central")
"""One region per repeat: each repeat's first open and filter change finds nothing cached."""
SEGMENT = "Small business"
DEFINITION = "Definition of a defected customer"

# When asked (window.__watch set to a text the figure starts with): the time of the last key press and the first time
# after it that the markdown starting with that text reads differently (the What-if's money figure drawn anew).
_OBSERVE_FIGURE = """
window.__watch = null; window.__key = 0; window.__figure = 0; window.__before = null;
const watched = () => [...document.querySelectorAll('[data-testid=stMarkdown]')]
  .map((e) => e.innerText).find((text) => window.__watch && text.includes(window.__watch));
addEventListener('keydown', () => {
  if (window.__watch) { window.__key = performance.now(); window.__figure = 0; window.__before = watched(); }
}, true);
new MutationObserver(() => {
  if (!window.__watch || !window.__key || window.__figure) return;
  const text = watched();
  if (text && text !== window.__before) window.__figure = performance.now();
}).observe(document, {subtree: true, childList: true, characterData: true});
"""
# The page's own clock for every timed action: when the person acted (the input event's time stamp: key, pointer or
# click, captured before any handler; a new document's navigation start), and the animation frame after the last
# change to the page (elements, text, and Streamlit's script state going back to idle), the frame whose paint shows
# it. Not every attribute: plotly sets thousands as it draws, each a record for the observer to make.
_OBSERVE_DRAWN = """
window.__input = 0; window.__drawn = 0; window.__armed = true;
for (const type of ['keydown', 'pointerdown', 'mousedown', 'click']) {
  addEventListener(type, (e) => { if (window.__armed) { window.__armed = false; window.__input = e.timeStamp; } }, true);
}
new MutationObserver(() => {
  requestAnimationFrame(() => { window.__drawn = performance.now(); });
}).observe(document, {subtree: true, childList: true, characterData: true, attributeFilter: ["data-test-script-state"]});
"""
_ARM = "() => { window.__armed = true; window.__input = 0; window.__drawn = 0; }"
_DRAWN = "() => (window.__drawn && window.__drawn > window.__input) ? window.__drawn - window.__input : null"
_NOT_RUNNING = "() => document.querySelector('[data-testid=\"stApp\"]')?.dataset.testScriptState === 'notRunning'"
_TWO_FRAMES = "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"


class Server(AppServer):
    """`streamlit run app.py` on a private copy of a database, on a free port."""

    def __init__(self, source_db: Path, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        db = folder / "cxlens.duckdb"
        shutil.copy(source_db, db)
        super().__init__(db, folder / "uploads", start_timeout_s=120)


@dataclass
class Sample:
    """One timed action."""

    wait_ms: float
    from_request_ms: float
    bytes_in: int
    server_cpu_ms: float
    drawn_ms: float | None = None
    """By the page's own clock: from the input event to the frame that paints the last change (None: not seen)."""


@dataclass
class Probe:
    """Watches one page's websocket: frames and bytes the server sent, when the browser last sent."""

    page: Page
    server: Server
    received: int = 0
    finished: int = 0
    sent_at: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.add_init_script(_OBSERVE_FIGURE)
        self.page.add_init_script(_OBSERVE_DRAWN)
        self.page.on("websocket", self._socket)

    def _socket(self, ws) -> None:
        ws.on("framereceived", lambda payload: self._received(payload))
        ws.on("framesent", lambda _payload: self.sent_at.append(time.perf_counter()))

    def _received(self, payload: str | bytes) -> None:
        self.received += len(payload)
        if isinstance(payload, bytes) and ForwardMsg.FromString(payload).WhichOneof("type") == "script_finished":
            self.finished += 1

    def timed(self, act: Callable[[], None], timeout_ms: float = 180_000) -> Sample:
        """Do act and wait until a run it caused has finished (the server's "script finished" message, page or
        fragment run, has arrived) and the result is drawn (Streamlit's script state notRunning, two frames later).
        Not the script state alone: a run answered from the cache can go to running and back within one render, so
        no change of it is ever seen (what the benchmark took for lost inputs)."""
        finished = self.finished
        if self.page.url.startswith("http"):
            self.page.evaluate(_ARM)
        received, cpu, sends = self.received, self.server.cpu_s(), len(self.sent_at)
        start = time.perf_counter()
        act()
        while self.finished <= finished:
            if (time.perf_counter() - start) * 1000 > timeout_ms:
                raise PlaywrightTimeout(f"no run finished within {timeout_ms:,.0f} ms of the action")
            self.page.wait_for_timeout(1)  # lets Playwright take the websocket's frames
        self.page.wait_for_function(_NOT_RUNNING, polling="raf", timeout=timeout_ms)
        self.page.evaluate(_TWO_FRAMES)
        end = time.perf_counter()
        request = self.sent_at[sends] if len(self.sent_at) > sends else start
        drawn = self.page.evaluate(_DRAWN)
        return Sample(
            (end - start) * 1000, (end - request) * 1000, self.received - received, (self.server.cpu_s() - cpu) * 1000, drawn
        )


def wait_idle(page: Page) -> None:
    """Wait until the app has finished its run and drawn it (twice over: a rerun can follow the first)."""
    for _ in range(2):
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=180_000)
        page.wait_for_timeout(250)


def url(server: Server, path: str = "", **params: str) -> str:
    """The app's URL for a page path (e.g. "Journey") with the dataset and params."""
    return f"{server.url}/{path}?" + urlencode({"ds": DATASET, **params})


def open_page(page: Page, address: str) -> None:
    page.goto(address)
    wait_idle(page)


def choose_segment(page: Page, probe: Probe, option: str = SEGMENT) -> Sample:
    """Timed: pick option in the sidebar's segment filter by Enter (the list is opened and typed into, so that option
    heads it, before the clock starts). Not a click: Streamlit 1.67's multiselect drops a pick made while its list is
    not open, and a click on the option was lost when the list closed between the option appearing and the click (a
    repeat in three at 1,000,000 customers, on an idle machine); Enter picks while the list is open, as in the tests."""
    box = page.get_by_test_id("stSidebar").locator('[data-testid="stMultiSelect"]').nth(0).locator("input")
    box.click()
    page.keyboard.type(option)
    first = page.get_by_role("listbox").get_by_role("option").first
    expect(first).to_have_text(option, timeout=30_000)
    sample_ = probe.timed(lambda: page.keyboard.press("Enter"))
    page.keyboard.press("Escape")
    return sample_


def follow_link(page: Page, probe: Probe, label: str) -> Sample:
    """Timed: click the sidebar's link to a page."""
    link = page.get_by_test_id("stSidebar").get_by_role("link", name=label, exact=True)
    return probe.timed(link.click)


def move_slider(page: Page, probe: Probe, label: str | None = None) -> Sample:
    """Timed: one step right on the slider called label, else the main area's first (keyboard, as a person nudges it)."""
    sliders = page.get_by_test_id("stMain").get_by_test_id("stSlider")
    thumb = (sliders.filter(has_text=label) if label else sliders).first.get_by_role("slider")
    thumb.focus()
    return probe.timed(lambda: page.keyboard.press("ArrowRight"))


MONEY_FIGURE = "Total annual savings"
"""The What-if's money figure in words, drawn with the headline (the markdown that starts with it)."""


def move_slider_to_money(page: Page, probe: Probe) -> tuple[Sample, Sample]:
    """Timed: one step right on the main area's first slider, as move_slider; and, from the same key press, the time
    until the What-if's money figure reads its new value (the goal's measure: "to the new money figure"), with the
    rerun's bytes and CPU."""
    page.evaluate(f"() => {{ window.__watch = {MONEY_FIGURE!r}; }}")
    try:
        whole = move_slider(page, probe)
        key, figure = page.evaluate("() => [window.__key, window.__figure]")
    finally:
        page.evaluate("() => { window.__watch = null; }")
    to_figure = figure - key if figure else float("nan")  # nan: the figure did not change (cannot happen on a move)
    request = whole.wait_ms - whole.from_request_ms
    return whole, Sample(to_figure, to_figure - request, whole.bytes_in, whole.server_cpu_ms, to_figure)


def move_period_start(page: Page, probe: Probe) -> Sample:
    """Timed: the sidebar period's start one month later (keyboard on its first thumb), a period change."""
    thumb = page.get_by_test_id("stSidebar").get_by_test_id("stSlider").first.get_by_role("slider").first
    thumb.focus()
    return probe.timed(lambda: page.keyboard.press("ArrowRight"))


def step_number(page: Page, probe: Probe, label: str) -> Sample:
    """Timed: click the + of the number input called label."""
    box = page.get_by_test_id("stNumberInput").filter(has_text=label).first
    return probe.timed(box.get_by_test_id("stNumberInputStepUp").click)


def toggle(page: Page, probe: Probe, label: str, inside: str | None = None) -> Sample:
    """Timed: flip the toggle called label (inside the expander called inside, opened first)."""
    switch = page.get_by_test_id("stCheckbox").filter(has_text=label).first.locator("label")
    if inside and not switch.is_visible():
        page.get_by_test_id("stExpander").filter(has_text=inside).first.locator("summary").first.click()
        switch.wait_for(state="visible")
    return probe.timed(switch.click)


def open_tab(page: Page, probe: Probe, label: str) -> Sample:
    """Timed: click the main area's tab called label (its sections run and draw only once open)."""
    return probe.timed(page.get_by_test_id("stMain").get_by_role("tab", name=label, exact=True).click)


def choose_option(page: Page, probe: Probe, option: str) -> Sample:
    """Timed: click the main area's radio option called option."""
    return probe.timed(page.get_by_test_id("stMain").get_by_test_id("stRadio").get_by_text(option, exact=True).click)


PAGES = {
    "Journey": "Journey",
    "Funnel": "Funnel",
    "Behaviours": "Behaviours",
    "What-if": "What-if",
    "Defection": "Defection",
    "Drivers": "Drivers",
}
"""Sidebar label -> URL path of each page measured."""


def run_size(
    browser: Browser, db: Path, repeat: int, folder: Path, pages: tuple[str, ...] = ("Overview", *PAGES)
) -> tuple[dict[str, list[Sample]], dict]:
    """Every action at one size; the samples per action and the server's peak memory."""
    results: dict[str, list[Sample]] = {}

    def add(name: str, sample_: Sample) -> None:
        results.setdefault(name, []).append(sample_)
        kb, cpu, drawn = sample_.bytes_in / 1000, sample_.server_cpu_ms, sample_.drawn_ms
        in_page = "not seen" if drawn is None else f"{drawn:,.0f} ms"
        print(f"  {name}: {sample_.wait_ms:,.0f} ms (in the page {in_page}), {kb:,.1f} kB, cpu {cpu:,.0f} ms", flush=True)

    servers: list[Server] = []
    try:
        _actions(browser, db, repeat, folder, add, servers, pages)
        return results, {"server_peak_mb": servers[-1].rss_mb()}
    finally:
        for started in servers:
            started.stop()


def _actions(
    browser: Browser,
    db: Path,
    repeat: int,
    folder: Path,
    add: Callable[[str, Sample], None],
    servers: list[Server],
    pages: tuple[str, ...],
) -> None:
    """Run the actions of pages repeat times, each new server appended to servers (the caller stops them)."""
    server = None
    for i in range(repeat if "Overview" in pages else 1):  # cold start: a new server process each time, its first page
        if server:
            server.stop()
            servers.remove(server)
        server = Server(db, folder / f"server{i}")
        servers.append(server)
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        probe = Probe(page, server)
        cold = probe.timed(lambda page=page, server=server: page.goto(url(server)))
        if "Overview" in pages:
            add("cold start to Overview figures", cold)
        context.close()
    assert server is not None
    for i in range(repeat):
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        try:
            _one_repeat(context.new_page(), server, REGIONS[i % len(REGIONS)], add, pages)
        except PlaywrightTimeout as exc:  # a lost click on a loaded machine: the repeat's other samples stand
            print(f"  repeat {i + 1}: an action did not finish ({str(exc).splitlines()[0]}); its remaining actions skipped")
        context.close()


def _one_repeat(page: Page, server: Server, region: str, add: Callable[[str, Sample], None], pages: tuple[str, ...]) -> None:
    """The actions of pages once, in one browser session starting from region."""
    probe = Probe(page, server)
    if "Overview" in pages:
        open_page(page, url(server, region=region))
        add("Overview segment filter", choose_segment(page, probe))
        open_page(page, url(server, region=region))
        add("Overview filter again, answer cached", choose_segment(page, probe))
    for label, path in PAGES.items():
        if label not in pages:
            continue
        open_page(page, url(server, region=region))
        add(f"{label} first open", follow_link(page, probe, label))
        if label == "What-if":
            for _ in range(2):
                whole, to_money = move_slider_to_money(page, probe)
                add("What-if slider move", whole)
                add("What-if slider move, to the new money figure", to_money)
            continue
        if label == "Defection":
            add("Defection definition change", toggle(page, probe, "Own-baseline drop", DEFINITION))
            add("Defection definition change", toggle(page, probe, "Own-baseline drop", DEFINITION))
            continue
        add(f"{label} segment filter", choose_segment(page, probe))
        if label == "Drivers":
            add("Drivers outcome change (low satisfaction)", choose_option(page, probe, "Low satisfaction"))
            add("Drivers period change (start a month later)", move_period_start(page, probe))
        if label == "Journey":
            add("Journey tab switch (to Paths)", open_tab(page, probe, "Paths"))
            add("Journey Sankey control (touchpoints per customer)", move_slider(page, probe, "Touchpoints per customer"))
        open_page(page, url(server, path, region=region))
        add(f"{label} filter again, answer cached", choose_segment(page, probe))


def db_path(customers: int, workdir: Path, engine: str = prep_engine.DUCKDB) -> Path:
    """The kept database of customers prepared on engine (DuckDB's keeps its earlier name)."""
    return workdir / (f"browser-n{customers}.duckdb" if engine == prep_engine.DUCKDB else f"browser-n{customers}-{engine}.duckdb")


def prepared_db(customers: int, workdir: Path, engine: str = prep_engine.DUCKDB) -> Path:
    """A database with the sample of customers published as dataset "bench", its staged and prepared tables built on
    engine (built once and kept in workdir)."""
    db = db_path(customers, workdir, engine)
    if not db.exists():
        folder = harness.dataset_folder(customers, 1, workdir)
        building = db.with_suffix(".building")
        building.unlink(missing_ok=True)
        store = Store(building)
        start = time.perf_counter()
        with prep_engine.use(engine):
            sample.publish(store, folder, DATASET)
        store.close()
        building.rename(db)
        print(f"published {customers:,} customers, prepared on {engine}, in {time.perf_counter() - start:.1f} s", flush=True)
    store = Store(db)  # a database kept from earlier code gets this code's prepared tables now, not at the cold start
    start = time.perf_counter()
    if store.upgrade():
        print(f"prepared tables rebuilt for schema {prepared.PREPARED_SCHEMA} in {time.perf_counter() - start:.1f} s", flush=True)
    store.close()
    return db


def report(customers: int, results: dict[str, list[Sample]]) -> str:
    """A markdown table of medians."""
    lines = [
        f"**{customers:,} customers**",
        "",
        "| action | waits (ms) | drawn, by the page's clock (ms) | from the rerun request (ms) | sent per rerun (kB) "
        "| server CPU (ms) | n |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, samples in results.items():
        keys = ("wait_ms", "from_request_ms", "bytes_in", "server_cpu_ms")
        med = {k: statistics.median(getattr(s, k) for s in samples) for k in keys}
        seen = [s.drawn_ms for s in samples if s.drawn_ms is not None]
        drawn = f"{statistics.median(seen):,.0f}" if seen else "not seen"
        lines.append(
            f"| {name} | {med['wait_ms']:,.0f} | {drawn} | {med['from_request_ms']:,.0f} | {med['bytes_in'] / 1000:,.1f} "
            f"| {med['server_cpu_ms']:,.0f} | {len(samples)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=harness.WORK)
    parser.add_argument("--engine", choices=prep_engine.ENGINES, default=prep_engine.DUCKDB, help="prepares the database on")
    parser.add_argument("--label", default="run", help="name of the JSON file of raw samples written to workdir")
    parser.add_argument(
        "--pages", nargs="+", choices=("Overview", *PAGES), default=("Overview", *PAGES), help="measure only these pages"
    )
    args = parser.parse_args(argv)
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    tables = []
    raw = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for customers in args.customers:
            db = prepared_db(customers, workdir, args.engine)
            print(f"{customers:,} customers, median of {args.repeat}", flush=True)
            folder = workdir / f"browser-run-n{customers}"
            shutil.rmtree(folder, ignore_errors=True)
            results, memory = run_size(browser, db, args.repeat, folder, tuple(args.pages))
            shutil.rmtree(folder, ignore_errors=True)
            tables.append(report(customers, results) + f"\n\nServer peak resident memory: {memory['server_peak_mb']:,.0f} MB.")
            raw[customers] = {name: [s.__dict__ for s in samples] for name, samples in results.items()}
            print(tables[-1], flush=True)
            (workdir / f"browser-{args.label}.json").write_text(json.dumps(raw, indent=1))
        browser.close()
    (workdir / f"browser-{args.label}.json").write_text(json.dumps(raw, indent=1))
    print("\n\n".join(tables))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
