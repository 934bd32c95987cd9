"""The workshop story: its seven steps, the notes kept with a dataset, and the figures the last step sums up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

NOTES_PREFIX = "story.notes."
"""Dataset setting holding a step's notes: story.notes.<step key>, a plain string."""
MAX_NOTE_CHARS = 5000
"""Longest note kept (a few paragraphs; the box stops there)."""


@dataclass(frozen=True)
class Step:
    """One step of the story: its key (for notes), title, what the facilitator says, and the page it comes from."""

    key: str
    title: str
    lead: str
    page: str
    """Label of the page (in dashboard/ui/nav.py) that shows the full analysis behind the step."""
    notes_label: str = "Notes"
    notes_hint: str = "What the room said, questions to follow up…"


STEPS: tuple[Step, ...] = (
    Step(
        "where_we_stand",
        "Where we stand",
        "Start from the facts everyone agrees on: how many customers we have, how many we lose, what they bring in "
        "and what serving them costs.",
        "Overview",
    ),
    Step(
        "journey",
        "Journey pain points",
        "Walk the journey stage by stage: this is where customers struggle, repeat themselves and wait for us.",
        "Journey",
    ),
    Step(
        "behaviours",
        "Perfect behaviours",
        "Some customers are cheaper to serve and happier: this is how many show each behaviour today against the "
        "best in class, and the money in the gap.",
        "Behaviours",
    ),
    Step(
        "whatif",
        "What-if",
        "Move a slider and watch the money: customers × change in adoption × saving per customer, a year.",
        "What-if",
    ),
    Step(
        "defection",
        "Defection",
        "Who has left or is about to, and what it costs in lifetime value: the revenue at risk if we do nothing.",
        "Defection",
    ),
    Step(
        "drivers",
        "What drives it",
        "What goes with customers leaving or being unhappy, how common it is, and what fixing it is worth.",
        "Drivers",
    ),
    Step(
        "decisions",
        "Decisions",
        "The figures we saw, what the room noted at each step, and what we decide to do next.",
        "Overview",
        notes_label="Decisions and actions",
        notes_hint="One decision or action a line, with an owner and a date: e.g. Move e-billing to 50 % by Q4 (Ana).",
    ),
)
STEP_COUNT = len(STEPS)


def step_number(value: Any) -> int:
    """A step number from 1 to STEP_COUNT (ValueError otherwise, so a bad URL falls back to the first step)."""
    number = int(value)
    if not 1 <= number <= STEP_COUNT:
        raise ValueError(value)
    return number


def step_at(number: int) -> Step:
    """The step numbered number (1-based)."""
    return STEPS[step_number(number) - 1]


def indicator(number: int) -> str:
    """The step indicator: "Step 2 of 6 · Journey pain points"."""
    return f"Step {number} of {STEP_COUNT} · {step_at(number).title}"


def notes_key(step_key: str) -> str:
    """The dataset setting holding the notes of step_key."""
    if step_key not in {s.key for s in STEPS}:
        raise KeyError(step_key)
    return NOTES_PREFIX + step_key


def clean_note(text: Any) -> str:
    """A note as stored: a string without trailing blanks, at most MAX_NOTE_CHARS characters."""
    return str(text or "").rstrip()[:MAX_NOTE_CHARS]


def load_note(store: Any, dataset: str, step_key: str) -> str:
    """The saved notes of step_key for dataset; empty when none (or when the saved value is not text)."""
    value = store.get_setting(dataset, notes_key(step_key), "")
    return clean_note(value) if isinstance(value, str) else ""


def save_note(store: Any, dataset: str, step_key: str, text: Any) -> str:
    """Save the notes of step_key with dataset (only when they changed); returns the note as stored."""
    note = clean_note(text)
    if note != load_note(store, dataset, step_key):
        store.set_setting(dataset, notes_key(step_key), note)
    return note


def load_notes(store: Any, dataset: str) -> dict[str, str]:
    """Every step's saved notes for dataset, by step key, in story order (empty strings included)."""
    return {s.key: load_note(store, dataset, s.key) for s in STEPS}


def decision_lines(text: str) -> list[str]:
    """The decisions in the Decisions notes: one per non-blank line, list markers ("-", "*", "•", "1." to "99.") taken off."""
    lines = []
    for raw in text.splitlines():
        line = raw.strip()
        for marker in ("- ", "* ", "• "):
            if line.startswith(marker):
                line = line[len(marker) :].strip()
        head, dot, rest = line.partition(". ")
        if dot and head.isdigit() and len(head) <= 2:  # "3. Report back", not "2024. A year"
            line = rest.strip()
        if line:
            lines.append(line)
    return lines


SUMMARY_COLUMNS = ["step", "key", "label", "detail", "kind", "value", "definition", "available"]


def summary_figures(
    overview_kpis: pd.DataFrame,
    hotspots: pd.DataFrame | None,
    savings_potential: float | None,
    whatif_saving: float | None,
    defection_kpis: pd.DataFrame | None,
) -> pd.DataFrame:
    """The headline figures of steps 1 to 5 as KPI rows (step, key, label, detail, kind, value, definition, available).

    detail is text from the data that goes with the label (the journey stage named), empty otherwise.

    overview_kpis and defection_kpis are the frames of metrics.overview.kpis and metrics.defection_figures.kpis_from;
    hotspots that of metrics.journey.hotspots (None without touchpoints); savings_potential the behaviours' total
    potential at best-in-class; whatif_saving the annual saving at the What-if sliders (None when nothing is priced).
    """
    savings = _figure(
        "behaviours",
        "savings_potential",
        "Savings potential a year",
        "money",
        savings_potential,
        "Sum over behaviours of customers in scope × (best-in-class − adoption today, when positive) × "
        "saving per adopting customer per year.",
    )
    at_sliders = _figure(
        "whatif",
        "whatif_saving",
        "Savings at the What-if sliders",
        "money",
        whatif_saving,
        "Annual savings = customers × (target adoption − adoption today) × saving per adopting customer "
        "per year, summed over behaviours, at the targets the What-if sliders are set to.",
    )
    rows = [
        *_kpi_figures(overview_kpis, "where_we_stand", ("customers", "churn_rate", "revenue", "cost_to_serve")),
        *_worst_satisfaction(hotspots),
        savings,
        at_sliders,
        *_kpi_figures(defection_kpis, "defection", ("at_risk", "revenue_at_risk")),
    ]
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def _figure(
    step: str,
    key: str,
    label: str,
    kind: str,
    value: float | None,
    definition: str,
    available: bool | None = None,
    detail: str = "",
) -> dict[str, Any]:
    """One row of summary_figures; available defaults to whether there is a value."""
    available = value is not None if available is None else available
    return {
        "step": step,
        "key": key,
        "label": label,
        "detail": detail,
        "kind": kind,
        "value": value,
        "definition": definition,
        "available": available,
    }


def _kpi_figures(kpis: pd.DataFrame | None, step: str, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """The rows of the KPIs keys found in a KPI frame (none without the frame), in the order of keys."""
    if kpis is None:
        return []
    rows = []
    for key in keys:
        found = kpis[kpis["key"] == key]
        if len(found):
            kpi = found.iloc[0]
            value = None if kpi["value"] is None or pd.isna(kpi["value"]) else float(kpi["value"])
            rows.append(_figure(step, key, kpi["label"], kpi["kind"], value, kpi["definition"], bool(kpi["available"])))
    return rows


def _worst_satisfaction(hotspots: pd.DataFrame | None) -> list[dict[str, Any]]:
    """The journey stage with the lowest satisfaction as a row (none without touchpoints or such a stage)."""
    if hotspots is None:
        return []
    spot = hotspots[hotspots["key"] == "satisfaction"]
    if not len(spot) or spot.iloc[0]["stage"] is None:
        return []
    definition = (
        "Mean satisfaction of the rated touchpoints of the journey stage where it is lowest "
        "(a stage needs enough ratings behind it; see the Journey page)."
    )
    worst = spot.iloc[0]
    label, value, stage = "Lowest satisfaction", float(worst["value"]), str(worst["stage"])
    return [_figure("journey", "worst_satisfaction", label, "score", value, definition, True, stage)]
