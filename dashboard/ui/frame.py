"""The frame every page calls first: page config, navigation, dataset picker and shared filters."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import sample, staged
from dashboard.access import Action
from dashboard.context import ViewContext
from dashboard.formatting import NumberFormat
from dashboard.metrics import compare, overview
from dashboard.metrics.scope import Filters, as_date
from dashboard.store import Store, StoreError, Version
from dashboard.ui import auth, cache, nav, present, report, sections, settings, state
from dashboard.ui import context as view_context

FILTER_NAMES = ["segment", "region", "period"]


@dataclass(frozen=True)
class PageContext:
    """What a page needs: the store, the active dataset version, the shared filters and the number format."""

    store: Store
    dataset: str | None
    version: Version | None
    filters: Filters
    number_format: NumberFormat
    presenting: bool = False
    """Presentation mode: pages leave out editing controls when True."""
    comparison: compare.Comparison = compare.NO_COMPARISON
    """The earlier period headline figures are compared with (its filters None when there is no comparison)."""

    def metric(self, fn: Callable[..., pd.DataFrame], spec: Any = None) -> pd.DataFrame:
        """fn's result for the active version, cached; spec defaults to the shared filters."""
        return cache.run_metric(fn, self.version, self.filters if spec is None else spec)

    def derived(self, derive: Callable[..., pd.DataFrame], fn: Callable[..., pd.DataFrame], spec: Any, *args: Any, **kwargs: Any):
        """derive(fn's result for spec, *args, **kwargs), cached as fn's result is (not recomputed on every rerun)."""
        return cache.run_derived(derive, fn, self.version, spec, *args, **kwargs)

    def changes(
        self, fn: Callable[..., pd.DataFrame], current: pd.DataFrame, spec: Any = None, **rules: Any
    ) -> dict[str, compare.Change]:
        """Change of each KPI in current (fn's result for spec, default the shared filters) against fn's result for the
        comparison period: the same definition and spec, only its filters' months earlier; {} when there is no
        comparison. rules: compare.changes' lower_is_better, neutral and figure."""
        earlier_spec = self.earlier(spec)
        if earlier_spec is None:
            return {}
        return compare.changes(current, self.metric(fn, earlier_spec), self.comparison, self.number_format, **rules)

    def earlier(self, spec: Any = None) -> Any:
        """spec (default the shared filters) with its filters' months moved to the comparison period; None when there
        is no comparison."""
        earlier_filters = self.comparison.filters
        if earlier_filters is None:
            return None
        return earlier_filters if spec is None else dataclasses.replace(spec, filters=earlier_filters)

    def show_definitions(self, *concepts: str) -> None:
        """One caption saying how each concept (kind, prospect, defected, at_risk, repeat, resolved) is read from this
        data, or what is missing and which column to map: the staged definitions in words."""
        said = cache.run_metric(staged.sentences, self.version, None)
        st.caption(" ".join(said[concept] for concept in concepts))


def page(title: str, *, needs_data: bool = True, intro: str | None = None) -> PageContext:
    """Set up a page: config, sidebar, dataset and filters; with needs_data and no dataset, show the empty state and stop.

    If setting up fails, the page shows one line with an error id (the traceback goes to the log) and stops.
    """
    entry = nav.page_for(title)
    state.begin_page_run()
    st.set_page_config(page_title=f"{title} · CX Lens", page_icon=entry.icon, layout="wide", initial_sidebar_state="expanded")
    auth.gate()
    sections.notice_area()
    sections.show_failed_actions()
    with sections.section(title, stop=True):
        return _page(title, needs_data=needs_data, intro=intro)
    st.stop()  # reached only if the section failed (it has stopped the page already)


OUT_OF_DATE = (
    "This dataset's prepared tables were built by an older CX Lens: an admin rebuilds them under Data → Datasets → "
    "Upgrade, or run `python -m dashboard upgrade`."
)
"""The one line a page shows instead of its figures while the active version is out of date."""


def _page(title: str, *, needs_data: bool, intro: str | None) -> PageContext:
    try:
        store = cache.get_store()
    except StoreError as exc:
        st.error(f"CX Lens cannot open its database: {exc}")
        st.stop()
    st.sidebar.markdown("## :material/insights: CX Lens")
    present.toggle(st.sidebar)
    links = st.sidebar.container()
    st.sidebar.divider()
    dataset = _dataset_picker(store)
    version = store.active_version(dataset) if dataset else None
    out_of_date = version is not None and version.version_id in store.out_of_date(dataset)
    if out_of_date:
        version = None  # its prepared tables are from an older schema: nothing on this page reads them
    filters = Filters()
    comparison = compare.NO_COMPARISON
    if version:
        with st.sidebar:
            filters = _filters(version) or Filters()
            comparison = view_context.comparison(version, filters)
    nav.sidebar_links(links)
    auth.signed_in_bar()
    presenting = present.presenting()
    present.readable()
    if presenting:
        present.apply(title)
    st.title(f"{title}")
    if version is not None:
        view_context.show(ViewContext(version, filters, comparison))
    else:
        view_context.forget()
    if out_of_date:
        st.warning(OUT_OF_DATE, icon=":material/update:")
    if intro:
        st.caption(intro)
    number_format = _number_format(store, dataset)
    if dataset and not presenting and auth.can(Action.EDIT):
        settings.number_format_editor(store, dataset, number_format)
        settings.margin_editor(store, dataset)
    if version is not None:
        report.start(title, ViewContext(version, filters, comparison).line())
    ctx = PageContext(store, dataset, version, filters, number_format, presenting, comparison)
    if needs_data and version is None:
        if not out_of_date:
            empty_state(store)
        st.stop()
    return ctx


def _number_format(store: Store, dataset: str | None) -> NumberFormat:
    """The dataset's saved number format, or the default when none is saved or the saved one is invalid."""
    if not dataset:
        return NumberFormat()
    try:
        return NumberFormat(**settings.stored(store, dataset, "number_format", {})).validate()
    except (TypeError, ValueError):
        return NumberFormat()


def _dataset_picker(store: Store) -> str | None:
    """The dataset chosen in the sidebar (kept in the URL as ds); None when there are none."""
    names = store.dataset_names()
    if not names:
        state.clear(["ds"])
        return None
    default = "sample" if "sample" in names else names[0]

    def _valid(name: str) -> str:
        if name not in names:
            raise ValueError(name)
        return name

    current = state.widget(
        st.sidebar.selectbox,
        "Dataset",
        "ds",
        default,
        state.TEXT,
        valid=_valid,
        always_in_url=True,  # a shared link names its dataset, so it never falls back to another one
        value_arg="index",
        to_arg=names.index,
        options=names,
        help="The dataset every page reads.",
    )
    if st.session_state.get("_shown_dataset") not in (None, current):
        state.clear(FILTER_NAMES)
    st.session_state["_shown_dataset"] = current
    version = store.active_version(current)
    if version:
        st.sidebar.caption(f"Version {version.number}, published {version.created_at:%d %b %Y %H:%M}")
    return current


@sections.guarded("Filters")
def _filters(version: Version) -> Filters:
    """Segment, region and month-range filters drawn in the sidebar; their values as a Filters spec."""
    dims = cache.run_metric(overview.dimension_values, version)
    span = cache.run_metric(overview.month_span, version)
    st.sidebar.subheader("Filters")
    chosen: dict[str, list[str]] = {}
    for name, label in (("segment", "Segment"), ("region", "Region")):
        options = dims.loc[dims["dimension"] == name, "value"].tolist()

        def _valid(values: list[str], options: list[str] = options) -> list[str]:
            return [v for v in values if v in options]

        chosen[name] = state.widget(
            st.sidebar.multiselect,
            label,
            name,
            [],
            state.TEXTS,
            valid=_valid,
            value_arg="default",
            options=options,
            placeholder="All",
        )
    month_from = month_to = None
    months = month_options(span.iloc[0]["first_month"], span.iloc[0]["last_month"])
    if isinstance(months, str):
        st.sidebar.caption(months)
    elif months:
        full = (months[0], months[-1])

        def _valid_period(period: tuple[str, str]) -> tuple[str, str]:
            lo, hi = tuple(period)
            if lo not in months or hi not in months or lo > hi:
                raise ValueError(period)
            return (lo, hi)

        if len(months) > 1:
            period = state.widget(
                st.sidebar.select_slider,
                "Months",
                "period",
                full,
                state.RANGE,
                valid=_valid_period,
                options=months,
                format_func=month_label,
            )
        else:
            period = full
        month_from, month_to = month_from_key(period[0]), month_from_key(period[1])
    if any(chosen.values()) or (month_from and (month_key(month_from), month_key(month_to)) != full):
        st.sidebar.button("Reset filters", on_click=state.clear, args=(FILTER_NAMES,), icon=":material/filter_alt_off:")
    return Filters(tuple(chosen["segment"]), tuple(chosen["region"]), month_from, month_to).validate()


def month_key(day: date) -> str:
    """A month as YYYY-MM, four-digit year whatever the year (strftime writes year 224 as "224")."""
    return f"{day.year:04d}-{day.month:02d}"


def month_from_key(key: str) -> date:
    """The first day of the month written YYYY-MM (as month_key writes it); ValueError if it is not one."""
    year, _, month = key.rpartition("-")
    return date(int(year), int(month), 1)


def month_label(key: str) -> str:
    """A YYYY-MM month as "Mar 2024" (the key itself if it does not parse)."""
    try:
        day = month_from_key(key)
    except ValueError:
        return key
    return f"{day:%b} {day.year:04d}"


def month_options(first_day: Any, last_day: Any) -> list[str] | str:
    """The months from first_day to last_day a month picker offers (YYYY-MM), [] when either is missing, or why there
    is no picker: a span outside years MONTH_FILTER_YEARS or over MAX_FILTER_MONTHS months (dates that look wrong)."""
    first, last = as_date(first_day), as_date(last_day)
    if first is None or last is None:
        missing = pd.isna(first_day) or pd.isna(last_day)
        return [] if missing else _MONTHS_UNREADABLE
    lo, hi = MONTH_FILTER_YEARS
    length = (last.year - first.year) * 12 + last.month - first.month + 1
    if first.year < lo or last.year > hi or length > MAX_FILTER_MONTHS:
        return _MONTHS_OFF.format(first=month_label(month_key(first)), last=month_label(month_key(last)))
    return [month_key(m) for m in overview.months_between(first, last)]


MONTH_FILTER_YEARS = (1000, 9998)
"""Years a month filter can run over (Python dates end in 9999; a month after it cannot be written)."""
MAX_FILTER_MONTHS = 1200
"""The longest month filter: a hundred years of months; a longer span means some dates are wrong."""
_MONTHS_UNREADABLE = "No month choice: some dates lie beyond what can be shown. Check the date columns on the Data page."
_MONTHS_OFF = "No month choice: the dates run from {first} to {last}, which looks wrong. Check the date columns on the Data page."


def empty_state(store: Store) -> None:
    """What a new user sees with no dataset: what CX Lens needs and how to get it there."""
    st.info(
        "**No data yet.** CX Lens reads three tables: customers (one row per customer), transactions "
        "(purchases, bills, payments) and interactions (touchpoints). Load the bundled sample of a "
        "synthetic utility company to look around, or bring your own extracts.",
        icon=":material/inbox:",
    )
    if not auth.can(Action.PUBLISH):
        st.caption("An analyst or admin can load the sample or upload data.")
        return
    if st.button("Load the bundled sample", type="primary", icon=":material/download:") and auth.require(Action.PUBLISH):
        with st.spinner("Publishing the sample…"):
            sample.publish(store)
        cache.clear_caches()
        state.clear(["ds", *FILTER_NAMES])
        st.rerun()
    pages = [p.label for p in nav.PAGES]
    if "Data" in pages:
        st.page_link("pages/9_Data.py", label="Upload your own files on the Data page", icon=":material/upload:")
    st.markdown(
        "From a terminal: `python -m dashboard ingest --dataset NAME --customers FILE "
        "--transactions FILE --interactions FILE` (stop the app first)."
    )
