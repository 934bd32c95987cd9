"""Pages that cannot be bricked: hostile values stored straight into a published version (no ingest checks), broken
stored settings and a failing section; every page opens under AppTest with no exception and no nan/None/NaT/inf text."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.store import Store
from tests.conftest import use_copy
from tests.tiny import tiny_tables

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["app.py", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))]
VIEWS = [
    (page, params)
    for page in PAGES
    for params in {
        "pages/2_Funnel.py": [{"f_tab": tab} for tab in ("Funnel", "Sales funnel", "Movement", "Economics", "Stage rules")],
        "pages/6_Drivers.py": [{"dr_outcome": o} for o in ("defection", "low satisfaction", "conversion")],
        "pages/8_Story.py": [{"s_step": str(step)} for step in range(1, 8)],
        "pages/9_Data.py": [{"d_view": view} for view in ("Upload", "Datasets", "Templates")],
    }.get(page, [{}])
]
"""Every page, every Funnel tab, every Story step and every Data section, as (page, URL parameters)."""
BAD_WORDS = re.compile(r"(?<![\w.])(nan|NaN|None|NaT|inf|-inf|Infinity)(?![\w])")
FAILED_SECTION = "could not be shown (error E-"


def _text(values: list[str]) -> pd.DataFrame:
    """A column of text that the store casts to the contract's type (so DuckDB parses 'infinity', 'nan', year 294247)."""
    return pd.Series(values, dtype="object")


def _with_rows(tables: dict[str, pd.DataFrame], extra: dict[str, dict[str, list]]) -> dict[str, pd.DataFrame]:
    """tiny's tables as text with extra rows appended (every value a string or None, so nothing is checked on the way)."""
    out = {}
    for name, frame in tables.items():
        frame = frame.astype(object).where(frame.notna(), None)
        frame = frame.map(lambda v: None if v is None else str(v))
        rows = pd.DataFrame({k: _text(v) for k, v in extra.get(name, {}).items()})
        out[name] = pd.concat([frame, rows], ignore_index=True).astype(object)
    return out


def _far_dates() -> dict[str, pd.DataFrame]:
    """Dates outside years 1000-9999 in every date and timestamp column."""
    days = ["0224-03-15", "0001-01-01", "9999-12-31"]
    return _with_rows(
        tiny_tables(),
        {
            "customers": {
                "customer_id": ["F1", "F2", "F3"],
                "signup_date": days,
                "churned": ["true", "true", "false"],
                "churn_date": days,
            },
            "transactions": {"customer_id": ["F1", "F2", "F3"], "ts": days, "amount": ["10", "20", "30"]},
            "interactions": {
                "customer_id": ["F1", "F2", "F3"],
                "ts": days,
                "channel": ["phone"] * 3,
                "stage": ["complaint"] * 3,
                "resolved_ts": days[::-1],
            },
        },
    )


def _extreme_dates() -> dict[str, pd.DataFrame]:
    """DuckDB's extreme values that a publish accepts: its largest timestamp and year 1 (its largest date, smallest
    timestamp and infinite timestamps make the publish itself fail and roll back: they cannot be stored; infinite
    dates are left to the checks before publish: the Funnel's data span reaches infinity and its cohorts cannot
    be read)."""
    stamps = ["294247-01-10 04:00:54.775806", "0001-01-01 00:00:00", "294247-01-09 00:00:00", "0001-01-02 00:00:00"]
    days = ["9999-12-31", "0001-01-01", "9999-12-30", "0001-01-02"]
    ids = ["X1", "X2", "X3", "X4"]
    return _with_rows(
        tiny_tables(),
        {
            "customers": {"customer_id": ids, "signup_date": days, "churn_date": days, "churned": ["true"] * 4},
            "transactions": {"customer_id": ids, "ts": stamps, "amount": ["10"] * 4},
            "interactions": {"customer_id": ids, "ts": stamps, "channel": ["web"] * 4, "resolved_ts": stamps},
        },
    )


def _bad_amounts() -> dict[str, pd.DataFrame]:
    """NaN, inf, -inf and 1e308 as amounts, costs, satisfaction and effort."""
    bad = ["nan", "inf", "-inf", "1e308"]
    ids = ["A", "B", "C", "D"]
    return _with_rows(
        tiny_tables(),
        {
            "customers": {"customer_id": ["N1", "N2", "N3", "N4"], "satisfaction": bad, "acquisition_cost": bad},
            "transactions": {"customer_id": ids, "ts": ["2024-02-15"] * 4, "amount": bad, "cost": bad},
            "interactions": {
                "customer_id": ids,
                "ts": ["2024-02-20 10:00"] * 4,
                "channel": ["phone"] * 4,
                "satisfaction": bad,
                "effort": bad,
                "cost": bad,
            },
        },
    )


def _blank_text() -> dict[str, pd.DataFrame]:
    """Empty strings in every text column and null customer ids on events."""
    return _with_rows(
        tiny_tables(),
        {
            "customers": {"customer_id": [""], "segment": [""], "region": [""], "churn_reason": [""], "stage": [""]},
            "transactions": {"customer_id": [None, ""], "ts": ["2024-02-15"] * 2, "amount": ["5", "6"], "product": ["", ""]},
            "interactions": {
                "customer_id": [None, ""],
                "ts": ["2024-02-20 10:00"] * 2,
                "channel": ["", ""],
                "stage": ["", None],
                "reason": ["", ""],
            },
        },
    )


BROKEN_SETTINGS = {
    "number_format": "4-01",
    "journey.repeat_days": "4-01",
    "journey.sla_days": 1e308,
    "defection.definition": "4-01",
    "defection.valuation": {"margin": "lots", "years": None},
    "defection.silent_per_complaint": "x",
    "defection.lifetime_value": {"value": "nan"},
    "satisfaction_scale": 7,
    "behaviours.catalogue": "4-01",
    "whatif.scenarios": [{"name": None}, "4-01"],
    "funnel.stages": "4-01",
    "funnel.rules": {"x": "4-01"},
    "funnel.source": 42,
    "funnel.channel_costs": "4-01",
    "funnel.gross_margin": "4-01",
}

DATASETS = {"far_dates": _far_dates, "extreme_dates": _extreme_dates, "bad_amounts": _bad_amounts, "blank_text": _blank_text}


@pytest.fixture(scope="session")
def hostile_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database: a dataset per kind of hostile value (published straight into the store), and "settings", the
    tiny dataset with a broken value stored under every setting key the pages read."""
    path = tmp_path_factory.mktemp("hostiledb") / "hostile.duckdb"
    store = Store(path)
    for name, make in DATASETS.items():
        store.publish(name, make())
    store.publish("settings", tiny_tables())
    for key, value in BROKEN_SETTINGS.items():
        store.set_setting("settings", key, value)
    store.close()
    return path


def open_page(page: str, params: dict[str, str] | None = None) -> AppTest:
    """page run once under AppTest (through the entry point, as a user's link would), with params in the URL."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for name, value in (params or {}).items():
        at.query_params[name] = value
    if page != "app.py":
        at.switch_page(page)
    return at.run()


def visible_text(at: AppTest) -> list[str]:
    """Every piece of text a user reads: titles, markdown, captions, alerts, metric labels and values, toasts."""
    texts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info", "warning", "error", "success", "toast"):
        texts += [str(e.value) for e in at.get(kind)]
    for m in at.metric:
        texts += [str(m.label), str(m.value)]
    return texts


def view_id(view: tuple[str, dict]) -> str:
    """A short test id for a view: the page's file name and its parameters' values."""
    page, params = view
    return Path(page).stem + "".join(f"-{v}" for v in params.values())


@pytest.mark.parametrize("dataset", [*DATASETS, "settings"])
@pytest.mark.parametrize("view", VIEWS, ids=view_id)
def test_every_page_opens_on_hostile_stored_values(hostile_db_file, tmp_path, monkeypatch, caplog, view, dataset):
    use_copy(hostile_db_file, tmp_path, monkeypatch)
    page, params = view
    with caplog.at_level(logging.ERROR, logger="cxlens"):
        at = open_page(page, {"ds": dataset, **params})
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="w:ds").value == dataset
    failed = [t for t in visible_text(at) if FAILED_SECTION in t]
    logged = [r.getMessage() for r in caplog.records]
    assert not failed, (failed, logged)
    bad = [t for t in visible_text(at) if BAD_WORDS.search(t)]
    assert not bad, bad


def _isolated_script() -> None:
    """Three sections: the middle one raises; the first and last must still be drawn."""
    import streamlit as st

    from dashboard.ui import sections

    @sections.guarded("Broken chart")
    def broken() -> int:
        st.markdown("half drawn")
        raise ZeroDivisionError("secret /srv/path detail")

    @sections.guarded("Depends on the chart")
    def after(value: int) -> None:
        st.markdown(f"got {value}")

    st.markdown("before")
    after(broken())
    with sections.section("Last part"):
        st.markdown("after")


def test_a_failing_section_shows_one_line_with_an_id_there_and_the_rest_of_the_page_works(caplog):
    at = AppTest.from_function(_isolated_script, default_timeout=30)
    with caplog.at_level(logging.ERROR, logger="cxlens"):
        at.run()
    assert not at.exception
    assert [m.value for m in at.markdown] == ["before", "after"], "what the section drew is replaced; its dependant draws nothing"
    (error,) = at.error
    eid = re.search(r"error (E-[0-9A-F]{8})", error.value).group(1)
    assert error.value.startswith("**Broken chart** could not be shown") and "\n" not in error.value
    assert "secret" not in error.value and "ZeroDivisionError" not in error.value, "no detail reaches the user"
    (record,) = [r for r in caplog.records if r.name == "cxlens"]
    assert eid in record.getMessage() and "Broken chart" in record.getMessage()
    assert record.exc_info[0] is ZeroDivisionError, "the operator's log has the traceback under the same id"


def test_a_failure_in_the_page_frame_shows_one_line_and_stops_that_page_only(app_tiny_db, monkeypatch, caplog):
    from dashboard.ui import nav

    def broken(_container) -> None:
        raise RuntimeError("navigation broke")

    with monkeypatch.context() as patched, caplog.at_level(logging.ERROR, logger="cxlens"):
        patched.setattr(nav, "sidebar_links", broken)
        at = open_page("pages/1_Journey.py")
    assert not at.exception
    (error,) = at.error
    (eid,) = re.findall(r"\[(E-[0-9A-F]{8})\]", caplog.text)
    assert error.value.startswith(f"**Journey** could not be shown (error {eid})")
    assert "navigation broke" not in error.value and "Other pages work" in error.value
    assert not at.get("plotly_chart"), "the page stopped after its frame failed"
    other = open_page("app.py")
    assert not other.exception and not other.error and len(other.metric) > 0, "every other page keeps working"


def test_a_saved_setting_that_cannot_be_read_falls_back_with_one_notice(hostile_db_file, tmp_path, monkeypatch):
    use_copy(hostile_db_file, tmp_path, monkeypatch)
    at = open_page("pages/1_Journey.py", {"ds": "settings"})
    assert not at.exception
    # the repeat window is the dataset's staged definition (fcr_days, 7 by default), no longer the journey.repeat_days
    # setting: the stored '4-01' there is not read, so only the SLA is named as replaced
    assert at.number_input(key="w:j_repeat").value == 7, "the staged repeat window, 7 days by default"
    assert at.number_input(key="w:j_sla").value == 5, "the stored 1e308 is replaced by the default"
    notes = [c.value for c in at.caption if "Saved settings" in c.value]
    assert notes == [
        ":material/info: Saved settings that could not be read are replaced by their defaults until saved "
        "again: complaint SLA (5 used)."
    ]


def _action_script() -> None:
    """A button whose callback raises, under the frame's failed-action line."""
    import streamlit as st

    from dashboard.ui import sections

    @sections.action("Save the costs")
    def save() -> None:
        raise PermissionError("/srv/cxlens.duckdb is read-only")

    sections.show_failed_actions()
    st.button("Save", key="save", on_click=save)
    st.markdown("page drawn")


def test_a_failing_button_shows_one_line_with_an_id_at_the_top_and_the_page_still_draws(caplog):
    at = AppTest.from_function(_action_script, default_timeout=30).run()
    assert not at.error
    with caplog.at_level(logging.ERROR, logger="cxlens"):
        at.button(key="save").click().run()
    assert not at.exception
    (error,) = at.error
    (record,) = [r for r in caplog.records if r.name == "cxlens"]
    eid = re.search(r"\[(E-[0-9A-F]{8})\]", record.getMessage()).group(1)
    assert error.value == f"**Save the costs** did not complete (error {eid}). The log has the details under {eid}."
    assert [m.value for m in at.markdown] == ["page drawn"]
    assert not at.run().error, "the line is shown once"


def test_numbers_that_cannot_be_written_show_a_dash_and_huge_ones_stay_short():
    from datetime import date

    from dashboard import formatting
    from dashboard.formatting import NumberFormat

    nf = NumberFormat()
    for missing in (None, float("nan"), float("inf"), float("-inf"), pd.NaT, pd.NA):
        assert (nf.number(missing), nf.money(missing), nf.pct(missing)) == ("—", "—", "—")
    assert nf.money(1e308) == "$1.00e+308"
    assert nf.money(-2.5e16) == "-$2.50e+16"
    assert NumberFormat("€", ".", ",").number(1e20) == "1,00e+20"
    assert nf.money(999_999_999_999) == "$1,000.00B", "below the cut, money is shortened as before"
    assert formatting.day(date(224, 3, 15)) == "15 Mar 0224"
    assert formatting.day(pd.Timestamp("2024-03-15")) == "15 Mar 2024"
    assert formatting.month("294247-01-10") == "—", "DuckDB hands days beyond Python's dates over as text"
    assert formatting.day(None) == formatting.day(pd.NaT) == "—"


def test_every_view_function_a_page_calls_is_an_isolated_section():
    import ast
    import importlib

    unguarded = []
    for script in PAGES:
        tree = ast.parse((ROOT / script).read_text())
        modules = {}  # the name a page script gives a views module -> the module
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dashboard.ui.views"):
                for alias in node.names:  # a views module, or a module of a views package (views.data.upload)
                    modules[alias.asname or alias.name] = importlib.import_module(f"{node.module}.{alias.name}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
                module = modules.get(node.func.value.id)
                reads_only = node.func.attr == "is_open"  # which tab is shown
                if module is not None and not reads_only and not hasattr(getattr(module, node.func.attr), "section_name"):
                    unguarded.append(f"{script}: {node.func.value.id}.{node.func.attr}")
    assert not unguarded, "decorate these with sections.guarded: " + ", ".join(unguarded)


def _nested_failure_script() -> None:
    """A failing section inside a column beside a healthy one, then a section after the columns."""
    import streamlit as st

    from dashboard.ui import sections

    left, right = st.columns(2)
    with left, sections.section("Left chart"):
        st.markdown("left")
    with right, sections.section("Right chart"):
        st.markdown("right, half drawn")
        raise ValueError("broken")
    with sections.section("Below"):
        st.markdown("below")


def test_a_failing_section_in_a_column_is_replaced_there_alone():
    at = AppTest.from_function(_nested_failure_script, default_timeout=30)
    at.run()
    assert not at.exception
    assert [m.value for m in at.markdown] == ["left", "below"]
    (error,) = at.error
    assert error.value.startswith("**Right chart** could not be shown")
    assert [m.value for m in at.columns[0].markdown] == ["left"] and at.columns[1].error[0].value == error.value
