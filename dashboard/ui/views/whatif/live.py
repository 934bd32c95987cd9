"""The What-if's money figure redrawn in the browser the moment a target slider moves (live_money.js), before the
server's run answers: the figure is what an executive waits for, and a run of the What-if reaches the screen 200 ms
after the key at best (Streamlit sends a run's messages once it has finished, then the browser redraws the fragment).

The browser mirrors the definition in dashboard/metrics/whatif.py with the terms this module hands it (customer base,
today's adoption and saving per behaviour, the figure the server drew each slider with); the server's answer then
writes its own figure over it, the same one (tests/browser/test_browser_whatif_live.py checks they agree).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.formatting import NumberFormat
from dashboard.metrics import whatif
from dashboard.ui import state
from dashboard.ui.views.whatif import money
from dashboard.ui.views.whatif.controls import SLIDER_STEP, best_pct, has_slider, slider_floor, target_control

KEY = "w_live_money"


def _script() -> str:
    """live_money.js without its comments and indentation: Streamlit sends a component's script with every run."""
    lines = (re.sub(r"\s+// .*$", "", line).strip() for line in SCRIPT.read_text(encoding="utf-8").splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//"))


SCRIPT = Path(__file__).with_name("live_money.js")
_MIRROR = st.components.v2.component("cxlens_live_money", js=_script(), isolate_styles=False)


def terms(items: tuple[whatif.Lever, ...], frame: pd.DataFrame, base: float, fmt: NumberFormat) -> dict:
    """What the browser needs to work out the figure as the sliders move: per behaviour its slider's CSS class (none
    without a slider), the value the slider was drawn with and its left end (%), today's adoption, the saving and the
    annual saving the server worked out; the customer base, the slider step and the number format."""
    annual = dict(zip(frame["key"], frame["annual_saving"], strict=True))
    saving = dict(zip(frame["key"], frame["saving"], strict=True))
    levers = []
    for lever in items:
        drawn = target_control(lever).read() if has_slider(lever) else None
        levers.append(
            {
                "slider": state.element_class(target_control(lever).name) if has_slider(lever) else "",
                "shown_pct": float(best_pct(lever) if drawn is None else drawn),
                "floor_pct": float(slider_floor(lever)),
                "current": float(lever.current),
                "saving": float(saving[lever.key]),
                "annual": float(annual[lever.key]),
            }
        )
    return {
        "base": float(base),
        "step": SLIDER_STEP,
        "format": {"currency": fmt.currency, "thousands": fmt.thousands, "decimal": fmt.decimal},
        "words_before": money.WORDS[0],
        "words_after": money.WORDS[1],
        "levers": levers,
    }


def mirror(items: tuple[whatif.Lever, ...], frame: pd.DataFrame, base: float, fmt: NumberFormat) -> None:
    """Hand the browser this run's terms (an element of no height; nothing when no behaviour has a slider)."""
    if any(has_slider(lever) for lever in items):
        _MIRROR(key=KEY, data=terms(items, frame, base, fmt), height=0)
