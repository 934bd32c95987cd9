"""The What-if's money drawn in the browser as a target slider moves: what the browser needs to work out the figures
the rerun will draw (levers, customer base, years, ramp-up, number format) and where they stand on the page. The
browser writes text only; the rerun's own figures follow and are the same (money_preview.js says how)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import streamlit as st

from dashboard.escape import script_json
from dashboard.formatting import NumberFormat
from dashboard.metrics import whatif
from dashboard.ui import state
from dashboard.ui.views.whatif.controls import best_pct, has_slider, target_control

KEY = "w_preview"
HEADLINE, WORDS, MOVED, CUMULATIVE = "w_headline", "w_words", "w_moved", "w_cumulative"
"""The keyed containers of the figures the browser redraws: the headline, the total in words, the behaviours moved
and the projection's total. The headline's text is set at 76 px, the largest on the page (money.STICKY_CSS). Text, not
a chart: a chart whose figure changed is drawn anew by the browser on every slider move."""
_HOLE = "\0"

SCRIPT = "\n".join(
    line for line in Path(__file__).with_name("money_preview.js").read_text().splitlines() if not line.lstrip().startswith("//")
)
"""The preview's script without its comment lines: it travels with every run of the What-if's fragment."""


def key_class(key: str) -> str:
    """The class Streamlit gives the element of a keyed widget or container (st-key- and the key, other than letters,
    digits, _ and - written as -)."""
    return "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())


def row_key(lever: whatif.Lever) -> str:
    """The keyed container of a behaviour's "saves a year"."""
    return f"w_saves_{lever.key}"


def words(full: str) -> str:
    """The total in words under the headline, as Markdown: full comes escaped (the words around it need none)."""
    return f"Total annual savings: {full} a year"


def moved_caption(moved: int, written: str | None = None) -> str:
    """What the headline stands for, with how many behaviours were moved (written, when given, in the count's place),
    as Markdown that needs no escaping."""
    count = str(moved) if written is None else written
    return "a year in cost savings" + (f" · {count} behaviour{'s' if moved != 1 else ''} moved" if moved else "")


def cumulative_caption(years: int, cumulative: str) -> str:
    """The projection's total under the total in words, as Markdown: cumulative comes escaped (the words need none)."""
    return (
        f"Over {years} years with the ramp-up: {cumulative}. "
        "Targets open at best-in-class; the presets below set today, halfway or best-in-class."
    )


def _around(text_with_hole: str, place: str, kind: str) -> dict[str, str]:
    before, after = text_with_hole.split(_HOLE)
    return {"place": key_class(place), "kind": kind, "before": before, "after": after}


def data(
    items: tuple[whatif.Lever, ...],
    base: float,
    targets: dict[str, float | None],
    savings: dict[str, float],
    years: int,
    ramp: int,
    fmt: NumberFormat,
) -> dict[str, Any]:
    """What the browser works the figures out from: per behaviour with a slider, its slider's class, today's
    adoption, the saving, the target this run used (inputs_from_state gives one to every behaviour with a slider) and
    the value its slider was drawn at; and the texts to write."""
    levers = []
    texts = [
        _around(_HOLE, HEADLINE, "headline"),
        _around(words(_HOLE), WORDS, "full"),
        _around(cumulative_caption(years, _HOLE), CUMULATIVE, "cumulative"),
        {"place": key_class(MOVED), "kind": "moved", "before": "", "after": ""},
    ]
    for lever in items:
        if not has_slider(lever):
            continue
        control = target_control(lever)
        stored = control.read()
        levers.append(
            {
                "key": lever.key,
                "slider": key_class(state.widget_key(control.name)),
                "current": lever.current,
                "saving": float(savings[lever.key]),
                "target": targets[lever.key],
                "shown": best_pct(lever) if stored is None else float(stored),
            }
        )
        texts.append(_around(_HOLE, row_key(lever), f"row:{lever.key}"))
    return {
        "levers": levers,
        "base": float(base),
        "years": years,
        "ramp": ramp,
        "format": {"currency": fmt.currency, "thousands": fmt.thousands, "decimal": fmt.decimal},
        "moved": {"none": moved_caption(0), "one": moved_caption(1), "many": moved_caption(2, "{n}")},
        "texts": texts,
    }


SCRIPT_START, SCRIPT_END = f"<script>{SCRIPT}\nwindow.cxMoneyPreview.update(", ");</script>"
"""What the preview's HTML holds around its data (the data in between come from escape.script_json)."""


def mount(payload: dict[str, Any]) -> None:
    """The preview on the page: the script with this run's data (it draws nothing of its own; the page's CSS hides its
    empty box). st.html runs it again whenever the data change."""
    with st.container(key=KEY):
        st.html(SCRIPT_START + script_json(payload) + SCRIPT_END, unsafe_allow_javascript=True)
