"""Validation settings: the share of unreadable required values that blocks, the clock, the satisfaction scale."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dashboard.ingest.mapping import SATISFACTION_SCALES

MAX_BAD_SHARE = 0.01
"""Default: a required column whose unreadable values exceed this share of rows blocks the publish."""


EXAMPLES = 5


@dataclass(frozen=True)
class Options:
    """Validation settings: the share of unreadable required values that blocks, the clock, the satisfaction scale."""

    max_bad_share: float = MAX_BAD_SHARE
    now: datetime | None = None
    satisfaction_scale: str = ""

    def validate(self) -> Options:
        """Self when the settings make sense; ValueError otherwise."""
        if not 0 <= self.max_bad_share <= 1:
            raise ValueError("the share of unreadable values allowed must be between 0 and 1")
        if self.satisfaction_scale and self.satisfaction_scale not in SATISFACTION_SCALES:
            raise ValueError(f"unknown satisfaction scale {self.satisfaction_scale!r}")
        return self
