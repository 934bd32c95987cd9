"""Charts as PNG files, rendered by kaleido with Debian's chromium."""

from __future__ import annotations

import os
import shutil

import plotly.graph_objects as go
import plotly.io as pio


def png_bytes(fig: go.Figure, width: int = 1600, height: int | None = None, scale: float = 1.0) -> bytes:
    """fig as a PNG image (width px wide; its own height, or 900 px), white background."""
    if "BROWSER_PATH" not in os.environ:
        browser = shutil.which("chromium") or "/usr/bin/chromium"
        os.environ["BROWSER_PATH"] = browser
    height = height or int(fig.layout.height or 900)
    return pio.to_image(fig, format="png", width=width, height=height, scale=scale)
