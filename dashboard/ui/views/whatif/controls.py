"""The What-if's inputs bound to the URL (state.Control): customer base, a target and a saving per behaviour, years,
ramp-up, retained revenue and lifetime value; what they hold, read without drawing anything; the preset actions."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.metrics import whatif
from dashboard.ui import state
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import action

SLIDER_STEP = 0.1
"""Slider steps in percentage points."""
GENERIC_NAMES = ["w_base", "w_years", "w_ramp", "w_ret", "w_ltv", "w_pre", "w_cmp"]
MAX_BASE, MAX_LIFETIME_VALUE, MAX_SAVING = 1e10, 1e8, 1e7
"""The largest customer base, lifetime value and saving per customer the What-if's inputs take."""


def _names(keys: tuple[str, ...] | list[str]) -> list[str]:
    return [f"w_{part}_{key}" for key in keys for part in ("t", "s")] + GENERIC_NAMES


def forget_on_dataset_change(ctx: PageContext, keys: tuple[str, ...]) -> None:
    """Start from the new dataset's figures when the user switches dataset (a shared link keeps its values)."""
    shown = st.session_state.get("_whatif_dataset")
    if shown not in (None, ctx.dataset):
        state.clear(_names(keys))
    st.session_state["_whatif_dataset"] = ctx.dataset


def stored_target(lever: whatif.Lever, target: float) -> float | None:
    """What a target is kept as: None when it is the default (best-in-class), else the percentage."""
    return None if target == whatif.preset_target(lever, "best") else target * 100


def stored_or(stored: Any, default: float) -> float:
    """The stored value as a number, or default when none is stored."""
    return default if stored is None else float(stored)


@action("Apply the preset")
def apply_preset(preset: str, items: tuple[whatif.Lever, ...], chosen: list[str]) -> None:
    """Set the chosen behaviours' targets to the preset's."""
    for lever in items:
        if lever.key in chosen:
            state.set_value(f"w_t_{lever.key}", stored_target(lever, whatif.preset_target(lever, preset)))


@action("Apply the article's example")
def apply_article(items: tuple[whatif.Lever, ...]) -> None:
    """The article's worked example: its customer base, e-billing at best-in-class at the catalogue's saving."""
    targets = whatif.article_targets(items) or {}
    for lever in items:
        state.set_value(f"w_t_{lever.key}", stored_target(lever, targets.get(lever.key, lever.current)))
    state.set_value(f"w_s_{whatif.ARTICLE_BEHAVIOUR}", None)
    state.set_value("w_base", float(whatif.ARTICLE_BASE))


def slider_floor(lever: whatif.Lever) -> float:
    """The slider's left end: the current adoption rounded down to the slider's step (targets below it count as current)."""
    return math.floor(round(lever.current * 100 / SLIDER_STEP, 6)) * SLIDER_STEP


def _valid_target(lo: float):
    def _valid(value: Any) -> float | None:
        if value is None:
            return None
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(value)
        return min(max(number, lo), 100.0)

    return _valid


def _money_up_to(hi: float):
    """A validator for an amount: None stays None; above hi it becomes hi (the widget's maximum, so what the money is
    computed from is what the widget shows); a negative or non-finite one raises ValueError (the default is used)."""

    def _valid(value: Any) -> float | None:
        if value is None:
            return None
        number = float(value)
        if not math.isfinite(number) or number < 0:
            raise ValueError(value)
        return min(number, hi)

    return _valid


def _whole_up_to(hi: float):
    """_money_up_to for a count: the number rounded to a whole (a customer base is whole customers)."""
    valid = _money_up_to(hi)

    def _valid(value: Any) -> float | None:
        number = valid(value)
        return None if number is None else float(round(number))

    return _valid


def _valid_int(lo: int, hi: int):
    def _valid(value: Any) -> int:
        number = int(value)
        if not lo <= number <= hi:
            raise ValueError(value)
        return number

    return _valid


def best_pct(lever: whatif.Lever) -> float:
    """The target a behaviour opens on: best-in-class (today's adoption when there is none or it is already above)."""
    return whatif.preset_target(lever, "best") * 100


BASE = state.Control("w_base", None, state.FLOAT, _whole_up_to(MAX_BASE))
YEARS = state.Control("w_years", 5, state.INT, _valid_int(1, 10))
RAMP = state.Control("w_ramp", 3, state.INT, _valid_int(1, 10))
RETAINED = state.Control("w_ret", True, state.BOOL)
LIFETIME_VALUE = state.Control("w_ltv", None, state.FLOAT, _money_up_to(MAX_LIFETIME_VALUE))


def target_control(lever: whatif.Lever) -> state.Control:
    """A behaviour's target adoption in percent (None: best-in-class), kept between the slider's ends."""
    return state.Control(f"w_t_{lever.key}", None, state.FLOAT, _valid_target(slider_floor(lever)))


def saving_control(lever: whatif.Lever) -> state.Control:
    """A behaviour's saving per adopting customer a year (None: the catalogue's)."""
    return state.Control(f"w_s_{lever.key}", None, state.FLOAT, _money_up_to(MAX_SAVING))


def has_slider(lever: whatif.Lever) -> bool:
    """Whether there is adoption left to move to (today below 100 % by more than half a step)."""
    return slider_floor(lever) < 100.0 - SLIDER_STEP / 2


def inputs_from_state(
    items: tuple[whatif.Lever, ...], dataset_base: float
) -> tuple[float, dict[str, float | None], dict[str, float]]:
    """Customer base, target adoption (0-1; best-in-class until moved) and saving per behaviour as the What-if's state
    holds them."""
    stored_base = BASE.read()
    base = dataset_base if stored_base is None else float(stored_base)
    targets: dict[str, float | None] = {}
    for lever in items:
        if not has_slider(lever):
            targets[lever.key] = None
            continue
        pct = target_control(lever).read()
        targets[lever.key] = whatif.preset_target(lever, "best") if pct is None else pct / 100
    savings = {lever.key: stored_or(saving_control(lever).read(), lever.saving) for lever in items}
    return base, targets, savings


@dataclass(frozen=True)
class WhatIf:
    """The what-if as the sliders have it: the levers, inputs and computed breakdown."""

    items: tuple[whatif.Lever, ...]
    frame: pd.DataFrame
    scenario: whatif.Scenario
    dataset_base: float
