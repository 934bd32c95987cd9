"""The frame every page calls first: page config, navigation, dataset picker and shared filters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import sample, staged
from dashboard.formatting import NumberFormat
from dashboard.metrics import overview
from dashboard.metrics.scope import Filters
from dashboard.store import Store, StoreError, Version
from dashboard.ui import data, nav, present, report, settings, state

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

    def metric(self, fn: Callable[..., pd.DataFrame], spec: Any = None) -> pd.DataFrame:
        """fn's result for the active version, cached; spec defaults to the shared filters."""
        return data.run_metric(fn, self.version, self.filters if spec is None else spec)

    def show_definitions(self, *concepts: str) -> None:
        """One caption saying how each concept (kind, prospect, defected, at_risk, repeat, resolved) is read from this
        data, or what is missing and which column to map: the staged definitions in words."""
        said = data.run_metric(staged.sentences, self.version, None)
        st.caption(" ".join(said[concept] for concept in concepts))


def page(title: str, *, needs_data: bool = True, intro: str | None = None) -> PageContext:
    """Set up a page: config, sidebar, dataset and filters; with needs_data and no dataset, show the empty state and stop."""
    entry = nav.page_for(title)
    st.set_page_config(page_title=f"{title} · CX Lens", page_icon=entry.icon, layout="wide", initial_sidebar_state="expanded")
    try:
        store = data.get_store()
    except StoreError as exc:
        st.error(f"CX Lens cannot open its database: {exc}")
        st.stop()
    st.sidebar.markdown("## :material/insights: CX Lens")
    present.toggle(st.sidebar)
    links = st.sidebar.container()
    st.sidebar.divider()
    dataset = _dataset_picker(store)
    version = store.active_version(dataset) if dataset else None
    filters = _filters(version) if version else Filters()
    nav.sidebar_links(links)
    presenting = present.presenting()
    if presenting:
        present.apply(title)
    st.title(f"{title}")
    if intro:
        st.caption(intro)
    number_format = _number_format(store, dataset)
    if dataset and not presenting:
        settings.number_format_editor(store, dataset, number_format)
    if version is not None:
        report.start(title, f"Dataset {version.label} · {filters.describe()}")
    ctx = PageContext(store, dataset, version, filters, number_format, presenting)
    if needs_data and version is None:
        empty_state(store)
        st.stop()
    return ctx


def _number_format(store: Store, dataset: str | None) -> NumberFormat:
    """The dataset's saved number format, or the default when none is saved or the saved one is invalid."""
    if not dataset:
        return NumberFormat()
    try:
        return NumberFormat(**store.get_setting(dataset, "number_format", {})).validate()
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


def _filters(version: Version) -> Filters:
    """Segment, region and month-range filters drawn in the sidebar; their values as a Filters spec."""
    dims = data.run_metric(overview.dimension_values, version)
    span = data.run_metric(overview.month_span, version)
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
    first, last = span.iloc[0]["first_month"], span.iloc[0]["last_month"]
    if pd.notna(first) and pd.notna(last):
        months = [m.strftime("%Y-%m") for m in overview.months_between(pd.Timestamp(first).date(), pd.Timestamp(last).date())]
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
                format_func=lambda m: date(int(m[:4]), int(m[5:]), 1).strftime("%b %Y"),
            )
        else:
            period = full
        month_from = date(int(period[0][:4]), int(period[0][5:]), 1)
        month_to = date(int(period[1][:4]), int(period[1][5:]), 1)
    if any(chosen.values()) or (month_from and (month_from, month_to) != _bounds(span)):
        st.sidebar.button("Reset filters", on_click=state.clear, args=(FILTER_NAMES,), icon=":material/filter_alt_off:")
    return Filters(tuple(chosen["segment"]), tuple(chosen["region"]), month_from, month_to).validate()


def _bounds(span: pd.DataFrame) -> tuple[date, date]:
    first, last = span.iloc[0]["first_month"], span.iloc[0]["last_month"]
    return pd.Timestamp(first).date(), pd.Timestamp(last).date()


def empty_state(store: Store) -> None:
    """What a new user sees with no dataset: what CX Lens needs and how to get it there."""
    st.info(
        "**No data yet.** CX Lens reads three tables: customers (one row per customer), transactions "
        "(purchases, bills, payments) and interactions (touchpoints). Load the bundled sample of a "
        "synthetic utility company to look around, or bring your own extracts.",
        icon=":material/inbox:",
    )
    if st.button("Load the bundled sample", type="primary", icon=":material/download:"):
        with st.spinner("Publishing the sample…"):
            sample.publish(store)
        data.clear_caches()
        state.clear(["ds", *FILTER_NAMES])
        st.rerun()
    pages = [p.label for p in nav.PAGES]
    if "Data" in pages:
        st.page_link("pages/9_Data.py", label="Upload your own files on the Data page", icon=":material/upload:")
    st.markdown(
        "From a terminal: `python -m dashboard ingest --dataset NAME --customers FILE "
        "--transactions FILE --interactions FILE` (stop the app first)."
    )
