"""Charts export as PNG through kaleido and Debian's chromium."""

from __future__ import annotations

import io

import plotly.graph_objects as go
from PIL import Image

from dashboard.charts.export import png_bytes


def test_png_export_renders_the_chart():
    fig = go.Figure(go.Bar(x=["a", "b"], y=[3, 4]), layout={"height": 500})
    data = png_bytes(fig, width=800)
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    assert image.size == (800, 500)
    colours = image.convert("RGB").getcolors(maxcolors=100_000)
    assert len(colours) > 5, "a blank image has one or two colours"
