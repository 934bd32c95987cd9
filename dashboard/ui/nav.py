"""The pages of the app in the order, groups and names the sidebar shows them."""

from __future__ import annotations

from dataclasses import dataclass

from streamlit.delta_generator import DeltaGenerator

from dashboard.ui import state


@dataclass(frozen=True)
class NavPage:
    """One page: its script, the name and icon shown, the sidebar group, and a one-line purpose."""

    path: str
    label: str
    icon: str
    group: str
    purpose: str


PAGES: tuple[NavPage, ...] = (
    NavPage("app.py", "Overview", ":material/dashboard:", "Where we stand", "KPIs and the monthly trend"),
    NavPage(
        "pages/1_Journey.py",
        "Journey",
        ":material/route:",
        "Experience",
        "Journey map, paths, service measures and the customers behind them",
    ),
    NavPage(
        "pages/2_Funnel.py",
        "Funnel",
        ":material/filter_alt:",
        "Experience",
        "Relationship stages: conversion, movement up and down, and what each stage is worth",
    ),
    NavPage(
        "pages/3_Behaviours.py",
        "Behaviours",
        ":material/verified:",
        "Value",
        "Perfect-customer behaviours against best-in-class and the money in the gap",
    ),
    NavPage("pages/4_What-if.py", "What-if", ":material/tune:", "Value", "Sliders that move adoption and show the savings"),
    NavPage(
        "pages/5_Defection.py",
        "Defection",
        ":material/person_remove:",
        "Value",
        "Who is leaving, why, and what it costs in lifetime value",
    ),
    NavPage(
        "pages/6_Drivers.py",
        "Drivers",
        ":material/troubleshoot:",
        "Value",
        "What drives defection, low satisfaction and conversion, and what fixing it is worth",
    ),
    NavPage(
        "pages/8_Story.py",
        "Story",
        ":material/slideshow:",
        "Workshop",
        "A guided walk for a workshop, step by step from where we stand to the decisions, with notes per step",
    ),
    NavPage(
        "pages/9_Data.py",
        "Data",
        ":material/upload_file:",
        "Data",
        "Upload extracts, map and check them, publish; manage datasets and mapping templates",
    ),
)
"""Only pages that work are listed; a new page adds itself here."""

SHARED_PARAMS = ["ds", "segment", "region", "period", "vs", "vs_months", "present"]
"""URL parameters carried from page to page by the navigation links."""


def page_for(label: str) -> NavPage:
    """The registered page called label."""
    for page in PAGES:
        if page.label == label:
            return page
    raise KeyError(label)


def sidebar_links(container: DeltaGenerator) -> None:
    """Draw the navigation into container, grouped, with the shared filters carried in each link."""
    params = state.shared_params(SHARED_PARAMS)
    group = None
    for page in PAGES:
        if page.group != group:
            group = page.group
            container.caption(group.upper())
        container.page_link(page.path, label=page.label, icon=page.icon, help=page.purpose, query_params=params)
