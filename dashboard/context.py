"""The context of what is shown: dataset, version, filters and comparison, as one line, a file name and a sheet."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import pandas as pd

from dashboard.metrics.compare import NO_COMPARISON, Comparison, period_words
from dashboard.metrics.scope import Filters
from dashboard.store import Version


@dataclass(frozen=True)
class ViewContext:
    """What a figure on screen or in a file depends on: the dataset version, the shared filters and the comparison."""

    version: Version
    filters: Filters
    comparison: Comparison = NO_COMPARISON

    @property
    def dataset(self) -> str:
        """Dataset name and version number: "sample v3"."""
        return f"{self.version.dataset} v{self.version.number}"

    def parts(self) -> list[tuple[str, str]]:
        """(name, value) pairs: dataset, published, segments, regions, months, compared with."""
        f = self.filters
        months = period_words(f.month_from, f.month_to) if f.month_from and f.month_to else "all months (no dates)"
        return [
            ("Dataset", self.dataset),
            ("Published", f"{self.version.created_at:%Y-%m-%d %H:%M}"),
            ("Segments", ", ".join(f.segments) if f.segments else "all"),
            ("Regions", ", ".join(f.regions) if f.regions else "all"),
            ("Months", months),
            ("Compared with", self.comparison.describe()),
        ]

    def line(self) -> str:
        """The context as one plain-text line (escape it for where it is shown)."""
        p = dict(self.parts())
        return (
            f"{p['Dataset']} (published {p['Published']}) · segments: {p['Segments']} · regions: {p['Regions']} · "
            f"{p['Months']} · {p['Compared with']}"
        )

    def digest(self) -> str:
        """Eight hex digits that change with the version, filters or comparison (tells two exports' scopes apart)."""
        return hashlib.sha256(repr((self.version.version_id, self.filters, self.comparison)).encode()).hexdigest()[:8]

    def file_name(self, stem: str) -> str:
        """stem followed by dataset, version and the digest, safe as a file name: "journey-variants_sample-v3_1a2b3c4d"."""
        return f"{_slug(stem)}_{_slug(self.version.dataset)}-v{self.version.number}_{self.digest()}"

    def frame(self) -> pd.DataFrame:
        """The context as a two-column table (what, value), for an export's Context sheet."""
        return pd.DataFrame(self.parts(), columns=["what", "value"])


def _slug(text: str) -> str:
    """text as lowercase letters, digits and dashes (at most 40), "data" when nothing is left."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "data"
