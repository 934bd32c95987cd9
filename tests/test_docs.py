"""The README and the user guide under docs/ say what the app shows: every figure they quote from the bundled sample
is worked out with the page's own metric function and number format; every link resolves inside the repository; the
README's first commands are `make run` and `make test`; the speed table quotes benchmarks/README.md.

A figure is marked where it is quoted, `<!--fig:overview.customers-->18,636<!--/fig-->`; a figure another test checks
is marked `<!--test:tests/test_x.py-->59.22 %<!--/test-->`. After a change that moves a figure on purpose,
`python -m tests.test_docs --write` rewrites the marked figures from the metrics (then read the diff);
`python -m tests.test_docs --screenshot` takes the README's screenshot again from a running app.
"""

from __future__ import annotations

import json
import math
import re
import struct
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard import sample
from dashboard.formatting import NumberFormat
from dashboard.metrics import overview, whatif
from dashboard.metrics.behaviours import adoption as behaviours
from dashboard.metrics.defection import clv
from dashboard.metrics.defection import figures as f
from dashboard.metrics.defection import status as d
from dashboard.metrics.funnel import counts as funnel
from dashboard.metrics.funnel import stages
from dashboard.metrics.scope import Filters
from dashboard.store import Store, Version

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FIXTURES = ROOT / "tests" / "fixtures"
NF = NumberFormat()
MARK = re.compile(r"<!--(fig|test):([^>]+?)-->(.*?)<!--/\1-->")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
SCREENSHOT = DOCS / "images" / "overview.png"

ARTICLE_BASE = 463_904
"""The article's customer base: 463,904 customers, e-billing at 16 % against a best-in-class 84 %, $11 a year each."""


def documents() -> list[Path]:
    """The README and every user guide page."""
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


def prose(text: str, inline_code: bool = False) -> str:
    """text without fenced code blocks and (unless inline_code) inline code: what a reader sees as prose, line breaks
    kept."""
    text = re.sub(r"^```.*?^```", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S | re.M)
    return text if inline_code else re.sub(r"`[^`\n]*`", "", text)


def marks(kind: str) -> Iterator[tuple[str, int, str, str]]:
    """(document, line, key, quoted text) of every figure marked with kind ("fig" or "test") in prose."""
    for path in documents():
        for number, line in enumerate(prose(path.read_text()).splitlines(), start=1):
            for found in MARK.finditer(line):
                if found.group(1) == kind:
                    yield path.relative_to(ROOT).as_posix(), number, found.group(2).strip(), found.group(3)


# -- the figures the app shows ---------------------------------------------------------------------------------------


def sample_figures(store: Store, dataset: str = "sample") -> dict[str, str]:
    """Every figure the documents quote from the bundled sample, written as the page writes it."""
    version = store.active_version(dataset)
    out: dict[str, str] = {}
    with store.cursor() as cur:
        for row in overview.kpis(cur, version, Filters()).itertuples(index=False):
            out[f"overview.{row.key}"] = NF.value(row.value, row.kind)
        out["sample.bills"] = NF.number(_rows(cur, version, "transactions"))
        out["sample.touchpoints"] = NF.number(_rows(cur, version, "interactions"))
        out.update(_funnel(store, cur, version, dataset, "sample"))
        out.update(_behaviours_and_whatif(store, cur, version, dataset))
        out.update(_defection(cur, version))
    out["sample.people"] = out["funnel.sample.people"]
    out["sample.prospects"] = out["funnel.sample.prospect.customers"]
    out["sample.customers"] = out["overview.customers"]
    out["sample.defected"] = out["funnel.sample.defected.customers"]
    out["sample.at_risk"] = out["funnel.sample.at_risk.customers"]
    out["clv.simple.700_10y"] = NF.money(700.0 * clv.annuity_factor(10, 0.0))  # the page's simple value: margin × annuity
    out["clv.simple.700_10y_10pct"] = NF.money(700.0 * clv.annuity_factor(10, 0.10))
    from tests.shapes import SHAPES

    out["battery.shapes"] = str(len(SHAPES))
    return out


def _rows(cur, version: Version, table: str) -> int:
    return cur.execute(f"select count(*) from {version.table(table)}").fetchone()[0]


def _funnel(store: Store, cur, version: Version, dataset: str, name: str) -> dict[str, str]:
    """The Funnel tab's customers in each stage now, with their share, as the chart labels them."""
    counts = funnel.stage_counts(cur, version, funnel.StageSpec(stages.load_model(store, dataset), Filters()))
    out = {f"funnel.{name}.people": NF.number(counts.set_index("role").loc["prospect", "reached"])}
    for row in counts.itertuples(index=False):
        out[f"funnel.{name}.{row.role}.customers"] = NF.number(row.customers)
        out[f"funnel.{name}.{row.role}.share"] = NF.pct(row.share)
    return out


def _behaviours_and_whatif(store: Store, cur, version: Version, dataset: str) -> dict[str, str]:
    """Behaviours' adoption and groups by number of behaviours; the What-if's money at the article's and the sample's
    customer base, computed by the What-if's own functions from the Behaviours summary it reads."""
    catalogue = behaviours.load_catalogue(store, dataset, behaviours.flag_columns(version))
    summary = behaviours.summary(cur, version, behaviours.BehaviourSpec.of(catalogue, Filters()))
    adoption = behaviours.adoption_table(summary, catalogue, version).set_index("key")
    e_billing = adoption.loc["e_billing"]
    base = float(e_billing["customers_in_scope"])
    out = {
        "behaviours.in_scope": NF.number(base),
        "behaviours.e_billing.adopters": NF.number(e_billing["adopters"]),
        "behaviours.e_billing.adoption": NF.pct(e_billing["current"], 2),
        "whatif.sample.e_billing.current": NF.pct(e_billing["current"], 3),
    }
    for row in behaviours.behaviour_count_groups(summary).itertuples(index=False):
        out[f"behaviours.groups.{row.behaviours}.satisfaction"] = NF.number(row.mean_satisfaction, 2)
        out[f"behaviours.groups.{row.behaviours}.churn"] = NF.pct(row.churn_rate)
    levers = whatif.levers(adoption.reset_index(), behaviours.churn_by_behaviour(summary, catalogue))
    sample_lever = next(lever for lever in levers if lever.key == "e_billing")
    article_lever = whatif.Lever("e_billing", "E-billing", current=0.16, best_in_class=0.84, saving=11.0)
    for name, lever in (("article", article_lever), ("sample", sample_lever)):
        for preset in ("best", "halfway"):
            target = whatif.preset_target(lever, preset)
            saving = whatif.total_saving(whatif.breakdown([lever], ARTICLE_BASE, {"e_billing": target}))
            out[f"whatif.{name}.{preset}"] = whatif.money_full(saving, NF)
            out[f"whatif.{name}.{preset}.headline"] = whatif.money_headline(saving, NF)
    own = whatif.total_saving(whatif.breakdown([sample_lever], base, {"e_billing": sample_lever.best_in_class}))
    out["whatif.sample.own_base.best"] = whatif.money_full(own, NF)
    every = {lever.key: whatif.preset_target(lever, "best") for lever in levers}
    out["whatif.sample.all_best.headline"] = whatif.money_headline(whatif.total_saving(whatif.breakdown(levers, base, every)), NF)
    return out


def _defection(cur, version: Version) -> dict[str, str]:
    """Defection's money on the default (saved) definition: expected years measured, revenue at risk, its bound and the
    lifetime value of a current customer."""
    definition = d.default_definition(d.availability(cur, version))
    lifetime = f.lifetime_from(d.timeline(cur, version, f.lifetime_spec(definition)))
    spec = d.DefectionSpec(definition=definition, valuation=d.Valuation(years=lifetime.years))
    # the chances after a complaint and a drop left unset: observed a year on, as the page's are
    summary = d.summary(cur, version, spec)
    kpis = f.kpis_from(summary, spec).set_index("key")["value"]
    bound = f.risk_bound_from(summary).iloc[0]
    return {
        "defection.expected_years": f"{lifetime.years:g}",
        "defection.revenue_at_risk": NF.money(kpis["revenue_at_risk"]),
        "defection.risk_bound": NF.money(bound["bound"]),
        "defection.lifetime_value": NF.money(kpis["lifetime_value"]),
    }


def retail_figures(store: Store, folder: Path) -> dict[str, str]:
    """The Funnel's stages on the UCI Online Retail file, published as a user would upload it."""
    from tests.ingest_helpers import publish

    version, _ = publish(store, folder, {"transactions": [FIXTURES / "online_retail.parquet"]}, dataset="retail")
    with store.cursor() as cur:
        return _funnel(store, cur, version, "retail", "retail")


@pytest.fixture(scope="module")
def shown(sample_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    store = Store(sample_db_file, read_only=True)
    try:
        figures = sample_figures(store)
    finally:
        store.close()
    folder = tmp_path_factory.mktemp("retail")
    retail = Store(folder / "retail.duckdb")
    try:
        figures.update(retail_figures(retail, folder))
    finally:
        retail.close()
    return figures


# -- figures ----------------------------------------------------------------------------------------------------------


def test_every_figure_the_documents_quote_is_the_one_the_app_shows(shown):
    quoted = list(marks("fig"))
    assert len(quoted) > 50  # the markers are there: a document rewritten without them would check nothing
    wrong = [
        f"{doc}:{line} {key}: quoted {text!r}, the app shows {shown.get(key, '(no such figure)')!r}"
        for doc, line, key, text in quoted
        if shown.get(key) != text
    ]
    assert not wrong, "\n".join(wrong)


def test_the_overview_tiles_on_screen_are_the_ones_the_guide_quotes(app_sample_db):
    from streamlit.testing.v1 import AppTest

    quoted = {}
    for line in (DOCS / "overview.md").read_text().splitlines():
        found = re.match(r"\| ([A-Z][^|]+?) \| <!--fig:overview\.[a-z_]+-->(.*?)<!--/fig--> \|", line)
        if found:
            quoted[found.group(1)] = found.group(2)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    assert len(quoted) == 8 and {m.label: m.value for m in at.metric} == quoted


def test_the_worked_examples_quote_the_figures_users_ask_about(shown):
    # the article's arithmetic and the sample's differ by $86: 2,278 / 14,236 = 16.002 %, not 16 %
    assert shown["whatif.article.best"] == "$3,470,002" and shown["whatif.sample.best"] == "$3,469,916"
    keys = {key for _, _, key, _ in marks("fig")}
    assert {"whatif.article.best", "whatif.sample.best", "overview.revenue", "defection.revenue_at_risk"} <= keys


def test_a_figure_checked_by_another_test_appears_in_that_test():
    quoted = list(marks("test"))
    assert quoted
    for doc, line, test_file, text in quoted:
        source = ROOT / test_file
        assert source.is_file() and source.parent.name == "tests", f"{doc}:{line} names {test_file}, not a test file"
        number = re.sub(r"[^\d.]", "", text)
        assert number and number in source.read_text().replace(",", "").replace("_", ""), f"{doc}:{line}: {text!r}"


# -- links, commands, the screenshot ----------------------------------------------------------------------------------


def slugs(path: Path) -> set[str]:
    """GitHub's anchors for the headings of a Markdown file (lower case, punctuation dropped, spaces to hyphens)."""
    seen: dict[str, int] = {}
    out = set()
    for line in prose(path.read_text(), inline_code=True).splitlines():
        heading = re.match(r"#{1,6}\s+(.*)", line)
        if not heading:
            continue
        slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        out.add(slug if count == 0 else f"{slug}-{count}")
    return out


def test_every_relative_link_resolves_inside_the_repository():
    problems = []
    for path in documents():
        for number, line in enumerate(prose(path.read_text()).splitlines(), start=1):
            for target in LINK.findall(line):
                if re.match(r"[a-z]+:", target):  # http(s), mailto: not a file
                    continue
                where = f"{path.relative_to(ROOT)}:{number} {target}"
                file_part, _, anchor = target.partition("#")
                resolved = (path.parent / file_part).resolve() if file_part else path
                if not resolved.is_relative_to(ROOT):
                    problems.append(f"{where}: outside the repository")
                elif not resolved.exists():
                    problems.append(f"{where}: no such file")
                elif anchor and resolved.suffix == ".md" and anchor not in slugs(resolved):
                    problems.append(f"{where}: no such heading")
    assert not problems, "\n".join(problems)


def test_no_document_points_outside_the_repository():
    for path in documents():
        assert "../shared" not in path.read_text(), f"{path.relative_to(ROOT)} points at ../shared"


def test_the_readme_starts_with_make_run_and_make_test():
    readme = (ROOT / "README.md").read_text()
    first_block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)
    assert [line.split("#")[0].strip() for line in first_block.strip().splitlines()] == ["make run", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert len(readme.splitlines()) <= 120  # a front page: the rest lives in docs/


def test_every_page_has_a_guide_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text()
    for guide in ("overview", "journey", "funnel", "behaviours", "whatif", "defection", "story", "data"):
        assert f"(docs/{guide}.md)" in readme, guide
    for topic in ("sharing", "security", "configuration", "development", "speed", "design"):
        assert f"(docs/{topic}.md)" in readme, topic


def test_the_screenshot_is_a_small_png_at_1440_by_900():
    data = SCREENSHOT.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1440, 900)
    assert len(data) < 300 * 1024


def test_the_example_mapping_file_is_the_one_the_ingest_test_reads():
    from tests.test_ingest_extracts import MONTH_MAPPING

    block = re.search(r"```json\n(.*?)```", (DOCS / "data.md").read_text(), re.S).group(1)
    assert json.loads(block)["interactions"] == MONTH_MAPPING["interactions"]


# -- the speed table --------------------------------------------------------------------------------------------------

VIEWS = {"Overview": "overview", "Journey": "journey", "Funnel": "funnel", "Behaviours": "behaviours"}
VIEWS |= {"What-if": "whatif", "Defection": "defection"}


def half_up(value: float) -> int:
    """value rounded to the nearest whole number, halves up (34.5 ms reads 35 ms)."""
    return math.floor(value + 0.5)


def benchmark_runs() -> list[tuple[str, list[float], list[float]]]:
    """(view, DuckDB ms, pandas ÷ DuckDB) of every table of benchmarks/README.md, per view within a table; the BG/NBD
    fit (done at publish, not on a control change) left out."""
    runs: dict[tuple[int, str], tuple[list[float], list[float]]] = {}
    section, header, table = "", None, 0
    for line in (ROOT / "benchmarks" / "README.md").read_text().splitlines():
        if line.startswith("### "):
            section = line[4:].strip().lower()
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if header is None:
            header, table = cells, table + 1
            continue
        if set(cells[0]) <= set("-:"):
            continue
        row = dict(zip(header, cells, strict=False))
        if "DuckDB ms" not in row or row.get("case", "").startswith("BG/NBD"):
            continue
        view = row.get("view", section)
        ms, ratio = runs.setdefault((table, view), ([], []))
        ms.append(float(row["DuckDB ms"].replace(",", "")))
        ratio.append(float(row["pandas ÷ DuckDB"].rstrip("×").replace(",", "")))
    return [(view, ms, ratio) for (_, view), (ms, ratio) in runs.items()]


def test_the_speed_table_quotes_one_run_of_benchmarks_readme_per_page():
    runs = benchmark_runs()
    # only the function-level section: browser figures may follow under their own heading
    section = (DOCS / "speed.md").read_text().split("## Function-level", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    claims = {cells[0]: cells for cells in ([c.strip() for c in row.strip("|").split("|")] for row in rows) if cells[0] in VIEWS}
    assert set(claims) == set(VIEWS)
    for page, (_, took, faster) in claims.items():
        ms = [int(n) for n in re.findall(r"[\d,]+", took.split(" ms")[0].replace(",", ""))]
        ratio = [int(n.replace(",", "")) for n in re.findall(r"([\d,]+)×", faster)]
        want = ms * 2 if len(ms) == 1 else ms
        matches = [
            view
            for view, run_ms, run_ratio in runs
            if view == VIEWS[page]
            and [half_up(min(run_ms)), half_up(max(run_ms))] == want
            and [half_up(min(run_ratio)), half_up(max(run_ratio))] == ratio
        ]
        assert matches, f"{page}: {took} / {faster} is not the range of any {VIEWS[page]} run in benchmarks/README.md"


# -- rewriting the marked figures -------------------------------------------------------------------------------------


def write_figures() -> list[str]:
    """Rewrite every marked figure in the README and docs/ from the metrics; the changes as "doc key: old -> new"."""
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "sample.duckdb")
        try:
            sample.publish(store)
            figures = sample_figures(store)
        finally:
            store.close()
        retail = Store(Path(folder) / "retail.duckdb")
        try:
            figures.update(retail_figures(retail, Path(folder)))
        finally:
            retail.close()
    changes = []
    for path in documents():
        text = path.read_text()

        def _new(found: re.Match, doc: str = path.name) -> str:
            kind, key, old = found.groups()
            new = figures.get(key.strip(), old) if kind == "fig" else old
            if new != old:
                changes.append(f"{doc} {key}: {old} -> {new}")
            return f"<!--{kind}:{key}-->{new}<!--/{kind}-->"

        path.write_text(MARK.sub(_new, text))
    return changes


def take_screenshot() -> Path:
    """Take the README's screenshot again: the Overview on the bundled sample at 1440×900, from a running app, with
    Debian's chromium."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, start_server, wait_for_app

    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "sample.duckdb")
        sample.publish(store)
        store.close()
        server = start_server(Path(folder) / "sample.duckdb", Path(folder) / "server")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                page.goto(server.url)
                page.wait_for_selector(".js-plotly-plot", timeout=120_000)
                wait_for_app(page, timeout=120_000)
                page.wait_for_timeout(2_000)  # the chart's own drawing
                page.screenshot(path=str(SCREENSHOT))
                browser.close()
        finally:
            server.stop()
    return SCREENSHOT


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        print("\n".join(write_figures()) or "every marked figure is already the one the app shows")
    elif sys.argv[1:] == ["--screenshot"]:
        print(f"{take_screenshot().relative_to(ROOT)}: look at it before committing")
    else:
        sys.exit("usage: python -m tests.test_docs --write | --screenshot")
